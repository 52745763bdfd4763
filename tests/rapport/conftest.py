"""Fixtures for extraction and validation tests: an isolated run-state folder and the default config."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rapport.config import Config
from rapport.settings import Settings
from tests.support.export import DS
from tests.support.pipeline import isolated_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with their own var/ (landing, warehouse) under the test's temporary folder."""
    return isolated_settings(tmp_path / "var")


@pytest.fixture(scope="session")
def config() -> Config:
    return Config.load()


@pytest.fixture(scope="session")
def ds() -> date:
    return date.fromisoformat(DS)
