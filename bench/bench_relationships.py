"""Relationship analytics at scale: the dbt build beside one hand-written DuckDB query and pandas.

For each size (activities), a sample CRM is generated once (``rapport.sample.generate(..., activities=N)``,
cached under the work folder) and loaded into a raw DuckDB warehouse. Then, each in a fresh child process
(so peak memory is the child's own maximum resident set), the script measures:

  dbt build        `dbt build` of the relationship models (staging views, intermediate, marts, their data and
                   unit tests) from raw tables, full refresh, through rapport.transform.run_dbt
  duckdb query     bench/relationship_kpis_duckdb.sql: the same KPI set as fct_relationship_kpis in ONE query
                   over the raw tables (checked equal to the mart at the first size)
  pandas           tests/support/relationship_reference.py: the same rules in pandas, from the Parquet export
  dbt incremental  the daily run: the warehouse is built as of yesterday without the newest 1 % of activities
                   (by modifiedon), then the full raw layer arrives and `dbt build` runs incrementally, as
                   `rapport run` does (skip_unchanged: the inputs are fingerprinted first)
  dbt rerun        the same build again with nothing new: the fingerprint is unchanged, nothing is built

CPU-seconds (the child's user + system time, Python start and dbt's parse included) are the comparable
figure on a shared machine; the daily run and the re-run are printed as a share of the full build's CPU
(issue 17 targets: <= 10 % and <= 5 %).

Medians of --repeats runs (the machine is shared and noisy); ratios against the DuckDB query.

    .venv/bin/python bench/bench_relationships.py --sizes 1000000 --repeats 3
    .venv/bin/python bench/bench_relationships.py --sizes 10000000 --repeats 1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
SELECTION = "+path:models/marts/relationships"  # the relationship marts and all they read
MEASURES = [
    ("emails_sent", "email", "ours"),
    ("emails_received", "email", "theirs"),
    ("meetings_sent", "appointment", "ours"),
    ("meetings_received", "appointment", "theirs"),
    ("calls_made", "phonecall", "ours"),
    ("calls_received", "phonecall", "theirs"),
    ("tasks", "task", None),
]


@dataclass(frozen=True)
class Measurement:
    """One timed child run."""

    seconds: float
    peak_mb: float
    detail: dict
    cpu_seconds: float = float("nan")


# --- child side -----------------------------------------------------------------------------------------
def hand_written_query() -> str:
    """The DuckDB query with its repeated count columns expanded."""
    import jinja2

    template = (ROOT / "bench" / "relationship_kpis_duckdb.sql").read_text(encoding="utf-8")
    return jinja2.Template(template).render(measures=MEASURES)


def query_parameters() -> dict:
    from rapport.config import load_config

    config = load_config()
    return {
        "as_of": AS_OF.strftime("%Y-%m-%d %H:%M:%S"),
        "recent_days": config.relationship.recent_days,
        "write_minutes": config.relationship.email_write_minutes,
        "read_minutes": config.relationship.email_read_minutes,
        "callback_hours": 24.0 * config.relationship.callback_window_days,
    }


def bench_profiles_dir(home: Path) -> Path:
    """The committed dbt profile plus a spill folder for this benchmark.

    DuckDB's memory limit and threads come from rapport.toml [transform] (resolved on this machine by
    rapport.transform, the same as `rapport run`); --memory-limit overrides them through a config layer.
    """
    import yaml

    profile = yaml.safe_load((ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8"))
    options = profile["rapport"]["outputs"]["duckdb"]["config_options"]
    options["temp_directory"] = str(home / "duckdb_spill")
    options["preserve_insertion_order"] = False  # lets large inserts stream and spill
    folder = home / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    return folder


def child(task: str, warehouse: str, export_dir: str, home: str) -> dict:
    """Run one measured task in this (child) process and return its figures."""
    os.environ["RAPPORT_HOME"] = home
    os.environ["RAPPORT_WAREHOUSE"] = warehouse
    from rapport.settings import apply_runtime_environment

    apply_runtime_environment()
    if task in ("dbt_build", "dbt_incremental", "dbt_rerun"):
        from rapport.config import load_config
        from rapport.settings import Settings
        from rapport.transform import run_dbt

        settings = Settings.from_env()
        profiles = bench_profiles_dir(Path(home))
        started = time.perf_counter()
        summary = run_dbt(
            "build",
            settings=settings,
            config=load_config(),
            as_of=AS_OF,
            select=SELECTION,
            # the last --profiles-dir wins over the one rapport.transform passes
            extra=[
                "--quiet",
                "--profiles-dir",
                str(profiles),
                *(["--full-refresh"] if task == "dbt_build" else []),
            ],
            skip_unchanged=task != "dbt_build",  # as `rapport run` builds
            batch_tests=True,  # as `rapport run` builds: the full refresh tests full tables, the daily run its batch
        )
        seconds = time.perf_counter() - started
        results = json.loads((settings.dbt_target_dir / "run_results.json").read_text())["results"]
        models = {
            item["unique_id"].split(".")[-1]: round(item["execution_time"], 2)
            for item in results
            if item["unique_id"].startswith("model.")
        }
        return {
            "seconds": seconds,
            "models": models,
            "tests": summary.tests_passed,
            "built": summary.models_built,
            **({"skipped": summary.skipped} if summary.skipped else {}),
            "duckdb": f"{os.environ['RAPPORT_DUCKDB_MEMORY_LIMIT']}, {os.environ['RAPPORT_DUCKDB_THREADS']} threads",
        }
    if task == "duckdb_query":
        import duckdb

        from rapport.config import load_config
        from rapport.transform import duckdb_resources
        from rapport.warehouse import DUCKDB_CONFIG

        resources = duckdb_resources(load_config().transform)
        config = {
            **DUCKDB_CONFIG,
            "memory_limit": f"{resources.memory_limit_mb}MB",
            "threads": resources.threads,
            "temp_directory": str(Path(home) / "duckdb_spill"),
            "preserve_insertion_order": False,
        }
        with duckdb.connect(warehouse, read_only=True, config=config) as connection:
            started = time.perf_counter()
            rows = connection.execute(hand_written_query(), query_parameters()).fetchall()
            seconds = time.perf_counter() - started
        return {"seconds": seconds, "rows": len(rows)}
    if task == "pandas":
        import pandas as pd

        from tests.support.relationship_reference import compute_kpis, load_tables, prepare

        started = time.perf_counter()
        tables = load_tables(export_dir)
        read = time.perf_counter() - started
        prepared = prepare(tables)
        as_of = pd.Timestamp(AS_OF.replace(tzinfo=None))
        records = prepared.records[prepared.records.created_at < as_of]
        kpis = compute_kpis(prepared, records[["record_type", "record_id"]].assign(as_of_at=as_of))
        return {"seconds": time.perf_counter() - started, "read_seconds": read, "rows": len(kpis)}
    raise ValueError(f"unknown task {task!r}")


# --- parent side ----------------------------------------------------------------------------------------
def measure(task: str, warehouse: Path, export_dir: Path, home: Path) -> Measurement:
    """Run ``task`` in a fresh Python process; its own peak resident memory comes from wait4."""
    out = home / f"{task}.json"
    command = [
        sys.executable,
        __file__,
        "--child",
        task,
        str(warehouse),
        str(export_dir),
        str(home),
        str(out),
    ]
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu_seconds = usage.ru_utime + usage.ru_stime  # the child's own user + system CPU time
    if process.returncode != 0:
        error = {"error": f"exit code {process.returncode}"}
        return Measurement(float("nan"), usage.ru_maxrss / 1024, error, cpu_seconds)
    detail = json.loads(out.read_text())
    return Measurement(detail["seconds"], usage.ru_maxrss / 1024, detail, cpu_seconds)


def ensure_export(work: Path, activities: int) -> Path:
    from rapport.sample import generate

    export_dir = work / f"export-{activities}"
    manifest = export_dir / "_truth" / "generation.json"
    if manifest.exists() and json.loads(manifest.read_text()).get("activities_target") == activities:
        return export_dir
    scale = "medium" if activities <= 2_000_000 else "large"
    started = time.perf_counter()
    summary = generate(
        export_dir, scale=scale, seed=42, end_date=AS_OF.date(), progress=False, activities=activities
    )
    print(f"  generated {summary.activities:,} activities ({scale}) in {time.perf_counter() - started:.0f} s")
    return export_dir


def fresh_copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def drop_newest_activities(warehouse: Path, share: float) -> str:
    """Remove the newest ``share`` of activities (by modifiedon) and their parties; returns the cut."""
    from rapport import warehouse as rapport_warehouse

    union = " union all ".join(
        f"select modifiedon from raw.{t}" for t in ("email", "phonecall", "appointment", "task")
    )
    with rapport_warehouse.connect(warehouse) as connection:
        (cut,) = connection.execute(
            f"select quantile_disc(modifiedon, {1 - share}) from ({union})"
        ).fetchone()
        for table in ("email", "phonecall", "appointment", "task"):
            connection.execute(f"delete from raw.{table} where modifiedon >= ?", [cut])
        connection.execute("""
            delete from raw.activityparty where activityid not in (
                select activityid from raw.email union all select activityid from raw.phonecall
                union all select activityid from raw.appointment union all select activityid from raw.task)
        """)
    return str(cut)


def check_query_equals_mart(warehouse: Path) -> str:
    """Compare the hand-written query with fct_relationship_kpis on every column it has."""
    import numpy as np
    import pandas as pd

    from rapport import warehouse as rapport_warehouse

    with rapport_warehouse.connect(warehouse, read_only=True) as connection:
        query = connection.execute(hand_written_query(), query_parameters()).df()
        mart = connection.execute(
            f"select * from marts.fct_relationship_kpis where as_of_date = '{AS_OF.date()}'"
        ).df()
    merged = mart.merge(query, on=["record_type", "record_id"], suffixes=("", "_query"))
    if len(merged) != len(mart) or len(mart) != len(query):
        return f"row counts differ: mart {len(mart)}, query {len(query)}"
    differing = []
    for column in (c for c in query.columns if c not in ("record_type", "record_id", "as_of_at")):
        left, right = merged[column], merged[f"{column}_query"]
        if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
            right = right.astype(float)
            if column.endswith("_count") or column.startswith("hours"):
                right = right.fillna(0.0)
            same = np.isclose(left.astype(float), right, equal_nan=True, atol=1e-6)
        else:
            same = (left.astype(object) == right.astype(object)) | (left.isna() & right.isna())
        if not same.all():
            differing.append(column)
    return "equal on all columns" if not differing else f"differs on {differing}"


def load_average() -> str:
    """The machine's 1/5/15-minute load averages: the machine is shared, so figures carry it."""
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def run_size(
    activities: int, work: Path, repeats: int, skip_pandas_above: int, check: bool, parts: set[str]
) -> None:
    from tests.support.raw_loader import load_export

    print(f"\n== {activities:,} activities ==")
    export_dir = ensure_export(work, activities)
    raw = work / f"raw-{activities}.duckdb"
    if not raw.exists():
        summary = load_export(export_dir, raw)
        print(f"  loaded raw: {summary.activities:,} activities, {summary.rows['activityparty']:,} parties")
    runs = work / f"runs-{activities}"
    results: dict[str, list[Measurement]] = {}

    def record(name: str, measurement: Measurement) -> None:
        results.setdefault(name, []).append(measurement)
        print(
            f"  {name:<16} {measurement.seconds:8.1f} s  {measurement.cpu_seconds:8.1f} CPU-s  "
            f"peak {measurement.peak_mb:8.0f} MB  load {load_average()}  "
            f"{ {k: v for k, v in measurement.detail.items() if k not in ('seconds', 'models')} }"
        )

    for _ in range(repeats):
        target = fresh_copy(raw, runs / "build.duckdb")
        record("dbt build", measure("dbt_build", target, export_dir, runs))
        if "query" in parts:
            record("duckdb query", measure("duckdb_query", raw, export_dir, runs))
        if "pandas" in parts and activities <= skip_pandas_above:
            record("pandas", measure("pandas", raw, export_dir, runs))
    if check and "query" in parts:
        print(
            f"  hand-written query vs fct_relationship_kpis: {check_query_equals_mart(runs / 'build.duckdb')}"
        )
    print_model_seconds("dbt build", results)
    if "incremental" in parts:
        run_incremental(activities, export_dir, runs, repeats, record)
        print_model_seconds("dbt incremental", results)
    print_medians(activities, repeats, results)


def run_incremental(
    activities: int, export_dir: Path, runs: Path, repeats: int, record: Callable[[str, Measurement], None]
) -> None:
    """The daily incremental run: yesterday's warehouse without the newest 1 % of activities; then the same
    build again with nothing new."""
    from tests.support.raw_loader import load_export

    raw = runs.parent / f"raw-{activities}.duckdb"
    yesterday = fresh_copy(raw, runs / "yesterday.duckdb")
    cut = drop_newest_activities(yesterday, 0.01)
    measure("dbt_build", yesterday, export_dir, runs)
    for _ in range(repeats):
        today = fresh_copy(yesterday, runs / "today.duckdb")
        load_export(export_dir, today)  # the raw layer after today's extract (not timed: not dbt's work)
        record("dbt incremental", measure("dbt_incremental", today, export_dir, runs))
        record("dbt rerun", measure("dbt_rerun", today, export_dir, runs))
    print(f"  incremental: newest 1 % of activities (modifiedon >= {cut}) arrive; rerun: nothing new")


def print_model_seconds(name: str, results: dict[str, list[Measurement]]) -> None:
    """The eight slowest models of the last ``name`` run (dbt's run_results.json execution times)."""
    models = results[name][-1].detail.get("models", {})
    print(
        f"  {name}, seconds per model (last run): "
        + ", ".join(f"{k} {v}" for k, v in sorted(models.items(), key=lambda kv: -kv[1])[:8])
    )


def print_medians(activities: int, repeats: int, results: dict[str, list[Measurement]]) -> None:
    """Medians per measured task, with the ratio to the hand-written query when it ran."""
    query = results.get("duckdb query")
    baseline = statistics.median(m.seconds for m in query) if query else float("nan")
    print(f"  -- medians over {repeats} run(s), {activities:,} activities, load {load_average()} --")
    full_cpu = statistics.median(m.cpu_seconds for m in results["dbt build"])
    for name, measurements in results.items():
        seconds = statistics.median(m.seconds for m in measurements)
        cpu = statistics.median(m.cpu_seconds for m in measurements)
        peak = max(m.peak_mb for m in measurements)
        print(
            f"  {name:<16} {seconds:8.1f} s  {cpu:8.1f} CPU-s  x{seconds / baseline:5.1f} the DuckDB query  "
            f"{activities / seconds:>10,.0f} activities/s  peak {peak:,.0f} MB"
            + (
                f"  {cpu / full_cpu:6.1%} of the full build's CPU"
                if name in ("dbt incremental", "dbt rerun")
                else ""
            )
        )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        task, warehouse, export_dir, home, out = sys.argv[2:7]
        Path(out).write_text(json.dumps(child(task, warehouse, export_dir, home)))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000000", help="activities, comma-separated (e.g. 1000000,10000000)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work-dir", default=str(ROOT / "var" / "bench" / "relationships"))
    parser.add_argument(
        "--skip-pandas-above",
        type=int,
        default=2_000_000,
        help="do not run pandas above this many activities",
    )
    parser.add_argument("--no-check", action="store_true", help="skip comparing the query with the mart")
    parser.add_argument(
        "--parts",
        default="query,pandas,incremental",
        help="what to measure besides the dbt build: comma-separated from query, pandas, incremental",
    )
    parser.add_argument(
        "--memory-limit",
        default=None,
        help='DuckDB memory limit with its unit (e.g. "14GB"); default: rapport.toml [transform]',
    )
    parser.add_argument(
        "--dbt-threads",
        type=int,
        default=2,
        help="models dbt builds at once (RAPPORT_DBT_THREADS); 1 at 10M so two large models do not share the limit",
    )
    args = parser.parse_args()
    os.environ["RAPPORT_DBT_THREADS"] = str(args.dbt_threads)
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    if args.memory_limit:
        layer = work / "bench_transform.toml"
        layer.write_text(f'[transform]\nduckdb_memory_limit = "{args.memory_limit}"\n', encoding="utf-8")
        os.environ["RAPPORT_CONFIG"] = os.pathsep.join(
            filter(None, [os.environ.get("RAPPORT_CONFIG"), str(layer)])
        )
    print(
        f"relationship analytics benchmark, as of {AS_OF:%Y-%m-%d}, {os.cpu_count()} cores, work folder {work}"
    )
    for index, size in enumerate(int(item) for item in args.sizes.split(",")):
        run_size(
            size,
            work,
            args.repeats,
            args.skip_pandas_above,
            check=not args.no_check and index == 0,
            parts=set(args.parts.split(",")),
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
