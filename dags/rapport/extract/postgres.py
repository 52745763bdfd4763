"""Reading the contract tables from PostgreSQL with psycopg 3 (not DuckDB's postgres extension, which downloads).

Rows stream out of PostgreSQL with ``COPY (SELECT ...) TO STDOUT`` into a temporary CSV file in the staging
folder (bounded memory at any size), which DuckDB then writes as typed Parquet. Incremental extraction
selects rows whose ``modifiedon`` is later than the previous watermark; ``activityparty`` (no timestamps of
its own) follows its activities: the parties of every e-mail, phone call, appointment or task that changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.config import Config
from rapport.contract import ACTIVITY_TABLES, Table, load_contract
from rapport.duckdb_session import sql_string
from rapport.errors import MissingTableError, SourceConnectionError
from rapport.extract.columns import ColumnMapping, map_columns
from rapport.extract.source import Source, postgres_uri

if TYPE_CHECKING:
    import duckdb
    import psycopg

log = logging.getLogger(__name__)

# PostgreSQL data type -> DuckDB type used to read the COPY output (anything else lands as text).
PG_TO_DUCKDB = {
    "smallint": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "numeric": "DOUBLE",
    "real": "DOUBLE",
    "double precision": "DOUBLE",
    "money": "VARCHAR",
    "boolean": "BOOLEAN",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ",
    "date": "DATE",
}


@dataclass(frozen=True)
class PostgresTable:
    """A table found in PostgreSQL: its real name and its columns with their data types."""

    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, data_type)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def data_type(self, column: str) -> str:
        return dict(self.columns)[column]


@dataclass(frozen=True)
class PostgresLanding:
    """What :func:`land_postgres_table` wrote."""

    table: PostgresTable | None
    mapping: ColumnMapping | None
    load_type: str
    previous_watermark: datetime | None
    rows: int


def connect(source: Source, config: Config) -> psycopg.Connection:
    """Open a read-only session in UTC; a refused connection raises :class:`SourceConnectionError`."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    uri = postgres_uri(source)
    try:
        connection = psycopg.connect(uri, connect_timeout=config.extract.postgres_connect_timeout_seconds)
    except psycopg.OperationalError as error:
        info = conninfo_to_dict(uri)
        host = info.get("host") or "localhost (Unix socket)"
        port = info.get("port") or "5432"
        database = info.get("dbname") or "(default)"
        user = info.get("user") or "(current user)"
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SourceConnectionError(
            f"PostgreSQL at {host}:{port} (database {database}, user {user}) could not be reached or refused the "
            f"connection: {first_line}. Check that the server is running and listens on {host}:{port} "
            "(listen_addresses and port in postgresql.conf), that pg_hba.conf admits this user from this host, "
            "that no firewall blocks the port, and that the source URI (RAPPORT_SOURCE, the DAG conf 'source' or "
            "the Airflow connection 'rapport_source') names the right host, port, database and user"
        ) from error
    connection.read_only = True
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def schema_of(source: Source, config: Config) -> str:
    return source.schema or config.extract.postgres_schema


def find_table(connection: psycopg.Connection, schema: str, table: str) -> PostgresTable | None:
    """The table named ``table`` (case-insensitively) in ``schema``, or None."""
    rows = connection.execute(
        """
        SELECT table_name, column_name, data_type
        FROM information_schema.columns
        WHERE table_schema = %s AND lower(table_name) = %s
        ORDER BY table_name = %s DESC, table_name, ordinal_position
        """,
        [schema, table, table],
    ).fetchall()
    if not rows:
        return None
    name = rows[0][0]
    return PostgresTable(
        schema=schema,
        name=name,
        columns=tuple((column, data_type) for table_name, column, data_type in rows if table_name == name),
    )


def land_postgres_table(
    table: Table,
    source: Source,
    config: Config,
    scratch: duckdb.DuckDBPyConnection,
    out_file: Path,
    *,
    watermarks: Mapping[str, datetime | None],
    allow_missing: bool,
) -> PostgresLanding:
    """Copy ``table`` (all rows, or rows changed since ``watermarks[table]``) into ``out_file`` as Parquet.

    ``watermarks`` maps table names to the previous watermark (None: no earlier validated extraction, so a
    full extraction). For ``activityparty`` it must hold the four activity tables' watermarks.
    """
    from psycopg import sql

    schema = schema_of(source, config)
    with connect(source, config) as connection:
        found = find_table(connection, schema, table.name)
        if found is None:
            if not allow_missing:
                raise MissingTableError(
                    f"table {schema}.{table.name} does not exist in PostgreSQL ({source.description}), and the "
                    f"contract requires it: create it with the columns in docs/contract.md, or point the source at "
                    f"the right schema (?schema=NAME in the URI, or [extract] postgres_schema)"
                )
            return PostgresLanding(
                table=None, mapping=None, load_type="full", previous_watermark=None, rows=0
            )
        mapping = map_columns(table, [column for column, _ in found.columns])
        if mapping.ignored:
            log.info(
                "%s: ignoring columns not in the contract: %s", found.qualified, ", ".join(mapping.ignored)
            )
        select = sql.SQL("SELECT {columns} FROM {schema}.{table}").format(
            columns=sql.SQL(", ").join(
                sql.SQL("{} AS {}").format(sql.Identifier(src), sql.Identifier(name))
                for src, name in mapping.selected
            ),
            schema=sql.Identifier(found.schema),
            table=sql.Identifier(found.name),
        )
        load_type, previous, condition = _incremental_condition(
            connection, table, found, mapping, schema, watermarks
        )
        if condition is not None:
            select = sql.SQL("{} WHERE {}").format(select, condition)
        csv_path = out_file.with_name("_copy.csv")
        try:
            with connection.cursor() as cursor, csv_path.open("wb") as handle:
                copy_sql = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(select)
                with cursor.copy(copy_sql) as copy:
                    for block in copy:
                        handle.write(block)
            columns = {
                name: PG_TO_DUCKDB.get(found.data_type(src), "VARCHAR") for src, name in mapping.selected
            }
            column_spec = ", ".join(
                f"{sql_string(name)}: {sql_string(kind)}" for name, kind in columns.items()
            )
            scratch.execute(
                f"COPY (SELECT * FROM read_csv({sql_string(str(csv_path))}, header = false, auto_detect = false, "
                f"columns = {{{column_spec}}}, delim = ',', quote = '\"', escape = '\"', "
                f"allow_quoted_nulls = false, max_line_size = {64 * 1024 * 1024}, "
                # the staging folder is named ds=<date>.tmp-...: no column from the path
                "hive_partitioning = false)) "
                f"TO {sql_string(str(out_file))} (FORMAT parquet, COMPRESSION zstd)"
            )
        finally:
            csv_path.unlink(missing_ok=True)
    rows = scratch.execute(f"SELECT count(*) FROM read_parquet({sql_string(str(out_file))})").fetchall()[0][0]
    return PostgresLanding(
        table=found, mapping=mapping, load_type=load_type, previous_watermark=previous, rows=rows
    )


def _incremental_condition(
    connection: psycopg.Connection,
    table: Table,
    found: PostgresTable,
    mapping: ColumnMapping,
    schema: str,
    watermarks: Mapping[str, datetime | None],
) -> tuple[str, datetime | None, Any]:
    """(load type, previous watermark, SQL condition or None) for this extraction."""
    from psycopg import sql

    if table.watermark:
        previous = watermarks.get(table.name)
        column = mapping.source_column(table.watermark)
        if previous is None or column is None:
            return "full", None, None
        return (
            "incremental",
            previous,
            _changed_since(sql.Identifier(column), found.data_type(column), previous),
        )
    if table.kind != "party":
        return "full", None, None
    # activityparty: the parties of the activities that changed since their own watermarks.
    contract = load_contract()
    parts = []
    for activity in ACTIVITY_TABLES:
        previous = watermarks.get(activity)
        activity_table = find_table(connection, schema, activity)
        if previous is None or activity_table is None:
            return "full", None, None
        activity_mapping = map_columns(
            contract.table(activity), [column for column, _ in activity_table.columns]
        )
        key = activity_mapping.source_column("activityid")
        stamp = activity_mapping.source_column("modifiedon")
        if key is None or stamp is None:
            return "full", None, None
        parts.append(
            sql.SQL("SELECT CAST({key} AS text) FROM {schema}.{table} WHERE {changed}").format(
                key=sql.Identifier(key),
                schema=sql.Identifier(schema),
                table=sql.Identifier(activity_table.name),
                changed=_changed_since(sql.Identifier(stamp), activity_table.data_type(stamp), previous),
            )
        )
    party_key = mapping.source_column("activityid")
    if party_key is None:
        return "full", None, None
    condition = sql.SQL("CAST({} AS text) IN ({})").format(
        sql.Identifier(party_key), sql.SQL(" UNION ALL ").join(parts)
    )
    oldest = min(
        value for value in (watermarks.get(activity) for activity in ACTIVITY_TABLES) if value is not None
    )
    return "incremental", oldest, condition


def _changed_since(column: Any, data_type: str, watermark: datetime) -> Any:
    from psycopg import sql

    stamp = watermark if watermark.tzinfo else watermark.replace(tzinfo=UTC)
    expression = (
        column if data_type.startswith("timestamp") else sql.SQL("CAST({} AS timestamptz)").format(column)
    )
    return sql.SQL("{} > {}").format(expression, sql.Literal(stamp))
