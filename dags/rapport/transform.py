"""Run dbt in process with Rapport's vars, paths and profile.

dbt is invoked through ``dbtRunner`` in the calling process (one ``dbt build`` per stage: a fresh
dbt process costs about 2 s before the first model, see docs/stack_notes.md). Every invocation gets the
tunables of ``rapport.toml`` as vars (``Config.dbt_vars``), the run's as-of moment, and the raw
contract's option-set labels (``contract_option_sets``), so dbt reads the same configuration as the
DAG and ``ml/``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
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
) -> DbtRunSummary:
    """Invoke ``dbt <command>`` in process and summarise what it built and tested.

    With a selection, tests run only when every model they read is selected or already built upstream
    (dbt's ``buildable`` indirect selection): dbt's default, ``eager``, would also pick a relationships
    test between a selected model and an unselected one, and fail it on a table that was never built.

    ``skip_unchanged`` (``build`` only): the relationship models are left out when nothing they read
    changed since their last successful build (:mod:`rapport.build_fingerprint`); never with
    ``--full-refresh``.
    """
    from dbt.cli.main import dbtRunner

    variables = dbt_vars(config, as_of)
    resources = apply_duckdb_resources(config)
    runner = dbtRunner()
    decision = None
    if skip_unchanged and command == "build":
        runner, decision = _relationship_decision(settings, variables, as_of, extra or [])
        if decision.unchanged and "--full-refresh" not in (extra or []):
            log.info("%s", decision.reason)
            exclude = " ".join(filter(None, [exclude, *decision.group.models]))
            if not _selected(runner, settings, extra or [], select, exclude, variables):
                return _skipped_summary(command, select, exclude, decision.reason)
        else:
            log.info("%s", decision.reason.replace(": skipped", ": full refresh, building"))
            with warehouse.connect(settings.warehouse_path) as connection:
                build_fingerprint.forget(connection, decision.group)
            covered = set(decision.group.models) <= _selected(
                runner, settings, extra or [], select, exclude, variables
            )
            # a build of part of the group forgets its fingerprint but cannot vouch for the whole group
            decision = dataclasses.replace(decision, unchanged=False) if covered else None

    args = list(extra or [])
    if select:
        args += ["--select", select]
        if "--indirect-selection" not in args:
            args += ["--indirect-selection", "buildable"]
    if exclude:
        args += ["--exclude", exclude]
    args += ["--vars", json.dumps(variables)]
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
        skipped=decision.reason if decision is not None and decision.unchanged else "",
    )
    if decision is not None and not decision.unchanged and result.success:
        with warehouse.connect(settings.warehouse_path) as connection:
            build_fingerprint.remember(connection, decision, as_of)
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


def _parse_arguments(extra: list[str]) -> list[str]:
    """The options of a build that ``dbt parse`` / ``dbt ls`` also take (profiles, log level)."""
    kept: list[str] = []
    for index, argument in enumerate(extra):
        if argument in {"--quiet", "-q"}:
            kept.append(argument)
        elif argument == "--profiles-dir" and index + 1 < len(extra):
            kept += [argument, extra[index + 1]]
    return kept


def _relationship_decision(
    settings: Settings, variables: dict[str, Any], as_of: datetime, extra: list[str]
) -> tuple[Any, build_fingerprint.GroupDecision]:
    """Parse the project once (the build reuses the manifest) and fingerprint the relationship group."""
    from dbt.cli.main import dbtRunner

    parsed = dbtRunner().invoke(
        dbt_arguments("parse", settings, [*_parse_arguments(extra), "--vars", json.dumps(variables)])
    )
    if parsed.exception is not None or not parsed.success:
        raise DbtRunError(f"dbt parse could not run: {parsed.exception or 'see the dbt log'}")
    manifest: Any = parsed.result
    group = build_fingerprint.relationship_group(manifest)
    with warehouse.connect(settings.warehouse_path) as connection:
        decision = build_fingerprint.decide(connection, group, variables, "relationship marts")
    return dbtRunner(manifest=manifest), decision


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


def _skipped_summary(command: str, select: str | None, exclude: str, reason: str) -> DbtRunSummary:
    return DbtRunSummary(
        command=command,
        selection=select or f"all but {exclude}",
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
