"""Fixtures the end-to-end modules share with the insight-page tests: the real browser and a page in it."""

from tests.insights.conftest import browser, page  # noqa: F401  (re-exported as fixtures)
