"""Fixtures of the ml tests: a temporary installation (warehouse, MLflow store) per test module."""

from __future__ import annotations

import pytest

from rapport.settings import Settings
from tests.ml.support import make_settings


@pytest.fixture(scope="module")
def module_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A fresh installation (DuckDB file, SQLite MLflow store, exports) shared by one test module."""
    return make_settings(tmp_path_factory.mktemp("installation"))


@pytest.fixture
def settings(tmp_path) -> Settings:
    """A fresh installation for one test."""
    return make_settings(tmp_path)
