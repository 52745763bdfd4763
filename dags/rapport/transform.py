"""Run dbt in process with Rapport's vars, paths and profile.

dbt is invoked through ``dbtRunner`` in the calling process (one ``dbt build`` per stage: a fresh
dbt process costs about 2 s before the first model, see docs/stack_notes.md). Every invocation gets the
tunables of ``rapport.toml`` as vars (``Config.dbt_vars``), the run's as-of moment, and the raw
contract's option-set labels (``contract_option_sets``), so dbt reads the same configuration as the
DAG and ``ml/``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from rapport import build_fingerprint, warehouse
from rapport.config import Config, TransformConfig, parse_memory
from rapport.contract import load_contract
from rapport.settings import Settings

log = logging.getLogger(__name__)


class DbtRunError(RuntimeError):
    """dbt reported failing models or tests (their names and messages are in the text)."""


@dataclass(frozen=True)
class DbtRunSummary:
    command: str
    selection: str
    succeeded: bool
    seconds: float
    statuses: dict[str, int]  # e.g. {"success": 40, "pass": 120, "warn": 2}
    models_built: int
    tests_passed: int
    tests_warned: int
    failures: tuple[str, ...]
    skipped: str = ""  # e.g. "relationship marts unchanged since 2026-11-01 03:12:40: skipped"
    tests_scope: str = ""  # "dbt tests: full tables" or "dbt tests: new batch since …" (batch_tests runs)


def contract_option_sets() -> dict[str, dict[str, dict[str, str]]]:
    """Option-set labels per table and column, as the ``decode_option_set`` macro expects them."""
    return {
        table.name: {
            column.name: {str(code): label for code, label in column.codes}
            for column in table.columns
            if column.codes
        }
        for table in load_contract().tables
    }


def dbt_vars(config: Config, as_of: datetime) -> dict[str, Any]:
    """All vars for one dbt invocation: the tunables, the as-of moment and the contract's labels."""
    variables = config.dbt_vars()
    variables["as_of"] = as_of.strftime("%Y-%m-%d %H:%M:%S")
    variables["as_of_date"] = as_of.date().isoformat()
    variables["contract_option_sets"] = contract_option_sets()
    return variables


_NO_TARGET_PATH = frozenset({"debug", "deps", "init"})


@dataclass(frozen=True)
class DuckDBResources:
    """What DuckDB may use while dbt builds: ``transform.*`` of rapport.toml resolved on this machine."""

    memory_limit_mb: int  # megabytes (10^6 bytes)
    threads: int


def machine_memory_bytes() -> int:
    """Physical memory, or the cgroup (container) limit when that is lower."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="utf-8").strip()
    except OSError:
        return physical
    return min(physical, int(limit)) if limit.isdigit() else physical


def duckdb_resources(transform: TransformConfig) -> DuckDBResources:
    """The memory limit ("auto": a share of this machine's memory) and threads (0: its cores)."""
    if transform.duckdb_memory_limit == "auto":
        memory = int(machine_memory_bytes() * transform.duckdb_memory_share)
    else:
        memory = parse_memory(transform.duckdb_memory_limit)
    threads = transform.duckdb_threads or len(os.sched_getaffinity(0))
    return DuckDBResources(memory_limit_mb=max(memory // 10**6, 256), threads=threads)


def apply_duckdb_resources(config: Config) -> DuckDBResources:
    """Export the resources for dbt_project/profiles.yml (RAPPORT_DUCKDB_MEMORY_LIMIT, RAPPORT_DUCKDB_THREADS)."""
    resources = duckdb_resources(config.transform)
    os.environ["RAPPORT_DUCKDB_MEMORY_LIMIT"] = f"{resources.memory_limit_mb}MB"
    os.environ["RAPPORT_DUCKDB_THREADS"] = str(resources.threads)
    return resources


def dbt_arguments(command: str, settings: Settings, extra: list[str] | None = None) -> list[str]:
    """The command line for ``dbtRunner.invoke`` (paths from settings; vars added by :func:`run_dbt`)."""
    # dbt debug, deps and init take no --target-path (they write no artefacts there)
    target = [] if command in _NO_TARGET_PATH else ["--target-path", str(settings.dbt_target_dir)]
    return [
        *command.split(),  # "docs generate", "source freshness": a group and its subcommand
        "--project-dir",
        str(settings.dbt_project_dir),
        "--profiles-dir",
        str(settings.dbt_project_dir),
        *target,
        "--log-path",
        str(settings.dbt_log_dir),
        *(extra or []),
    ]


def run_dbt(
    command: str,
    *,
    settings: Settings,
    config: Config,
    as_of: datetime,
    select: str | None = None,
    exclude: str | None = None,
    extra: list[str] | None = None,
    raise_on_failure: bool = True,
    skip_unchanged: bool = False,
    batch_tests: bool = False,
) -> DbtRunSummary:
    """Invoke ``dbt <command>`` in process and summarise what it built and tested.

    With a selection, tests run only when every model they read is selected or already built upstream
    (dbt's ``buildable`` indirect selection): dbt's default, ``eager``, would also pick a relationships
    test between a selected model and an unselected one, and fail it on a table that was never built.

    ``skip_unchanged`` (``build`` only): the relationship models are left out when nothing they read
    changed since their last successful build (:mod:`rapport.build_fingerprint`); never with
    ``--full-refresh``.

    ``batch_tests`` (``build`` and ``test``): the data tests of the incremental models read only the rows
    modified since the watermark before this run, unless ``[transform] full_tests_every_days`` passed
    since the last full-table test run (:func:`plan_test_scope`); never with ``--full-refresh``. A
    successful ``build`` whose tests read the full tables is recorded in ``audit.dbt_full_tests``.
    """
    variables = dbt_vars(config, as_of)
    resources = apply_duckdb_resources(config)
    plan = _SkipPlan(exclude=exclude)
    if skip_unchanged and command == "build":
        plan = _plan_relationship_skip(settings, variables, extra or [], select, exclude)
        if plan.nothing_left:
            return _skipped_summary(command, select or "", plan.skipped)
    exclude = plan.exclude
    runner = plan.runner
    if runner is None:
        from dbt.cli.main import dbtRunner

        runner = dbtRunner()

    args = list(extra or [])
    if select:
        args += ["--select", select]
        if "--indirect-selection" not in args:
            args += ["--indirect-selection", "buildable"]
    if exclude:
        args += ["--exclude", exclude]
    scope = (
        _test_scope(settings, config, as_of, args) if batch_tests and command in {"build", "test"} else None
    )
    # the batch moment is not part of the relationship group's fingerprint (plan above): added here only
    invocation_vars = (
        variables if scope is None or scope.since is None else {**variables, "test_batch_since": scope.since}
    )
    args += ["--vars", json.dumps(invocation_vars)]
    started = time.monotonic()
    log.info(
        "dbt %s %s (DuckDB: %d MB, %d threads)",
        command,
        " ".join(a for a in args if not a.startswith("{")),
        resources.memory_limit_mb,
        resources.threads,
    )
    result = runner.invoke(dbt_arguments(command, settings, args))
    seconds = time.monotonic() - started
    if result.exception is not None:
        raise DbtRunError(f"dbt {command} could not run: {result.exception}") from result.exception

    statuses: Counter[str] = Counter()
    models_built = tests_passed = tests_warned = 0
    failures: list[str] = []
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result.status, "value", node_result.status))
        statuses[status] += 1
        resource_type = str(getattr(node_result.node.resource_type, "value", node_result.node.resource_type))
        if resource_type in {"model", "seed", "snapshot"} and status == "success":
            models_built += 1
        if resource_type in {"test", "unit_test"}:
            tests_passed += status == "pass"
            tests_warned += status == "warn"
        if status in {"error", "fail", "runtime error"}:
            failures.append(f"{node_result.node.unique_id}: {node_result.message}")
    summary = DbtRunSummary(
        command=command,
        selection=select or (f"all but {exclude}" if exclude else "all"),
        succeeded=bool(result.success),
        seconds=round(seconds, 2),
        statuses=dict(statuses),
        models_built=models_built,
        tests_passed=tests_passed,
        tests_warned=tests_warned,
        failures=tuple(failures),
        skipped=plan.skipped,
        tests_scope=scope.message if scope else "",
    )
    if command == "build" and scope is not None and scope.since is None and result.success:
        _release_dbt_duckdb()
        with warehouse.connect(settings.warehouse_path) as connection:
            remember_full_tests(connection, as_of)
    if plan.pending is not None and result.success:
        _release_dbt_duckdb()
        with warehouse.connect(settings.warehouse_path) as connection:
            build_fingerprint.remember(connection, plan.pending[0], plan.pending[1], variables, as_of)
    log.info(
        "dbt %s finished in %.1f s: %d models built, %d tests passed, %d warned, %d failures",
        command,
        seconds,
        models_built,
        tests_passed,
        tests_warned,
        len(failures),
    )
    if raise_on_failure and not result.success:
        details = "\n  ".join(failures) or "see the dbt log in " + str(settings.dbt_log_dir)
        raise DbtRunError(f"dbt {command} failed:\n  {details}")
    return summary


@dataclass(frozen=True)
class DataTestScope:
    """What this run's dbt data tests read: the new batch (``since``) or the full tables (``since`` None)."""

    since: str | None  # "YYYY-MM-DD HH:MM:SS": rows with modified_at >= since are the batch
    message: str  # the line logged and summarised


_FULL_TESTS_TABLE = "audit.dbt_full_tests"
# the incremental watermark the batch starts from: the first incremental model every other one follows
_WATERMARK_TABLE = "intermediate.int_activities_unioned"


def _test_scope(settings: Settings, config: Config, as_of: datetime, args: list[str]) -> DataTestScope:
    _release_dbt_duckdb()
    with warehouse.connect(settings.warehouse_path) as connection:
        scope = plan_test_scope(
            connection, config.transform.full_tests_every_days, as_of, full_refresh="--full-refresh" in args
        )
    log.info("%s", scope.message)
    return scope


def plan_test_scope(
    connection: Any, every_days: int, as_of: datetime, *, full_refresh: bool = False
) -> DataTestScope:
    """Full tables when ``every_days`` is 0, on a full refresh or first build, or when at least ``every_days``
    days (of run dates) passed since the last successful full-table test run; else the new batch: rows
    modified at or after today's watermark before the build (the newest ``modified_at`` already built)."""
    full = DataTestScope(since=None, message="dbt tests: full tables")
    if every_days == 0 or full_refresh:
        return full
    _ensure_full_tests_table(connection)
    last = connection.execute(f"select max(as_of) from {_FULL_TESTS_TABLE}").fetchone()[0]
    if last is None or (as_of.date() - last.date()).days >= every_days:
        return full
    schema, table = _WATERMARK_TABLE.split(".")
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0]
    watermark = (
        connection.execute(f"select max(modified_at) from {_WATERMARK_TABLE}").fetchone()[0]
        if exists
        else None
    )
    if watermark is None:
        return full
    since = watermark.strftime("%Y-%m-%d %H:%M:%S")
    next_full = last.date() + timedelta(days=every_days)
    return DataTestScope(
        since=since,
        message=f"dbt tests: new batch since {since} (full tables every {every_days} days; next full test {next_full})",
    )


def _ensure_full_tests_table(connection: Any) -> None:
    connection.execute("create schema if not exists audit")
    connection.execute(
        f"create table if not exists {_FULL_TESTS_TABLE} (as_of timestamp primary key, tested_at timestamp)"
    )


def remember_full_tests(connection: Any, as_of: datetime) -> None:
    """Record a successful dbt run whose tests read the full tables (the schedule of :func:`plan_test_scope`)."""
    _ensure_full_tests_table(connection)
    connection.execute(
        f"insert or replace into {_FULL_TESTS_TABLE} values (?, now()::timestamp)",
        [as_of.replace(tzinfo=None)],
    )


def _release_dbt_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb keeps open after an in-process invocation.

    DuckDB refuses a second connection to the same file with other settings (a profile's temp_directory,
    memory limit) while that instance lives; dbt reopens it on its next invocation.
    """
    if "dbt.adapters.duckdb.connections" not in sys.modules:
        return  # dbt never ran in this process
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:  # dbt-duckdb's own guard of its environment
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def _parse_arguments(extra: list[str]) -> list[str]:
    """The options of a build that ``dbt parse`` / ``dbt ls`` also take (profiles, log level)."""
    kept: list[str] = []
    for index, argument in enumerate(extra):
        if argument in {"--quiet", "-q"}:
            kept.append(argument)
        elif argument == "--profiles-dir" and index + 1 < len(extra):
            kept += [argument, extra[index + 1]]
    return kept


@dataclass(frozen=True)
class _SkipPlan:
    """How a build treats the relationship group: excluded (unchanged), or built and then remembered."""

    exclude: str | None
    runner: Any = None  # a dbtRunner holding the parsed manifest, when the project was parsed
    pending: tuple[build_fingerprint.ModelGroup, str] | None = None  # (group, code) to store on success
    skipped: str = ""  # the reason logged and summarised when the group is left out
    nothing_left: bool = False  # the selection was the group itself: no dbt invocation at all


def _plan_relationship_skip(
    settings: Settings, variables: dict[str, Any], extra: list[str], select: str | None, exclude: str | None
) -> _SkipPlan:
    decision, code = _relationship_decision(settings, variables, extra)
    log.info("%s", decision.reason)
    if decision.unchanged and decision.group is not None:
        if select == build_fingerprint.RELATIONSHIP_SELECTION and not exclude:
            return _SkipPlan(exclude=exclude, skipped=decision.reason, nothing_left=True)
        return _SkipPlan(
            exclude=" ".join(filter(None, [exclude, *decision.group.models])), skipped=decision.reason
        )
    runner, group = _parse_relationship_group(settings, variables, extra)
    with warehouse.connect(settings.warehouse_path) as connection:
        build_fingerprint.forget(connection, group.name)
    # a build of part of the group forgets its fingerprint but cannot vouch for the whole group
    covered = set(group.models) <= _selected(runner, settings, extra, select, exclude, variables)
    return _SkipPlan(exclude=exclude, runner=runner, pending=(group, code) if covered else None)


def _relationship_decision(
    settings: Settings, variables: dict[str, Any], extra: list[str]
) -> tuple[build_fingerprint.GroupDecision, str]:
    """Today's fingerprint of the relationship group against the stored one (no dbt parse needed);
    ``--full-refresh`` always builds. Returns the decision and the project checksum."""
    import dbt.version

    code = build_fingerprint.project_checksum(settings.dbt_project_dir, dbt.version.__version__)
    if "--full-refresh" in extra:
        return build_fingerprint.GroupDecision(
            None, False, "relationship marts: full refresh, building"
        ), code
    _release_dbt_duckdb()
    with warehouse.connect(settings.warehouse_path) as connection:
        decision = build_fingerprint.decide(
            connection, build_fingerprint.RELATIONSHIPS, code, variables, "relationship marts"
        )
    return decision, code


def _parse_relationship_group(
    settings: Settings, variables: dict[str, Any], extra: list[str]
) -> tuple[Any, build_fingerprint.ModelGroup]:
    """Parse the project once (the build reuses the manifest) and read the relationship group from it."""
    from dbt.cli.main import dbtRunner

    parsed = dbtRunner().invoke(
        dbt_arguments("parse", settings, [*_parse_arguments(extra), "--vars", json.dumps(variables)])
    )
    if parsed.exception is not None or not parsed.success:
        raise DbtRunError(f"dbt parse could not run: {parsed.exception or 'see the dbt log'}")
    manifest: Any = parsed.result
    return dbtRunner(manifest=manifest), build_fingerprint.relationship_group(manifest)


def _selected(
    runner: Any,
    settings: Settings,
    extra: list[str],
    select: str | None,
    exclude: str | None,
    variables: dict[str, Any],
) -> set[str]:
    """The names of the models, seeds and snapshots a selection holds (``dbt ls`` on the parsed manifest)."""
    args = ["--quiet", "--resource-types", "model", "seed", "snapshot", "--output", "name"]
    args += [a for a in _parse_arguments(extra) if a not in {"--quiet", "-q"}]
    args += ["--select", select] if select else []
    args += ["--exclude", exclude] if exclude else []
    listed = runner.invoke(dbt_arguments("ls", settings, [*args, "--vars", json.dumps(variables)]))
    if listed.exception is not None or not listed.success:
        raise DbtRunError(f"dbt ls could not run: {listed.exception or 'see the dbt log'}")
    return {str(name).rsplit(".", 1)[-1] for name in listed.result or []}


def _skipped_summary(command: str, select: str, reason: str) -> DbtRunSummary:
    return DbtRunSummary(
        command=command,
        selection=select,
        succeeded=True,
        seconds=0.0,
        statuses={},
        models_built=0,
        tests_passed=0,
        tests_warned=0,
        failures=(),
        skipped=reason,
    )


def record_dbt_run(settings: Settings, ds: date, summary: DbtRunSummary) -> None:
    """Keep one row per run date and selection in ``audit.dbt_runs`` (replaced on re-run)."""

    with warehouse.connect(settings.warehouse_path) as connection:
        warehouse.ensure_audit_tables(connection)
        connection.execute(
            "INSERT OR REPLACE INTO audit.dbt_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
            [
                ds,
                summary.selection,
                summary.command,
                summary.succeeded,
                summary.models_built,
                summary.tests_passed,
                summary.tests_warned,
                summary.seconds,
            ],
        )
        if summary.tests_scope:  # what the data tests read, for the run summary (issue 17)
            connection.execute(
                "create table if not exists audit.dbt_test_scopes (ds date, selection varchar, message varchar, "
                "finished_at timestamp, primary key (ds, selection))"
            )
            connection.execute(
                "insert or replace into audit.dbt_test_scopes values (?, ?, ?, now()::timestamp)",
                [ds, summary.selection, summary.tests_scope],
            )
