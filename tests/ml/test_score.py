"""Scoring: scores, grades, trends, history idempotency, reused reasons, not enough data."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from rapport.config import ScoringConfig
from rapport.ml.features import training_window
from rapport.ml.score import grade_for, mark_not_enough_data, score_records, to_score, trend_for
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec, write_feature_table
from rapport.ml.tables import ensure_ml_tables
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from rapport.warehouse import connect
from tests.ml.support import AS_OF, FAST_CONFIG

LEAD = get_target("lead")
OPTIONS = SyntheticOptions(closed=1200, open=150)
DAY2 = AS_OF + timedelta(days=1)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "A"), (75, "A"), (74, "B"), (50, "B"), (49, "C"), (25, "C"), (24, "D"), (0, "D")],
)
def test_grades_follow_the_cut_offs(score, grade):
    assert grade_for(score, ScoringConfig()) == grade


@pytest.mark.parametrize(
    ("score", "previous", "trend"),
    [
        (60, 50, "improving"),
        (56, 50, "improving"),
        (55, 50, "steady"),
        (45, 50, "steady"),
        (44, 50, "declining"),
        (60, None, "not enough info"),
        (60, float("nan"), "not enough info"),
    ],
)
def test_trend_has_a_dead_band(score, previous, trend):
    assert trend_for(score, previous, dead_band=5) == trend


def test_scores_are_rounded_percentages():
    assert to_score(np.array([0.0, 0.004, 0.005, 0.644, 0.645, 1.0])).tolist() == [0, 0, 1, 64, 65, 100]


@pytest.fixture(scope="module")
def trained():
    frame = make_feature_rows(LEAD, AS_OF, OPTIONS)
    closed = frame[frame["label"].notna()].copy()
    closed["label"] = closed["label"].astype("int8")
    return train_model(
        closed.sort_values("closed_at"),
        LEAD,
        synthetic_spec("lead", OPTIONS),
        FAST_CONFIG,
        window=training_window(AS_OF, 730),
    )


@pytest.fixture
def warehouse(settings):
    with connect(settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
        write_feature_table(connection, LEAD, make_feature_rows(LEAD, AS_OF, OPTIONS))
        yield connection


def _history(connection, day):
    return connection.execute(
        "select * exclude (scored_at) from ml.lead_score_history where as_of_date = ? order by record_id",
        [day],
    ).df()


def test_scoring_writes_scores_grades_and_reasons(warehouse, trained):
    result = score_records(
        warehouse, LEAD, AS_OF, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring"
    )
    assert (result.records, result.scored, result.explained, result.reused) == (150, 150, 150, 0)
    history = _history(warehouse, AS_OF.date())
    assert len(history) == 150 and history["record_id"].is_unique
    assert history["score"].between(0, 100).all()
    assert (history["score"] == to_score(history["probability"].to_numpy())).all()
    assert all(
        grade_for(s, FAST_CONFIG) == g for s, g in zip(history["score"], history["grade"], strict=True)
    )
    assert set(history["trend"]) == {"not enough info"}
    assert set(history["grade"]) >= {"A", "D"}  # the signal spreads the scores
    for text in history["reasons_json"]:
        assert len(text) <= FAST_CONFIG.reasons_json_max_chars
        assert {reason["effect"] for reason in json.loads(text)} <= {"raises", "lowers"}
    reasons = warehouse.execute("select * from ml.lead_score_reasons").df()
    assert set(reasons["record_id"]) == set(history["record_id"])
    assert reasons.groupby(["record_id", "direction"]).size().max() <= FAST_CONFIG.reasons_per_side
    insights = warehouse.execute("select * from ml.lead_attribute_insights").df()
    assert set(insights["field"]) == set(trained.bundle.spec.fields)
    assert (insights["model_version"] == "1").all()


def test_rescoring_a_day_is_idempotent(warehouse, trained):
    for _ in range(2):
        score_records(
            warehouse, LEAD, AS_OF, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring"
        )
    first = _history(warehouse, AS_OF.date())
    reasons_count = warehouse.execute("select count(*) from ml.lead_score_reasons").fetchone()[0]
    score_records(warehouse, LEAD, AS_OF, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring")
    pd.testing.assert_frame_equal(first, _history(warehouse, AS_OF.date()))
    assert warehouse.execute("select count(*) from ml.lead_score_reasons").fetchone()[0] == reasons_count
    assert warehouse.execute("select count(*) from ml.lead_score_history").fetchone()[0] == 150


def test_next_day_trends_and_only_changed_records_are_explained(warehouse, trained):
    score_records(warehouse, LEAD, AS_OF, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring")
    day1 = _history(warehouse, AS_OF.date()).set_index("record_id")
    frame = make_feature_rows(LEAD, AS_OF, OPTIONS)
    day2 = frame[frame["label"].isna()].assign(as_of_date=DAY2.date(), feature_at=DAY2)
    # Record 0: many more meetings and e-mails, recent activity (each raises the score). Record 1: the opposite.
    up, down = day2.index[0], day2.index[1]
    day2.loc[up, ["meetings_90d", "emails_received_90d", "days_since_last_activity"]] = [6, 15, 0]
    day2.loc[down, ["meetings_90d", "emails_received_90d", "days_since_last_activity"]] = [0, 0, 120]
    write_feature_table(warehouse, LEAD, pd.concat([frame, day2]))

    result = score_records(
        warehouse, LEAD, DAY2, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring"
    )
    assert (result.explained, result.reused) == (2, 148)
    history = _history(warehouse, DAY2.date()).set_index("record_id")
    up_id, down_id = day2.loc[up, "lead_id"], day2.loc[down, "lead_id"]
    assert history.loc[up_id, "score"] > day1.loc[up_id, "score"] + 5
    assert history.loc[up_id, "trend"] == "improving"
    assert history.loc[down_id, "trend"] == "declining"
    assert history.loc[up_id, "previous_score"] == day1.loc[up_id, "score"]
    unchanged = history.drop(index=[up_id, down_id])
    assert set(unchanged["trend"]) == {"steady"}
    # Unchanged records keep their day-1 reasons by pointing at them; nothing is copied.
    assert (unchanged["reasons_as_of_date"] == pd.Timestamp(AS_OF.date())).all()
    assert unchanged["reasons_json"].isna().all()
    assert (history.loc[[up_id, down_id], "reasons_as_of_date"] == pd.Timestamp(DAY2.date())).all()
    assert history.loc[[up_id, down_id], "reasons_json"].notna().all()
    reasons = warehouse.execute(
        "select * from ml.lead_score_reasons where as_of_date = ?", [DAY2.date()]
    ).df()
    assert set(reasons["record_id"]) == {up_id, down_id}
    up_reasons = reasons[reasons["record_id"] == up_id]
    assert "Meetings in the last 90 days" in set(up_reasons.loc[up_reasons["direction"] == "raises", "field"])
    # A third day with nothing changed still points at day 1 (the chain does not move).
    day3 = day2.assign(as_of_date=(DAY2 + timedelta(days=1)).date(), feature_at=DAY2 + timedelta(days=1))
    write_feature_table(warehouse, LEAD, pd.concat([frame, day2, day3]))
    third = score_records(
        warehouse,
        LEAD,
        DAY2 + timedelta(days=1),
        trained.bundle,
        "1",
        FAST_CONFIG,
        model_name="rapport_lead_scoring",
    )
    assert (third.explained, third.reused) == (0, 150)
    history3 = _history(warehouse, (DAY2 + timedelta(days=1)).date()).set_index("record_id")
    assert history3.loc[unchanged.index[0], "reasons_as_of_date"] == pd.Timestamp(AS_OF.date())
    assert history3.loc[up_id, "reasons_as_of_date"] == pd.Timestamp(DAY2.date())


def test_a_new_champion_version_reexplains_everything(warehouse, trained):
    score_records(warehouse, LEAD, AS_OF, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring")
    frame = make_feature_rows(LEAD, AS_OF, OPTIONS)
    day2 = frame[frame["label"].isna()].assign(as_of_date=DAY2.date(), feature_at=DAY2)
    write_feature_table(warehouse, LEAD, pd.concat([frame, day2]))
    result = score_records(
        warehouse, LEAD, DAY2, trained.bundle, "2", FAST_CONFIG, model_name="rapport_lead_scoring"
    )
    assert (result.explained, result.reused) == (150, 0)


def test_without_champion_records_are_not_enough_data(warehouse, trained):
    reason = "lead: 37 qualified and 112 disqualified leads created and closed between ...; need at least 40 of each"
    result = mark_not_enough_data(warehouse, LEAD, AS_OF, FAST_CONFIG, reason)
    assert (result.records, result.not_enough_data, result.scored) == (150, 150, 0)
    history = _history(warehouse, AS_OF.date())
    assert set(history["status"]) == {"not enough data"}
    assert set(history["status_reason"]) == {reason}
    assert history["score"].isna().all() and history["grade"].isna().all()
    assert set(history["trend"]) == {"not enough info"}
    # A later scoring of the same day replaces them.
    score_records(warehouse, LEAD, AS_OF, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring")
    assert set(_history(warehouse, AS_OF.date())["status"]) == {"scored"}


def test_not_enough_data_without_features_table_is_empty_not_an_error(settings):
    with connect(settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
        result = mark_not_enough_data(connection, LEAD, AS_OF, FAST_CONFIG, "no features yet")
    assert result.records == 0


def test_a_failure_while_scoring_keeps_the_days_previous_rows(warehouse, trained, monkeypatch):
    score_records(warehouse, LEAD, AS_OF, trained.bundle, "1", FAST_CONFIG, model_name="rapport_lead_scoring")
    before = _history(warehouse, AS_OF.date())
    reasons_before = warehouse.execute("select count(*) from ml.lead_score_reasons").fetchone()[0]

    def explode(*args, **kwargs):
        raise RuntimeError("injected failure while explaining")

    monkeypatch.setattr("rapport.ml.score.explain_records", explode)
    with pytest.raises(RuntimeError, match="injected"):
        score_records(
            warehouse, LEAD, AS_OF, trained.bundle, "2", FAST_CONFIG, model_name="rapport_lead_scoring"
        )
    pd.testing.assert_frame_equal(before, _history(warehouse, AS_OF.date()))
    assert warehouse.execute("select count(*) from ml.lead_score_reasons").fetchone()[0] == reasons_before
