"""Run one DAG run in process with Airflow's own test runner (``dag.test``), with readable progress.

This is what ``rapport run`` (and ``make run``) does: prepare the Airflow metadata database, parse the
DAG, run every task in this process for one logical date, and print one line per finished task.
Airflow's own log output goes to ``var/logs/run-<ds>.log`` unless ``verbose`` is set.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from rapport.redaction import redact
from rapport.settings import WAREHOUSE_POOL, Settings

log = logging.getLogger(__name__)

DAG_ID = "sales_insights"


class RunFailed(RuntimeError):
    """The DAG run ended in a failed state; the message names the failed tasks and their errors."""


@dataclass(frozen=True)
class TaskOutcome:
    task_id: str
    state: str
    seconds: float | None


@dataclass(frozen=True)
class RunOutcome:
    dag_run_id: str
    state: str
    seconds: float
    tasks: tuple[TaskOutcome, ...]
    log_path: str | None
    errors: tuple[str, ...]


def ensure_airflow_database(settings: Settings, out: TextIO) -> None:
    """Create or upgrade Airflow's metadata database (SQLite under var/airflow by default)."""
    from airflow.utils import db

    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    marker = settings.airflow_home / ".migrated"
    if marker.exists() and (settings.airflow_home / "airflow.db").exists():
        ensure_warehouse_pool()
        return
    print("Preparing Airflow's metadata database (first run only, a few seconds) ...", file=out, flush=True)
    db.upgradedb()
    ensure_warehouse_pool()
    marker.touch()


def ensure_warehouse_pool() -> None:
    """Create (or reset to one slot) the pool every warehouse-writing task runs in."""
    from airflow.models.pool import Pool

    Pool.create_or_update_pool(
        name=WAREHOUSE_POOL,
        slots=1,
        description="Rapport's DuckDB warehouse: one writer at a time, across every DAG",
        include_deferred=False,
    )


def load_dag(settings: Settings) -> Any:
    """Parse ``dags/`` and return the sales-insights DAG, or raise with the import errors."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.dags_dir))
    if bag.import_errors:
        details = "\n".join(f"{path}: {error}" for path, error in bag.import_errors.items())
        raise RunFailed(f"the DAG files do not import:\n{details}")
    dag = bag.get_dag(DAG_ID)
    if dag is None:
        raise RunFailed(f"no DAG {DAG_ID!r} in {settings.dags_dir}")
    return dag


STILL_RUNNING_AFTER = 20.0  # seconds: a task running this long gets a "still running" line ...
STILL_RUNNING_EVERY = 60.0  # seconds: ... and another one this often


class _ProgressPrinter(threading.Thread):
    """Polls the metadata database and prints a line whenever a task of the run finishes, and a "still
    running" line for a task that runs long (so a long dbt build or training is never silent)."""

    def __init__(self, logical_date: datetime, total: int, out: TextIO, log_hint: str = "above") -> None:
        super().__init__(daemon=True, name="rapport-progress")
        self.logical_date = logical_date
        self.total = total
        self.out = out
        self.log_hint = log_hint
        self.seen: dict[str, str] = {}
        self.next_report: dict[
            str, float
        ] = {}  # task id -> running seconds at which to say it is still running
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(0.5):
            self.poll()
        self.poll()

    def poll(self) -> None:
        try:
            rows = _task_states(self.logical_date)
        except Exception:  # the database can be busy for a moment; try again at the next tick
            return
        for task_id, state, seconds in rows:
            if (
                state == "running"
                and seconds is not None
                and seconds >= self.next_report.get(task_id, STILL_RUNNING_AFTER)
            ):
                self.next_report[task_id] = seconds + STILL_RUNNING_EVERY
                print(
                    f"        {seconds:6.0f} s  running  {task_id} (still running; Airflow's log: {self.log_hint})",
                    file=self.out,
                    flush=True,
                )
                continue
            if (
                state in {"success", "failed", "skipped", "upstream_failed"}
                and self.seen.get(task_id) != state
            ):
                self.seen[task_id] = state
                mark = {
                    "success": "ok",
                    "failed": "FAILED",
                    "skipped": "skipped",
                    "upstream_failed": "not run",
                }[state]
                timing = f"{seconds:6.1f} s" if seconds is not None else "        "
                print(
                    f"  [{len(self.seen):>2}/{self.total}] {timing}  {mark:<8} {task_id}",
                    file=self.out,
                    flush=True,
                )


def _task_states(logical_date: datetime) -> list[tuple[str, str, float | None]]:
    """(task id, state, seconds) of the run for ``logical_date``, in the order the tasks finished (seconds
    so far for a running task)."""
    from airflow.models.dagrun import DagRun
    from airflow.sdk import timezone
    from airflow.utils.session import create_session

    now = timezone.utcnow()

    with create_session() as session:
        runs = DagRun.find(dag_id=DAG_ID, logical_date=logical_date, session=session)
        if not runs:
            return []
        instances = runs[-1].get_task_instances(session=session)
        rows = [
            (
                ti.task_id,
                str(getattr(ti.state, "value", ti.state)),
                (
                    ((ti.end_date or now) - ti.start_date).total_seconds()
                    if ti.start_date
                    and (ti.end_date or str(getattr(ti.state, "value", ti.state)) == "running")
                    else None
                ),
                ti.end_date,
            )
            for ti in instances
        ]
    rows.sort(key=lambda row: (row[3] is None, row[3] or 0))
    return [(task_id, state, seconds) for task_id, state, seconds, _ in rows]


@contextlib.contextmanager
def _captured_output(log_path: Path | None) -> Iterator[TextIO]:
    """Send this process's stdout/stderr (Airflow's logs) to ``log_path``; yield the real terminal."""
    if log_path is None:
        yield sys.stdout
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(saved_out), "w", buffering=1)
    with log_path.open("w") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            terminal.close()
            _redact_file(log_path)


def _redact_file(path: Path) -> None:
    """Rewrite ``path`` with every URI password masked (a last guard behind the loggers' own masking)."""

    text = path.read_text(errors="replace")
    cleaned = redact(text)
    if cleaned != text:
        path.write_text(cleaned)


_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failed|Failure)): (.+)$")


def _errors_from_log(log_path: Path | None) -> tuple[str, ...]:
    """The exception lines of failed tasks, as written in the run's log."""
    if log_path is None or not log_path.exists():
        return ()
    found: list[str] = []
    for line in log_path.read_text(errors="replace").splitlines():
        match = _ERROR_LINE.match(line.strip())
        if match and line.strip() not in found:
            found.append(line.strip())
    return tuple(found[-5:])


@contextlib.contextmanager
def _real_start_date() -> Iterator[None]:
    """Record an in-process run's start as the moment it starts.

    ``dag.test()`` creates its DAG run with ``start_date`` = the logical date, so the Airflow UI shows a
    backfill of a date two months back as lasting "62d 4h". Airflow's helper is wrapped for the run.
    """
    from unittest import mock

    from airflow.models import dagrun
    from airflow.sdk import timezone

    original = dagrun.get_or_create_dagrun

    def create(*args: Any, **kwargs: Any) -> Any:
        kwargs["start_date"] = timezone.utcnow()
        return original(*args, **kwargs)

    with mock.patch.object(dagrun, "get_or_create_dagrun", create):
        yield


def run_in_process(dag: Any, logical_date: datetime, conf: dict[str, Any], **options: Any) -> Any:
    """``dag.test()`` for ``logical_date`` with the run's real start time; returns the DAG run.

    ``options`` go to ``dag.test`` (e.g. ``mark_success_pattern``).
    """
    with _real_start_date():
        return dag.test(logical_date=logical_date, run_conf=conf, **options)


def run_dag(
    settings: Settings,
    logical_date: datetime,
    conf: dict[str, Any],
    *,
    verbose: bool = False,
    out: TextIO = sys.stdout,
) -> RunOutcome:
    """Run the DAG once for ``logical_date`` with ``conf`` in this process and report every task."""
    log_path = None if verbose else settings.var_dir / "logs" / f"run-{logical_date.date().isoformat()}.log"
    started = time.monotonic()
    with _captured_output(log_path) as terminal:
        ensure_airflow_database(settings, terminal)
        dag = load_dag(settings)
        printer = _ProgressPrinter(logical_date, len(dag.task_dict), terminal, str(log_path or "above"))
        printer.start()
        try:
            dag_run = run_in_process(dag, logical_date, conf)
        finally:
            printer.stop_event.set()
            printer.join(timeout=5)
    seconds = time.monotonic() - started
    tasks = tuple(TaskOutcome(task_id, state, secs) for task_id, state, secs in _task_states(logical_date))
    state = str(getattr(dag_run.state, "value", dag_run.state))
    if not any(task.state in {"success", "failed", "skipped", "upstream_failed"} for task in tasks):
        raise RunFailed(
            f"the DAG run for {logical_date.date().isoformat()} ended {state!r} without running a task. "
            f"Is the date before the DAG's start_date ({dag.start_date:%Y-%m-%d})? "
            f"Airflow's log: {log_path or 'above'}"
        )
    errors = _errors_from_log(log_path) if state != "success" else ()
    return RunOutcome(
        dag_run_id=dag_run.run_id,
        state=state,
        seconds=round(seconds, 1),
        tasks=tasks,
        log_path=str(log_path) if log_path else None,
        errors=errors,
    )
