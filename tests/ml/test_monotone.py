"""Monotone constraints (scoring.monotone_decay): a column's declared direction holds for every record."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from rapport.ml.features import (
    FeatureColumn,
    FeatureSpec,
    FeatureSpecError,
    load_feature_spec,
    training_window,
)
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from tests.ml.support import AS_OF, FAST_CONFIG, X_EDUCATION, x_education_rows

ROOT = Path(__file__).resolve().parents[2]
LEAD = get_target("lead")
WINDOW = training_window(AS_OF, 730)
TIME_ON_SITE = "total_time_spent_on_website"
DECAYING = {  # the relationship inputs that change with time alone, and the direction of their effect
    "health_score": 1,
    "volume_component": 1,
    "recency_component": 1,
    "days_since_our_last_activity": -1,
    "days_since_their_last_activity": -1,
}


@pytest.mark.parametrize("model", ["lead", "opportunity"])
def test_the_features_models_declare_the_direction_of_the_decaying_inputs(model):
    spec = load_feature_spec(get_target(model), ROOT / "dbt_project")
    assert spec.monotone_constraints == DECAYING
    assert FeatureSpec.from_dict(spec.to_dict()).monotone_constraints == DECAYING  # kept in the bundle's spec


def test_a_direction_on_a_categorical_or_an_unknown_word_is_refused(tmp_path):
    with pytest.raises(FeatureSpecError, match="numeric"):
        FeatureColumn("industry", "Industry", "categorical", monotone=1)
    path = tmp_path / "models" / "marts" / "scoring" / "fct_lead_features.yml"
    path.parent.mkdir(parents=True)
    feature = {"field": "Health", "kind": "numeric", "monotone": "upwards"}
    path.write_text(
        yaml.safe_dump(
            {
                "models": [
                    {"name": "fct_lead_features", "columns": [{"name": "h", "meta": {"feature": feature}}]}
                ]
            }
        )
    )
    with pytest.raises(FeatureSpecError, match="increasing or decreasing"):
        load_feature_spec(LEAD, tmp_path)


def _steps_against(trained, frame, column: str, direction: int) -> int:
    """How many (record, step) pairs move the score against ``direction`` as ``column`` rises over its range."""
    rows = frame.iloc[:: max(1, len(frame) // 300)].reset_index(drop=True)
    grid = np.quantile(frame[column].dropna(), np.linspace(0, 1, 25))
    scores = np.stack(
        [trained.bundle.predict_proba(rows.assign(**{column: value})) for value in grid], axis=1
    )
    return int((direction * np.diff(scores, axis=1) < -1e-9).sum())


@pytest.mark.skipif(not X_EDUCATION.exists(), reason=f"reference data {X_EDUCATION} not present")
def test_a_declared_direction_holds_for_every_record_and_costs_no_skill():
    frame, spec = x_education_rows()
    honest = spec.without({"tags", "lead_quality"})
    # X Education leads: the longer on the website, the likelier to convert (the README's strongest field)
    declared = FeatureSpec(
        "lead",
        tuple(replace(c, monotone=1) if c.name == TIME_ON_SITE else c for c in honest.columns),
        source=honest.source,
    )
    free = train_model(frame, LEAD, declared, replace(FAST_CONFIG, monotone_decay=False), window=WINDOW)
    constrained = train_model(frame, LEAD, declared, FAST_CONFIG, window=WINDOW)
    assert constrained.params.monotone == ((TIME_ON_SITE, 1),)
    assert free.params.monotone == ()
    # unconstrained, the trees learn dips: some records lose score as their time on site grows
    assert _steps_against(free, frame, TIME_ON_SITE, 1) > 0
    assert _steps_against(constrained, frame, TIME_ON_SITE, 1) == 0  # evaluated and refitted model alike
    assert constrained.evaluation.auc > free.evaluation.auc - 0.01
