"""Running a table's Great Expectations suite on typed pandas DataFrames, chunk by chunk.

Great Expectations validates a pandas DataFrame (against DuckDB through SQLAlchemy every expectation
fails, see docs/stack_notes.md). To keep memory flat at 10M rows the validator streams only the columns the
suite uses, ``validation.chunk_rows`` rows at a time, from DuckDB through Arrow. Primary-key uniqueness
across chunks is guaranteed before this step (duplicates are resolved in DuckDB), so checking it per
chunk loses nothing. Timestamps are handed over as ``datetime64[ns]`` (GX compares those vectorised;
other timestamp types go through a Python loop, ~7x slower), clamped to the nanosecond range so that a
year-9999 value still fails the future check.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rapport.contract import Table
from rapport.errors import ContractViolationError, RapportError
from rapport.expectations.contract_rules import ROW_ID, ReferenceCheck, import_gx
from rapport.validation.data_docs import ChunkedResult

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

NS_MIN = "TIMESTAMP '1678-01-01 00:00:00'"
NS_MAX = "TIMESTAMP '2261-12-31 00:00:00'"
RANGE_TYPES = ("integer", "money", "double")
REASON_VALUE_CHARS = 120


@dataclass(frozen=True)
class RowFailure:
    """One row failing one expectation."""

    row: int
    check_name: str
    reason: str


@dataclass
class SuiteOutcome:
    """Failures (rows to quarantine) and warnings (rows kept) of a suite over all chunks."""

    failures: list[RowFailure] = field(default_factory=list)
    warning_rows: Counter[str] = field(default_factory=Counter)
    warning_values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    rows_checked: int = 0

    def warnings(self, table: str) -> tuple[str, ...]:
        out = []
        for check, count in sorted(self.warning_rows.items()):
            values = sorted(self.warning_values[check])
            shown = ", ".join(values[:10]) + (", ..." if len(values) > 10 else "")
            out.append(f"{table}: {count} row(s) fail {check} (values {shown}); kept, as the contract allows")
        return tuple(out)


def suite_columns(suite: Any) -> list[str]:
    """Columns the suite's expectations read, in first-use order."""
    names: list[str] = []
    for expectation in suite.expectations:
        for key in ("column", "column_A", "column_B"):
            value = getattr(expectation, key, None)
            if value and value not in names:
                names.append(value)
    return names


def frame_select_sql(table: Table, suite: Any, references: tuple[ReferenceCheck, ...]) -> tuple[str, str]:
    """(select list, joins) reading the suite's columns from the typed view ``_typed AS t``."""
    derived = {check.derived_column: check for check in references}
    range_columns = {
        getattr(expectation, "column", None)
        for expectation in suite.expectations
        if expectation.expectation_type == "expect_column_values_to_be_between"
    }
    select = [f"t.{ROW_ID}"]
    joins = []
    for name in suite_columns(suite):
        if name in derived:
            check = derived[name]
            alias = f"_ref_{check.column}"
            keys = " UNION ".join(
                f'SELECT CAST("{check.column}" AS VARCHAR) AS _key FROM raw."{other}"'
                for other in check.tables
            )
            joins.append(
                f'LEFT JOIN ({keys}) AS {alias} ON {alias}._key = CAST(t."{check.column}" AS VARCHAR)'
            )
            select.append(f'({alias}._key IS NOT NULL) AS "{name}"')
            continue
        column = table.column(name)
        if column.type == "datetime":
            # DuckDB's greatest/least skip NULLs (greatest(NULL, x) = x): keep a missing value missing
            select.append(
                f'CASE WHEN t."{name}" IS NOT NULL THEN CAST(least(greatest(t."{name}", {NS_MIN}), {NS_MAX}) '
                f'AS TIMESTAMP_NS) END AS "{name}"'
            )
        elif column.type in RANGE_TYPES and name in range_columns:
            select.append(f'CAST(t."{name}" AS DOUBLE) AS "{name}"')
        else:
            select.append(f't."{name}"')
    return ", ".join(select), " ".join(joins)


def arrow_chunks_to_pandas(reader: Any) -> Iterator[pd.DataFrame]:
    """Arrow record batches → pandas with nullable integers (so codes read 7, not 7.0)."""
    import pandas as pd
    import pyarrow as pa

    integer_types = {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
    }
    for batch in reader:
        if batch.num_rows:
            yield pa.Table.from_batches([batch]).to_pandas(types_mapper=integer_types.get)


class SuiteRunner:
    """One ephemeral GX context and pandas batch definition, reused for every chunk of one table."""

    def __init__(self, table: Table, suite: Any) -> None:
        gx = import_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

        # GX fingerprints every DataFrame under 1 GB by hashing all of it (a third of the validation time at
        # 1M rows); the fingerprint only labels stored batches, which an ephemeral context never keeps.
        pandas_execution_engine.HASH_THRESHOLD = 0

        self.table = table
        self.suite = suite
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = context.data_sources.add_pandas(name="rapport")
        asset = source.add_dataframe_asset(name=table.name)
        self.batch_definition = asset.add_batch_definition_whole_dataframe(name=f"{table.name}_chunk")
        self.outcome = SuiteOutcome()
        self.docs = ChunkedResult()  # the result over all chunks, for Data Docs

    def validate(self, frame: pd.DataFrame) -> None:
        """Validate one chunk and collect its failures."""
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            self.suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]}
        )
        self.outcome.rows_checked += len(frame)
        lookup: pd.DataFrame | None = None
        for item in result.results:
            exception = _raised_exception(item.exception_info)
            if exception:
                raise RapportError(
                    f"Great Expectations could not evaluate {item.expectation_config.type} on {self.table.name}: "
                    f"{exception} (a bug in expectations/{self.table.name}.py or an unexpected column type)"
                )
            if item.success:
                continue
            config = item.expectation_config
            meta = config.meta or {}
            column = config.kwargs.get("column")
            check = f"{config.type}({column or config.kwargs.get('column_A', '')})"
            rows = (item.result or {}).get("unexpected_index_list")
            if rows is None:
                raise ContractViolationError(
                    f"table {self.table.name} fails {check}: {meta.get('reason', 'see the suite')}; fix the export "
                    f"(docs/contract.md lists the required columns)"
                )
            if "reference_column" in meta and lookup is None:
                lookup = frame.set_index(ROW_ID)
            for entry in rows:
                row = int(entry[ROW_ID])
                value = entry.get(column) if column else None
                if (
                    str(config.severity.value if hasattr(config.severity, "value") else config.severity)
                    == "warning"
                ):
                    self.outcome.warning_rows[check] += 1
                    self.outcome.warning_values[check].add(_show(value))
                    continue
                values = {
                    "value": _show(value),
                    "value_a": _show(entry.get(config.kwargs.get("column_A", ""))),
                    "value_b": _show(entry.get(config.kwargs.get("column_B", ""))),
                    "key": _show(lookup.at[row, meta["reference_column"]]) if lookup is not None else "",
                }
                reason = str(meta.get("reason", check)).format(**values)
                self.outcome.failures.append(RowFailure(row=row, check_name=check, reason=reason))
        self.docs.add(result)  # after the failures were read: this trims the row lists


def _raised_exception(info: Any) -> str | None:
    """The message of an exception GX caught while evaluating, whatever the shape of ``exception_info``."""
    if not info:
        return None
    if isinstance(info, dict) and "raised_exception" in info:
        if not info.get("raised_exception"):
            return None
        return str(info.get("exception_message") or "error")
    if isinstance(info, dict):
        for value in info.values():
            message = _raised_exception(value)
            if message:
                return message
    return None


def _show(value: Any) -> str:
    """A value quoted for a reason: strings in quotes, timestamps ISO, missing as null."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "null"
    if isinstance(value, pd.Timestamp):
        return f"'{value.isoformat()}'"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if len(text) > REASON_VALUE_CHARS:
        text = text[:REASON_VALUE_CHARS] + "..."
    return f"'{text}'"
