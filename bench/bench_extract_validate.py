"""Benchmark: extract + validate at scale (default 1M and 10M activities), rows/s, seconds and peak memory.

    .venv/bin/python bench/bench_extract_validate.py                      # 1M and 10M, sample generator
    .venv/bin/python bench/bench_extract_validate.py --activities 1000000 --repeat 3
    .venv/bin/python bench/bench_extract_validate.py --synthetic          # without rapport.sample
    .venv/bin/python bench/bench_extract_validate.py --synthetic --activities 1000000 --workers 1 --workers 2

The export comes from ``rapport.sample.generate(out_dir, ..., activities=N)``; ``--synthetic`` (or a branch
without the generator) builds a contract-shaped export with DuckDB instead: N activities (40 % e-mail,
25 % phone call, 15 % appointment, 20 % task), 3 parties per activity, and records in proportion. Each
stage runs in a fresh process so its peak memory (max RSS) is its own; with ``--repeat`` the figures are
medians. ``--workers N`` (repeatable) sets ``[validation] workers`` for a run (each value gets its own
extract + validate); CPU-seconds count the stage's process and its worker processes, "peak MB" is the
stage's process and "worker MB" the largest worker (forked: pages shared with the parent are counted in
both). The 1-minute load average before and after each stage is printed: the machine may be shared.
Everything lives in a temporary folder (or ``--workdir``), removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
STAGES = ("extract", "validate")


def synthetic_export(out_dir: Path, activities: int, fmt: str = "parquet") -> None:
    """A contract-shaped export of ``activities`` activities, written with DuckDB (seconds, not minutes)."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    users, accounts = 200, max(activities // 100, 10)
    contacts, leads, opportunities = accounts * 3, max(activities // 200, 10), max(activities // 400, 10)
    ts = "TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(i, {salt}) % 63072000 AS BIGINT))"

    def ident(kind: str, expression: str = "i") -> str:
        # deterministic GUID-shaped ids: md5 of kind + number, laid out 8-4-4-4-12
        digest = f"md5('{kind}' || CAST({expression} AS VARCHAR))"
        return (
            f"substr({digest}, 1, 8) || '-' || substr({digest}, 9, 4) || '-' || substr({digest}, 13, 4) || '-' || "
            f"substr({digest}, 17, 4) || '-' || substr({digest}, 21, 12)"
        )

    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"

    def copy(table: str, select: str, rows: int) -> None:
        connection.execute(
            f"COPY (SELECT {select} FROM range({rows}) t(i)) TO '{out_dir / table}.{fmt}' ({options})"
        )

    copy(
        "systemuser",
        f"{ident('user')} AS systemuserid, 'User ' || i AS fullname, 'user' || i || '@ours.example' AS "
        "internalemailaddress, FALSE AS isdisabled, TIMESTAMP '2023-01-01' AS createdon, TIMESTAMP '2023-01-01' AS modifiedon",
        users,
    )
    owner = ident("user", "i % 200")
    copy(
        "account",
        f"{ident('account')} AS accountid, 'Account ' || i AS name, CAST(1 + i % 33 AS INTEGER) AS industrycode, "
        f"CAST(i % 5000 AS BIGINT) AS numberofemployees, {owner} AS ownerid, 'systemuser' AS owneridtype, "
        f"CAST(0 AS INTEGER) AS statecode, {ts.format(salt=1)} AS createdon, {ts.format(salt=1)} AS modifiedon",
        accounts,
    )
    copy(
        "contact",
        f"{ident('contact')} AS contactid, 'Person ' || i AS lastname, 'p' || i || '@customer.example' AS emailaddress1, "
        f"{ident('account', f'i % {accounts}')} AS parentcustomerid, 'account' AS parentcustomeridtype, {owner} AS ownerid, "
        f"CAST(0 AS INTEGER) AS statecode, {ts.format(salt=2)} AS createdon, {ts.format(salt=2)} AS modifiedon",
        contacts,
    )
    copy(
        "lead",
        f"{ident('lead')} AS leadid, 'Lead ' || i AS subject, 'Lead' || i AS lastname, {owner} AS ownerid, "
        f"CAST(i % 3 AS INTEGER) AS statecode, CAST(1 + i % 10 AS INTEGER) AS leadsourcecode, "
        f"{ts.format(salt=3)} AS createdon, {ts.format(salt=3)} AS modifiedon",
        leads,
    )
    copy(
        "opportunity",
        f"{ident('opportunity')} AS opportunityid, 'Deal ' || i AS name, {owner} AS ownerid, CAST(i % 3 AS INTEGER) AS "
        f"statecode, CAST(i % 101 AS BIGINT) AS closeprobability, CAST(i * 10.5 AS DOUBLE) AS estimatedvalue, "
        f"{ts.format(salt=4)} AS createdon, {ts.format(salt=4)} AS modifiedon",
        opportunities,
    )
    copy(
        "annotation",
        f"{ident('note')} AS annotationid, {ident('account', f'i % {accounts}')} AS objectid, 'account' AS objecttypecode, "
        f"'Note ' || i || ': the customer asked about pricing and delivery.' AS notetext, {owner} AS ownerid, "
        f"{ts.format(salt=5)} AS createdon, {ts.format(salt=5)} AS modifiedon",
        max(activities // 50, 10),
    )
    shares = {"email": 0.40, "phonecall": 0.25, "appointment": 0.15, "task": 0.20}
    offset = 0
    for table, share in shares.items():
        count = int(activities * share)
        extra = {
            "email": "(i % 2 = 0) AS directioncode, 'Hello, following up on our conversation about the proposal ' || i "
            "AS description, ",
            "phonecall": "(i % 2 = 0) AS directioncode, CAST(i % 30 AS BIGINT) AS actualdurationminutes, ",
            "appointment": "CAST(30 + i % 60 AS BIGINT) AS actualdurationminutes, ",
            "task": "CAST(i % 101 AS BIGINT) AS percentcomplete, ",
        }[table]
        copy(
            table,
            f"{ident('activity', f'i + {offset}')} AS activityid, 'Subject ' || i AS subject, "
            f"{ident('account', f'i % {accounts}')} AS regardingobjectid, 'account' AS regardingobjecttypecode, "
            f"CAST(1 AS INTEGER) AS statecode, {extra}{owner} AS ownerid, 'systemuser' AS owneridtype, "
            f"{ts.format(salt=6)} AS actualstart, {ts.format(salt=6)} AS createdon, {ts.format(salt=6)} AS modifiedon",
            count,
        )
        offset += count
    connection.execute(
        f"""COPY (SELECT {ident("party")} AS activitypartyid, {ident("activity", "i // 3")} AS activityid,
                  CASE WHEN i % 3 = 0 THEN {ident("user", "i % 200")} ELSE {ident("contact", f"i % {contacts}")} END AS partyid,
                  CASE WHEN i % 3 = 0 THEN 'systemuser' ELSE 'contact' END AS partyobjecttypecode,
                  CAST(1 + i % 3 AS INTEGER) AS participationtypemask, FALSE AS ispartydeleted
              FROM range({offset * 3}) t(i)) TO '{out_dir / "activityparty"}.{fmt}' ({options})"""
    )
    connection.close()


def make_export(out_dir: Path, activities: int, synthetic: bool, fmt: str) -> str:
    """Generate the export; returns which generator made it."""
    if not synthetic:
        try:
            from rapport.sample import generate  # type: ignore[attr-defined]
        except ImportError:
            print("rapport.sample is not available on this branch: using the synthetic export", flush=True)
        else:
            from rapport.config import load_config

            config = load_config()
            generate(
                out_dir,
                scale=config.sample.scale,
                seed=config.sample.seed,
                fmt="parquet",
                progress=False,
                activities=activities,
            )
            return "rapport.sample"
    synthetic_export(out_dir, activities, fmt)
    return "synthetic"


def run_stage(stage: str, export: Path, home: Path, workers: int | None) -> dict:
    """One stage in a fresh process (its own peak memory)."""
    env = dict(os.environ, RAPPORT_HOME=str(home), RAPPORT_WAREHOUSE=str(home / "warehouse.duckdb"))
    command = [sys.executable, str(HERE), "--stage", stage, "--export", str(export)]
    if workers is not None:
        command += ["--stage-workers", str(workers)]
    load_before = os.getloadavg()[0]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["load"] = (load_before, os.getloadavg()[0])
    return result


def stage_main(stage: str, export: Path, workers: int | None = None) -> None:
    """Child process: run one stage over every table, print JSON (rows, seconds, peak RSS)."""
    import logging
    import resource
    from datetime import date

    logging.disable(logging.INFO)
    from rapport.config import load_config
    from rapport.contract import load_contract
    from rapport.extract import extract_table, resolve_source
    from rapport.settings import Settings
    from rapport.validation import validate_table, validation_dependencies

    settings, config, ds = Settings.from_env(), load_config(), date(2026, 2, 1)
    if workers is not None:
        from dataclasses import replace

        config = replace(config, validation=replace(config.validation, workers=workers))
    tables = sorted(load_contract().table_names, key=lambda name: bool(validation_dependencies(name)))
    source = resolve_source(f"files:{export}", settings=settings)
    if stage == "validate":  # import GX before the clock starts: a fixed ~6 s per process
        from rapport.expectations.contract_rules import import_gx

        import_gx()
        import pandas  # noqa: F401
    started, rows, quarantined, per_table = time.perf_counter(), 0, 0, {}
    cpu_started = _cpu_seconds()
    for table in tables:
        if stage == "extract":
            result = extract_table(table, ds, source, settings, config=config)
            rows += result.rows
            per_table[table] = result.seconds
        else:
            checked = validate_table(table, ds, settings, config)
            rows += checked.raw_rows
            quarantined += checked.quarantined_rows
            per_table[table] = checked.seconds
    seconds = time.perf_counter() - started
    cpu_seconds = _cpu_seconds() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": rows,
                "quarantined": quarantined,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_mb": peak_mb,
                "worker_mb": worker_mb,
                "workers": config.validation.workers,
                "per_table": per_table,
            }
        )
    )


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the validation workers)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def print_stage(size: int, stage: str, runs: list[dict]) -> None:
    rows = runs[0]["rows"]
    seconds = statistics.median(run["seconds"] for run in runs)
    cpu = statistics.median(run["cpu_seconds"] for run in runs)
    peak = statistics.median(run["peak_mb"] for run in runs)
    worker = statistics.median(run["worker_mb"] for run in runs)
    workers = runs[0]["workers"] if stage == "validate" else "-"
    loads = ", ".join(f"{before:.1f}/{after:.1f}" for before, after in (run["load"] for run in runs))
    print(
        f"{size:>12,} {stage:<9} {workers:>7} {rows:>12,} {seconds:>9.1f} {cpu:>7.1f} {rows / seconds:>11,.0f} "
        f"{peak:>9,.0f} {worker:>9,.0f}  {loads}"
    )
    slowest = sorted(runs[0]["per_table"].items(), key=lambda item: -item[1])[:3]
    note = f"{runs[0]['quarantined']:,} quarantined; " if stage == "validate" else ""
    print(f"{'':>12} {'':<9} {note}slowest: " + ", ".join(f"{t} {s:.1f} s" for t, s in slowest))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--activities", type=int, action="append", help="activities in the export (repeatable)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale; figures are medians")
    parser.add_argument(
        "--synthetic", action="store_true", help="build the export with DuckDB, not rapport.sample"
    )
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="export file format")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the export and run state")
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        help="[validation] workers for a run (repeatable; default: rapport.toml's value)",
    )
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stage-workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--make-export", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_export:
        print(make_export(args.export, args.make_export, args.synthetic, args.format))
        return
    if args.stage:
        stage_main(args.stage, args.export, args.stage_workers)
        return
    sizes = args.activities or [1_000_000, 10_000_000]
    workdir = Path(tempfile.mkdtemp(prefix="rapport-bench-", dir=args.workdir))
    print(f"extract + validate benchmark, {os.cpu_count()} cores; medians of {args.repeat} run(s)")
    print(
        f"{'activities':>12} {'stage':<9} {'workers':>7} {'rows':>12} {'seconds':>9} {'CPU-s':>7} {'rows/s':>11} "
        f"{'peak MB':>9} {'worker MB':>9}  load 1-min before/after"
    )
    try:
        for size in sizes:
            export = workdir / f"export-{size}"
            started = time.perf_counter()
            # in a child: on Linux a child's peak RSS starts at its parent's RSS when forked (kept across
            # exec), so generating here would hand the generator's leftover size to every measured stage
            command = [sys.executable, str(HERE), "--make-export", str(size), "--export", str(export)]
            command += ["--format", args.format, *(["--synthetic"] if args.synthetic else [])]
            maker = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1]
            size_mb = sum(path.stat().st_size for path in export.rglob("*") if path.is_file()) / 1e6
            print(
                f"{size:>12,} export    ({maker}, {size_mb:,.0f} MB {args.format}, {time.perf_counter() - started:.1f} s)"
            )
            for workers in args.workers or [None]:
                runs: dict[str, list[dict]] = {stage: [] for stage in STAGES}
                for attempt in range(args.repeat):
                    home = workdir / f"home-{size}-{attempt}"
                    for stage in STAGES:
                        runs[stage].append(run_stage(stage, export, home, workers))
                    shutil.rmtree(home, ignore_errors=True)
                for stage in STAGES:
                    print_stage(size, stage, runs[stage])
            shutil.rmtree(export, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
