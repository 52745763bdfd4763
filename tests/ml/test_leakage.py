"""The leakage screen: planted leaks (synthetic and the real X Education `Tags`) are dropped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rapport.ml.features import FeatureColumn, FeatureSpec, build_levels, prepare_matrix
from rapport.ml.leakage import screen_features
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec
from rapport.ml.targets import get_target
from tests.ml.support import AS_OF, X_EDUCATION, x_education_rows


def test_planted_synthetic_leak_is_dropped_and_honest_features_kept():
    options = SyntheticOptions(closed=800, open=0, leak=True)
    frame = make_feature_rows(get_target("lead"), AS_OF, options)
    spec = synthetic_spec("lead", options)
    matrix = prepare_matrix(frame, spec, build_levels(frame, spec))
    report = screen_features(matrix, frame["label"].astype(int), spec, 0.95)
    assert report.dropped == ("close_reason",)
    leak = next(s for s in report.screens if s.column == "close_reason")
    assert leak.auc_all >= 0.95
    assert "close_reason (Close reason)" in report.summary()
    assert all(s.auc < 0.8 for s in report.screens if s.column != "close_reason")


def test_numeric_leak_and_inverse_direction_are_caught():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 500)
    spec = FeatureSpec(
        "lead",
        (
            FeatureColumn("days_to_close", "Days to close", "numeric"),
            FeatureColumn("noise", "Noise", "numeric"),
        ),
    )
    # Perfectly decreasing with the label: max(AUC, 1 - AUC) catches it.
    matrix = pd.DataFrame({"days_to_close": (1 - labels) * 50 + rng.random(500), "noise": rng.random(500)})
    report = screen_features(matrix, labels, spec, 0.95)
    assert report.dropped == ("days_to_close",)


def test_a_field_deciding_the_outcome_whenever_filled_in_is_dropped():
    """Mostly empty, but perfectly telling when present: the shape of a field filled after the outcome."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 2000)
    filled = rng.random(2000) < 0.3
    status = np.where(labels == 1, "Closed - won", "Closed - lost").astype(object)
    status[~filled] = None
    spec = FeatureSpec("lead", (FeatureColumn("status_note", "Status note", "categorical"),))
    frame = pd.DataFrame({"status_note": status})
    report = screen_features(prepare_matrix(frame, spec, build_levels(frame, spec)), labels, spec, 0.95)
    screen = report.screens[0]
    assert screen.auc_all < 0.95 <= screen.auc_present
    assert report.dropped == ("status_note",)


def test_high_cardinality_noise_is_not_flagged():
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 2, 600)
    spec = FeatureSpec("lead", (FeatureColumn("owner", "Owner", "categorical"),))
    frame = pd.DataFrame({"owner": [f"user {i}" for i in rng.integers(0, 300, 600)]})
    report = screen_features(prepare_matrix(frame, spec, build_levels(frame, spec)), labels, spec, 0.95)
    assert report.dropped == ()
    assert report.screens[0].auc < 0.7


@pytest.mark.skipif(not X_EDUCATION.exists(), reason=f"reference data {X_EDUCATION} not present")
def test_x_education_tags_leak_is_dropped():
    frame, spec = x_education_rows()
    older = frame.iloc[: int(len(frame) * 0.8)]
    matrix = prepare_matrix(older, spec, build_levels(older, spec))
    report = screen_features(matrix, older["label"], spec, 0.95)
    screens = {s.field: s for s in report.screens}
    # Tags: 0.92 alone, but >= 0.95 on the 64 % of leads where the sales team filled it in.
    assert report.dropped == ("tags",)
    assert screens["Tags"].auc_present >= 0.95 > screens["Tags"].auc_all
    # Lead Quality leaks too, more weakly: it stays below the threshold and is reported with its AUCs.
    assert 0.75 < screens["Lead Quality"].auc < 0.95
    # Honest fields stay.
    for field in (
        "Lead Source",
        "Last Activity",
        "Total Time Spent on Website",
        "What is your current occupation",
    ):
        assert not screens[field].is_dropped
    records = report.to_records()
    assert records[0]["column"] == "tags" and records[0]["is_dropped"] is True
