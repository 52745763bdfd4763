"""A small DuckDB warehouse with contract-shaped raw tables for the notes tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rapport.contract import load_contract
from rapport.warehouse import connect


def create_raw_table(connection: Any, name: str) -> None:
    """``raw.<name>`` with the contract's columns and types."""
    table = load_contract().table(name)
    columns = ", ".join(f"{column.name} {column.duckdb_type}" for column in table.columns)
    connection.execute("CREATE SCHEMA IF NOT EXISTS raw")
    connection.execute(f"CREATE TABLE raw.{name} ({columns})")


def insert_rows(connection: Any, name: str, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of contract columns; others left null) into ``raw.<name>``."""
    for row in rows:
        keys = list(row)
        placeholders = ", ".join("?" for _ in keys)
        connection.execute(
            f"INSERT INTO raw.{name} ({', '.join(keys)}) VALUES ({placeholders})", list(row.values())
        )


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Any]:
    connection = connect(tmp_path / "warehouse.duckdb")
    for name in ("annotation", "email", "phonecall", "appointment", "task", "activityparty"):
        create_raw_table(connection, name)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def rows() -> Callable[[Any, str, list[dict[str, Any]]], None]:
    return insert_rows
