"""A DuckDB warehouse for dbt tests: its file, the settings that point at it, the configuration dbt reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rapport.config import Config
from rapport.settings import Settings

TINY_CRM_END_DATE = date(2026, 11, 1)  # the session's tiny generated CRM (fixture tiny_crm_export) ends here


@dataclass(frozen=True)
class Warehouse:
    """A warehouse dbt builds in a test, and the settings and configuration to run dbt against it."""

    path: Path
    settings: Settings
    config: Config


def warehouse_in(home: Path, config: Config) -> Warehouse:
    """A warehouse ``home/warehouse.duckdb`` with its run state (``RAPPORT_HOME``) in ``home/var``."""
    path = home / "warehouse.duckdb"
    settings = Settings.from_env({"RAPPORT_HOME": str(home / "var"), "RAPPORT_WAREHOUSE": str(path)})
    return Warehouse(path=path, settings=settings, config=config)
