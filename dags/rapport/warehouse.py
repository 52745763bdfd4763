"""The DuckDB warehouse: one way to connect, and the audit tables every stage writes to.

DuckDB allows one writer process. Every connection in a Rapport process is opened through
:func:`connect` with the same configuration as dbt-duckdb's (see ``dbt_project/profiles.yml``): DuckDB
refuses a second connection to the same file with a different configuration in one process.
Connections are short-lived: open, work, close (use it as a context manager).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rapport.redaction import redact
from rapport.run_lock import LOCK_FILE, read_holder
from rapport.settings import Settings

if TYPE_CHECKING:
    import duckdb

# Must match dbt_project/profiles.yml `config_options` (its `settings`, memory and threads, are SET after
# connecting, so they need not match). Only built-in extensions: INSTALL would download.
DUCKDB_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

AUDIT_DDL = (
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS audit",
    """
    CREATE TABLE IF NOT EXISTS audit.extract_manifest (
        ds DATE NOT NULL,             -- the run's logical date
        table_name VARCHAR NOT NULL,  -- contract table
        source VARCHAR NOT NULL,      -- e.g. files:/path, postgres:postgresql://user@host/db, sample, mail:/path
        load_type VARCHAR NOT NULL,   -- full (a snapshot: replaces raw) | incremental (merged by key)
        rows BIGINT NOT NULL,         -- rows landed
        bytes BIGINT NOT NULL,        -- size of the landed Parquet file
        watermark TIMESTAMP,          -- max(modifiedon) of the rows that passed validation (set by validate);
                                      -- the next incremental run starts after it
        previous_watermark TIMESTAMP, -- the watermark this (incremental) extraction started after
        source_rows BIGINT,           -- rows read from the source, before Synapse version handling
        superseded_rows BIGINT,       -- Synapse append-only rows dropped: a later version of the key exists
        deleted_rows BIGINT,          -- Synapse append-only keys dropped: their latest version is isDeleted
        converter_quarantined_rows BIGINT, -- rows the mail converter could not convert (folded into quarantine)
        landed_path VARCHAR NOT NULL,
        extracted_at TIMESTAMP NOT NULL,
        PRIMARY KEY (ds, table_name)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit.quarantine (
        ds DATE NOT NULL,
        table_name VARCHAR NOT NULL,
        record_key VARCHAR,           -- the row's primary key when it has one
        check_name VARCHAR NOT NULL,  -- e.g. expect_column_values_to_be_in_set, cast, duplicate_key
        reason VARCHAR NOT NULL,      -- what is wrong and how to fix it, for a person
        source_row JSON NOT NULL,     -- the row as it arrived
        quarantined_at TIMESTAMP NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit.reconciliation (
        ds DATE NOT NULL,
        table_name VARCHAR NOT NULL,
        raw_rows BIGINT NOT NULL,
        clean_rows BIGINT NOT NULL,
        quarantined_rows BIGINT NOT NULL,
        is_balanced BOOLEAN NOT NULL, -- raw_rows = clean_rows + quarantined_rows
        checked_at TIMESTAMP NOT NULL,
        PRIMARY KEY (ds, table_name)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit.dbt_runs (
        ds DATE NOT NULL,
        selection VARCHAR NOT NULL,   -- what the invocation built (e.g. all but tag:scores)
        command VARCHAR NOT NULL,
        succeeded BOOLEAN NOT NULL,
        models_built INTEGER NOT NULL,
        tests_passed INTEGER NOT NULL,
        tests_warned INTEGER NOT NULL,
        seconds DOUBLE NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        PRIMARY KEY (ds, selection)
    )
    """,
)


def connect(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (default: ``Settings.from_env().warehouse_path``), creating its folder."""
    import duckdb

    if path is None:
        path = Settings.from_env().warehouse_path
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))


def ensure_audit_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit schemas and the audit tables if they do not exist yet."""
    for statement in AUDIT_DDL:
        connection.execute(statement)


def lock_conflict_message(path: Path, error: str, var_dir: Path | None = None) -> str | None:
    """DuckDB's "Could not set lock on file ... (PID n)" as a sentence: which process holds the warehouse
    (its pid, its command line, the Rapport run it belongs to) and what to do. None: not a lock conflict."""
    if "could not set lock" not in error.lower():
        return None
    match = re.search(r"PID (\d+)", error)
    pid = int(match.group(1)) if match else None
    who = "another process" if pid is None else f"process {pid}"
    details = [detail for detail in (_command_of(pid), _run_of(pid, var_dir)) if detail]
    if details:
        who += f" ({'; '.join(details)})"
    return (
        f"the warehouse {path} is in use by {who}. DuckDB allows one writer, and no reader while it writes: "
        "wait until it ends (`rapport airflow dags list-runs sales_insights --state running` shows a DAG run), or stop "
        f"it{f' (kill {pid})' if pid else ''}, then run again; to read the marts meanwhile, open the published "
        "copy var/published/marts.duckdb"
    )


def _command_of(pid: int | None, limit: int = 120) -> str:
    """The command line of ``pid`` (passwords masked, shortened), or "" when it cannot be read."""
    if pid is None:
        return ""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""

    text = redact(" ".join(raw.replace(b"\0", b" ").decode(errors="replace").split()))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _run_of(pid: int | None, var_dir: Path | None) -> str:
    """The Rapport run (from ``var/run.lock``) ``pid`` is, if it is one."""
    if pid is None or var_dir is None:
        return ""

    holder = read_holder(var_dir / LOCK_FILE)
    if holder is None or holder.pid != pid:
        return ""
    return f"`{holder.command}` started {holder.started_at}"
