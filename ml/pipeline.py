"""The scoring stage's two entry points, called by the DAG's task bodies (:mod:`rapport.pipeline`).

``train_and_publish`` gates, trains, logs to MLflow, registers and promotes one model; ``score_open_records``
scores the open records with the champion of the date (or a cold-start baseline). Each reads the
installation from ``Settings.from_env()`` and ``load_config().scoring`` unless given them, opens the
warehouse and the MLflow store only for as long as it needs them, and returns a frozen result whose
``reason`` is worth logging. The other gates are called directly by the task bodies
(:func:`rapport.ml.readiness.check_readiness`, :func:`rapport.ml.registry.should_retrain`,
:func:`rapport.ml.tables.ensure_ml_tables`). Heavy libraries are imported inside functions.

=====================  ===========================================================================
function               reads -> writes
=====================  ===========================================================================
train_and_publish      features table, feature spec YAML -> MLflow run, registered version, aliases
score_open_records     features table, ``models:/<name>@champion`` -> ``ml.<model>_score_history``,
                       ``ml.<model>_score_reasons``, ``ml.<model>_attribute_insights``
=====================  ===========================================================================
"""

from __future__ import annotations

import csv
import json
import logging
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.config import load_config
from rapport.ml import evaluate
from rapport.ml.as_of import AsOf, to_as_of
from rapport.ml.baseline import fit_baseline
from rapport.ml.evaluate import ece_noise_floor
from rapport.ml.features import (
    FeaturesMissingError,
    FeatureSpec,
    FeatureSpecError,
    Window,
    load_feature_spec,
    read_closed_rows,
    read_open_rows,
    training_window,
)
from rapport.ml.population import insight_rows
from rapport.ml.prospective import ProspectiveCheck, check_prospectively
from rapport.ml.readiness import Readiness, check_readiness
from rapport.ml.registry import (
    CHALLENGER,
    PromotionDecision,
    band_for,
    load_bundle,
    model_for_date,
    promote_if_better,
    should_retrain,
)
from rapport.ml.score import ScoringResult, mark_not_enough_data, score_records
from rapport.ml.snapshots import TrainingRows, read_training_rows
from rapport.ml.tables import ensure_ml_tables
from rapport.ml.targets import get_target
from rapport.ml.tracking import ensure_experiment, git_is_dirty, git_sha, mlflow_store
from rapport.ml.train import TrainingParams, train_model
from rapport.settings import Settings
from rapport.warehouse import connect

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

    from rapport.config import ScoringConfig
    from rapport.ml.train import TrainedModel, TrainingParams

log = logging.getLogger(__name__)

SCORING_MODEL_CODE = Path(__file__).with_name("scoring_model_code.py")


@dataclass(frozen=True)
class TrainingResult:
    """What ``train_and_publish`` did: skipped (with the reason) or trained, registered, maybe promoted."""

    model: str
    as_of_date: date
    status: str  # trained | skipped
    reason: str
    run_id: str | None = None
    version: str | None = None
    band: str | None = None
    test_auc: float | None = None
    is_suspect: bool = False
    dropped_features: tuple[str, ...] = ()
    promotion: PromotionDecision | None = None

    @property
    def is_champion(self) -> bool:
        return bool(self.promotion and self.promotion.promoted)


def _environment(settings: Settings | None, config: ScoringConfig | None) -> tuple[Settings, ScoringConfig]:
    settings = settings or Settings.from_env()
    return settings, config or load_config(settings.config_path).scoring


@dataclass(frozen=True)
class _TrainingInputs:
    """What the warehouse holds for one training: the gate, the spec, the window and the rows."""

    readiness: Readiness
    spec: FeatureSpec
    window: Window
    training_rows: TrainingRows
    open_now: pd.DataFrame
    prospective: ProspectiveCheck


def _read_training_inputs(
    settings: Settings, config: ScoringConfig, model: str, moment: datetime
) -> tuple[Readiness, _TrainingInputs | None]:
    """Read the gate and, when it is open (else None), the feature spec, training rows, open rows and prospective check."""
    target = get_target(model)
    with connect(settings.warehouse_path) as connection:
        readiness = check_readiness(connection, model, moment, config)
        if not readiness.is_ready:
            return readiness, None
        spec = load_feature_spec(target, settings.dbt_project_dir, getattr(config, model, None))
        window = training_window(moment, config.training_window_days)
        training_rows = read_training_rows(
            connection,
            target,
            spec,
            window,
            snapshot_every_days=config.snapshot_every_days,
            min_positive=config.min_positive,
            min_negative=config.min_negative,
        )
        return readiness, _TrainingInputs(
            readiness=readiness,
            spec=spec,
            window=window,
            training_rows=training_rows,
            open_now=read_open_rows(connection, target, spec, moment, config.scoring_window_days),
            prospective=check_prospectively(connection, target, spec, config, moment),
        )


def _run_tags(
    settings: Settings,
    model: str,
    moment: datetime,
    inputs: _TrainingInputs,
    retrain_reason: str,
) -> dict[str, str]:
    dirty = git_is_dirty(settings.project_root)
    return {
        "model": model,
        "as_of_date": moment.date().isoformat(),
        "window_start": inputs.window.start.date().isoformat(),
        "window_end": inputs.window.end.date().isoformat(),
        "git_sha": git_sha(settings.project_root),
        "git_dirty": "unknown" if dirty is None else str(dirty).lower(),
        "retrain_reason": retrain_reason,
        "readiness": inputs.readiness.reason,
        "feature_spec": inputs.spec.source,
        "training_rows": inputs.training_rows.reason[:5000],
        "prospective_check": inputs.prospective.reason[:5000],
    }


def _run_params(params: TrainingParams, config: ScoringConfig, spec: FeatureSpec) -> dict[str, Any]:
    return {
        **{f"xgb_{key}": value for key, value in asdict(params).items()},
        # the declared directions (the screens may drop some columns; the bundle records those applied)
        "xgb_monotone": str(spec.monotone_constraints) if config.monotone_decay else "off",
        "training_window_days": config.training_window_days,
        "test_fraction": config.test_fraction,
        "decision_gap_days": config.decision_gap_days,
        "leakage_feature_auc": config.leakage_feature_auc,
        "shift_feature_psi": config.shift_feature_psi,
        "snapshot_every_days": config.snapshot_every_days,
        "prospective_days": config.prospective_days,
        "prospective_max_auc_drop": config.prospective_max_auc_drop,
        "refit_on_window": config.refit_on_window,
        "calibration": "sigmoid",
        "calibration_fitted_on": config.calibration,
        "calibration_recent_fraction": config.calibration_recent_fraction,
        "feature_columns": len(spec.columns),
    }


def _publish(
    client: MlflowClient,
    trained: TrainedModel,
    inputs: _TrainingInputs,
    config: ScoringConfig,
    model: str,
    moment: datetime,
    run_id: str,
) -> tuple[str, str, PromotionDecision]:
    """Log the trained model's figures, register it as challenger and promote it when the rules allow."""
    import mlflow

    target = get_target(model)
    prospective = inputs.prospective
    _log_datasets(inputs.training_rows.frame, trained.test_frame, model, moment.date())
    band = band_for(trained.evaluation.auc, config)
    _log_training(trained, band, inputs.readiness)
    mlflow.log_metrics(prospective.metrics())
    # the ECE a perfectly calibrated model would show on this test set (ml.evaluate.ece_noise_floor)
    mlflow.log_metric("test_ece_noise_floor", ece_noise_floor(trained.test_probabilities))
    refusal = prospective.refusal(trained.evaluation.auc, config.prospective_max_auc_drop)
    if refusal:
        log.warning("%s: %s", model, refusal)
    version = _log_and_register(client, target.registered_model, trained)
    client.set_registered_model_alias(target.registered_model, CHALLENGER, version)
    _tag_version(client, target.registered_model, version, trained, band, run_id, moment.date())
    promotion = promote_if_better(
        client,
        target.registered_model,
        version,
        trained.evaluation.auc,
        trained.test_frame,
        config,
        refusal=refusal,
    )
    mlflow.set_tag("promotion", promotion.reason)
    _describe_version(client, target.registered_model, version, model, moment.date(), trained, band)
    return version, band, promotion


def train_and_publish(
    model: str,
    as_of: AsOf,
    force: bool = False,
    *,
    settings: Settings | None = None,
    config: ScoringConfig | None = None,
) -> TrainingResult:
    """Gate, train, log to MLflow, register as challenger and promote when the rules allow.

    Skips (status ``skipped``) when the gate is closed or no retraining is due (unless ``force``).
    Any failure during training raises after the MLflow run is marked failed; aliases are untouched.
    """
    import mlflow

    settings, config = _environment(settings, config)
    target = get_target(model)
    moment = to_as_of(as_of)
    readiness, inputs = _read_training_inputs(settings, config, model, moment)
    if inputs is None:
        return TrainingResult(model, moment.date(), "skipped", readiness.reason)

    with mlflow_store(settings) as client:
        decision = should_retrain(model, moment, config, force, client=client)
        if not decision.retrain:
            return TrainingResult(model, moment.date(), "skipped", decision.reason)
        experiment_id = ensure_experiment(client, target.registered_model, settings.mlflow_artifacts_dir)
        params = TrainingParams.from_config(config)
        run_name = f"{model} {moment:%Y-%m-%d}"
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
            mlflow.set_tags(_run_tags(settings, model, moment, inputs, decision.reason))
            mlflow.log_params(_run_params(params, config, inputs.spec))
            trained = train_model(
                inputs.training_rows.frame,
                target,
                inputs.spec,
                config,
                window=inputs.window,
                params=params,
                open_rows=inputs.open_now,
            )
            version, band, promotion = _publish(
                client, trained, inputs, config, model, moment, run.info.run_id
            )
    result = TrainingResult(
        model=model,
        as_of_date=moment.date(),
        status="trained",
        reason=promotion.reason,
        run_id=run.info.run_id,
        version=version,
        band=band,
        test_auc=trained.evaluation.auc,
        is_suspect=trained.is_suspect,
        dropped_features=trained.leakage.dropped,
        promotion=promotion,
    )
    log.info(
        "%s trained: version %s, band %s, AUC %.3f; %s",
        model,
        version,
        band,
        trained.evaluation.auc,
        promotion.reason,
    )
    return result


def _log_training(trained: TrainedModel, band: str, readiness: Readiness) -> None:
    """Metrics, tags and artifacts of the active MLflow run."""
    import mlflow

    split = trained.split
    mlflow.log_metrics(
        {
            **trained.evaluation.metrics(),
            "train_positives": readiness.positives,
            "train_negatives": readiness.negatives,
            "fit_records": split.fit,
            "fit_positives": split.fit_positives,
            "validation_records": split.validation,
            "validation_positives": split.validation_positives,
            "test_records": split.test,
            "test_positives_count": split.test_positives,
            "best_iteration": trained.best_iteration,
            "features_used": len(trained.bundle.spec.columns),
            "features_dropped": len(trained.leakage.dropped),
        }
    )
    mlflow.set_tags(
        {
            "data_digest": trained.data_digest,
            "band": band,
            "suspect": str(trained.is_suspect).lower(),
            "leakage_dropped": ",".join(trained.leakage.dropped) or "none",
            "leakage_summary": trained.leakage.summary()[:5000],
            "shift_dropped": ",".join(trained.shift.dropped) or "none",
            "shift_summary": trained.shift.summary()[:5000],
            "uninformative_dropped": "; ".join(d.describe() for d in trained.uninformative)[:5000] or "none",
            "test_starts_at": split.test_starts_at.isoformat(),
        }
    )
    labels = trained.test_labels
    probabilities = trained.test_probabilities
    model = trained.bundle.model
    with tempfile.TemporaryDirectory(prefix="rapport-run-") as folder:
        out = Path(folder)
        evaluate.plot_roc(labels, probabilities, out / "roc.png", f"{model}: ROC (test set)")
        evaluate.plot_precision_recall(
            labels, probabilities, out / "precision_recall.png", f"{model}: precision-recall"
        )
        evaluate.plot_calibration(
            labels, probabilities, out / "calibration.png", f"{model}: calibration (test set)"
        )
        evaluate.plot_feature_influence(
            trained.influence, out / "feature_influence.png", f"{model}: influence per source field"
        )
        _write_json(out / "leakage_screen.json", trained.leakage.to_records())
        _write_json(out / "shift_screen.json", trained.shift.to_records())
        _write_json(
            out / "uninformative_features.json",
            [{"column": d.column, "field": d.field, "reason": d.reason} for d in trained.uninformative],
        )
        _write_json(
            out / "confusion_matrix.json",
            {**trained.evaluation.confusion(), "threshold": trained.evaluation.threshold},
        )
        evaluate.plot_confusion_matrix(
            trained.evaluation.confusion(),
            trained.evaluation.threshold,
            out / "confusion_matrix.png",
            f"{model}: confusion matrix (test set)",
        )
        _write_json(
            out / "feature_influence.json", dict(sorted(trained.influence.items(), key=lambda kv: -kv[1]))
        )
        _write_json(out / "feature_spec.json", trained.bundle.spec.to_dict())
        _write_csv(
            out / "attribute_insights.csv", insight_rows(trained.bundle.population, trained.bundle.spec)
        )
        mlflow.log_artifacts(folder, artifact_path="evaluation")


def _log_datasets(rows: Any, test_frame: Any, model: str, as_of: date) -> None:
    """The closed records trained on and the held-out test set, as MLflow dataset inputs (with digests)."""
    import mlflow
    from mlflow.data.pandas_dataset import from_pandas

    mlflow.log_input(
        from_pandas(rows, name=f"{model}_closed_records_{as_of.isoformat()}"), context="training"
    )
    mlflow.log_input(from_pandas(test_frame, name=f"{model}_test_set_{as_of.isoformat()}"), context="test")


def _describe_version(
    client: MlflowClient, name: str, version: str, model: str, as_of: date, trained: Any, band: str
) -> None:
    """Descriptions a reader of the registry sees: what the model predicts, and how this version did."""
    client.update_registered_model(
        name,
        description=(
            f"Rapport {model} scoring: XGBoost, calibrated probability that an open {model} is "
            "won/qualified, scored daily with grade, trend and reasons (docs/scoring.md). Aliases: champion "
            "(scores records), challenger (newest trained)."
        ),
    )
    client.update_model_version(
        name,
        version,
        description=(
            f"Trained as of {as_of.isoformat()} on the closed records of the training window; test AUC "
            f"{trained.evaluation.auc:.3f} on the most recent closed records, band {band}."
        ),
    )


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=1, default=str))


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        if not rows:
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _pip_requirements() -> list[str]:
    return [f"{name}=={version(name)}" for name in ("mlflow", "xgboost-cpu", "pandas", "numpy", "pyarrow")]


def _signature(trained: TrainedModel) -> Any:
    """Inputs: the feature columns (all optional: a missing one is scored as missing); outputs: probability, score."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    inputs = Schema(
        [
            ColSpec("string" if column.kind == "categorical" else "double", column.name, required=False)
            for column in trained.bundle.spec.columns
        ]
    )
    outputs = Schema([ColSpec("double", "probability"), ColSpec("long", "score")])
    return ModelSignature(inputs=inputs, outputs=outputs)


def _input_example(trained: TrainedModel) -> Any:
    """One made-up row built from the population figures (no real record is stored with the model):
    the most common level of each categorical column, a middle bin edge of each numeric one."""
    import pandas as pd

    row: dict[str, Any] = {}
    for column in trained.bundle.spec.columns:
        population = trained.bundle.population.columns[column.name]
        if column.kind == "categorical":
            groups = [g for g in population.groups if g.code >= 0 and g.records]
            row[column.name] = max(groups, key=lambda g: g.records).text if groups else None
        else:
            row[column.name] = population.edges[len(population.edges) // 2] if population.edges else 0.0
    return pd.DataFrame([row])


def _log_and_register(client: MlflowClient, name: str, trained: TrainedModel) -> str:
    """Log the bundle as a pyfunc model and register it; returns the new version."""
    import mlflow.pyfunc

    with tempfile.TemporaryDirectory(prefix="rapport-bundle-") as folder:
        artifacts = trained.bundle.save(Path(folder))
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(SCORING_MODEL_CODE),
            artifacts=artifacts,
            pip_requirements=_pip_requirements(),
            signature=_signature(trained),
            input_example=_input_example(trained),
            registered_model_name=name,
        )
    if info.registered_model_version is None:
        raise RuntimeError(f"MLflow did not register {name}: check the registry at the tracking URI")
    return str(info.registered_model_version)


def _tag_version(
    client: MlflowClient, name: str, version: str, trained: TrainedModel, band: str, run_id: str, day: date
) -> None:
    evaluation = trained.evaluation
    tags = {
        "band": band,
        "as_of_date": day.isoformat(),
        "test_auc": f"{evaluation.auc:.4f}",
        "test_pr_auc": f"{evaluation.pr_auc:.4f}",
        "test_brier": f"{evaluation.brier:.4f}",
        "test_ece": f"{evaluation.ece:.4f}",
        "test_records": str(evaluation.records),
        "suspect": str(trained.is_suspect).lower(),
        "leakage_dropped": ",".join(trained.leakage.dropped) or "none",
        "data_digest": trained.data_digest,
        "run_id": run_id,
    }
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


def score_open_records(
    model: str, as_of: AsOf, *, settings: Settings | None = None, config: ScoringConfig | None = None
) -> ScoringResult:
    """Score every open record created in the scoring window with ``models:/<name>@champion``, or, for a
    date before the champion's training date, with the champion of that date (never a later model).

    Without a champion, records are stored as *not enough data* with the readiness gate's reason and,
    when some closed records exist, a baseline score (status ``baseline``, ``rapport.ml.baseline``); without a model
    of that date (a champion exists, but trained later), with the refusal's reason and no baseline.
    """

    settings, config = _environment(settings, config)
    target = get_target(model)
    moment = to_as_of(as_of)
    with mlflow_store(settings) as client:
        chosen = model_for_date(client, target.registered_model, moment.date())
        champion = chosen.version
        bundle = load_bundle(target.registered_model, str(champion.version)) if champion is not None else None
    with connect(settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
        if champion is None or bundle is None:
            readiness = check_readiness(connection, model, moment, config)
            reason = readiness.reason
            if chosen.has_champion:
                reason = chosen.reason  # a champion exists, but only one trained after this date
            elif readiness.is_ready:
                reason = (
                    f"{model}: no champion model yet for {target.registered_model} "
                    "(training has not produced a model in band 'ok' or better)"
                )
            # a cold start gets a baseline; a past date whose models all came later is refused outright
            baseline = (
                None
                if chosen.has_champion
                else _cold_start_baseline(connection, target, moment, settings, config)
            )
            return mark_not_enough_data(connection, target, moment, config, reason, baseline)
        result = score_records(
            connection,
            target,
            moment,
            bundle,
            str(champion.version),
            config,
            model_name=target.registered_model,
        )
    if not chosen.is_current_champion:
        result = replace(result, reason=f"{result.reason}; backfill: {chosen.reason}")
        log.info("%s", result.reason)
    return result


def _cold_start_baseline(
    connection: Any, target: Any, moment: Any, settings: Settings, config: ScoringConfig
) -> Any:
    """(baseline model, spec) from whatever closed records the window holds, or None (logged)."""

    try:
        spec = load_feature_spec(target, settings.dbt_project_dir, getattr(config, target.model, None))
        closed = read_closed_rows(
            connection, target, spec, training_window(moment, config.training_window_days)
        )
    except (FeatureSpecError, FeaturesMissingError) as error:
        log.warning("%s: no baseline score: %s", target.model, error)
        return None
    if closed.empty:
        log.info("%s: no baseline score: no closed record in the training window", target.model)
        return None
    return fit_baseline(closed, spec), spec
