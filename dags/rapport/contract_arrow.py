"""The raw contract as Arrow: the one map from contract types to Arrow types, and a table's schema.

Every writer of contract tables (the sample generator, the mail importer) uses these, so a contract type
has one Arrow type everywhere: timestamps ``timestamp[us]`` without a zone (UTC by convention), dates
``date32``, option sets ``int32``. The DuckDB side of the same map is ``rapport.contract.DUCKDB_TYPES``.
"""

from __future__ import annotations

import pyarrow as pa

from rapport.contract import Table

ARROW_TYPES: dict[str, pa.DataType] = {
    "guid": pa.string(),
    "string": pa.string(),
    "memo": pa.string(),
    "entityname": pa.string(),
    "integer": pa.int64(),
    "picklist": pa.int32(),
    "money": pa.float64(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("us"),
    "date": pa.date32(),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a contract table: its columns in contract order, all nullable."""
    return pa.schema([pa.field(column.name, ARROW_TYPES[column.type]) for column in table.columns])
