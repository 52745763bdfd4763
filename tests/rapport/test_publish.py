"""Readers are never locked out: they read a published copy that a run swaps in atomically."""

import subprocess
import sys
import textwrap
from datetime import date

import duckdb
import pytest

from rapport import warehouse
from rapport.publish import publish_marts, published_database, published_parquet_dir
from rapport.settings import Settings


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"RAPPORT_HOME": str(tmp_path / "var")})


def build_marts(settings: Settings, value: int) -> None:
    with warehouse.connect(settings.warehouse_path) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS marts")
        connection.execute(
            "CREATE OR REPLACE TABLE marts.dim_things AS SELECT range AS thing_id, ? AS version FROM range(3)",
            [value],
        )


def test_publish_copies_every_mart_to_duckdb_and_parquet(settings):
    build_marts(settings, 1)
    result = publish_marts(settings, date(2026, 11, 1))
    assert result.tables == ("dim_things",) and result.rows == 3
    with duckdb.connect(str(published_database(settings)), read_only=True) as reader:
        assert reader.execute("select count(*), max(version) from dim_things").fetchone() == (3, 1)
        assert reader.execute("select ds from _publication").fetchone()[0] == date(2026, 11, 1)
    parquet = published_parquet_dir(settings) / "dim_things.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] == 3


def test_a_models_own_bookkeeping_tables_are_not_published(settings):
    build_marts(settings, 1)
    with warehouse.connect(settings.warehouse_path) as connection:  # as fct_record_activities keeps its state
        connection.execute("CREATE TABLE marts.dim_things__state AS SELECT 1 AS link_batch_number")
    result = publish_marts(settings, date(2026, 11, 1))
    assert result.tables == ("dim_things",)
    with duckdb.connect(str(published_database(settings)), read_only=True) as reader:
        assert reader.execute(
            "select count(*) from information_schema.tables where table_name = 'dim_things__state'"
        ).fetchone() == (0,)


def test_tables_looked_up_by_record_are_written_in_that_order(settings):
    build_marts(settings, 1)
    with warehouse.connect(settings.warehouse_path) as connection:
        # rows land shuffled: record ids descending, types interleaved
        connection.execute(
            "CREATE TABLE marts.fct_things_daily AS SELECT CASE WHEN range % 2 = 0 THEN 'lead' ELSE 'account' END "
            "AS record_type, (1000 - range)::VARCHAR AS record_id, range AS n FROM range(1000)"
        )
    publish_marts(settings, date(2026, 11, 1))
    with duckdb.connect(str(published_database(settings)), read_only=True) as reader:
        stored = reader.execute("select record_type, record_id from fct_things_daily").fetchall()
        assert reader.execute("select count(*) from fct_things_daily").fetchone()[0] == 1000
    assert stored == sorted(stored)  # stored order = (record_type, record_id): zonemaps can skip row groups
    parquet = published_parquet_dir(settings) / "fct_things_daily.parquet"
    assert duckdb.sql(f"select count(*) from '{parquet}'").fetchall()[0][0] == 1000


def test_audit_tables_are_published_with_their_schema_as_prefix(settings):
    build_marts(settings, 1)
    with warehouse.connect(settings.warehouse_path) as connection:
        warehouse.ensure_audit_tables(connection)
        connection.execute(
            "insert into audit.quarantine values "
            "('2026-11-01', 'task', 'k1', 'a_check', 'why it was refused', '{}', now())"
        )
    result = publish_marts(settings, date(2026, 11, 1))
    assert {"dim_things", "audit_quarantine", "audit_reconciliation"} <= set(result.tables)
    with duckdb.connect(str(published_database(settings)), read_only=True) as reader:
        assert reader.execute("select record_key, reason from audit_quarantine").fetchall() == [
            ("k1", "why it was refused")
        ]
    assert (published_parquet_dir(settings) / "audit_quarantine.parquet").is_file()


def test_readers_keep_reading_while_another_process_writes_the_warehouse(settings, tmp_path):
    build_marts(settings, 1)
    publish_marts(settings, date(2026, 11, 1))
    # Another process holds the warehouse open for writing, as a running DAG does.
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                connection = duckdb.connect({str(settings.warehouse_path)!r})
                connection.execute("insert into marts.dim_things values (99, 2)")
                print("holding", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        # The warehouse itself is locked for any other process ...
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import duckdb; duckdb.connect({str(settings.warehouse_path)!r}, read_only=True)",
            ],
            capture_output=True,
            text=True,
        )
        assert probe.returncode != 0 and "lock" in probe.stderr.lower()
        # ... but the published copy opens read-only and serves the last good marts.
        with duckdb.connect(str(published_database(settings)), read_only=True) as reader:
            assert reader.execute("select count(*) from dim_things").fetchall()[0][0] == 3
    finally:
        writer.stdin.write("\n")
        writer.stdin.close()
        writer.wait(timeout=30)


def test_a_reader_with_the_old_copy_open_is_not_disturbed_by_the_swap(settings):
    build_marts(settings, 1)
    publish_marts(settings, date(2026, 11, 1))
    old_reader = duckdb.connect(str(published_database(settings)), read_only=True)
    try:
        build_marts(settings, 2)
        publish_marts(settings, date(2026, 11, 2))
        assert old_reader.execute("select max(version) from dim_things").fetchone()[0] == 1
        # A new reader (another process: DuckDB shares one instance per file within a process) sees the new copy.
        new_reader = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import duckdb; print(duckdb.connect({str(published_database(settings))!r}, read_only=True)"
                ".execute('select max(version) from dim_things').fetchone()[0])",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert new_reader.stdout.strip() == "2"
    finally:
        old_reader.close()
    with duckdb.connect(str(published_database(settings)), read_only=True) as reopened:
        assert reopened.execute("select max(version) from dim_things").fetchone()[0] == 2
    parquet_versions = duckdb.sql(
        f"select max(version) from '{published_parquet_dir(settings) / 'dim_things.parquet'}'"
    ).fetchall()[0][0]
    assert parquet_versions == 2
    leftovers = [p.name for p in settings.published_dir.iterdir() if p.name.startswith(".")]
    assert len(leftovers) == 1  # only the folder the parquet link points to


def test_an_older_date_is_published_beside_the_newest_copy_never_over_it(settings):
    from rapport.publish import older_date_database, older_date_parquet_dir, published_date

    build_marts(settings, 2)
    publish_marts(settings, date(2026, 11, 27))
    build_marts(settings, 1)  # a backfill of October rebuilds the marts as of then
    result = publish_marts(settings, date(2026, 10, 1))

    assert published_date(published_database(settings)) == date(2026, 11, 27)
    with duckdb.connect(str(published_database(settings)), read_only=True) as reader:
        assert reader.execute("select max(version) from dim_things").fetchone() == (2,)
    newest_parquet = published_parquet_dir(settings) / "dim_things.parquet"
    assert duckdb.sql(f"select max(version) from '{newest_parquet}'").fetchall() == [(2,)]

    assert result.database_path == str(older_date_database(settings, date(2026, 10, 1)))
    assert published_date(older_date_database(settings, date(2026, 10, 1))) == date(2026, 10, 1)
    older_parquet = older_date_parquet_dir(settings, date(2026, 10, 1)) / "dim_things.parquet"
    assert duckdb.sql(f"select max(version) from '{older_parquet}'").fetchall() == [(1,)]

    # a newer date replaces the main copy again
    build_marts(settings, 3)
    publish_marts(settings, date(2026, 11, 28))
    assert published_date(published_database(settings)) == date(2026, 11, 28)
