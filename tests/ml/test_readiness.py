"""The readiness gate: thresholds, window bounds, reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from rapport.config import ScoringConfig
from rapport.ml.readiness import check_readiness
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, write_feature_table
from rapport.ml.targets import get_target
from rapport.warehouse import connect
from tests.ml.support import AS_OF


@pytest.fixture
def warehouse(settings):
    with connect(settings.warehouse_path) as connection:
        yield connection


LEAD = get_target("lead")


def _rows(positives: int, negatives: int, target=LEAD):
    frame = make_feature_rows(target, AS_OF, SyntheticOptions(closed=positives + negatives, open=3, seed=1))
    closed = frame["label"].notna()
    labels = [1] * positives + [0] * negatives
    frame.loc[closed, "label"] = labels
    return frame


def test_gate_closed_below_threshold_with_an_actionable_reason(warehouse):
    write_feature_table(warehouse, get_target("lead"), _rows(37, 112))
    readiness = check_readiness(warehouse, "lead", AS_OF, ScoringConfig())
    assert not readiness.is_ready
    assert (readiness.positives, readiness.negatives) == (37, 112)
    assert readiness.reason == (
        "lead: 37 qualified and 112 disqualified leads created and closed between 2024-11-27 and 2026-11-27; "
        "need at least 40 of each"
    )


def test_gate_open_at_threshold(warehouse):
    write_feature_table(warehouse, get_target("lead"), _rows(40, 40))
    readiness = check_readiness(warehouse, "lead", "2026-11-27", ScoringConfig())
    assert readiness.is_ready and readiness.reason.endswith(
        "ready to train (need at least 40 qualified and 40 disqualified)"
    )
    assert (
        check_readiness(warehouse, "lead", AS_OF, replace(ScoringConfig(), min_negative=41)).is_ready is False
    )


def test_window_bounds_count_only_records_created_and_closed_inside(warehouse):
    frame = _rows(45, 45)
    closed_positive = frame.index[frame["label"] == 1]
    # Created a day before the window starts: not counted.
    frame.loc[closed_positive[0], "created_at"] = AS_OF - timedelta(days=731)
    # Closed at the as-of moment itself (the window is [start, as_of)): not counted.
    frame.loc[closed_positive[1], "closed_at"] = AS_OF
    # Created exactly at the window start: counted.
    frame.loc[closed_positive[2], "created_at"] = AS_OF - timedelta(days=730)
    write_feature_table(warehouse, get_target("lead"), frame)
    readiness = check_readiness(warehouse, "lead", AS_OF, ScoringConfig())
    assert (readiness.positives, readiness.negatives) == (43, 45)
    assert readiness.window_start == AS_OF - timedelta(days=730) and readiness.window_end == AS_OF
    # A shorter window (minimum 90 days) holds fewer records.
    short = check_readiness(warehouse, "lead", AS_OF, replace(ScoringConfig(), training_window_days=90))
    assert short.positives + short.negatives < 30


def test_opportunity_reason_speaks_of_won_and_lost(warehouse):
    target = get_target("opportunity")
    write_feature_table(warehouse, target, _rows(50, 10, target))
    readiness = check_readiness(warehouse, "opportunity", AS_OF, ScoringConfig())
    assert not readiness.is_ready
    assert readiness.reason.startswith("opportunity: 50 won and 10 lost opportunities created and closed")


def test_missing_features_table_closes_the_gate_without_error(warehouse):
    readiness = check_readiness(warehouse, "lead", AS_OF, ScoringConfig())
    assert not readiness.is_ready
    assert "marts.fct_lead_features does not exist yet" in readiness.reason
