"""Matching a source's column names to the contract.

Names match case-insensitively. Accepted alternative names come from the contract (``aliases``, e.g.
``regardingobjectid_entitytype`` for ``regardingobjecttypecode``; the Web API lookup form ``_x_value``
for ``x``). Azure Synapse Link's system columns (``isDeleted``, ``versionnumber``, ``SinkModifiedOn``,
``SinkCreatedOn``, ``Id``) are recognised separately; everything else is ignored and listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapport.contract import Table

# Synapse Link system columns (lower case) -> their role.
SYNAPSE_COLUMNS = ("isdeleted", "versionnumber", "sinkmodifiedon", "sinkcreatedon", "id")


@dataclass(frozen=True)
class ColumnMapping:
    """How one source table's columns map to its contract table."""

    table: str
    selected: tuple[tuple[str, str], ...]  # (source column, contract column), in contract order
    missing: tuple[str, ...]  # contract columns the source does not have
    ignored: tuple[str, ...]  # source columns not used (not in the contract, or a second name for one)
    system: tuple[tuple[str, str], ...]  # (synapse role, source column)

    def source_column(self, contract_column: str) -> str | None:
        for source, contract in self.selected:
            if contract == contract_column:
                return source
        return None

    def system_column(self, role: str) -> str | None:
        for name, source in self.system:
            if name == role:
                return source
        return None

    @property
    def is_synapse_append_only(self) -> bool:
        """True when the export carries Synapse Link versioning columns: keep the latest version per key."""
        roles = {name for name, _ in self.system}
        return bool(roles & {"isdeleted", "versionnumber", "sinkmodifiedon"})


def map_columns(table: Table, source_columns: Sequence[str]) -> ColumnMapping:
    """Match ``source_columns`` to the contract columns of ``table``.

    An exact (case-insensitive) contract name wins over an alias. When the primary key column is absent but
    a Synapse ``Id`` column exists, ``Id`` provides the key.
    """
    contract_names = {name.lower(): name for name in table.column_names}
    aliases = table.alias_map()
    exact: dict[str, str] = {}
    by_alias: dict[str, str] = {}
    system: dict[str, str] = {}
    unused: list[str] = []
    for column in source_columns:
        key = column.lower()
        if key in contract_names and contract_names[key] not in exact:
            exact[contract_names[key]] = column
        elif key in aliases and aliases[key] not in by_alias:
            by_alias[aliases[key]] = column
        elif key in SYNAPSE_COLUMNS and key not in system:
            system[key] = column
        else:
            unused.append(column)
    chosen: dict[str, str] = {}
    for name in table.column_names:
        if name in exact:
            chosen[name] = exact[name]
            if name in by_alias:
                unused.append(by_alias[name])
        elif name in by_alias:
            chosen[name] = by_alias[name]
    if table.primary_key not in chosen and "id" in system:
        chosen[table.primary_key] = system["id"]
    return ColumnMapping(
        table=table.name,
        selected=tuple((chosen[name], name) for name in table.column_names if name in chosen),
        missing=tuple(name for name in table.column_names if name not in chosen),
        ignored=tuple(unused),
        system=tuple(sorted(system.items())),
    )


def known_column_names(table: Table) -> frozenset[str]:
    """Every lower-case name that means something for ``table`` (contract names, aliases, system columns)."""
    return frozenset(
        {name.lower() for name in table.column_names} | set(table.alias_map()) | set(SYNAPSE_COLUMNS)
    )
