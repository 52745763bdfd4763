"""How should the DAG run dbt: per-model tasks through cosmos, or one `dbt build` task?

Builds one warehouse from a generated sample CRM (extract + validate, as the DAG does), then times, on
copies of that same warehouse:

* ``dbt build`` invoked once in process (no Airflow): the floor;
* an Airflow DAG with ONE task calling ``rapport.transform.run_dbt("build")`` (what sales_insights does);
* an Airflow DAG with a cosmos ``DbtTaskGroup`` (LOCAL execution, dbtRunner invocation, one task per model
  with its tests after it), ``max_active_tasks=1`` because DuckDB has one writer.

Both DAGs run with ``dag.test()`` in a fresh process each, so each pays the same start-up. Prints seconds
(median of --repeat runs), task counts and the ratio.

    .venv/bin/python bench/bench_dbt_orchestration.py [--scale tiny] [--repeat 3]
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
import textwrap
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

ONE_TASK_DAG = """
import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, max_active_tasks=1)
def bench_one_task():
    @task
    def build_dbt_models():
        from datetime import UTC, datetime

        from rapport.config import load_config
        from rapport.settings import Settings
        from rapport.transform import run_dbt

        run_dbt("build", settings=Settings.from_env(), config=load_config(),
                as_of=datetime.fromisoformat("{as_of}").replace(tzinfo=UTC), exclude="tag:scores")

    build_dbt_models()


bench_one_task()
"""

COSMOS_DAG = """
import json
import pendulum
from airflow.sdk import dag
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode

VARS = json.loads(open("{vars_file}").read())


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False, max_active_tasks=1)
def bench_cosmos():
    DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path="{project}", manifest_path="{manifest}", install_dbt_deps=False, dbt_vars=VARS
        ),
        profile_config=ProfileConfig(
            profile_name="rapport", target_name="duckdb", profiles_yml_filepath="{project}/profiles.yml"
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL, invocation_mode=InvocationMode.DBT_RUNNER
        ),
        # a test reading two models (relationships) runs after both, in its own task; attached to the first
        # model it would run before the second exists
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            exclude=["tag:scores"],
            should_detach_multiple_parents_tests=True,
        ),
    )


bench_cosmos()
"""

RUN_DAG = """
import os, sys, time
from rapport.settings import apply_runtime_environment
settings = apply_runtime_environment()
from rapport.config import load_config
from rapport.transform import apply_duckdb_resources
apply_duckdb_resources(load_config())  # the profile's DuckDB memory limit and threads (cosmos reads profiles.yml)
from airflow.utils import db
db.upgradedb()
from airflow.dag_processing.dagbag import DagBag
started = time.monotonic()
bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
assert not bag.import_errors, bag.import_errors
dag = bag.dags[sys.argv[1]]
parsed = time.monotonic() - started
import pendulum
started = time.monotonic()
run = dag.test(logical_date=pendulum.datetime(2026, 11, 1, tz="UTC"))
seconds = time.monotonic() - started
states = [str(ti.state) for ti in run.get_task_instances()]
print("RESULT", sys.argv[1], str(run.state), len(states), round(parsed, 2), round(seconds, 2), flush=True)
"""


def prepare_warehouse(workdir: Path, scale: str, as_of: date) -> Path:
    """Generate a sample, extract and validate it into a warehouse (as the DAG's first stages do)."""
    env = {**os.environ, "RAPPORT_HOME": str(workdir / "base")}
    code = textwrap.dedent(
        f"""
        from datetime import date
        from rapport.settings import apply_runtime_environment
        settings = apply_runtime_environment()
        from rapport.config import load_config
        from rapport.contract import load_contract
        from rapport.extract import extract_table, prepare_source, resolve_source
        from rapport.sample import generate
        from rapport.validation import validate_table, validation_dependencies
        config = load_config()
        ds = date.fromisoformat({as_of.isoformat()!r})
        generate(settings.sample_dir, scale={scale!r}, seed=42, end_date=ds, progress=False)
        source = prepare_source(resolve_source("sample", settings=settings), settings, config, ds=ds)
        tables = load_contract().table_names
        for table in tables:
            extract_table(table, ds, source, settings, config=config)
        done = set()
        for table in sorted(tables, key=lambda t: len(validation_dependencies(t))):
            validate_table(table, ds, settings, config)
        from datetime import UTC, datetime
        from rapport.ml.notes.pipeline import analyze_notes
        from rapport.ml.notes.talking_points import detect_talking_points
        from rapport import warehouse
        with warehouse.connect(settings.warehouse_path) as connection:
            analyze_notes(connection, ds, datetime.now(UTC))
            detect_talking_points(connection, ds, config.talking_points.enabled_categories)
        """
    )
    result = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"preparing the warehouse failed:\n{result.stderr[-3000:]}")
    return workdir / "base" / "warehouse.duckdb"


def fresh_home(workdir: Path, name: str, warehouse: Path, dags: Path) -> dict[str, str]:
    home = workdir / name
    if home.exists():
        shutil.rmtree(home)
    home.mkdir()
    shutil.copy(warehouse, home / "warehouse.duckdb")
    env = {
        **os.environ,
        "RAPPORT_HOME": str(home),
        "RAPPORT_WAREHOUSE": str(home / "warehouse.duckdb"),
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos"),
    }
    return env


def time_plain_build(env: dict[str, str], as_of: date) -> float:
    code = textwrap.dedent(
        f"""
        import time
        from datetime import UTC, datetime
        from rapport.settings import apply_runtime_environment
        settings = apply_runtime_environment()
        from rapport.config import load_config
        from rapport.transform import run_dbt
        started = time.monotonic()
        run_dbt("build", settings=settings, config=load_config(),
                as_of=datetime({as_of.year}, {as_of.month}, {as_of.day}, tzinfo=UTC), exclude="tag:scores")
        print("RESULT", round(time.monotonic() - started, 2))
        """
    )
    result = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"plain dbt build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return float(result.stdout.split("RESULT")[-1].split()[0])


def time_dag(env: dict[str, str], dag_id: str) -> tuple[str, int, float, float]:
    result = subprocess.run([PYTHON, "-c", RUN_DAG, dag_id], env=env, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    if not lines:
        raise SystemExit(f"{dag_id} did not finish:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    _, _, state, tasks, parsed, seconds = lines[-1].split()
    if not state.endswith("success"):
        failed = [
            line for line in (result.stdout + result.stderr).splitlines() if "Error" in line or "FAIL" in line
        ]
        raise SystemExit(f"{dag_id} ended {state}:\n" + "\n".join(failed[-30:]))
    return state, int(tasks), float(parsed), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="tiny")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    as_of = date(2026, 11, 1)
    workdir = Path(tempfile.mkdtemp(prefix="rapport-bench-orchestration-"))
    try:
        print(f"preparing a {args.scale} warehouse in {workdir} ...", flush=True)
        warehouse = prepare_warehouse(workdir, args.scale, as_of)
        from rapport.config import load_config
        from rapport.settings import Settings
        from rapport.transform import dbt_vars

        settings = Settings.from_env({"RAPPORT_HOME": str(workdir / "base")})
        from datetime import UTC, datetime

        vars_file = workdir / "vars.json"
        vars_file.write_text(json.dumps(dbt_vars(load_config(), datetime(2026, 11, 1, tzinfo=UTC))))
        parse_env = {**os.environ, "RAPPORT_HOME": str(workdir / "base")}
        subprocess.run(
            [PYTHON, "-m", "rapport.cli", "dbt", "parse"], env=parse_env, check=True, capture_output=True
        )
        manifest = settings.dbt_target_dir / "manifest.json"
        dags = workdir / "dags"
        dags.mkdir()
        (dags / "bench_one_task.py").write_text(ONE_TASK_DAG.format(as_of=as_of.isoformat()))
        (dags / "bench_cosmos.py").write_text(
            COSMOS_DAG.format(project=settings.dbt_project_dir, manifest=manifest, vars_file=vars_file)
        )
        plain, one, cosmos = [], [], []
        tasks = {}
        for attempt in range(args.repeat):
            plain.append(time_plain_build(fresh_home(workdir, "plain", warehouse, dags), as_of))
            state, count, _, seconds = time_dag(fresh_home(workdir, "one", warehouse, dags), "bench_one_task")
            assert state.endswith("success"), state
            one.append(seconds)
            tasks["one"] = count
            state, count, _, seconds = time_dag(
                fresh_home(workdir, "cosmos", warehouse, dags), "bench_cosmos"
            )
            assert state.endswith("success"), state
            cosmos.append(seconds)
            tasks["cosmos"] = count
            print(
                f"  run {attempt + 1}: plain {plain[-1]:.1f} s, one task {one[-1]:.1f} s, cosmos {cosmos[-1]:.1f} s"
            )
        p, o, c = statistics.median(plain), statistics.median(one), statistics.median(cosmos)
        print(f"\ndbt build of the project on a {args.scale} sample (median of {args.repeat}):")
        print(f"  plain dbt build in process        {p:7.1f} s")
        print(f"  DAG, one dbt build task           {o:7.1f} s  ({tasks['one']} task)")
        print(
            f"  DAG, cosmos DbtTaskGroup (LOCAL)  {c:7.1f} s  ({tasks['cosmos']} tasks)  = {c / o:.1f}x the one-task DAG"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    time.sleep(0)
    main()
