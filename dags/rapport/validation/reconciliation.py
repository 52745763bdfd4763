"""The run's reconciliation: per table, raw rows = clean rows + quarantined rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rapport.config import Config, load_config
from rapport.duckdb_session import open_warehouse
from rapport.extract.landing import as_date
from rapport.results import to_jsonable
from rapport.settings import Settings


@dataclass(frozen=True)
class TableReconciliation:
    """One table's counts for one date (a row of ``audit.reconciliation``)."""

    table: str
    raw_rows: int
    clean_rows: int
    quarantined_rows: int
    is_balanced: bool
    top_checks: tuple[tuple[str, int], ...]  # most frequent quarantine checks (check names, rows)


@dataclass(frozen=True)
class ReconciliationReport:
    """Every validated table of one date."""

    ds: date
    tables: tuple[TableReconciliation, ...]

    @property
    def is_balanced(self) -> bool:
        return all(table.is_balanced for table in self.tables)

    @property
    def raw_rows(self) -> int:
        return sum(table.raw_rows for table in self.tables)

    @property
    def clean_rows(self) -> int:
        return sum(table.clean_rows for table in self.tables)

    @property
    def quarantined_rows(self) -> int:
        return sum(table.quarantined_rows for table in self.tables)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, e.g. for an XCom return value."""
        return to_jsonable(self) | {"is_balanced": self.is_balanced}

    def as_text(self) -> str:
        """A fixed-width table for logs and the run summary."""
        lines = [
            f"reconciliation for {self.ds.isoformat()}: {'balanced' if self.is_balanced else 'NOT BALANCED'}"
        ]
        lines.append(f"{'table':<24}{'raw':>12}{'clean':>12}{'quarantined':>13}  top quarantine checks")
        for table in self.tables:
            checks = ", ".join(f"{name} ({count})" for name, count in table.top_checks)
            flag = "" if table.is_balanced else "  <- not balanced"
            lines.append(
                f"{table.table:<24}{table.raw_rows:>12,}{table.clean_rows:>12,}{table.quarantined_rows:>13,}  "
                f"{checks}{flag}"
            )
        lines.append(f"{'total':<24}{self.raw_rows:>12,}{self.clean_rows:>12,}{self.quarantined_rows:>13,}")
        return "\n".join(lines)


def reconciliation_report(
    ds: date | str, settings: Settings, config: Config | None = None
) -> ReconciliationReport:
    """The reconciliation rows of ``ds`` with each table's most frequent quarantine checks."""
    ds = as_date(ds)
    config = config or load_config(settings.config_path)
    with open_warehouse(settings, config) as connection:
        rows = connection.execute(
            "SELECT table_name, raw_rows, clean_rows, quarantined_rows, is_balanced "
            "FROM audit.reconciliation WHERE ds = ? ORDER BY table_name",
            [ds],
        ).fetchall()
        checks = connection.execute(
            """
            SELECT table_name, check_name, count(*) AS n
            FROM (SELECT table_name, unnest(string_split(check_name, ', ')) AS check_name
                  FROM audit.quarantine WHERE ds = ?)
            GROUP BY table_name, check_name
            ORDER BY table_name, n DESC, check_name
            """,
            [ds],
        ).fetchall()
    top: dict[str, list[tuple[str, int]]] = {}
    for table, check, count in checks:
        top.setdefault(table, [])
        if len(top[table]) < 3:
            top[table].append((check, int(count)))
    return ReconciliationReport(
        ds=ds,
        tables=tuple(
            TableReconciliation(
                table=table,
                raw_rows=int(raw),
                clean_rows=int(clean),
                quarantined_rows=int(quarantined),
                is_balanced=bool(balanced),
                top_checks=tuple(top.get(table, ())),
            )
            for table, raw, clean, quarantined, balanced in rows
        ),
    )
