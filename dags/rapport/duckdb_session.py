"""DuckDB sessions for extraction and validation (UTC, bounded memory, spilling under ``var/tmp``) and SQL quoting."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rapport.config import Config
from rapport.settings import Settings
from rapport.warehouse import DUCKDB_CONFIG, connect, ensure_audit_tables

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)


def open_scratch_duckdb(settings: Settings, config: Config) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for reading sources and writing landing files (not the warehouse)."""
    import duckdb

    connection = duckdb.connect(":memory:", config=dict(DUCKDB_CONFIG))
    configure_session(connection, settings, config)
    return connection


def configure_session(connection: duckdb.DuckDBPyConnection, settings: Settings, config: Config) -> None:
    """Timestamps in UTC, a memory limit and a spill folder (``var/tmp/duckdb``)."""
    spill = settings.var_dir / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"SET memory_limit = {sql_string(config.extract.duckdb_memory_limit)}")
    connection.execute(f"SET temp_directory = {sql_string(str(spill))}")


def sql_string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_list(values: list[str] | tuple[str, ...]) -> str:
    """A DuckDB list literal of strings: ``['a', 'b']``."""
    return "[" + ", ".join(sql_string(value) for value in values) + "]"


@contextmanager
def open_warehouse(
    settings: Settings, config: Config, *, wait_seconds: float = 300.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse through :func:`rapport.warehouse.connect`, audit tables ensured, session configured.

    DuckDB lets one process write a database file at a time; when another process holds it, this waits
    (up to ``wait_seconds``) instead of failing, so parallel extract tasks can each record their manifest.
    """
    import duckdb

    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        try:
            connection = connect(settings.warehouse_path)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            log.info(
                "warehouse %s is locked by another process; retrying in %.1f s",
                settings.warehouse_path,
                delay,
            )
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
    try:
        configure_session(connection, settings, config)
        ensure_audit_tables(connection)
        yield connection
    finally:
        connection.close()
