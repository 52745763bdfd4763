"""Data tests on the new batch on daily runs, over full tables on a schedule (issue 17, item 2).

A tiny CRM is built once with ``batch_tests`` (the first build tests full tables and is recorded in
``audit.dbt_full_tests``); rows that break the ``unique`` test of ``int_activities_unioned`` are then
planted directly in the built table, one older than the watermark and one at it, and ``dbt test`` is run
on later run dates: a batch day reports only the row inside the batch, a full-test day (or
``full_tests_every_days = 0``) reports the old one too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rapport import warehouse as rapport_warehouse
from rapport.config import Config, load_config
from rapport.summary import collect_summary, render_summary
from rapport.transform import DbtRunSummary, record_dbt_run, run_dbt
from tests.support.raw_loader import load_export
from tests.support.warehouses import Warehouse, warehouse_in

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
NEXT_DAY = datetime(2026, 11, 2, tzinfo=UTC)
WEEK_LATER = datetime(2026, 11, 8, tzinfo=UTC)
MODEL = "int_activities_unioned"
UNIQUE_TEST = "unique_int_activities_unioned_activity_id"


def _config(every_days: int) -> Config:
    config = load_config()
    return replace(config, transform=replace(config.transform, full_tests_every_days=every_days))


def _run(
    warehouse: Warehouse,
    command: str,
    as_of: datetime,
    select: str,
    every_days: int = 7,
    *,
    skip_unchanged: bool = False,
) -> DbtRunSummary:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(warehouse.path))
        patch.setenv("RAPPORT_HOME", str(warehouse.settings.var_dir))
        return run_dbt(
            command,
            settings=warehouse.settings,
            config=_config(every_days),
            as_of=as_of,
            select=select,
            batch_tests=True,
            raise_on_failure=False,
            skip_unchanged=skip_unchanged,
        )


def _sql(warehouse: Warehouse, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with rapport_warehouse.connect(warehouse.path) as connection:
        return connection.execute(sql).fetchall()


def _plant_copy(warehouse: Warehouse, order: str) -> tuple[str, datetime]:
    """A second row for the activity with the oldest (``asc``) or newest (``desc``) modified_at."""
    activity_id, modified_at = _sql(
        warehouse,
        f"select activity_id, modified_at from intermediate.{MODEL} order by modified_at {order} limit 1",
    )[0]
    _sql(
        warehouse,
        f"insert into intermediate.{MODEL} select * from intermediate.{MODEL} where activity_id = '{activity_id}'",
    )
    return activity_id, modified_at


def _duplicated(warehouse: Warehouse, where: str = "true") -> set[str]:
    rows = _sql(
        warehouse,
        f"select activity_id from intermediate.{MODEL} where {where} group by activity_id having count(*) > 1",
    )
    return {row[0] for row in rows}


def _unique_failed(summary: DbtRunSummary) -> bool:
    return any(UNIQUE_TEST in failure for failure in summary.failures)


@pytest.fixture(scope="module")
def built(tiny_crm_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = warehouse_in(tmp_path_factory.mktemp("batch_tests"), load_config())
    load_export(tiny_crm_export, warehouse.path)
    first = _run(warehouse, "build", AS_OF, f"+{MODEL}")
    assert first.succeeded and first.tests_passed > 0, first
    assert first.tests_scope == "dbt tests: full tables"  # no full-table test run recorded yet
    assert _sql(warehouse, "select as_of from audit.dbt_full_tests") == [(AS_OF.replace(tzinfo=None),)]
    return warehouse


def test_a_batch_day_reports_a_bad_row_inside_the_batch_but_not_one_outside(built: Warehouse) -> None:
    (watermark,) = _sql(built, f"select max(modified_at) from intermediate.{MODEL}")[0]
    outside, outside_at = _plant_copy(built, "asc")
    assert outside_at < watermark and _duplicated(built) == {outside}  # the full table does break the test

    batch = _run(built, "test", NEXT_DAY, MODEL)
    assert batch.tests_scope == (
        f"dbt tests: new batch since {watermark:%Y-%m-%d %H:%M:%S} (full tables every 7 days; "
        "next full test 2026-11-08)"
    )
    assert batch.succeeded and batch.tests_passed >= 3, batch  # unique, not_null...: run, on the batch only
    # the daily build as the DAG runs it (a manifest parsed for the skip plan, then reused): the same
    daily = _run(built, "build", NEXT_DAY, f"+{MODEL}", skip_unchanged=True)
    assert daily.succeeded and daily.tests_passed > 0 and daily.tests_scope == batch.tests_scope, daily
    record_dbt_run(
        built.settings, NEXT_DAY.date(), daily
    )  # as the DAG's build task does: the summary says it
    summary = collect_summary(built.settings, NEXT_DAY.date(), since=datetime(2026, 1, 1))
    assert daily.tests_scope in summary.notices
    assert f"notice       {daily.tests_scope}" in render_summary(summary, built.settings)
    assert _duplicated(built) == {outside}

    inside, _ = _plant_copy(built, "desc")
    assert _duplicated(built, f"modified_at >= '{watermark}'") == {inside}
    caught = _run(built, "test", NEXT_DAY, MODEL)
    assert not caught.succeeded and _unique_failed(caught), caught
    assert caught.tests_scope.startswith("dbt tests: new batch since")

    # the row inside the batch removed again: a full-test day (7 days after the last) reports the old one
    _sql(
        built,
        f"delete from intermediate.{MODEL} where rowid = (select max(rowid) from intermediate.{MODEL} where activity_id = '{inside}')",
    )
    assert _duplicated(built) == {outside}
    full_day = _run(built, "test", WEEK_LATER, MODEL)
    assert full_day.tests_scope == "dbt tests: full tables"
    assert not full_day.succeeded and _unique_failed(full_day), full_day
    always = _run(built, "test", NEXT_DAY, MODEL, every_days=0)  # 0 = full tables on every run
    assert always.tests_scope == "dbt tests: full tables"
    assert not always.succeeded and _unique_failed(always), always
    # only a successful build records a full-table test run (a failed one, or `dbt test`, does not)
    assert _sql(built, "select as_of from audit.dbt_full_tests") == [(AS_OF.replace(tzinfo=None),)]


def test_the_record_activities_tests_read_the_rebuilt_rows_on_a_batch_day(
    tiny_crm_export: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """fct_record_activities is rebuilt by activity and record: on a batch day its tests read the rebuilt rows."""
    warehouse = warehouse_in(tmp_path_factory.mktemp("batch_records"), load_config())
    load_export(tiny_crm_export, warehouse.path)
    mart, unique_test = "marts.fct_record_activities", "unique_fct_record_activities_record_activity_key"
    first = _run(warehouse, "build", AS_OF, "+fct_record_activities")
    assert first.succeeded and first.tests_scope == "dbt tests: full tables", first
    # nothing new: only the rows of the activities at the watermark (re-linked, >=) are rebuilt
    again = _run(warehouse, "build", AS_OF, "+fct_record_activities")
    assert again.succeeded and again.tests_scope.startswith("dbt tests: new batch since"), again
    rebuilt = f"""
        activity_sk in (select activity_sk from {mart}__affected where activity_sk is not null)
        or record_sk in (select record_sk from {mart}__affected where record_sk is not null)"""
    rebuilt_rows, rows = _sql(
        warehouse, f"select count(case when {rebuilt} then 1 end), count(*) from {mart}"
    )[0]
    assert 0 < rebuilt_rows < rows / 10, (rebuilt_rows, rows)
    (record_sk, activity_sk) = _sql(
        warehouse, f"select record_sk, activity_sk from {mart} where not ({rebuilt}) order by all limit 1"
    )[0]
    _sql(
        warehouse,
        f"insert into {mart} select * from {mart} where activity_sk = {activity_sk} and record_sk = {record_sk}",
    )

    batch = _run(warehouse, "test", NEXT_DAY, "fct_record_activities")
    assert batch.succeeded and batch.tests_passed >= 4, batch  # the duplicate's record was not rebuilt
    _sql(
        warehouse, f"insert into {mart}__affected values (null, {activity_sk})"
    )  # as if the run had rebuilt it
    caught = _run(warehouse, "test", NEXT_DAY, "fct_record_activities")
    assert not caught.succeeded and any(unique_test in failure for failure in caught.failures), caught
    _sql(warehouse, f"delete from {mart}__affected where activity_sk = {activity_sk}")
    full_day = _run(warehouse, "test", WEEK_LATER, "fct_record_activities")
    assert full_day.tests_scope == "dbt tests: full tables"
    assert not full_day.succeeded and any(unique_test in failure for failure in full_day.failures), full_day
