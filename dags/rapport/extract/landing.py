"""The landing zone: ``var/landing/<table>/ds=YYYY-MM-DD/`` and the extract manifest.

Each landing folder holds ``data.parquet`` (the table's rows as they arrived, contract column names),
optionally ``quarantine.parquet`` (rows a converter could not convert) and ``_manifest.json``. A folder is
built under a temporary name and swapped in, so re-running a date replaces that date's landing and never
adds to it. ``audit.extract_manifest`` holds one row per table per date, replaced on re-run.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.errors import LandingNotFoundError
from rapport.settings import Settings

if TYPE_CHECKING:
    import duckdb

DATA_FILE = "data.parquet"
QUARANTINE_FILE = "quarantine.parquet"
MANIFEST_FILE = "_manifest.json"


@dataclass(frozen=True)
class LandingManifest:
    """What one extraction landed (``_manifest.json`` and a row of ``audit.extract_manifest``)."""

    table: str
    ds: str
    source: str
    source_kind: str
    load_type: str  # full | incremental
    rows: int
    bytes: int
    columns: tuple[str, ...]  # contract columns landed
    missing_columns: tuple[str, ...]  # contract columns the source lacks
    ignored_columns: tuple[str, ...]  # source columns not in the contract
    files: tuple[str, ...]  # what was read (files, or schema.table for PostgreSQL)
    format: str  # parquet | csv | postgres | none (table absent, landed empty)
    csv_header: bool | None
    model_json: str | None
    source_rows: int
    superseded_rows: int
    deleted_rows: int
    converter_quarantined_rows: int
    previous_watermark: str | None  # ISO timestamp the incremental extraction started after
    landed_max_modifiedon: str | None
    extracted_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LandingManifest:
        data = json.loads(text)
        for key in ("columns", "missing_columns", "ignored_columns", "files"):
            data[key] = tuple(data[key])
        return cls(**data)


def as_date(ds: date | str) -> date:
    """The run date from a ``date``/``datetime`` or ISO text (Airflow templates hand over ``ds`` as text)."""
    if isinstance(ds, datetime):
        return ds.date()
    if isinstance(ds, date):
        return ds
    return date.fromisoformat(str(ds)[:10])


def landing_folder(settings: Settings, table: str, ds: date) -> Path:
    return settings.landing_dir / table / f"ds={ds.isoformat()}"


@contextmanager
def staged_landing(settings: Settings, table: str, ds: date) -> Iterator[Path]:
    """A fresh temporary folder beside the final one; removed when the block fails."""
    final = landing_folder(settings, table, ds)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish_landing(staging: Path, final: Path) -> None:
    """Swap ``staging`` in as ``final`` (the previous landing of that date is removed)."""
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_landing_manifest(settings: Settings, table: str, ds: date) -> tuple[Path, LandingManifest]:
    """The landing folder of ``table`` on ``ds`` and its manifest; raises when extraction has not run."""
    folder = landing_folder(settings, table, ds)
    manifest = folder / MANIFEST_FILE
    if not manifest.is_file():
        raise LandingNotFoundError(
            f"nothing landed for table {table} on {ds.isoformat()} ({manifest} is missing): run the extract "
            f"task for {table} and this date first (rapport.extract.extract_table)"
        )
    return folder, LandingManifest.from_json(manifest.read_text(encoding="utf-8"))


def record_manifest(connection: duckdb.DuckDBPyConnection, manifest: LandingManifest, path: Path) -> None:
    """Replace the ``audit.extract_manifest`` row of (ds, table)."""
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            "DELETE FROM audit.extract_manifest WHERE ds = ? AND table_name = ?",
            [manifest.ds, manifest.table],
        )
        connection.execute(
            """
            INSERT INTO audit.extract_manifest (ds, table_name, source, load_type, rows, bytes, watermark,
                previous_watermark, source_rows, superseded_rows, deleted_rows, converter_quarantined_rows,
                landed_path, extracted_at)
            VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                manifest.ds,
                manifest.table,
                manifest.source,
                manifest.load_type,
                manifest.rows,
                manifest.bytes,
                manifest.previous_watermark,
                manifest.source_rows,
                manifest.superseded_rows,
                manifest.deleted_rows,
                manifest.converter_quarantined_rows,
                str(path),
                manifest.extracted_at,
            ],
        )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def previous_watermark(
    connection: duckdb.DuckDBPyConnection, table: str, source: str, ds: date
) -> datetime | None:
    """The watermark of the latest earlier date whose extraction of ``table`` from ``source`` was validated.

    A date counts only when validation balanced its counts (``audit.reconciliation.is_balanced``): a date
    whose validation failed is extracted again from the same point next time, so nothing is skipped.
    """
    row = connection.execute(
        """
        SELECT m.watermark
        FROM audit.extract_manifest AS m
        JOIN audit.reconciliation AS r ON r.ds = m.ds AND r.table_name = m.table_name
        WHERE m.table_name = ? AND m.source = ? AND m.ds < ? AND r.is_balanced AND m.watermark IS NOT NULL
        ORDER BY m.ds DESC
        LIMIT 1
        """,
        [table, source, ds],
    ).fetchone()
    return None if row is None else row[0]


def iso(value: Any) -> str | None:
    """ISO text of a timestamp (None stays None)."""
    return None if value is None else value.isoformat()
