"""Cold-start baseline (issue 11): below the gate, smoothed historical rates by field, on X Education."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from rapport.ml.baseline import STRENGTH, fit_baseline
from rapport.ml.evaluate import expected_calibration_error
from tests.ml.support import x_education_rows


def test_x_education_baseline_from_a_few_dozen_closed_leads_ranks_and_is_calibrated():
    frame, spec = x_education_rows()
    spec = spec.without({"tags", "lead_quality"})  # filled in after contact (README)
    # 70 closed leads: below the readiness gate (40 of each class); the later 9,000 are the "open" ones.
    closed, later = frame.iloc[:70], frame.iloc[240:]
    assert closed["label"].sum() < 40
    baseline = fit_baseline(closed, spec)

    # Independent reading: the smoothed rate of one value, by hand.
    prior = (closed["label"].sum() + STRENGTH * 0.5) / (len(closed) + STRENGTH)
    origin = closed["lead_origin"].str.strip().str.casefold()
    rows = closed[origin == "landing page submission"]
    expected = (rows["label"].sum() + STRENGTH * prior) / (len(rows) + STRENGTH)
    assert baseline.prior == prior
    assert baseline.rates["lead_origin"]["Landing Page Submission"] == expected

    p = baseline.predict_proba(later)
    y = later["label"].to_numpy()
    auc, ece = roc_auc_score(y, p), expected_calibration_error(y, p)
    print(f"baseline from {len(closed)} leads on {len(later)} later leads: AUC {auc:.3f}, ECE {ece:.3f}")
    assert ((p > 0) & (p < 1)).all()
    assert auc > 0.6  # a few dozen records already rank better than chance (measured 0.672)
    assert ece < 0.05  # measured 0.017


def test_baseline_without_categoricals_or_records_is_the_smoothed_prior():
    frame, spec = x_education_rows()
    numeric = spec.without({c.name for c in spec.columns if c.kind == "categorical"})
    baseline = fit_baseline(frame.iloc[:10], numeric)
    assert np.allclose(baseline.predict_proba(frame.iloc[:5]), baseline.prior)
    empty = fit_baseline(frame.iloc[:0], spec)
    assert empty.prior == 0.5 and np.allclose(empty.predict_proba(frame.iloc[:3]), 0.5)
    # With one field: an unseen value moves nothing (the prior); a missing one is a value of its own.
    origin_only = spec.without({c.name for c in spec.columns if c.name != "lead_origin"})
    one = fit_baseline(
        frame.iloc[:200].assign(lead_origin=frame["lead_origin"].iloc[:200].mask(frame.index[:200] % 4 == 0)),
        origin_only,
    )
    unseen = one.predict_proba(frame.iloc[:1].assign(lead_origin="Never seen before"))[0]
    missing = one.predict_proba(frame.iloc[:1].assign(lead_origin=None))[0]
    assert abs(unseen - one.prior) < 1e-12
    assert abs(missing - one.rates["lead_origin"]["\x00missing"]) < 1e-12
