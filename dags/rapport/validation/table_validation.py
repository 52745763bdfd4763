"""Validating one landed table for one date: the function the DAG calls per table.

Steps, all in the warehouse's DuckDB session (only the columns the suite reads go to pandas):

1. shape: every required contract column was landed, else the task fails (naming table, column, file);
2. types: each column is cast to its contract type; a row whose non-null value does not cast is
   quarantined; a required column whose every value fails fails the task (a wrong column type);
3. duplicate keys: the latest ``modifiedon`` wins (ties: the later landed row); the others are quarantined;
4. the table's Great Expectations suite (``expectations/<table>.py``) on the remaining rows;
5. one transaction: quarantined rows → ``audit.quarantine`` (with the row as it arrived), clean rows →
   ``raw.<table>`` (full loads replace it, incremental loads merge by key, the latest ``modifiedon``
   winning), counts → ``audit.reconciliation``, the clean watermark → ``audit.extract_manifest``.

Re-running a date replaces that date's quarantine and reconciliation rows, so it is idempotent.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.config import Config, ValidationConfig
from rapport.contract import ACTIVITY_TABLES, Table, load_contract
from rapport.contract_casting import EXPECTED, ColumnCast
from rapport.duckdb_session import open_warehouse, sql_ident, sql_string
from rapport.errors import ContractViolationError, ReconciliationError, ValidationOrderError
from rapport.expectations import build_suite, references
from rapport.expectations.contract_rules import ROW_ID, SuiteContext
from rapport.extract.landing import (
    DATA_FILE,
    QUARANTINE_FILE,
    LandingManifest,
    as_date,
    landing_folder,
    read_landing_manifest,
)
from rapport.parallel import may_fork_workers, resolve_workers
from rapport.results import to_jsonable
from rapport.settings import Settings
from rapport.validation import data_docs
from rapport.validation.gx_runner import (
    SuiteRunner,
    SuiteSpec,
    SuiteWorkers,
    arrow_chunks_to_pandas,
    frame_select_sql,
    parallel_chunk_rows,
)

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

DUPLICATE_CHECK = "duplicate_key"


@dataclass(frozen=True)
class ValidationResult:
    """What :func:`validate_table` found and loaded."""

    table: str
    ds: date
    load_type: str  # full | incremental
    raw_rows: int  # landed rows + rows the converter could not convert
    clean_rows: int
    quarantined_rows: int
    converter_quarantined_rows: int
    failed_checks: tuple[tuple[str, int], ...]  # (check name, rows failing it), most frequent first
    warnings: tuple[str, ...]  # checks that only warn (e.g. unknown participationtypemask codes, rows kept)
    stale_rows: int  # incremental: clean rows not applied because raw already holds a newer version
    watermark: datetime | None  # max(modifiedon) of the clean rows (carried forward on incremental loads)
    seconds: float
    data_docs: str = ""  # this validation's Great Expectations Data Docs page (empty: not built)

    @property
    def is_balanced(self) -> bool:
        return self.raw_rows == self.clean_rows + self.quarantined_rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (dates as ISO text), e.g. for an XCom return value."""
        return to_jsonable(self)


def validate_table(
    table: str, ds: date | str, settings: Settings, config: Config, *, as_of: datetime | None = None
) -> ValidationResult:
    """Validate the landing of ``table`` on ``ds`` and load it into ``raw`` and ``audit``.

    ``as_of`` is the run's as-of moment (naive UTC; default midnight of ``ds``). Timestamps later than the
    moment the data was extracted (or ``as_of``, whichever is later) plus ``validation.future_tolerance_hours``
    are quarantined: a snapshot taken at time T may hold rows up to T, and the models apply the as-of cut
    (a backfill of an older date must not quarantine what happened since). Activity tables must be validated before
    ``activityparty`` (its ``activityid`` must resolve to them).
    """
    started = time.perf_counter()
    ds = as_date(ds)
    if as_of is not None and as_of.tzinfo is not None:
        as_of = as_of.astimezone(UTC).replace(tzinfo=None)
    spec = load_contract().table(table)
    folder, manifest = read_landing_manifest(settings, table, ds)
    data_file = folder / DATA_FILE
    context = SuiteContext(
        as_of=_future_bound(as_of or datetime.combine(ds, clock.min), manifest),
        future_tolerance_hours=config.validation.future_tolerance_hours,
    )
    checks = references(table)
    with open_warehouse(settings, config) as connection:
        _require_referenced_tables(connection, spec, checks)
        landed_types = _landed_types(connection, data_file)
        _check_shape(spec, landed_types, data_file, manifest)
        casts = [
            ColumnCast(column, landed_types.get(column.name), config.validation.earliest_date)
            for column in spec.columns
        ]
        extras = tuple(name for name in landed_types if name not in spec.column_names)
        _create_views(connection, data_file, casts, extras)
        _check_column_types(connection, spec, casts, data_file, manifest)
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE _rejects ({ROW_ID} BIGINT, check_name VARCHAR, reason VARCHAR)"
        )
        _reject_cast_failures(connection, casts)
        _reject_duplicates(connection, spec)
        suite = build_suite(table, context)
        runner = _run_suite(connection, spec, suite, checks, config.validation, SuiteSpec(table, context))
        _insert_failures(connection, runner)
        outcome = _load(connection, spec, ds, manifest, folder, settings, extras)
    warnings = runner.outcome.warnings(table)
    for warning in warnings:
        log.warning("%s", warning)
    page = _build_data_docs(settings, config, table, ds, suite, runner) if config.validation.data_docs else ""
    result = ValidationResult(
        table=table,
        ds=ds,
        load_type=manifest.load_type,
        raw_rows=outcome.raw_rows,
        clean_rows=outcome.clean_rows,
        quarantined_rows=outcome.quarantined_rows,
        converter_quarantined_rows=outcome.converter_rows,
        failed_checks=outcome.failed_checks,
        warnings=warnings,
        stale_rows=outcome.stale_rows,
        watermark=outcome.watermark,
        seconds=round(time.perf_counter() - started, 3),
        data_docs=page,
    )
    log.info(
        "validated %s for %s: %d raw = %d clean + %d quarantined (%s)",
        table, ds, result.raw_rows, result.clean_rows, result.quarantined_rows,
        ", ".join(f"{check}: {count}" for check, count in result.failed_checks) or "no failures",
    )  # fmt: skip
    return result


def _landed_types(connection: duckdb.DuckDBPyConnection, data_file: Path) -> dict[str, str]:
    """Column name -> DuckDB type of the landed Parquet file."""
    return {
        row[0]: row[1]
        for row in connection.execute(
            f"DESCRIBE SELECT * FROM read_parquet({sql_string(str(data_file))}, hive_partitioning = false)"
        ).fetchall()
    }


def _run_suite(
    connection: duckdb.DuckDBPyConnection,
    spec: Table,
    suite: Any,
    checks: tuple,
    validation: ValidationConfig,
    worker_spec: SuiteSpec,
) -> SuiteRunner:
    """Run the Great Expectations suite over the typed rows no earlier check rejected, chunk by chunk:
    in this process, or for a large table over ``validation.workers`` processes (same result)."""
    runner = SuiteRunner(spec, suite)
    select, joins = frame_select_sql(spec, suite, checks)
    query = (
        f"SELECT {select} FROM _typed AS t {joins} "
        f"WHERE NOT EXISTS (SELECT 1 FROM _rejects AS r WHERE r.{ROW_ID} = t.{ROW_ID})"
    )
    (landed,) = connection.execute("SELECT count(*) FROM _landing").fetchall()[0]
    workers = resolve_workers(validation.workers)
    unit = parallel_chunk_rows(landed, validation.chunk_rows, workers, validation.parallel_min_rows)
    if unit is None or not may_fork_workers("[validation] workers"):
        for frame in arrow_chunks_to_pandas(connection.sql(query).to_arrow_reader(validation.chunk_rows)):
            runner.validate(frame)
        return runner
    log.info("checking %s in %d worker processes, %d-row units", spec.name, workers, unit)
    with SuiteWorkers(workers, worker_spec) as pool:  # forked before DuckDB starts streaming
        pool.run(connection.sql(query).to_arrow_reader(unit), runner)
    return runner


def _build_data_docs(
    settings: Settings, config: Config, table: str, ds: date, suite: Any, runner: SuiteRunner
) -> str:
    """This validation's Data Docs page (offline) under var/gx/data_docs/; a failure to build it is logged
    as a warning and never fails the validation."""
    if runner.docs.result is None:
        return ""  # no rows reached Great Expectations
    try:
        return str(data_docs.build_table_docs(settings.var_dir, table, ds, suite, runner.docs.result))
    except Exception as error:  # the docs are a report: the validation itself succeeded
        log.warning("Great Expectations Data Docs for %s were not built: %s", table, error)
        return ""


def _require_referenced_tables(connection: duckdb.DuckDBPyConnection, table: Table, checks: tuple) -> None:
    existing = {
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
        ).fetchall()
    }
    for check in checks:
        missing = [name for name in check.tables if name not in existing]
        if missing:
            raise ValidationOrderError(
                f"validate {', '.join(check.tables)} before {table.name}: its {check.column} must resolve to them, "
                f"and raw.{missing[0]} does not exist yet"
            )


def _check_shape(table: Table, landed: dict[str, str], data_file: Path, manifest: LandingManifest) -> None:
    missing = [column.name for column in table.required_columns if column.name not in landed]
    if missing:
        where = ", ".join(manifest.files) or manifest.source
        raise ContractViolationError(
            f"table {table.name}: required column(s) {', '.join(missing)} missing from {where} (landed as "
            f"{data_file}): add the column(s) to the export under their Dataverse logical name(s) (aliases "
            "accepted: docs/contract.md) and extract again"
        )


def _create_views(
    connection: duckdb.DuckDBPyConnection,
    data_file: Path,
    casts: list[ColumnCast],
    extras: tuple[str, ...] = (),
) -> None:
    """``_landing`` (the file) and ``_typed`` (contract columns cast; extra columns as landed)."""
    connection.execute(
        "CREATE OR REPLACE TEMP VIEW _landing AS SELECT * FROM "
        f"read_parquet({sql_string(str(data_file))}, file_row_number = true, hive_partitioning = false)"
    )
    typed = ", ".join(
        [f"{cast.value_sql()} AS {sql_ident(cast.column.name)}" for cast in casts]
        + [sql_ident(name) for name in extras]
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP VIEW _typed AS SELECT file_row_number AS {ROW_ID}, {typed} FROM _landing"
    )


def _check_column_types(
    connection: duckdb.DuckDBPyConnection,
    table: Table,
    casts: list[ColumnCast],
    data_file: Path,
    manifest: LandingManifest,
) -> None:
    """A required column none of whose values casts has the wrong type: fail, do not quarantine every row."""
    checked = [cast for cast in casts if cast.can_fail and cast.column.required]
    if not checked:
        return
    parts = []
    for cast in checked:
        raw = f"CAST({cast.source} AS VARCHAR)"
        parts += [
            f"count(nullif(trim({raw}), ''))",
            f"count(*) FILTER (WHERE {cast.failed_sql()})",
            f"any_value({raw}) FILTER (WHERE {cast.failed_sql()})",
        ]
    counts = connection.execute(f"SELECT {', '.join(parts)} FROM _landing").fetchall()[0]
    for index, cast in enumerate(checked):
        present, failed, example = counts[3 * index : 3 * index + 3]
        if present and failed == present:
            where = ", ".join(manifest.files) or manifest.source
            raise ContractViolationError(
                f"table {table.name}: every value of required column {cast.column.name} fails to cast to "
                f"{cast.column.type} (e.g. {example!r} {EXPECTED[cast.column.type]}) in {where}: the column has "
                f"the wrong type, not a few bad rows. Export {cast.column.name} as {cast.column.type} "
                "(docs/contract.md) or check that the columns are not shifted, then extract again"
            )


def _reject_cast_failures(connection: duckdb.DuckDBPyConnection, casts: list[ColumnCast]) -> None:
    failing = [cast for cast in casts if cast.can_fail]
    if not failing:
        return
    items = ", ".join(
        f"CASE WHEN {cast.failed_sql()} THEN {{'check_name': 'cast_to_contract_type({cast.column.name})', "
        f"'reason': {cast.reason_sql()}}} END"
        for cast in failing
    )
    condition = " OR ".join(cast.failed_sql() for cast in failing)
    connection.execute(
        f"INSERT INTO _rejects SELECT {ROW_ID}, failure.check_name, failure.reason FROM ("
        f"SELECT file_row_number AS {ROW_ID}, unnest(list_filter([{items}], lambda item: item IS NOT NULL)) AS failure "
        f"FROM _landing WHERE {condition})"
    )


def _reject_duplicates(connection: duckdb.DuckDBPyConnection, table: Table) -> None:
    key = sql_ident(table.primary_key)
    (duplicates,) = connection.execute(
        f"SELECT count({key}) - count(DISTINCT {key}) FROM _typed AS t "
        f"WHERE NOT EXISTS (SELECT 1 FROM _rejects AS r WHERE r.{ROW_ID} = t.{ROW_ID})"
    ).fetchall()[0]
    if not duplicates:  # the usual case: skip the window, which sorts the whole table
        return
    has_modified = "modifiedon" in table.column_names
    order = f"modifiedon DESC NULLS LAST, {ROW_ID} DESC" if has_modified else f"{ROW_ID} DESC"
    kept = (
        "'the row at landed position ' || (kept_row + 1) || ' with modifiedon ' || coalesce(CAST(kept_modified AS VARCHAR), 'null') "
        "|| ' was kept (the latest modifiedon wins; on a tie, the later row)'"
        if has_modified
        else "'the later row at landed position ' || (kept_row + 1) || ' was kept'"
    )
    modified = "modifiedon" if has_modified else "NULL"
    connection.execute(
        f"""
        INSERT INTO _rejects
        SELECT {ROW_ID}, '{DUPLICATE_CHECK}',
               'duplicate primary key {table.primary_key} = ''' || {key} || ''': ' || {kept}
        FROM (
            SELECT {ROW_ID}, {key},
                   row_number() OVER w AS duplicate_rank,
                   first_value({ROW_ID}) OVER w AS kept_row,
                   first_value({modified}) OVER w AS kept_modified
            FROM _typed AS t
            WHERE {key} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _rejects AS r WHERE r.{ROW_ID} = t.{ROW_ID})
            WINDOW w AS (PARTITION BY {key} ORDER BY {order})
        )
        WHERE duplicate_rank > 1
        """
    )


def _insert_failures(connection: duckdb.DuckDBPyConnection, runner: SuiteRunner) -> None:
    failures = runner.outcome.failures
    if not failures:
        return
    import pyarrow as pa

    frame = pa.table(
        {
            ROW_ID: pa.array([failure.row for failure in failures], pa.int64()),
            "check_name": [failure.check_name for failure in failures],
            "reason": [failure.reason for failure in failures],
        }
    )
    connection.register("_gx_failures", frame)
    try:
        connection.execute(f"INSERT INTO _rejects SELECT {ROW_ID}, check_name, reason FROM _gx_failures")
    finally:
        connection.unregister("_gx_failures")


@dataclass(frozen=True)
class _LoadOutcome:
    raw_rows: int
    clean_rows: int
    quarantined_rows: int
    converter_rows: int
    stale_rows: int
    failed_checks: tuple[tuple[str, int], ...]
    watermark: datetime | None


def _load(
    connection: duckdb.DuckDBPyConnection,
    table: Table,
    ds: date,
    manifest: LandingManifest,
    folder: Path,
    settings: Settings,
    extras: tuple[str, ...] = (),
) -> _LoadOutcome:
    """Write quarantine, raw, reconciliation and watermark in one transaction.

    ``extras`` are landed columns outside the contract: raw keeps them after the contract's columns.
    """
    ds_sql = f"DATE {sql_string(ds.isoformat())}"
    columns = ", ".join(sql_ident(column) for column in (*table.column_names, *extras))
    clean_select = (
        f"SELECT {columns}, {ds_sql} AS _ds FROM _typed AS t "
        f"WHERE NOT EXISTS (SELECT 1 FROM _rejects AS r WHERE r.{ROW_ID} = t.{ROW_ID})"
    )
    landed_rows = connection.execute("SELECT count(*) FROM _landing").fetchall()[0][0]
    converter_file = folder / QUARANTINE_FILE
    converter_rows = _count_converter_rows(connection, converter_file)
    failed_checks = _failed_checks(connection)
    row_json = _quarantine_row_json(connection, table)
    connection.execute("BEGIN TRANSACTION")
    try:
        _write_quarantine(connection, table, ds, row_json, converter_file if converter_rows else None)
        stale_rows = 0
        if manifest.load_type == "full":
            connection.execute(f'CREATE OR REPLACE TABLE raw."{table.name}" AS {clean_select}')
            clean_rows = connection.execute(f'SELECT count(*) FROM raw."{table.name}"').fetchall()[0][0]
        else:
            clean_rows, stale_rows = _merge(
                connection, table, clean_select, _changed_activity_ids_sql(settings, ds)
            )
        quarantined_rows = connection.execute(
            "SELECT count(*) FROM audit.quarantine WHERE ds = ? AND table_name = ?", [ds, table.name]
        ).fetchall()[0][0]
        raw_rows = landed_rows + converter_rows
        balanced = raw_rows == clean_rows + quarantined_rows
        if not balanced:
            connection.execute("ROLLBACK")
            _record_reconciliation(connection, ds, table.name, raw_rows, clean_rows, quarantined_rows)
            raise ReconciliationError(
                f"{table.name} on {ds}: {raw_rows} raw rows but {clean_rows} clean + {quarantined_rows} quarantined; "
                "nothing was loaded. This is a bug in Rapport's validation: please report it with the landing folder "
                f"{folder}"
            )
        _record_reconciliation(connection, ds, table.name, raw_rows, clean_rows, quarantined_rows)
        watermark = _update_watermark(connection, table, ds, manifest)
        connection.execute("COMMIT")
    except ReconciliationError:
        raise
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return _LoadOutcome(
        raw_rows, clean_rows, quarantined_rows, converter_rows, stale_rows, failed_checks, watermark
    )


def _count_converter_rows(connection: duckdb.DuckDBPyConnection, converter_file: Path) -> int:
    """Rows the converter could not convert (its ``_quarantine.parquet``; 0 without one)."""
    if not converter_file.is_file():
        return 0
    return connection.execute(
        f"SELECT count(*) FROM read_parquet({sql_string(str(converter_file))})"
    ).fetchall()[0][0]


def _failed_checks(connection: duckdb.DuckDBPyConnection) -> tuple[tuple[str, int], ...]:
    """(check name, rows failing it) of the rejects, most frequent first."""
    return tuple(
        (str(check), int(count))
        for check, count in connection.execute(
            f"SELECT check_name, count(DISTINCT {ROW_ID}) AS n FROM _rejects GROUP BY check_name ORDER BY n DESC, check_name"
        ).fetchall()
    )


def _quarantine_row_json(connection: duckdb.DuckDBPyConnection, table: Table) -> str:
    """SQL of a landed row (alias ``l``) as JSON: the contract's columns that were landed."""
    return (
        "to_json(struct_pack("
        + ", ".join(
            f"{sql_ident(column)} := l.{sql_ident(column)}"
            for column in table.column_names
            if column in _landed_columns(connection)
        )
        + "))"
    )


def _write_quarantine(
    connection: duckdb.DuckDBPyConnection,
    table: Table,
    ds: date,
    row_json: str,
    converter_file: Path | None,
) -> None:
    """Replace the date's quarantine rows of ``table``: the rejects (one row each, checks joined) and the
    converter's rows (``converter_file``, None when it has none)."""
    ds_sql = f"DATE {sql_string(ds.isoformat())}"
    name = sql_string(table.name)
    key = sql_ident(table.primary_key)
    connection.execute("DELETE FROM audit.quarantine WHERE ds = ? AND table_name = ?", [ds, table.name])
    connection.execute(
        f"""
        INSERT INTO audit.quarantine
        WITH grouped AS (
            SELECT {ROW_ID}, string_agg(check_name, ', ' ORDER BY check_name) AS check_name,
                   string_agg(reason, '; ' ORDER BY check_name, reason) AS reason
            FROM (SELECT DISTINCT {ROW_ID}, check_name, reason FROM _rejects)
            GROUP BY {ROW_ID}
        )
        SELECT {ds_sql}, {name}, CAST(l.{key} AS VARCHAR), g.check_name, g.reason, CAST({row_json} AS JSON),
               CAST(now() AS TIMESTAMP)
        FROM grouped AS g JOIN _landing AS l ON l.file_row_number = g.{ROW_ID}
        ORDER BY g.{ROW_ID}
        """
    )
    if converter_file is not None:
        connection.execute(
            f"""
            INSERT INTO audit.quarantine
            SELECT {ds_sql}, {name}, record_key, check_name, reason,
                   CASE WHEN json_valid(source_row) THEN CAST(source_row AS JSON) ELSE to_json(source_row) END,
                   CAST(now() AS TIMESTAMP)
            FROM read_parquet({sql_string(str(converter_file))})
            """
        )


def _landed_columns(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in connection.execute("DESCRIBE SELECT * FROM _landing").fetchall()}


def _merge(
    connection: duckdb.DuckDBPyConnection, table: Table, clean_select: str, changed_activities: str
) -> tuple[int, int]:
    """Merge clean rows into ``raw.<table>`` by key; a row never replaces a newer ``modifiedon``.

    ``activityparty`` has no ``modifiedon``: the parties of every changed activity are replaced as a set
    (``changed_activities`` is SQL selecting their ids), so a party removed from an activity disappears.
    """
    target = f'raw."{table.name}"'
    key = sql_ident(table.primary_key)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE _clean AS {clean_select}")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM _clean WHERE FALSE")
    existing = {row[0] for row in connection.execute(f"DESCRIBE {target}").fetchall()}
    for column, column_type, *_ in connection.execute("DESCRIBE _clean").fetchall():
        if column not in existing:  # an extra column that appeared since the first load
            connection.execute(f"ALTER TABLE {target} ADD COLUMN {sql_ident(column)} {column_type}")
    clean_rows = connection.execute("SELECT count(*) FROM _clean").fetchall()[0][0]
    stale_rows = 0
    if "modifiedon" in table.column_names:
        stale_rows = connection.execute(
            f"SELECT count(*) FROM _clean AS c JOIN {target} AS r ON r.{key} = c.{key} WHERE r.modifiedon > c.modifiedon"
        ).fetchall()[0][0]
        connection.execute(
            f"DELETE FROM {target} AS r WHERE r.{key} IN (SELECT c.{key} FROM _clean AS c) "
            f"AND NOT r.modifiedon > (SELECT max(c.modifiedon) FROM _clean AS c WHERE c.{key} = r.{key})"
        )
    else:
        connection.execute(
            f"DELETE FROM {target} WHERE {key} IN (SELECT {key} FROM _clean) OR activityid IN ({changed_activities})"
        )
    connection.execute(
        f"INSERT INTO {target} BY NAME SELECT * FROM _clean AS c WHERE NOT EXISTS (SELECT 1 FROM {target} AS r WHERE r.{key} = c.{key})"
    )
    return clean_rows, stale_rows


def _changed_activity_ids_sql(settings: Settings, ds: date) -> str:
    """Activity ids changed in this run: those of the clean parties and of this date's activity landings."""
    parts = ["SELECT CAST(activityid AS VARCHAR) FROM _clean"]
    for activity in ACTIVITY_TABLES:
        path = landing_folder(settings, activity, ds) / DATA_FILE
        if path.is_file():
            parts.append(f"SELECT CAST(activityid AS VARCHAR) FROM read_parquet({sql_string(str(path))})")
    return " UNION ".join(parts)


def _record_reconciliation(
    connection: duckdb.DuckDBPyConnection,
    ds: date,
    table: str,
    raw_rows: int,
    clean_rows: int,
    quarantined_rows: int,
) -> None:
    statements = [
        ("DELETE FROM audit.reconciliation WHERE ds = ? AND table_name = ?", [ds, table]),
        (
            "INSERT INTO audit.reconciliation VALUES (?, ?, ?, ?, ?, ?, CAST(now() AS TIMESTAMP))",
            [ds, table, raw_rows, clean_rows, quarantined_rows, raw_rows == clean_rows + quarantined_rows],
        ),
    ]
    for statement, parameters in statements:
        connection.execute(statement, parameters)


def _update_watermark(
    connection: duckdb.DuckDBPyConnection, table: Table, ds: date, manifest: LandingManifest
) -> datetime | None:
    """max(modifiedon) of the clean rows (carried forward from the previous watermark when incremental)."""
    if not table.watermark:
        return None
    latest = connection.execute(
        f"SELECT max({sql_ident(table.watermark)}) FROM _typed AS t "
        f"WHERE NOT EXISTS (SELECT 1 FROM _rejects AS r WHERE r.{ROW_ID} = t.{ROW_ID})"
    ).fetchall()[0][0]
    previous = datetime.fromisoformat(manifest.previous_watermark) if manifest.previous_watermark else None
    if manifest.load_type == "incremental" and previous is not None:
        latest = previous if latest is None else max(latest, previous.replace(tzinfo=None))
    connection.execute(
        "UPDATE audit.extract_manifest SET watermark = ? WHERE ds = ? AND table_name = ?",
        [latest, ds, table.name],
    )
    return latest


def _future_bound(as_of: datetime, manifest: LandingManifest) -> datetime:
    """The latest moment a timestamp may legitimately have: when the data was extracted, at the earliest as_of."""
    extracted = datetime.fromisoformat(manifest.extracted_at)
    if extracted.tzinfo is not None:
        extracted = extracted.astimezone(UTC).replace(tzinfo=None)
    return max(as_of, extracted)
