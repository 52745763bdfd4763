"""Running extract + validate in tests and reading back the warehouse."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from rapport.config import Config
from rapport.contract import ACTIVITY_TABLES, load_contract
from rapport.extract import ExtractResult, Source, extract_table
from rapport.settings import Settings
from rapport.validation import ValidationResult, validate_table


def isolated_settings(folder: Path) -> Settings:
    """Settings whose run state (landing, warehouse) lives in ``folder``."""
    return Settings.from_env({"RAPPORT_HOME": str(folder)})


def validation_order(tables: Iterable[str] | None = None) -> list[str]:
    """Contract tables with activityparty after the activity tables."""
    names = list(tables or load_contract().table_names)
    return [name for name in names if name != "activityparty"] + (
        ["activityparty"] if "activityparty" in names else []
    )


def extract_all(
    source: Source, ds: date, settings: Settings, config: Config, tables: Iterable[str] | None = None
) -> dict[str, ExtractResult]:
    return {
        table: extract_table(table, ds, source, settings, config=config)
        for table in (tables or load_contract().table_names)
    }


def validate_all(
    ds: date, settings: Settings, config: Config, tables: Iterable[str] | None = None
) -> dict[str, ValidationResult]:
    return {table: validate_table(table, ds, settings, config) for table in validation_order(tables)}


def with_activities(*tables: str) -> list[str]:
    """``tables`` plus the activity tables when activityparty is among them (its references need them)."""
    names = list(tables)
    if "activityparty" in names:
        names = [*ACTIVITY_TABLES, *[name for name in names if name not in ACTIVITY_TABLES]]
    return names


def query(settings: Settings, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a query against the test's warehouse."""
    from rapport.warehouse import connect

    connection = connect(settings.warehouse_path)
    try:
        return connection.execute(sql, parameters or []).fetchall()
    finally:
        connection.close()


def raw_table(settings: Settings, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``raw.<table>`` ordered by its primary key."""
    key = load_contract().table(table).primary_key
    return query(settings, f'SELECT * FROM raw."{table}" ORDER BY "{key}"')


def quarantine(settings: Settings, ds: date, table: str) -> list[dict[str, Any]]:
    """Quarantine rows of (ds, table) as dicts, ordered by record key and check."""
    rows = query(
        settings,
        "SELECT record_key, check_name, reason, CAST(source_row AS VARCHAR) FROM audit.quarantine "
        "WHERE ds = ? AND table_name = ? ORDER BY record_key, check_name",
        [ds, table],
    )
    return [
        {"record_key": row[0], "check_name": row[1], "reason": row[2], "source_row": row[3]} for row in rows
    ]


def reconciliation(settings: Settings, ds: date, table: str) -> tuple[int, int, int, bool]:
    (row,) = query(
        settings,
        "SELECT raw_rows, clean_rows, quarantined_rows, is_balanced FROM audit.reconciliation "
        "WHERE ds = ? AND table_name = ?",
        [ds, table],
    )
    return row
