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
import math
from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rapport.contract import Table, load_contract
from rapport.errors import ContractViolationError, RapportError
from rapport.expectations import build_suite
from rapport.expectations.contract_rules import ROW_ID, ReferenceCheck, SuiteContext, import_gx
from rapport.parallel import fork_context
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

    def add(self, chunk: SuiteOutcome) -> None:
        """Fold in the outcome of the next chunk."""
        self.failures.extend(chunk.failures)
        self.warning_rows.update(chunk.warning_rows)
        for check, values in chunk.warning_values.items():
            self.warning_values[check] |= values
        self.rows_checked += chunk.rows_checked

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
    """Arrow record batches → pandas (see :func:`batch_to_pandas`), empty batches skipped."""
    for batch in reader:
        if batch.num_rows:
            yield batch_to_pandas(batch)


def batch_to_pandas(batch: Any) -> pd.DataFrame:
    """One Arrow record batch → pandas with nullable integers (so codes read 7, not 7.0)."""
    import pandas as pd
    import pyarrow as pa

    integer_types = {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
    }
    return pa.Table.from_batches([batch]).to_pandas(types_mapper=integer_types.get)


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
        self.add(*self.check(frame))

    def add(self, outcome: SuiteOutcome, result: Any) -> None:
        """Fold in one chunk's outcome and GX result (from :meth:`check`, here or in a worker), in row order."""
        self.outcome.add(outcome)
        self.docs.add(result)

    def check(self, frame: pd.DataFrame) -> tuple[SuiteOutcome, Any]:
        """One chunk's failures and warnings, and its GX result trimmed for Data Docs."""
        outcome = SuiteOutcome()
        batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            self.suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]}
        )
        outcome.rows_checked += len(frame)
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
                    outcome.warning_rows[check] += 1
                    outcome.warning_values[check].add(_show(value))
                    continue
                values = {
                    "value": _show(value),
                    "value_a": _show(entry.get(config.kwargs.get("column_A", ""))),
                    "value_b": _show(entry.get(config.kwargs.get("column_B", ""))),
                    "key": _show(lookup.at[row, meta["reference_column"]]) if lookup is not None else "",
                }
                reason = str(meta.get("reason", check)).format(**values)
                outcome.failures.append(RowFailure(row=row, check_name=check, reason=reason))
        trimmed = ChunkedResult()
        trimmed.add(result)  # after the failures were read: this trims the row lists
        return outcome, trimmed.result


def parallel_chunk_rows(rows: int, chunk_rows: int, workers: int, min_rows: int) -> int | None:
    """Rows per unit of work handed to one of ``workers`` processes for a table of about ``rows`` rows, or
    None to check it in this process (one worker, or fewer than ``min_rows`` rows: starting the workers
    costs more). The units split ``min(rows, chunk_rows)`` over the workers, so the rows held at once stay
    about ``chunk_rows`` (plus one unit waiting in this process) whatever the number of workers."""
    if workers < 2 or rows < max(min_rows, 2):
        return None
    return max(math.ceil(min(rows, chunk_rows) / workers), 1)


@dataclass(frozen=True)
class SuiteSpec:
    """What a worker process needs to build the same suite as the validating process."""

    table: str
    context: SuiteContext


_WORKER_RUNNER: SuiteRunner | None = None  # one per worker process, built once by _start_worker


def _start_worker(spec: SuiteSpec) -> None:
    global _WORKER_RUNNER
    _WORKER_RUNNER = SuiteRunner(load_contract().table(spec.table), build_suite(spec.table, spec.context))


def _check_batch(batch: Any) -> tuple[SuiteOutcome, Any]:
    if _WORKER_RUNNER is None:
        raise RuntimeError("validation worker used before it was started")
    return _WORKER_RUNNER.check(batch_to_pandas(batch))


class SuiteWorkers:
    """Worker processes running one table's suite on Arrow record batches, at most ``workers + 1`` batches
    in flight; their outcomes are folded into the validating process's runner in row order, so the result
    is the one-process result. Start it (``with``) before DuckDB streams the rows: the workers are forked
    while DuckDB is idle."""

    def __init__(self, workers: int, spec: SuiteSpec) -> None:
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            workers, mp_context=fork_context(), initializer=_start_worker, initargs=(spec,)
        )

    def __enter__(self) -> SuiteWorkers:
        self._pool.submit(int).result()  # forks every worker now (fork starts them all on first use)
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, batches: Iterable[Any], runner: SuiteRunner) -> None:
        pending: deque[Future[tuple[SuiteOutcome, Any]]] = deque()
        for batch in batches:
            if not batch.num_rows:
                continue
            pending.append(self._pool.submit(_check_batch, batch))
            if len(pending) > self.workers:
                runner.add(*pending.popleft().result())
        while pending:
            runner.add(*pending.popleft().result())


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
