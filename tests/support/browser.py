"""Debian's chromium driven by Playwright, and a fresh page in it: one session fixture for every test module.

Registered once in ``tests/conftest.py`` (``pytest_plugins``). Defining ``browser`` in two conftest files (or
re-exporting it) makes two session fixtures: a worker that runs tests of both folders would then start a
second sync Playwright inside the first one's event loop, which Playwright refuses ("using Playwright Sync API
inside the asyncio loop").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make setup` installs Debian's chromium for the browser tests "
            "(apt-get install chromium); Playwright's own browser download is never used"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh browser page (its own context) at a desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()
