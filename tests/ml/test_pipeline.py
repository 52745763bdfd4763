"""The DAG-facing pipeline against a real (temporary) MLflow store: gate, train, register, promote, score.

The tests of this module share one installation and run in order: the first model becomes champion,
a worse challenger does not replace it, a failed training leaves it alone, scoring uses it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import mlflow
import numpy as np
import pytest

from rapport.ml import pipeline
from rapport.ml.features import load_feature_spec, read_closed_rows, training_window
from rapport.ml.readiness import check_readiness
from rapport.ml.registry import CHALLENGER, CHAMPION, load_bundle, should_retrain
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec, write_feature_table
from rapport.ml.tables import ensure_ml_tables
from rapport.ml.targets import get_target
from rapport.ml.tracking import git_sha, mlflow_store
from rapport.ml.train import split_by_close
from rapport.warehouse import connect
from tests.ml.support import AS_OF, FAST_CONFIG, auc, write_spec_yaml

LEAD = get_target("lead")
NAME = LEAD.registered_model
OPTIONS = SyntheticOptions(closed=1200, open=80, leak=True)
CONFIG = replace(FAST_CONFIG, ok_auc=0.55, ready_auc=0.75)


@pytest.fixture(scope="module")
def installation(module_settings):
    write_spec_yaml(module_settings, LEAD, synthetic_spec("lead", OPTIONS))
    with connect(module_settings.warehouse_path) as connection:
        write_feature_table(connection, LEAD, make_feature_rows(LEAD, AS_OF, OPTIONS))
    with connect(module_settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
    return module_settings


def _aliases(settings):
    with mlflow_store(settings) as client:
        return {alias: str(version) for alias, version in client.get_registered_model(NAME).aliases.items()}


def test_no_champion_means_not_enough_data_with_the_gate_reason(settings):
    """A fresh installation with too little history: training is skipped and scoring never errors."""
    frame = make_feature_rows(LEAD, AS_OF, SyntheticOptions(closed=60, open=12))
    write_spec_yaml(settings, LEAD, synthetic_spec("lead", SyntheticOptions()))
    with connect(settings.warehouse_path) as connection:
        write_feature_table(connection, LEAD, frame)
    with connect(settings.warehouse_path) as connection:
        readiness = check_readiness(connection, "lead", "2026-11-27", CONFIG)
    assert not readiness.is_ready and readiness.reason.endswith("need at least 40 of each")
    training = pipeline.train_and_publish("lead", "2026-11-27", settings=settings, config=CONFIG)
    assert training.status == "skipped" and training.reason == readiness.reason
    result = pipeline.score_open_records("lead", "2026-11-27", settings=settings, config=CONFIG)
    assert (result.records, result.not_enough_data, result.scored, result.baseline) == (12, 12, 0, 12)
    assert result.reason == readiness.reason
    with connect(settings.warehouse_path) as connection:
        rows = connection.execute(
            "select status, status_reason, model_name, score, grade, model_version from ml.lead_score_history"
        ).fetchall()
    # Below the gate every record gets a baseline score, flagged as such (not a model's score).
    assert {row[0] for row in rows} == {"baseline"} and {row[2] for row in rows} == {"baseline"}
    assert all(row[1].startswith("baseline score (no model yet)") for row in rows)
    assert all(row[1].endswith(readiness.reason) for row in rows)
    assert all(0 <= row[3] <= 100 and row[4] in "ABCD" and row[5] is None for row in rows)


def test_first_model_is_logged_registered_and_becomes_champion(installation):
    result = pipeline.train_and_publish("lead", AS_OF, settings=installation, config=CONFIG)
    assert result.status == "trained" and result.version == "1" and result.is_champion
    assert result.dropped_features == ("close_reason",)
    assert result.band in {"ok", "ready"} and not result.is_suspect
    assert _aliases(installation) == {CHAMPION: "1", CHALLENGER: "1"}

    with mlflow_store(installation) as client:
        run = client.get_run(result.run_id)
        experiment = client.get_experiment(run.info.experiment_id)
        version = client.get_model_version(NAME, "1")
        artifacts = {item.path for item in client.list_artifacts(result.run_id, "evaluation")}
    assert experiment.name == NAME
    assert experiment.artifact_location.startswith(installation.mlflow_artifacts_dir.as_uri())
    metrics, tags, params = run.data.metrics, run.data.tags, run.data.params
    for metric in (
        "test_auc",
        "test_pr_auc",
        "test_accuracy",
        "test_recall",
        "test_f1",
        "test_threshold",
        "test_conversion_rate",
        "test_brier",
        "test_ece",
        "test_ece_noise_floor",
        "test_true_positives",
        "train_positives",
    ):
        assert metric in metrics
    assert metrics["test_auc"] == pytest.approx(result.test_auc)
    assert tags["as_of_date"] == "2026-11-27" and tags["window_start"] == "2024-11-27"
    assert re.fullmatch(r"[0-9a-f]{64}", tags["data_digest"])
    assert tags["git_sha"] == "unknown"  # the temporary project is not a git checkout
    assert tags["leakage_dropped"] == "close_reason" and tags["suspect"] == "false"
    assert params["calibration"] == "sigmoid" and params["xgb_max_depth"] == "3"
    assert (
        params["calibration_fitted_on"] == "out_of_fold" and params["calibration_recent_fraction"] == "0.25"
    )
    assert 0 < metrics["test_ece_noise_floor"] < 0.2
    assert {
        "evaluation/roc.png",
        "evaluation/precision_recall.png",
        "evaluation/calibration.png",
        "evaluation/feature_influence.png",
        "evaluation/leakage_screen.json",
        "evaluation/attribute_insights.csv",
        "evaluation/confusion_matrix.json",
        "evaluation/confusion_matrix.png",
    } <= artifacts
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # classic ML, not GenAI
    inputs = {item.dataset.name: item for item in run.inputs.dataset_inputs}
    assert set(inputs) == {"lead_closed_records_2026-11-27", "lead_test_set_2026-11-27"}
    assert {tag.value for item in inputs.values() for tag in item.tags} == {"training", "test"}
    assert "test AUC" in version.description and "Trained as of 2026-11-27" in version.description
    with mlflow_store(installation) as client:
        assert "XGBoost" in client.get_registered_model(NAME).description
    assert version.tags["band"] == result.band and version.tags["as_of_date"] == "2026-11-27"
    assert version.tags["promotion"] == "champion"


def test_champion_loads_from_its_alias_alone_with_explicit_requirements(installation):
    with mlflow_store(installation) as client:
        version = client.get_model_version_by_alias(NAME, CHAMPION)
        requirements = (
            Path(mlflow.artifacts.download_artifacts(f"models:/{NAME}@champion")) / "requirements.txt"
        )
        model = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    lines = requirements.read_text().split()
    assert any(line.startswith("xgboost-cpu==") for line in lines)
    assert not any(line.startswith("xgboost==") for line in lines) and len(lines) <= 6
    frame = make_feature_rows(LEAD, AS_OF, OPTIONS).tail(10)
    predicted = model.predict(frame)
    assert predicted["score"].between(0, 100).all()
    bundle = model.unwrap_python_model().bundle
    assert "close_reason" not in bundle.spec.names and bundle.calibrator.slope > 0
    assert str(version.version) == "1"


def test_retraining_follows_the_champion_age_and_force(installation):
    def decide(day, force=False):
        return should_retrain("lead", day, CONFIG, force, settings=installation)

    same_day = decide(AS_OF)
    assert not same_day.retrain and "already trained" in same_day.reason
    assert not decide(AS_OF + timedelta(days=15)).retrain
    old = decide(AS_OF + timedelta(days=16))
    assert old.retrain and old.champion_age_days == 16 and "16 days old (> 15)" in old.reason
    forced = decide(AS_OF, force=True)
    assert forced.retrain and "forced" in forced.reason
    # train_and_publish applies the same rule: nothing new on the same day without force.
    skipped = pipeline.train_and_publish("lead", AS_OF, settings=installation, config=CONFIG)
    assert skipped.status == "skipped" and _aliases(installation) == {CHAMPION: "1", CHALLENGER: "1"}


def test_worse_challenger_is_registered_but_the_champion_stays(installation):
    day = AS_OF + timedelta(days=1)
    weak = synthetic_spec("lead", OPTIONS).without(
        {"emails_received_90d", "emails_sent_90d", "days_since_last_activity", "meetings_90d", "close_reason"}
    )
    write_spec_yaml(installation, LEAD, weak)  # a features change: only industry, source and budget remain
    result = pipeline.train_and_publish("lead", day, force=True, settings=installation, config=CONFIG)
    promotion = result.promotion
    assert result.version == "2" and not result.is_champion
    assert promotion.champion_version == "1" and promotion.champion_auc > promotion.challenger_auc
    assert "on the same" in promotion.reason and "stays challenger" in promotion.reason
    assert _aliases(installation) == {CHAMPION: "1", CHALLENGER: "2"}

    # The champion's AUC really is measured on the challenger's test set (the most recent closed records).
    with connect(installation.warehouse_path) as connection:
        rows = read_closed_rows(
            connection,
            LEAD,
            load_feature_spec(LEAD, installation.dbt_project_dir),
            training_window(day, CONFIG.training_window_days),
        )
    _, _, test = split_by_close(rows, CONFIG.test_fraction, CONFIG.validation_fraction)
    with mlflow_store(installation):
        champion = load_bundle(NAME, "1")
    assert auc(test["label"].to_numpy(), champion.predict_proba(test)) == pytest.approx(
        promotion.champion_auc
    )


@pytest.mark.parametrize("failing", ["rapport.ml.train._fit_booster", "rapport.ml.evaluate.plot_calibration"])
def test_failed_training_never_touches_the_champion(installation, monkeypatch, failing):
    def explode(*args, **kwargs):
        raise RuntimeError("injected failure")

    module, name = failing.rsplit(".", 1)
    monkeypatch.setattr(f"{module}.{name}", explode)
    before = _aliases(installation)
    with mlflow_store(installation) as client:
        versions_before = len(client.search_model_versions(f"name = '{NAME}'"))
    with pytest.raises(RuntimeError, match="injected failure"):
        pipeline.train_and_publish(
            "lead", AS_OF + timedelta(days=2), force=True, settings=installation, config=CONFIG
        )
    assert _aliases(installation) == before
    with mlflow_store(installation) as client:
        assert len(client.search_model_versions(f"name = '{NAME}'")) == versions_before
        runs = client.search_runs(
            [client.get_experiment_by_name(NAME).experiment_id], order_by=["start_time DESC"]
        )
    assert runs[0].info.status == "FAILED"


def test_scoring_uses_the_champion(installation):
    result = pipeline.score_open_records("lead", AS_OF, settings=installation, config=CONFIG)
    assert result.model_version == "1" and result.scored == 80 and result.not_enough_data == 0
    with connect(installation.warehouse_path) as connection:
        versions = connection.execute("select distinct model_version from ml.lead_score_history").fetchall()
    assert versions == [("1",)]


def test_models_cli_lists_and_promotes_with_the_band_rule(installation, monkeypatch, capsys):
    from rapport.cli import main

    monkeypatch.setenv("RAPPORT_HOME", str(installation.var_dir))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", installation.mlflow_tracking_uri)
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert re.search(rf"{NAME}\s+2\s+challenger", listing)
    assert re.search(rf"{NAME}\s+1\s+champion", listing)

    assert main(["models", "promote", NAME, "1"]) == 2
    assert "already the champion" in capsys.readouterr().err
    with mlflow_store(installation) as client:
        client.set_model_version_tag(NAME, "2", "test_auc", "0.5100")
    assert main(["models", "promote", NAME, "2"]) == 2
    assert "band 'not ready'" in capsys.readouterr().err and _aliases(installation)[CHAMPION] == "1"
    with mlflow_store(installation) as client:
        client.set_model_version_tag(NAME, "2", "test_auc", "0.8000")
    assert main(["models", "promote", NAME, "2"]) == 0
    assert "promoted by hand" in capsys.readouterr().out
    assert _aliases(installation)[CHAMPION] == "2"
    assert main(["models", "promote", "rapport_nothing", "1"]) == 2


def test_tracking_uri_is_restored_after_use(installation):
    before = mlflow.get_tracking_uri()
    with mlflow_store(installation):
        assert mlflow.get_tracking_uri() == installation.mlflow_tracking_uri
    assert mlflow.get_tracking_uri() == before


def test_git_sha_of_a_checkout(tmp_path):
    """The commit of a repository made here (independent reading: git rev-parse); unknown outside git."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: git_sha can only say unknown")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@example.org", "PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "first"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)
    expected = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True, env=env
    ).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", expected)
    assert git_sha(repo) == expected
    outside = tmp_path / "not_a_repo"
    outside.mkdir()
    assert git_sha(outside) == "unknown"


def test_scores_are_reproducible_from_the_same_bundle(installation):
    frame = make_feature_rows(LEAD, AS_OF, OPTIONS).tail(20)
    with mlflow_store(installation):
        first = load_bundle(NAME, "1").predict_proba(frame)
        second = load_bundle(NAME, "1").predict_proba(frame)
    np.testing.assert_array_equal(first, second)
