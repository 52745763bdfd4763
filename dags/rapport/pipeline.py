"""The DAG's task bodies: one function per task, each a thin call into a stage module.

Every function reads the running task's context (:func:`rapport.run_context.current_run`), calls the
stage, logs what it did, and returns a small JSON-able dict for XCom. Keeping them here (not in the DAG
file) keeps the DAG cheap to parse and lets tests call the same code paths.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import Any

from rapport import warehouse
from rapport.extract import Source, resolve_source
from rapport.extract import extract_table as extract
from rapport.extract import prepare_source as prepare
from rapport.extract.source import refuse_password_in_conf
from rapport.ml.notes.pipeline import analyze_notes as analyze
from rapport.ml.notes.talking_points import detect_talking_points as detect
from rapport.ml.pipeline import score_open_records, train_and_publish
from rapport.ml.readiness import check_readiness
from rapport.ml.registry import should_retrain
from rapport.ml.tables import ensure_ml_tables
from rapport.publish import publish_marts as publish
from rapport.run_context import RunContext, current_run
from rapport.transform import record_dbt_run, run_dbt
from rapport.validation import reconciliation_report
from rapport.validation import validate_table as validate
from rapport.writeback import export_day, upsert_day

log = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    """Frozen dataclass results → plain dicts that XCom can store."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# extract ------------------------------------------------------------------------------------------
def prepare_source(run: RunContext | None = None) -> dict[str, Any]:
    """Resolve the run's source (generate the sample, convert a mail archive, check a database)."""

    run = run or current_run()
    refuse_password_in_conf(run.source_spec)
    source = prepare(
        resolve_source(run.source_spec, settings=run.settings), run.settings, run.config, ds=run.ds
    )
    log.info("source: %s", source.description)
    return source.to_dict()


def extract_table(table: str, source: dict[str, Any], run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    result = extract(table, run.ds, Source.from_dict(source), run.settings, config=run.config)
    return _jsonable(result)


# validate -----------------------------------------------------------------------------------------
def validate_table(table: str, run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    result = validate(table, run.ds, run.settings, run.config, as_of=run.as_of)
    return _jsonable(result)


def reconcile_counts(run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    report = reconciliation_report(run.ds, run.settings, run.config)
    log.info("%s", report.as_text())
    return _jsonable(report)


# analyze text -------------------------------------------------------------------------------------
def analyze_notes(run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    with warehouse.connect(run.settings.warehouse_path) as connection:
        summary = analyze(connection, run.ds, datetime.now(UTC))
    return _jsonable(summary)


def detect_talking_points(run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    with warehouse.connect(run.settings.warehouse_path) as connection:
        summary = detect(connection, run.ds, run.config.talking_points.enabled_categories)
    return _jsonable(summary)


# dbt ----------------------------------------------------------------------------------------------
def build_dbt_models(run: RunContext | None = None) -> dict[str, Any]:
    """Build and test everything but the score marts (they need this run's scores)."""

    run = run or current_run()
    with warehouse.connect(run.settings.warehouse_path) as connection:
        ensure_ml_tables(connection)  # the ml source tables exist before any model reads them
    summary = run_dbt(
        "build",
        settings=run.settings,
        config=run.config,
        as_of=run.as_of,
        exclude="tag:scores",
        skip_unchanged=True,  # the relationship models, when nothing they read changed (issue 17)
        batch_tests=True,  # tests read the new batch, full tables every transform.full_tests_every_days
    )
    record_dbt_run(run.settings, run.ds, summary)
    return _jsonable(summary)


# ml -----------------------------------------------------------------------------------------------
def check_training_readiness(entity: str, run: RunContext | None = None) -> bool:
    """The readiness gate: enough positive and negative records created and closed in the window?"""

    run = run or current_run()
    with warehouse.connect(run.settings.warehouse_path) as connection:
        readiness = check_readiness(connection, entity, run.as_of, run.config.scoring)
    log.info("%s readiness: %s", entity, readiness.reason)
    return bool(readiness.is_ready)


def decide_retraining(entity: str, run: RunContext | None = None) -> bool:
    """Retrain when forced, when there is no champion, or when the champion is too old."""

    run = run or current_run()
    decision = should_retrain(entity, run.as_of, run.config.scoring, run.force_retrain, settings=run.settings)
    log.info("%s retraining: %s", entity, decision.reason)
    return bool(decision.retrain)


def train_model(entity: str, run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    result = train_and_publish(
        entity, run.as_of, run.force_retrain, settings=run.settings, config=run.config.scoring
    )
    log.info("%s training: %s", entity, result.reason)
    return _jsonable(result)


def score_records(entity: str, run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    result = score_open_records(entity, run.as_of, settings=run.settings, config=run.config.scoring)
    return _jsonable(result)


# write back ---------------------------------------------------------------------------------------
def build_score_marts(run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    summary = run_dbt("build", settings=run.settings, config=run.config, as_of=run.as_of, select="tag:scores")
    record_dbt_run(run.settings, run.ds, summary)
    return _jsonable(summary)


def export_scores(run: RunContext | None = None) -> dict[str, Any]:
    """The day's scores as Parquet and CSV under var/exports/scores/ds=<date>/ for import into the CRM."""

    run = run or current_run()
    rows, folder, files = export_day(run.settings, run.ds)
    log.info("%d scores of %s exported to %s", rows, run.ds, folder)
    return {"rows": rows, "folder": str(folder), "files": [str(path) for path in files]}


def check_writeback_target(run: RunContext | None = None) -> bool:
    run = run or current_run()
    if run.settings.writeback_uri:
        return True
    log.info(
        "no write-back database configured (RAPPORT_WRITEBACK_URI): scores stay in the warehouse and exports"
    )
    return False


def upsert_scores(run: RunContext | None = None) -> dict[str, Any]:
    """Upsert the day's scores into PostgreSQL in one transaction (a failure leaves yesterday's rows)."""

    run = run or current_run()
    written = upsert_day(run.settings, run.ds)
    log.info("%d scores upserted into PostgreSQL", written)
    return {"rows": written}


def publish_marts(run: RunContext | None = None) -> dict[str, Any]:
    run = run or current_run()
    return _jsonable(publish(run.settings, run.ds))
