"""Calibration that follows drift: the sigmoid's intercept (or the whole sigmoid) from the most recent older records.

A unit test on log-odds whose base rate rises over time, the recent-records mask with snapshot rows, the
configuration check, then the real X Education leads with ``ignore_empty`` fields (expanded matrices):
the sigmoid's slope is the all-records one and its mean on the recent slice equals that slice's rate,
both re-computed here from the public out-of-fold margins.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from rapport.config import ConfigError, ScoringConfig
from rapport.ml.calibration import fit_platt, fit_platt_recent
from rapport.ml.features import FeatureSpec, expand_empty_values, prepare_matrix, training_window
from rapport.ml.targets import get_target
from rapport.ml.train import (
    TrainingParams,
    out_of_fold_margins,
    recent_records,
    split_by_close,
    train_model,
)
from tests.ml.support import AS_OF, FAST_CONFIG, x_education_rows

LEAD = get_target("lead")


def _drifting(n: int = 4000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Margins with true slope 1; the base rate's log-odds rise from -1 to +0.5 over time (rows in time order)."""
    rng = np.random.default_rng(seed)
    margin = rng.normal(0, 1.5, n)
    shift = np.linspace(-1.0, 0.5, n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-(margin + shift)))).astype(int)
    recent = np.arange(n) >= int(n * 0.75)
    return margin, labels, recent


def test_the_intercept_follows_the_recent_rate_and_the_slope_comes_from_every_row():
    margin, labels, recent = _drifting()
    overall = fit_platt(margin, labels)
    moved = fit_platt_recent(margin, labels, recent, refit="intercept")
    assert moved.slope == pytest.approx(overall.slope)
    # logistic score equation: with the slope fixed, the fitted intercept makes the mean equal the rate
    assert moved.apply(margin[recent]).mean() == pytest.approx(labels[recent].mean(), abs=1e-6)
    # the all-rows sigmoid under-predicts the recent, higher rate (what the drift does to it)
    assert overall.apply(margin[recent]).mean() < labels[recent].mean() - 0.05
    assert moved.intercept > overall.intercept
    full = fit_platt_recent(margin, labels, recent, refit="full")
    assert full == fit_platt(margin[recent], labels[recent])


def test_a_one_class_recent_slice_keeps_the_all_rows_sigmoid_and_a_bad_mode_is_refused():
    margin, labels, recent = _drifting(400)
    labels = labels.copy()
    labels[recent] = 1
    assert fit_platt_recent(margin, labels, recent) == fit_platt(margin, labels)
    with pytest.raises(ValueError, match="refit"):
        fit_platt_recent(margin, labels, ~recent, refit="slope")


def test_recent_records_keeps_every_snapshot_row_of_a_record_together():
    start = datetime(2025, 1, 1)
    closes = {f"r{i}": start + timedelta(days=i) for i in range(8)}
    rows = [{"lead_id": key, "closed_at": closed} for key, closed in closes.items() for _ in range(3)]
    older = pd.DataFrame(rows).sample(frac=1, random_state=1).reset_index(drop=True)
    mask = recent_records(older, 0.25, "lead_id")
    assert set(older.loc[mask, "lead_id"]) == {"r6", "r7"} and mask.sum() == 6
    assert recent_records(older, 0.01, "lead_id").sum() == 3  # at least one record


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_the_recent_fraction_must_be_a_share(bad):
    with pytest.raises(ConfigError, match="calibration_recent_fraction"):
        replace(ScoringConfig(), calibration_recent_fraction=bad).validate()
    with pytest.raises(ConfigError, match="recent_intercept"):
        replace(ScoringConfig(), calibration="isotonic").validate()


def test_x_education_with_ignore_empty_the_recent_intercept_matches_the_recent_rate():
    frame, full = x_education_rows()
    honest = ("lead_source", "totalvisits", "total_time_spent_on_website", "specialization", "lead_origin")
    ignored = ("specialization",)
    spec = FeatureSpec(
        "lead",
        tuple(replace(c, ignore_empty=c.name in ignored) for c in full.columns if c.name in honest),
        source=full.source,
    )
    config = replace(
        FAST_CONFIG, refit_on_window=False, calibration="recent_intercept", calibration_recent_fraction=0.25
    )
    window = training_window(AS_OF, config.training_window_days)
    trained = train_model(frame, LEAD, spec, config, window=window)
    bundle = trained.bundle
    assert bundle.empty_fills  # the expanded-matrix path is exercised
    fit, validation, _ = split_by_close(
        frame, config.test_fraction, config.validation_fraction, LEAD.id_column
    )
    older = pd.concat([fit, validation])
    margins = out_of_fold_margins(
        older,
        expand_empty_values(
            prepare_matrix(older, bundle.spec, bundle.levels), bundle.spec, bundle.empty_fills
        ),
        TrainingParams.from_config(config),
        trained.best_iteration + 1,
        LEAD.id_column,
    )
    labels = older["label"].to_numpy()
    recent = np.arange(len(older)) >= len(older) - int(np.ceil(len(older) * 0.25))  # one row per lead here
    assert bundle.calibrator.slope == pytest.approx(fit_platt(margins, labels).slope)
    assert bundle.calibrator.apply(margins[recent]).mean() == pytest.approx(labels[recent].mean(), abs=1e-4)
    assert trained.evaluation.auc > 0.8  # five honest fields: a real model, not a degenerate one
