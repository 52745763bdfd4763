"""Writing contract tables: Arrow schemas from the raw contract, Parquet or CSV files.

Every table the importer writes has exactly the contract's columns, in the contract's order and
types (``rapport.contract``); columns the importer has no value for are null. Timestamps are UTC
without a zone, as the raw layer expects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from rapport.contract import Table, load_contract
from rapport.contract_arrow import arrow_schema

FORMATS = ("parquet", "csv")
QUARANTINE_FILE = "_quarantine.parquet"
QUARANTINE_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("record_key", pa.string()),
        ("check_name", pa.string()),
        ("reason", pa.string()),
        ("source_row", pa.string()),
    ]
)
# Addresses that are not people (lists, aliases, robots) and likely aliases, each with its reason.
ADDRESS_AUDIT_FILE = "_address_audit.parquet"
ADDRESS_AUDIT_SCHEMA = pa.schema(
    [
        ("address", pa.string()),
        ("kind", pa.string()),  # excluded | reported | merged
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("messages_sent", pa.int64()),
        ("messages_received", pa.int64()),
    ]
)


def contract_table(name: str) -> Table:
    return load_contract().table(name)


def build_table(name: str, columns: Mapping[str, Sequence[Any]]) -> pa.Table:
    """A contract-shaped Arrow table from the given columns; absent contract columns are null.

    Raises KeyError when ``columns`` names a column the contract table does not have (a bug here).
    """
    table = contract_table(name)
    schema = arrow_schema(table)
    unknown = set(columns) - set(table.column_names)
    if unknown:
        raise KeyError(f"columns {sorted(unknown)} are not in contract table {name}")
    length = len(next(iter(columns.values()))) if columns else 0
    arrays = [
        pa.array(columns[field.name], type=field.type)
        if field.name in columns
        else pa.nulls(length, field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def table_path(out_dir: Path, name: str, fmt: str) -> Path:
    return out_dir / f"{name}.{fmt}"


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Write one table as Parquet (zstd) or CSV (header row, ISO timestamps)."""
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        pa_csv.write_csv(table, path)


class StreamingWriter:
    """Appends batches of one contract table to a Parquet or CSV file (for the large e-mail table)."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path = path
        self.schema = schema
        self.fmt = fmt
        self.rows = 0
        self._writer: pq.ParquetWriter | pa_csv.CSVWriter
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(path, schema, compression="zstd")
        else:
            self._writer = pa_csv.CSVWriter(path, schema)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table.cast(self.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
