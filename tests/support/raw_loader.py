"""Test and development helper: load an export folder into ``raw.<table>`` of a DuckDB warehouse.

Not part of the product (the extract and validate stages do this for real, with quarantine and audit).
It reads each ``<table>.parquet`` (or ``.csv``) the contract knows, keeps the contract's columns in the
contract's order, casts them to the contract's DuckDB types (``Column.duckdb_type``) and replaces
``raw.<table>``. A table missing from the folder is created empty, so dbt's staging views always
compile. Used by the relationship tests and by ``bench/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rapport.contract import Table, load_contract


@dataclass(frozen=True)
class LoadSummary:
    """Rows loaded per raw table."""

    rows: dict[str, int]

    @property
    def activities(self) -> int:
        return sum(self.rows.get(name, 0) for name in ("email", "phonecall", "appointment", "task"))


def _select_list(table: Table, present: set[str]) -> str:
    parts = []
    for column in table.columns:
        if column.name in present:
            parts.append(f'cast("{column.name}" as {column.duckdb_type}) as "{column.name}"')
        else:
            parts.append(f'cast(null as {column.duckdb_type}) as "{column.name}"')
    return ", ".join(parts)


def _source_file(export_dir: Path, table: str) -> Path | None:
    for suffix in ("parquet", "csv"):
        candidate = export_dir / f"{table}.{suffix}"
        if candidate.exists():
            return candidate
    return None


def load_export(export_dir: Path | str, warehouse_path: Path | str) -> LoadSummary:
    """Replace ``raw.<table>`` in ``warehouse_path`` with the contract tables found in ``export_dir``."""
    from rapport import warehouse

    export_dir = Path(export_dir)
    if not export_dir.is_dir():
        raise FileNotFoundError(f"export folder {export_dir} does not exist; generate one first")
    rows: dict[str, int] = {}
    with warehouse.connect(warehouse_path) as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute("create schema if not exists raw")
        for table in load_contract().tables:
            path = _source_file(export_dir, table.name)
            target = f"raw.{table.name}"
            if path is None:
                empty = ", ".join(f'"{c.name}" {c.duckdb_type}' for c in table.columns)
                connection.execute(f"create or replace table {target} ({empty})")
                rows[table.name] = 0
                continue
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
            relation = f"{reader}('{path.as_posix()}')"
            described = connection.execute(f"select * from {relation} limit 0").description
            present = {item[0].lower() for item in described}
            connection.execute(
                f"create or replace table {target} as select {_select_list(table, present)} from {relation}"
            )
            rows[table.name] = connection.execute(f"select count(*) from {target}").fetchone()[0]
    return LoadSummary(rows=rows)
