"""The raw data contract: Dataverse table and column logical names, types and option-set codes.

The contract's one machine-readable home is the dbt sources file
``dbt_project/models/staging/crm/_crm__sources.yml``: dbt reads it as its sources, and extraction and
validation read the same file through this module (``meta`` holds type, required, codes, aliases and
references). Human documentation: ``docs/contract.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rapport.settings import PROJECT_ROOT

CONTRACT_PATH = PROJECT_ROOT / "dbt_project" / "models" / "staging" / "crm" / "_crm__sources.yml"

# Contract type -> DuckDB type used when landing and casting raw data.
DUCKDB_TYPES = {
    "guid": "VARCHAR",
    "string": "VARCHAR",
    "memo": "VARCHAR",
    "entityname": "VARCHAR",
    "integer": "BIGINT",
    "picklist": "INTEGER",
    "money": "DOUBLE",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "datetime": "TIMESTAMP",
    "date": "DATE",
}

ACTIVITY_TABLES = ("email", "phonecall", "appointment", "task")


@dataclass(frozen=True)
class Column:
    """One contract column."""

    name: str
    type: str
    description: str
    required: bool = False
    codes: tuple[tuple[int, str], ...] = ()
    keep_unknown_codes: bool = False
    aliases: tuple[str, ...] = ()
    references: str | None = None

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]

    @property
    def code_values(self) -> frozenset[int]:
        return frozenset(code for code, _ in self.codes)

    def label(self, code: int) -> str | None:
        return dict(self.codes).get(code)


@dataclass(frozen=True)
class Table:
    """One contract table."""

    name: str
    description: str
    primary_key: str
    kind: str  # record | activity | party | note | reference
    required: bool
    watermark: str | None
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no contract column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.required)

    def alias_map(self) -> dict[str, str]:
        """Accepted alternative column names (lower case) -> contract name."""
        mapping = {}
        for column in self.columns:
            for alias in column.aliases:
                mapping[alias.lower()] = column.name
            mapping[f"_{column.name}_value"] = column.name  # Web API lookup property form
        return mapping


@dataclass(frozen=True)
class Contract:
    tables: tuple[Table, ...]

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"{name!r} is not a contract table; known: {', '.join(self.table_names)}")

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(table.name for table in self.tables)


def _column(raw: dict[str, Any]) -> Column:
    meta = raw.get("meta") or raw.get("config", {}).get("meta", {})
    codes = tuple(sorted((int(code), str(label)) for code, label in (meta.get("codes") or {}).items()))
    return Column(
        name=raw["name"],
        type=meta["type"],
        description=raw.get("description", ""),
        required=bool(meta.get("required", False)),
        codes=codes,
        keep_unknown_codes=meta.get("unknown_codes") == "keep",
        aliases=tuple(meta.get("aliases", ())),
        references=meta.get("references"),
    )


def _table(raw: dict[str, Any]) -> Table:
    meta = raw.get("meta") or raw.get("config", {}).get("meta", {})
    return Table(
        name=raw["name"],
        description=raw.get("description", ""),
        primary_key=meta["primary_key"],
        kind=meta["kind"],
        required=bool(meta.get("required", True)),
        watermark=meta.get("watermark"),
        columns=tuple(_column(column) for column in raw["columns"]),
    )


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Parse the contract from the dbt sources file."""
    with Path(path).open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    (source,) = [source for source in document["sources"] if source["name"] == "crm"]
    return Contract(tables=tuple(_table(table) for table in source["tables"]))
