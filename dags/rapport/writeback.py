"""Write-back: the day's predictive scores to files and, optionally, to a PostgreSQL table.

The rows come from the dbt mart ``marts.fct_predictive_scores`` (shaped like Dynamics 365's
``msdyn_predictivescore``), so the DAG runs ``dbt build --select tag:scores`` between scoring and
write-back. For the run's date ``ds``:

* ``Settings.exports_dir / "scores" / "ds=<ds>" / predictive_scores.parquet`` and ``.csv``, written in
  a temporary folder and swapped in (a re-run replaces the folder whole);
* when ``RAPPORT_WRITEBACK_URI`` is set, an upsert into the PostgreSQL table ``msdyn_predictivescore``
  (created if missing), keyed by ``msdyn_predictivescoreid`` (stable per record), in ONE transaction:
  a failure rolls everything back and leaves the previous rows intact. An older day never overwrites
  a newer score (backfills are safe).
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.duckdb_session import sql_string
from rapport.ml.features import table_exists
from rapport.ml.targets import TARGETS
from rapport.settings import Settings
from rapport.warehouse import connect

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

MART = "marts.fct_predictive_scores"
POSTGRES_TABLE = "msdyn_predictivescore"
EXPORT_NAME = "predictive_scores"
BATCH_ROWS = 5_000

# Mart column -> PostgreSQL column, in COPY order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("msdyn_predictivescoreid", "msdyn_predictivescoreid"),
    ("msdyn_entityid", "msdyn_entityid"),
    ("msdyn_entitytype", "msdyn_entitytype"),
    ("msdyn_name", "msdyn_name"),
    ("msdyn_score", "msdyn_score"),
    ("msdyn_grade", "msdyn_grade"),
    ("msdyn_scoretrend", "msdyn_scoretrend"),
    ("msdyn_scorereasons", "msdyn_scorereasons"),
    ("msdyn_scoredon", "msdyn_scoredon"),
    ("model_name", "rapport_model_name"),
    ("model_version", "rapport_model_version"),
    ("scoring_status", "rapport_status"),
    ("scoring_status_reason", "rapport_status_reason"),
)

POSTGRES_DDL = f"""
create table if not exists {POSTGRES_TABLE} (
    msdyn_predictivescoreid uuid primary key,
    msdyn_entityid varchar(256) not null,
    msdyn_entitytype varchar(128) not null,
    msdyn_name varchar(128),
    msdyn_score integer check (msdyn_score between 0 and 100),
    msdyn_grade smallint check (msdyn_grade between 0 and 3),
    msdyn_scoretrend smallint not null check (msdyn_scoretrend between 0 and 3),
    msdyn_scorereasons varchar(10000),
    msdyn_scoredon date not null,
    statecode smallint not null default 0,
    statuscode smallint not null default 1,
    rapport_model_name varchar(128),
    rapport_model_version varchar(32),
    rapport_status varchar(32) not null,
    rapport_status_reason text,
    createdon timestamptz not null default now(),
    modifiedon timestamptz not null default now(),
    unique (msdyn_entitytype, msdyn_entityid)
)
"""


class WriteBackError(RuntimeError):
    """The scores cannot be written back (mart missing or stale, database refused the rows)."""


def check_mart_is_current(connection: duckdb.DuckDBPyConnection, ds: date) -> int:
    """The mart's row count for ``ds``; raises when the mart is missing or older than the ``ml`` tables."""
    if not table_exists(connection, MART):
        raise WriteBackError(
            f"{MART} does not exist: run `dbt build --select tag:scores` after scoring and before write-back"
        )
    row = connection.execute(f"select count(*) from {MART} where msdyn_scoredon = ?", [ds]).fetchone()
    mart_rows = int(row[0]) if row else 0
    scored = 0
    for target in TARGETS.values():
        if table_exists(connection, target.history_table):
            count = connection.execute(
                f"select count(*) from {target.history_table} where as_of_date = ?", [ds]
            ).fetchone()
            scored += int(count[0]) if count else 0
    if scored != mart_rows:
        raise WriteBackError(
            f"{MART} holds {mart_rows} rows for {ds} but the ml score history holds {scored}: the mart is stale; "
            "run `dbt build --select tag:scores` after scoring and before write-back"
        )
    return mart_rows


def export_scores(
    connection: duckdb.DuckDBPyConnection, ds: date, exports_dir: Path
) -> tuple[Path, tuple[Path, ...]]:
    """Write the day's rows as Parquet and CSV under ``exports_dir/scores/ds=<ds>/`` (replacing it)."""
    final = exports_dir / "scores" / f"ds={ds.isoformat()}"
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        query = (
            f"select * from {MART} where msdyn_scoredon = DATE {sql_string(ds.isoformat())} "
            "order by msdyn_entitytype, msdyn_entityid"
        )
        parquet = staging / f"{EXPORT_NAME}.parquet"
        csv = staging / f"{EXPORT_NAME}.csv"
        connection.execute(f"copy ({query}) to {sql_string(str(parquet))} (format parquet)")
        connection.execute(f"copy ({query}) to {sql_string(str(csv))} (format csv, header true)")
        retired = None
        if final.exists():
            retired = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
            final.rename(retired)
        staging.rename(final)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final, (final / parquet.name, final / csv.name)


def read_day_rows(connection: duckdb.DuckDBPyConnection, ds: date) -> list[tuple[Any, ...]]:
    """The day's rows in :data:`COLUMNS` order."""
    columns = ", ".join(mart for mart, _ in COLUMNS)
    return connection.execute(
        f"select {columns} from {MART} where msdyn_scoredon = ? order by msdyn_entitytype, msdyn_entityid",
        [ds],
    ).fetchall()


def _batches(rows: Sequence[tuple[Any, ...]], size: int) -> Iterable[Sequence[tuple[Any, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _write_batch(copy: Any, batch: Sequence[tuple[Any, ...]]) -> None:
    for row in batch:
        copy.write_row(row)


def upsert_scores(uri: str, rows: Sequence[tuple[Any, ...]], *, batch_rows: int = BATCH_ROWS) -> int:
    """Upsert ``rows`` into PostgreSQL's ``msdyn_predictivescore`` in one transaction; returns rows written."""
    import psycopg

    targets = [postgres for _, postgres in COLUMNS]
    updates = ", ".join(f"{name} = excluded.{name}" for name in targets if name != "msdyn_predictivescoreid")
    try:
        with psycopg.connect(uri) as connection, connection.transaction():
            connection.execute(POSTGRES_DDL)
            connection.execute(
                f"create temporary table incoming (like {POSTGRES_TABLE} including defaults) on commit drop"
            )
            with connection.cursor() as cursor:
                with cursor.copy(f"copy incoming ({', '.join(targets)}) from stdin") as copy:
                    for batch in _batches(rows, batch_rows):
                        _write_batch(copy, batch)
                cursor.execute(
                    f"""
                    insert into {POSTGRES_TABLE} ({", ".join(targets)})
                    select {", ".join(targets)} from incoming
                    on conflict (msdyn_predictivescoreid) do update set {updates}, modifiedon = now()
                    where {POSTGRES_TABLE}.msdyn_scoredon <= excluded.msdyn_scoredon
                    """
                )
                written = cursor.rowcount
    except psycopg.Error as error:
        raise WriteBackError(
            f"PostgreSQL write-back to {POSTGRES_TABLE} failed and was rolled back (previous rows intact): {error}"
        ) from error
    return int(written)


def export_day(settings: Settings, ds: date) -> tuple[int, Path, tuple[Path, ...]]:
    """The ``export_scores`` task: check the mart holds ``ds``'s scores, then write its Parquet and CSV.

    Returns (rows, folder, files).
    """
    with connect(settings.warehouse_path) as connection:
        rows = check_mart_is_current(connection, ds)
        folder, files = export_scores(connection, ds, settings.exports_dir)
    return rows, folder, files


def upsert_day(settings: Settings, ds: date, *, batch_rows: int = BATCH_ROWS) -> int:
    """The ``upsert_scores`` task: ``ds``'s rows of the mart into PostgreSQL (``RAPPORT_WRITEBACK_URI``)."""
    if not settings.writeback_uri:
        raise RuntimeError(
            "upsert_scores needs RAPPORT_WRITEBACK_URI (check_writeback_target guards this task)"
        )
    with connect(settings.warehouse_path) as connection:
        rows = read_day_rows(connection, ds)
    return upsert_scores(settings.writeback_uri, rows, batch_rows=batch_rows)
