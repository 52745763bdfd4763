"""
# Sales insights: Rapport's daily pipeline

One logical date flows through: **extract** CRM and activity data (Dataverse-shaped raw tables) →
**validate** (Great Expectations; bad rows quarantined with their reason, counts reconciled) →
**analyze text** (notes analysis, talking points) → **dbt** (staging → intermediate → marts:
relationship KPIs, health and trend, 90-day activity, who-knows-whom, scoring features) → **ml**
(readiness gate, retraining in MLflow, promotion only when not worse, scores with grade, trend and
reasons) → **write back** (score marts, CRM import files, optional PostgreSQL upsert) and **publish**
a read-only copy of the marts for analysts.

The run's *as-of moment* is its logical date (midnight UTC): everything describes the state before it.
Re-running a date replaces that date's results. The source comes from the run's `source` param, else
`RAPPORT_SOURCE`, else the Airflow connection `rapport_source`, else the generated sample CRM.
Set `force_retrain` to retrain both models regardless of the champion's age.

DuckDB allows one writer process, so tasks run one at a time (`max_active_tasks=1`) and runs never
overlap (`max_active_runs=1`); every task takes the one slot of the `rapport_warehouse` pool, so DAGs
that share the pool never write the warehouse at the same time. `publish_marts` updates one Asset per
published mart (`rapport://published/<mart>`) and the score tasks `rapport://scores/<entity>`: other DAGs
can be scheduled on them. Tasks are thin: the logic lives in `dags/rapport/` and `ml/`.
See README.md and docs/ for the details.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import (
    Asset,
    ExceptionRetryPolicy,
    Param,
    RetryAction,
    RetryRule,
    chain,
    dag,
    task,
    task_group,
)

from rapport.contract import load_contract
from rapport.settings import PROJECT_ROOT, WAREHOUSE_POOL
from rapport.validation import validation_dependencies

TABLES = load_contract().table_names
SCORED_ENTITIES = {"lead": "leads", "opportunity": "opportunities"}  # entity -> plural for task ids

# Assets other DAGs can schedule on: one per published mart (updated when publish_marts swaps the copy in)
# and the scores of each model (updated by its score task).
PUBLISHED_MARTS = sorted(
    path.stem for path in (PROJECT_ROOT / "dbt_project" / "models" / "marts").rglob("*.sql")
)
MART_ASSETS = [
    Asset(name=f"rapport_{mart}", uri=f"rapport://published/{mart}", group="rapport")
    for mart in PUBLISHED_MARTS
]
SCORE_ASSETS = {
    entity: Asset(name=f"rapport_{entity}_scores", uri=f"rapport://scores/{entity}", group="rapport")
    for entity in SCORED_ENTITIES
}

# Bad input is not fixed by retrying: fail at once with the message. Anything else retries.
RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception="rapport.errors.RapportInputError",
            action=RetryAction.FAIL,
            reason="bad input: fix the source and re-run the date",
        )
    ]
)


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2000, 1, 1, tz="UTC"),  # backfills of old archives; catchup is off
    catchup=False,
    max_active_runs=1,
    max_active_tasks=1,
    default_args={
        "owner": "rapport",
        # `rapport run` sets RAPPORT_TASK_RETRIES=0 to fail fast in an interactive run.
        "retries": int(os.environ.get("RAPPORT_TASK_RETRIES", "2")),
        "retry_delay": timedelta(minutes=5),
        "retry_policy": RETRY_POLICY,
        # one writer across DAGs: every task that may write the DuckDB warehouse takes the one slot
        "pool": WAREHOUSE_POOL,
    },
    params={
        "source": Param(
            None,
            type=["null", "string"],
            description="sample | files:DIR | postgres:URI | mail:PATH (default: RAPPORT_SOURCE, then the sample)",
        ),
        "force_retrain": Param(
            False, type="boolean", description="retrain both models whatever the champion's age"
        ),
    },
    tags=["rapport", "sales-insights"],
    doc_md=__doc__,
)
def sales_insights():
    """The flow: one task group per stage, each a set of thin calls into ``rapport.pipeline``."""
    chain(extract(), validate(), analyze_text(), dbt(), ml(), write_back())


@task_group
def extract():
    """Land every contract table as Parquet for the logical date (re-runs replace, never duplicate)."""

    @task
    def prepare_source() -> dict:
        from rapport.pipeline import prepare_source

        return prepare_source()

    @task
    def extract_table(table: str, source: dict) -> dict:
        from rapport.pipeline import extract_table

        return extract_table(table, source)

    source = prepare_source()
    for table in TABLES:
        extract_table.override(task_id=f"extract_{table}")(table, source)


@task_group
def validate():
    """Cast, check with Great Expectations, quarantine bad rows, load clean rows, reconcile counts."""

    @task
    def validate_table(table: str) -> dict:
        from rapport.pipeline import validate_table

        return validate_table(table)

    @task
    def reconcile_counts() -> dict:
        from rapport.pipeline import reconcile_counts

        return reconcile_counts()

    validations = {table: validate_table.override(task_id=f"validate_{table}")(table) for table in TABLES}
    for table, validation in validations.items():
        # e.g. activityparty's references are checked against the clean activity tables
        for dependency in validation_dependencies(table):
            validations[dependency] >> validation
    list(validations.values()) >> reconcile_counts()


@task_group
def analyze_text():
    """Suggestions from notes and activity descriptions; talking points from customers' e-mails."""

    @task
    def analyze_notes() -> dict:
        from rapport.pipeline import analyze_notes

        return analyze_notes()

    @task
    def detect_talking_points() -> dict:
        from rapport.pipeline import detect_talking_points

        return detect_talking_points()

    chain(analyze_notes(), detect_talking_points())


@task_group
def dbt():
    """One `dbt build` of staging, intermediate and marts with their tests (see README for why)."""

    @task
    def build_dbt_models() -> dict:
        from rapport.pipeline import build_dbt_models

        return build_dbt_models()

    build_dbt_models()


@task_group
def ml():
    """Per model: readiness gate → retraining decision → train and publish → score open records."""
    for entity, plural in SCORED_ENTITIES.items():

        @task.short_circuit(task_id=f"check_{entity}_readiness", ignore_downstream_trigger_rules=False)
        def check_readiness(entity: str = entity) -> bool:
            from rapport.pipeline import check_training_readiness

            return check_training_readiness(entity)

        @task.short_circuit(task_id=f"decide_{entity}_retraining", ignore_downstream_trigger_rules=False)
        def decide_retraining(entity: str = entity) -> bool:
            from rapport.pipeline import decide_retraining

            return decide_retraining(entity)

        @task(task_id=f"train_{entity}_model")
        def train_model(entity: str = entity) -> dict:
            from rapport.pipeline import train_model

            return train_model(entity)

        @task(task_id=f"score_{plural}", trigger_rule="none_failed", outlets=[SCORE_ASSETS[entity]])
        def score_records(entity: str = entity) -> dict:
            from rapport.pipeline import score_records

            return score_records(entity)

        chain(check_readiness(), decide_retraining(), train_model(), score_records())


@task_group
def write_back():
    """Score marts in the warehouse, files for the CRM, PostgreSQL upsert, and the analysts' read copy."""

    @task
    def build_score_marts() -> dict:
        from rapport.pipeline import build_score_marts

        return build_score_marts()

    @task
    def export_scores() -> dict:
        from rapport.pipeline import export_scores

        return export_scores()

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def check_writeback_target() -> bool:
        from rapport.pipeline import check_writeback_target

        return check_writeback_target()

    @task
    def upsert_scores() -> dict:
        from rapport.pipeline import upsert_scores

        return upsert_scores()

    @task(trigger_rule="none_failed", outlets=MART_ASSETS)
    def publish_marts() -> dict:
        from rapport.pipeline import publish_marts

        return publish_marts()

    chain(build_score_marts(), export_scores(), check_writeback_target(), upsert_scores(), publish_marts())


sales_insights()
