"""The DAG parses cleanly, is shaped as documented, and keeps its parse cheap."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rapport.contract import load_contract
from rapport.settings import PROJECT_ROOT

DAGS = PROJECT_ROOT / "dags"
FLOW = ["extract", "validate", "analyze_text", "dbt", "ml", "write_back"]
VERBS = {
    "prepare", "extract", "validate", "reconcile", "analyze", "detect", "build", "check", "decide", "train",
    "score", "export", "upsert", "publish",
}  # fmt: skip


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags["sales_insights"]


def test_dags_import_without_errors_and_ids_match_file_names(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {path.stem for path in DAGS.glob("*.py")}


def test_schedule_and_safety_settings(dag):
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.max_active_tasks == 1  # DuckDB has one writer
    assert "rapport" in dag.tags
    assert dag.doc_md and "extract" in dag.doc_md
    assert dag.timetable.expression in {"@daily", "0 0 * * *"}
    for task in dag.tasks:
        assert task.retries >= 1, task.task_id
        assert task.retry_policy is not None, task.task_id


def test_task_groups_run_in_flow_order(dag):
    order = {group: index for index, group in enumerate(FLOW)}
    for task in dag.tasks:
        group = task.task_id.split(".")[0]
        assert group in order, task.task_id
        for upstream in task.upstream_task_ids:
            assert order[upstream.split(".")[0]] <= order[group], (upstream, task.task_id)


def test_every_contract_table_is_extracted_then_validated(dag):
    for table in load_contract().table_names:
        extract = dag.get_task(f"extract.extract_{table}")
        validate = dag.get_task(f"validate.validate_{table}")
        assert "extract.prepare_source" in extract.upstream_task_ids
        assert extract.task_id in validate.get_flat_relative_ids(upstream=True), table
    party = dag.get_task("validate.validate_activityparty")
    for activity in ("email", "phonecall", "appointment", "task"):
        assert f"validate.validate_{activity}" in party.get_flat_relative_ids(upstream=True)


def test_scoring_runs_even_when_the_gate_skips_training(dag):
    for entity, plural in (("lead", "leads"), ("opportunity", "opportunities")):
        gate = dag.get_task(f"ml.check_{entity}_readiness")
        score = dag.get_task(f"ml.score_{plural}")
        assert gate.ignore_downstream_trigger_rules is False
        assert str(score.trigger_rule) in {"none_failed", "TriggerRule.NONE_FAILED"}
        assert f"ml.train_{entity}_model" in score.upstream_task_ids


def test_task_ids_are_verb_object(dag):
    for task in dag.tasks:
        name = task.task_id.split(".")[-1]
        assert name.split("_")[0] in VERBS, task.task_id


def test_parsing_the_dag_does_not_import_heavy_libraries():
    heavy = ["pandas", "duckdb", "xgboost", "mlflow", "great_expectations", "dbt.cli", "sklearn"]
    code = (
        "import runpy, sys\n"
        f"runpy.run_path({str(DAGS / 'sales_insights.py')!r})\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ), timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1:] in ([""], []), result.stdout


def test_support_package_is_ignored_by_the_dag_processor():
    assert (DAGS / ".airflowignore").read_text().split() == ["rapport"]
    assert Path(DAGS / "rapport" / "__init__.py").exists()


def test_publish_and_score_tasks_declare_their_assets(dag):
    from pathlib import Path

    marts_dir = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
    marts = {path.stem for path in marts_dir.rglob("*.sql")}
    assert {"dim_leads", "fct_predictive_scores", "fct_relationship_health_daily"} <= marts
    publish = dag.get_task("write_back.publish_marts")
    assert {outlet.uri for outlet in publish.outlets} == {f"rapport://published/{mart}" for mart in marts}
    assert [outlet.uri for outlet in dag.get_task("ml.score_leads").outlets] == ["rapport://scores/lead"]
    assert [outlet.uri for outlet in dag.get_task("ml.score_opportunities").outlets] == [
        "rapport://scores/opportunity"
    ]


def test_every_task_takes_the_one_slot_warehouse_pool(dag):
    from rapport.settings import WAREHOUSE_POOL

    assert {task.pool for task in dag.tasks} == {WAREHOUSE_POOL}
