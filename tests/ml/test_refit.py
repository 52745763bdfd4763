"""Refit after evaluation (issue 11): the deployed model is fitted on every closed row of the window.

Real data: X Education leads in Lead Number order (tests/ml/support.py). The most recent 15 % are kept
out of training altogether, as the future the deployed model meets; the train_model call sees the rest.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from rapport.ml.evaluate import expected_calibration_error
from rapport.ml.features import training_window
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from tests.ml.support import AS_OF, FAST_CONFIG, x_education_rows

LEAD = get_target("lead")


def test_x_education_refit_learns_the_recent_records_and_keeps_the_hold_out_figures():
    frame, spec = x_education_rows()
    spec = spec.without({"tags", "lead_quality"})  # filled in after contact (README)
    frame = frame.sort_values("closed_at", kind="stable").reset_index(drop=True)
    future = frame.iloc[int(len(frame) * 0.85) :]
    past = frame.iloc[: int(len(frame) * 0.85)]
    trained = train_model(past, LEAD, spec, FAST_CONFIG, window=training_window(AS_OF, 730))

    # The reported figures are the evaluation model's, on its hold-out (which the refit then learns from).
    held_out = trained.test_frame
    evaluated = trained.evaluation_bundle
    assert trained.evaluation.auc == roc_auc_score(held_out["label"], evaluated.predict_proba(held_out))
    assert trained.is_refitted and trained.bundle.metadata["refitted_on_rows"] == len(past)
    assert trained.bundle.metadata["refit_rounds"] == trained.best_iteration + 1
    # The deployed model differs from the evaluated one: it has seen the recent records.
    assert not np.allclose(trained.bundle.predict_proba(future), evaluated.predict_proba(future))

    # On the future neither model has seen (independent reading with sklearn):
    y = future["label"].to_numpy()
    refit_p, evaluated_p = trained.bundle.predict_proba(future), evaluated.predict_proba(future)
    refit_auc, evaluated_auc = roc_auc_score(y, refit_p), roc_auc_score(y, evaluated_p)
    refit_ece, evaluated_ece = (
        expected_calibration_error(y, refit_p),
        expected_calibration_error(y, evaluated_p),
    )
    print(
        f"future {len(future)} leads: refitted AUC {refit_auc:.3f} ECE {refit_ece:.3f}; evaluation model "
        f"AUC {evaluated_auc:.3f} ECE {evaluated_ece:.3f}; reported test AUC {trained.evaluation.auc:.3f} "
        f"ECE {trained.evaluation.ece:.3f}"
    )
    assert refit_auc >= evaluated_auc - 0.005
    assert refit_ece <= 0.05
