"""Write contract tables as Parquet or CSV, batch by batch, with the contract's column order and types.

Parquet: one file per table, each batch its own row group(s), timestamps as ``timestamp[us]`` without a
time zone (UTC by convention), dates as ``date32``, booleans as booleans, option sets as int32.
CSV: a header line, ISO 8601 UTC timestamps with ``Z`` (``2025-05-04T16:00:00Z``), dates ``YYYY-MM-DD``,
booleans ``0``/``1``, option sets as integer codes, empty fields for nulls.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rapport.contract import Contract, Table
from rapport.contract_arrow import arrow_schema
from rapport.sample.arrays import dates, timestamps

FORMATS = ("parquet", "csv")


ROW_GROUP_SIZE = 1_000_000


class WriterError(ValueError):
    """A batch does not fit the contract table it is written to (unknown column or wrong length)."""


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    fields = []
    for field in schema:
        if pa.types.is_timestamp(field.type):
            fields.append(pa.field(field.name, pa.string()))
        elif pa.types.is_boolean(field.type):
            fields.append(pa.field(field.name, pa.int8()))
        else:
            fields.append(field)
    return pa.schema(fields)


def _to_csv_column(array: pa.Array) -> pa.Array:
    if pa.types.is_timestamp(array.type):
        return pc.strftime(array.cast(pa.timestamp("s")), format="%Y-%m-%dT%H:%M:%SZ")
    if pa.types.is_boolean(array.type):
        return array.cast(pa.int8())
    return array


class TableWriter:
    """Appends batches to one contract table's file."""

    def __init__(self, out_dir: Path, table: Table, fmt: str) -> None:
        if fmt not in FORMATS:
            raise WriterError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
        self.table = table
        self.fmt = fmt
        self.schema = arrow_schema(table)
        self.path = out_dir / f"{table.name}.{fmt}"
        self.rows = 0
        self._writer: Any = None

    def _open(self) -> None:
        if self.fmt == "parquet":
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd", compression_level=1)
        else:
            self._writer = pacsv.CSVWriter(self.path, _csv_schema(self.schema))

    def write(self, columns: Mapping[str, Any]) -> None:
        """Append one batch: a mapping of contract column -> pyarrow or numpy array (others are null).

        Numpy arrays for timestamp and date columns hold seconds since the epoch (UTC).
        """
        unknown = set(columns) - set(self.schema.names)
        if unknown:
            raise WriterError(f"table {self.table.name}: columns {sorted(unknown)} are not in the contract")
        lengths = {len(values) for values in columns.values()}
        if len(lengths) != 1:
            raise WriterError(f"table {self.table.name}: columns have different lengths {sorted(lengths)}")
        (n,) = lengths
        arrays = []
        for field in self.schema:
            values = columns.get(field.name)
            if values is None:
                arrays.append(pa.nulls(n, field.type))
            elif isinstance(values, pa.Array | pa.ChunkedArray):
                arrays.append(values.cast(field.type) if values.type != field.type else values)
            elif pa.types.is_timestamp(field.type):
                arrays.append(timestamps(values))  # numpy times are seconds since the epoch
            elif pa.types.is_date(field.type):
                arrays.append(dates(values))
            else:
                arrays.append(pa.array(np.asarray(values), type=field.type))
        batch = pa.Table.from_arrays(arrays, schema=self.schema)
        if self._writer is None:
            self._open()
        if self.fmt == "parquet":
            self._writer.write_table(batch, row_group_size=ROW_GROUP_SIZE)
        else:
            csv_batch = pa.Table.from_arrays(
                [_to_csv_column(c.combine_chunks()) for c in batch.columns], schema=_csv_schema(self.schema)
            )
            self._writer.write_table(csv_batch)
        self.rows += n

    def close(self) -> int:
        """Finish the file (an empty table still gets a file with its header/schema)."""
        if self._writer is None:
            self._open()
        self._writer.close()
        return self.rows


class ExportWriter:
    """The writers of every contract table of one export folder."""

    def __init__(self, out_dir: Path, contract: Contract, fmt: str) -> None:
        self.out_dir = out_dir
        self.writers = {table.name: TableWriter(out_dir, table, fmt) for table in contract.tables}

    def write(self, table: str, columns: Mapping[str, Any]) -> None:
        self.writers[table].write(columns)

    def close(self) -> dict[str, int]:
        """Close every file; returns rows per table in contract order."""
        return {name: writer.close() for name, writer in self.writers.items()}
