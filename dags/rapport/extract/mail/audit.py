"""The address audit of a mail import in the warehouse: ``audit.mail_addresses``, one row per address per run.

Every address the importer excluded (a list, alias or robot, with its reason) or reported (a likely alias)
or merged (aliases file), from the export folder's ``_address_audit.parquet``. Re-running a date replaces
that date's rows. Published with the other audit tables as ``audit_mail_addresses``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rapport import warehouse
from rapport.extract.mail.tables import ADDRESS_AUDIT_FILE
from rapport.settings import Settings

TABLE = "audit.mail_addresses"


def record_address_audit(settings: Settings, ds: date | None, export_dir: Path) -> int:
    """Replace ``ds``'s rows of ``audit.mail_addresses`` with the export's audit; returns the row count."""

    path = Path(export_dir) / ADDRESS_AUDIT_FILE
    if ds is None or not path.exists():
        return 0
    with warehouse.connect(settings.warehouse_path) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS audit")
        connection.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {TABLE} (
                ds DATE NOT NULL, address VARCHAR NOT NULL, kind VARCHAR NOT NULL, reason VARCHAR NOT NULL,
                detail VARCHAR, messages_sent BIGINT, messages_received BIGINT, recorded_at TIMESTAMP
            )
            """
        )
        connection.execute(f"DELETE FROM {TABLE} WHERE ds = ?", [ds])
        connection.execute(
            f"INSERT INTO {TABLE} SELECT ?::date, address, kind, reason, detail, messages_sent, "
            "messages_received, now()::timestamp FROM read_parquet(?)",
            [ds, str(path)],
        )
        rows = connection.execute(f"SELECT count(*) FROM {TABLE} WHERE ds = ?", [ds]).fetchone()
    return int(rows[0]) if rows else 0


def excluded_counts(connection, ds: date) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(excluded, likely aliases) of ``ds`` in ``audit.mail_addresses``; (0, 0) when there is none."""
    try:
        row = connection.execute(
            f"SELECT count(*) FILTER (WHERE kind = 'excluded'), count(*) FILTER (WHERE reason = 'likely_alias') "
            f"FROM {TABLE} WHERE ds = ?",
            [ds],
        ).fetchone()
    except Exception:  # no mail run ever recorded an audit in this warehouse
        return 0, 0
    return (int(row[0]), int(row[1])) if row else (0, 0)
