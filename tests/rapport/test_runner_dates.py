"""In-process runs (``rapport run``) record their real start, not the logical date, in Airflow's database.

Every task is marked successful without running (``mark_success_pattern``): the test is about the DAG
run's timestamps, which the Airflow UI turns into the run's duration.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rapport.runner import ensure_airflow_database, load_dag, run_in_process
from rapport.settings import Settings

LOGICAL = datetime(2001, 2, 3, tzinfo=UTC)  # a backfill years back; no other test uses this date


def test_a_backfill_run_records_its_real_start_and_duration():
    settings = Settings.from_env()
    ensure_airflow_database(settings, io.StringIO())
    dag = load_dag(settings)
    before = datetime.now(UTC)
    dag_run = run_in_process(dag, LOGICAL, {"force_retrain": False}, mark_success_pattern=".*")
    after = datetime.now(UTC)

    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        stored = DagRun.find(dag_id=dag.dag_id, logical_date=LOGICAL, session=session)[0]
        start, end, logical = stored.start_date, stored.end_date, stored.logical_date
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"
    assert logical == LOGICAL  # the logical date is still the backfilled one
    assert before - timedelta(seconds=1) <= start <= end <= after + timedelta(seconds=1)
    # What the UI shows as the duration: seconds, not the 8,000-odd days since the logical date.
    assert (end - start).total_seconds() < (after - before).total_seconds() + 1


def test_a_long_running_task_is_never_silent(monkeypatch):
    """The progress printer says when a task has been running a while, then again every minute."""
    from rapport import runner

    states = iter(
        [
            [("build_dbt_models", "running", 5.0)],
            [("build_dbt_models", "running", 21.0)],
            [("build_dbt_models", "running", 50.0)],
            [("build_dbt_models", "running", 82.0)],
            [("build_dbt_models", "success", 90.0)],
        ]
    )
    monkeypatch.setattr(runner, "_task_states", lambda logical_date: next(states))
    out = io.StringIO()
    printer = runner._ProgressPrinter(LOGICAL, 30, out, "var/logs/run-2001-02-03.log")
    for _ in range(5):
        printer.poll()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert (
        "21 s  running  build_dbt_models (still running; Airflow's log: var/logs/run-2001-02-03.log)"
        in lines[0]
    )
    assert "82 s  running  build_dbt_models" in lines[1]
    assert lines[2].endswith("ok       build_dbt_models") and "[ 1/30]" in lines[2]
