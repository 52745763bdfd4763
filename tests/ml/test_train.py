"""Training protocol: time-ordered split, early stopping, calibration, evaluation, suspect models."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rapport.ml.features import FeatureColumn, FeatureSpec, training_window
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec
from rapport.ml.targets import get_target
from rapport.ml.train import TrainingError, data_digest, split_by_close, train_model
from tests.ml.support import AS_OF, FAST_CONFIG, X_EDUCATION, auc, x_education_rows

LEAD = get_target("lead")
WINDOW = training_window(AS_OF, 730)


def _closed(options: SyntheticOptions):
    frame = make_feature_rows(LEAD, AS_OF, options)
    closed = frame[frame["label"].notna()].copy()
    closed["label"] = closed["label"].astype("int8")
    return closed.sort_values("closed_at").reset_index(drop=True)


def test_split_is_time_ordered_with_the_most_recent_records_as_test_set():
    frame = _closed(SyntheticOptions(closed=500, open=0)).sample(frac=1, random_state=0)
    fit, validation, test = split_by_close(frame, 0.2, 0.2)
    assert (len(fit), len(validation), len(test)) == (320, 80, 100)
    assert fit["closed_at"].max() <= validation["closed_at"].min()
    assert validation["closed_at"].max() <= test["closed_at"].min()


def test_trained_model_is_calibrated_evaluated_and_explainable():
    options = SyntheticOptions(closed=1500, open=0, leak=True)
    frame = _closed(options)
    trained = train_model(frame, LEAD, synthetic_spec("lead", options), FAST_CONFIG, window=WINDOW)
    evaluation = trained.evaluation
    assert trained.leakage.dropped == ("close_reason",)
    assert "close_reason" not in trained.bundle.spec.names
    assert evaluation.records == trained.split.test == 300
    assert 0.7 < evaluation.auc < 0.9  # real but imperfect signal
    assert 0 <= evaluation.brier < 0.25 and 0 <= evaluation.ece < 0.15
    assert evaluation.true_positives + evaluation.false_negatives == evaluation.positives
    assert 0 < evaluation.threshold < 1 and 0 < evaluation.f1 <= 1
    assert trained.best_iteration < FAST_CONFIG.max_trees
    assert (
        len(trained.evaluation_bundle.booster.get_dump()) == trained.best_iteration + 1
    )  # cut at the best iteration
    assert trained.bundle.calibrator.slope > 0
    # Calibrated probabilities keep the booster's order: same AUC as the raw margin.
    # The figures are those of the evaluation model (fit part only); the deployed one is refitted on all rows.
    evaluated = trained.evaluation_bundle
    margin = evaluated.margin(evaluated.matrix(trained.test_frame))
    assert auc(trained.test_labels, margin) == pytest.approx(evaluation.auc)
    assert trained.is_refitted and trained.bundle.metadata["refitted_on_rows"] == len(frame)
    assert len(trained.bundle.booster.get_dump()) == trained.best_iteration + 1
    assert trained.bundle.spec == evaluated.spec and trained.bundle.levels == evaluated.levels
    # Influence is reported per source field (two e-mail columns -> one "E-mails" field).
    assert set(trained.influence) == set(trained.bundle.spec.fields)
    assert "E-mails" in trained.influence and "emails_sent_90d" not in trained.influence
    assert not trained.is_suspect
    assert trained.data_digest == data_digest(frame, LEAD, synthetic_spec("lead", options))


def test_digest_changes_with_the_training_rows():
    options = SyntheticOptions(closed=200, open=0)
    frame = _closed(options)
    spec = synthetic_spec("lead", options)
    changed = frame.copy()
    changed.loc[5, "meetings_90d"] += 1
    assert data_digest(frame, LEAD, spec) != data_digest(changed, LEAD, spec)


def test_no_signal_gives_a_chance_level_model():
    options = SyntheticOptions(closed=1000, open=0, signal=0.0)
    trained = train_model(_closed(options), LEAD, synthetic_spec("lead", options), FAST_CONFIG, window=WINDOW)
    assert trained.evaluation.auc < 0.62


def test_one_class_test_set_fails_training():
    options = SyntheticOptions(closed=300, open=0)
    frame = _closed(options)
    frame.loc[frame.index[-60:], "label"] = 1
    with pytest.raises(TrainingError, match="only one class"):
        train_model(frame, LEAD, synthetic_spec("lead", options), FAST_CONFIG, window=WINDOW)


@pytest.mark.skipif(not X_EDUCATION.exists(), reason=f"reference data {X_EDUCATION} not present")
def test_x_education_realistic_training_and_suspect_leaks():
    frame, spec = x_education_rows()
    honest = spec.without({"tags", "lead_quality"})
    trained = train_model(frame, LEAD, honest, FAST_CONFIG, window=WINDOW)
    # Reference (README): cross-validated AUC about 0.90 without the leaking columns.
    assert 0.85 < trained.evaluation.auc < 0.97
    assert not trained.is_suspect and trained.leakage.dropped == ()
    top = sorted(trained.influence, key=lambda name: -trained.influence[name])[:5]
    assert "Total Time Spent on Website" in top

    # With the screen switched off, the leaking columns push the model into "suspect" territory.
    unscreened = train_model(frame, LEAD, spec, replace(FAST_CONFIG, leakage_feature_auc=1.01), window=WINDOW)
    assert unscreened.evaluation.auc >= FAST_CONFIG.suspect_model_auc
    assert unscreened.is_suspect

    # With the screen on, Tags is dropped and the model is no longer suspect.
    screened = train_model(frame, LEAD, spec, FAST_CONFIG, window=WINDOW)
    assert screened.leakage.dropped == ("tags",)
    assert not screened.is_suspect
    assert np.isfinite(screened.evaluation.brier)


def test_empty_categorical_and_constant_numeric_are_dropped_with_a_logged_reason(caplog):
    options = SyntheticOptions(closed=600, open=0)
    frame = _closed(options)
    frame["never_filled"] = None  # a categorical nobody fills in: no levels at all
    frame["blank_text"] = "  "  # only blanks: missing after canonicalisation
    frame["always_seven"] = 7.0  # a numeric with one value
    base = synthetic_spec("lead", options)
    spec = FeatureSpec(
        model="lead",
        columns=(
            *base.columns,
            FeatureColumn("never_filled", "Never filled", "categorical"),
            FeatureColumn("blank_text", "Blank text", "categorical"),
            FeatureColumn("always_seven", "Always seven", "numeric"),
        ),
    )
    with caplog.at_level("WARNING", logger="rapport.ml.train"):
        trained = train_model(frame, LEAD, spec, FAST_CONFIG, window=WINDOW)
    dropped = {d.column: d.reason for d in trained.uninformative}
    assert dropped == {
        "never_filled": "never filled in on the training rows",
        "blank_text": "never filled in on the training rows",
        "always_seven": "the same value (7.0) on every training row",
    }
    assert not {"never_filled", "blank_text", "always_seven"} & set(trained.bundle.spec.names)
    assert trained.evaluation.auc > 0.7
    logged = caplog.text
    assert "never_filled (Never filled): never filled in" in logged
    assert "always_seven (Always seven): the same value (7.0)" in logged
    # The model scores rows that do fill the dropped columns in (they are ignored).
    later = frame.tail(5).assign(never_filled="Partner", always_seven=3.0)
    assert np.isfinite(trained.bundle.predict_proba(later)).all()


def test_only_empty_features_fail_with_a_clear_error():
    frame = _closed(SyntheticOptions(closed=300, open=0))
    frame["never_filled"] = None
    spec = FeatureSpec(model="lead", columns=(FeatureColumn("never_filled", "Never filled", "categorical"),))
    with pytest.raises(TrainingError, match="every feature column is empty or constant"):
        train_model(frame, LEAD, spec, FAST_CONFIG, window=WINDOW)
