"""A past date is scored by the champion of then, never by a model trained on later data.

One installation, in order: version 1 is trained as of AS_OF, version 2 as of AS_OF + 30 days and promoted
by hand (today's champion). A backfill of AS_OF + 10 is scored by version 1 (the champion of that date);
AS_OF - 3 has no model of its own: scoring it is refused and said; its run trains version 3 as of that date,
which scores it but never takes the champion alias from version 2.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from rapport.ml import pipeline
from rapport.ml.registry import BACKFILL_CHAMPION_TAG, CHAMPION, promote_version, should_retrain
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec, write_feature_table
from rapport.ml.tables import ensure_ml_tables
from rapport.ml.targets import get_target
from rapport.ml.tracking import mlflow_store
from rapport.summary import collect_summary, render_summary
from rapport.warehouse import connect
from tests.ml.support import AS_OF, FAST_CONFIG, write_spec_yaml

LEAD = get_target("lead")
NAME = LEAD.registered_model
OPTIONS = SyntheticOptions(closed=1200, open=80, leak=False)
CONFIG = replace(FAST_CONFIG, ok_auc=0.55, ready_auc=0.75)
LATER = AS_OF + timedelta(days=30)
BETWEEN = AS_OF + timedelta(days=10)
BEFORE = AS_OF - timedelta(days=3)


@pytest.fixture(scope="module")
def installation(module_settings):
    write_spec_yaml(module_settings, LEAD, synthetic_spec("lead", OPTIONS))
    frames = [make_feature_rows(LEAD, day, OPTIONS) for day in (BEFORE, AS_OF, BETWEEN, LATER)]
    with connect(module_settings.warehouse_path) as connection:
        write_feature_table(connection, LEAD, pd.concat(frames, ignore_index=True))
    with connect(module_settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
    first = pipeline.train_and_publish("lead", AS_OF, settings=module_settings, config=CONFIG)
    second = pipeline.train_and_publish("lead", LATER, force=True, settings=module_settings, config=CONFIG)
    assert (first.version, second.version) == ("1", "2") and first.is_champion
    with mlflow_store(module_settings) as client:
        if not second.is_champion:
            promote_version(client, NAME, "2", CONFIG)
        assert str(client.get_model_version_by_alias(NAME, CHAMPION).version) == "2"
    return module_settings


def _versions_used(settings, day):
    with connect(settings.warehouse_path) as connection:
        return connection.execute(
            "select distinct status, model_version from ml.lead_score_history where as_of_date = ?",
            [day.date()],
        ).fetchall()


def test_todays_date_is_scored_by_todays_champion(installation):
    result = pipeline.score_open_records("lead", LATER, settings=installation, config=CONFIG)
    assert result.model_version == "2" and result.scored == 80 and "backfill" not in result.reason


def test_a_past_date_is_scored_by_the_champion_of_then(installation):
    decision = should_retrain("lead", BETWEEN, CONFIG, settings=installation)
    assert not decision.retrain and "backfill of 2026-12-07" in decision.reason
    result = pipeline.score_open_records("lead", BETWEEN, settings=installation, config=CONFIG)
    assert result.model_version == "1" and result.scored == 80
    assert "the champion of 2026-12-07 (trained as of 2026-11-27)" in result.reason
    assert "version 2 was trained as of 2026-12-27" in result.reason
    assert _versions_used(installation, BETWEEN) == [("scored", "1")]


def test_a_date_before_every_model_is_refused_then_trained_for_that_date_only(installation):
    refused = pipeline.score_open_records("lead", BEFORE, settings=installation, config=CONFIG)
    assert (refused.scored, refused.not_enough_data, refused.model_version) == (0, 80, None)
    assert "no model trained with data up to 2026-11-24" in refused.reason
    assert "scores refused for 2026-11-24" in refused.reason
    assert _versions_used(installation, BEFORE) == [("not enough data", None)]
    summary = collect_summary(installation, BEFORE.date())
    text = render_summary(summary, installation)
    assert "0 scored" in text and "scores refused for 2026-11-24" in text

    decision = should_retrain("lead", BEFORE, CONFIG, settings=installation)
    assert decision.retrain and "never replaces the newer champion" in decision.reason
    trained = pipeline.train_and_publish("lead", BEFORE, settings=installation, config=CONFIG)
    assert trained.version == "3" and not trained.is_champion
    assert "never replaces it" in trained.reason
    with mlflow_store(installation) as client:
        assert str(client.get_model_version_by_alias(NAME, CHAMPION).version) == "2"
        assert client.get_model_version(NAME, "3").tags[BACKFILL_CHAMPION_TAG] == "true"
    scored = pipeline.score_open_records("lead", BEFORE, settings=installation, config=CONFIG)
    assert scored.model_version == "3" and scored.scored == 80
    assert _versions_used(installation, BEFORE) == [("scored", "3")]
    text = render_summary(collect_summary(installation, BEFORE.date()), installation)
    assert "v3 (trained as of 2026-11-24" in text and "the champion of this past date" in text
    # The later dates keep their own models: version 3 is not the newest model of 2026-12-07.
    again = pipeline.score_open_records("lead", BETWEEN, settings=installation, config=CONFIG)
    assert again.model_version == "1"


def test_the_fast_registry_listing_matches_mlflows_own(installation, monkeypatch, capsys):
    """`rapport models list` reads the SQLite store directly (no MLflow import); same rows as MLflow's client."""
    from rapport.cli import main
    from rapport.ml.registry import list_versions, list_versions_from_sqlite

    with mlflow_store(installation) as client:
        expected = list_versions(client)
    path = Path(installation.mlflow_tracking_uri.removeprefix("sqlite:///"))
    assert list_versions_from_sqlite(path) == expected
    assert [(v.version, v.aliases) for v in expected] == [
        ("3", ("challenger",)),
        ("2", ("champion",)),
        ("1", ()),
    ]
    monkeypatch.setenv("RAPPORT_HOME", str(installation.var_dir))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", installation.mlflow_tracking_uri)
    assert main(["models", "list"]) == 0
    captured = capsys.readouterr()
    assert "loading MLflow" not in captured.err
    assert re.search(rf"{NAME}\s+3\s+challenger", captured.out)
    assert re.search(rf"{NAME}\s+2\s+champion", captured.out)
