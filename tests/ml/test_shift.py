"""Train/score parity: a CRM rule that closes leads on a timer must not pass as skill (shift screen)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from rapport.ml.features import FeatureColumn, FeatureSpec, training_window
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from tests.ml.support import AS_OF, FAST_CONFIG, auc

LEAD = get_target("lead")
WINDOW = training_window(AS_OF, 730)
TIMER_DAYS = 90  # the CRM disqualifies a lead this many days after its creation
GAP_DAYS = 7  # closed records are described this many days before their close


def _timer_crm(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, FeatureSpec]:
    """(closed training rows, open rows today, rows open at an earlier cut with their later outcome, spec).

    Disqualified leads are all closed by the timer, so described at age TIMER_DAYS - GAP_DAYS; qualified
    ones close whenever they qualify. Open leads are described at any age below the timer.
    """
    rng = np.random.default_rng(seed)
    options = SyntheticOptions(closed=2400, open=0, seed=seed)
    rows = make_feature_rows(LEAD, AS_OF, options)
    rows = rows[rows["label"].notna()].sort_values("closed_at").reset_index(drop=True)
    rows["label"] = rows["label"].astype("int8")
    rows["days_since_created"] = np.where(
        rows["label"] == 0,
        TIMER_DAYS - GAP_DAYS + rng.uniform(0, 1, len(rows)),
        rng.uniform(3, 80, len(rows)),
    )
    closed, later = rows.iloc[:1800].reset_index(drop=True), rows.iloc[1800:].reset_index(drop=True)
    # The records open at the cut: described mid-life, at any age, whatever their later outcome.
    prospective = later.assign(days_since_created=rng.uniform(0, TIMER_DAYS, len(later)))
    open_today = prospective.drop(columns="label").assign(label=None)
    spec = synthetic_spec("lead", options)
    spec = FeatureSpec("lead", (*spec.columns, FeatureColumn("days_since_created", "Lead age", "numeric")))
    return closed, open_today, prospective, spec


def test_timer_closed_leads_lead_age_is_dropped_and_test_auc_matches_the_prospective_auc():
    closed, open_today, prospective, spec = _timer_crm(seed=3)
    screened = train_model(closed, LEAD, spec, FAST_CONFIG, window=WINDOW, open_rows=open_today)
    assert screened.shift.dropped == ("days_since_created",)
    assert "days_since_created" not in screened.bundle.spec.names
    assert "days_since_created (PSI" in screened.shift.summary()
    # Here the single-feature leakage screen also catches lead age; switch it off to show that the
    # shift screen does the work on its own (on a real CRM the leakage screen measured 0.941 and kept it).
    config = replace(FAST_CONFIG, leakage_feature_auc=1.01)
    fixed = train_model(closed, LEAD, spec, config, window=WINDOW, open_rows=open_today)
    fixed_prospective = auc(prospective["label"], fixed.bundle.predict_proba(prospective))
    assert fixed.shift.dropped == ("days_since_created",)
    assert abs(fixed.evaluation.auc - fixed_prospective) <= 0.05

    unfixed = train_model(
        closed, LEAD, spec, replace(config, shift_feature_psi=1000.0), window=WINDOW, open_rows=open_today
    )
    unfixed_prospective = auc(prospective["label"], unfixed.bundle.predict_proba(prospective))
    assert unfixed.shift.dropped == ()
    assert unfixed.evaluation.auc - unfixed_prospective > 0.3
    print(
        f"test AUC vs prospective AUC: with the shift screen {fixed.evaluation.auc:.3f} vs {fixed_prospective:.3f}; "
        f"without {unfixed.evaluation.auc:.3f} vs {unfixed_prospective:.3f}"
    )


def test_no_shift_keeps_every_feature():
    options = SyntheticOptions(closed=800, open=300, seed=5)
    rows = make_feature_rows(LEAD, AS_OF, options)
    closed = rows[rows["label"].notna()].copy()
    closed["label"] = closed["label"].astype("int8")
    trained = train_model(
        closed.sort_values("closed_at").reset_index(drop=True),
        LEAD,
        synthetic_spec("lead", options),
        FAST_CONFIG,
        window=WINDOW,
        open_rows=rows[rows["label"].isna()],
    )
    assert trained.shift.open_rows == 300
    assert trained.shift.dropped == ()
    assert max(psi for _, psi in trained.shift.values) < FAST_CONFIG.shift_feature_psi
