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


VISITS = "totalvisits"  # X Education "TotalVisits", declared here as a custom field of rapport.toml


def test_rapport_toml_declares_a_direction_on_a_custom_or_builtin_numeric_field():
    from rapport.ml.features import apply_field_declarations

    builtin = FeatureSpec(
        "lead",
        (
            FeatureColumn("industry", "Industry", "categorical"),
            FeatureColumn("days_since_created", "Lead age", "numeric"),
        ),
    )
    declared = {
        "fields": {
            "visits": {"kind": "numeric", "display": "Visits", "monotone": "increasing"},
            "days_since_created": {"monotone": "decreasing"},
            "origin": {"kind": "categorical"},
        }
    }
    spec, notes = apply_field_declarations(builtin, declared)
    assert spec.monotone_constraints == {"days_since_created": -1, "custom_visits": 1}
    assert FeatureSpec.from_dict(spec.to_dict()).monotone_constraints == spec.monotone_constraints
    assert (
        "lead: direction declared in rapport.toml on 2 field(s): Lead age decreasing, Visits increasing "
        "(applied with scoring.monotone_decay)" in notes
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"visits": {"kind": "numeric", "monotone": "up"}},
            r"\[scoring.lead.fields.visits\]: monotone = 'up' is not a direction; write monotone = \"increasing\"",
        ),
        (
            {"origin": {"kind": "categorical", "monotone": "increasing"}},
            r"\[scoring.lead.fields.origin\]: monotone = \"increasing\" on a categorical field: only a numeric "
            r"field has a direction .* remove the key, or declare kind = \"numeric\"",
        ),
        (
            {"industry": {"monotone": "decreasing"}},  # a built-in categorical
            r"\[scoring.lead.fields.industry\]: monotone = \"decreasing\" on a categorical field",
        ),
        (
            {"visits": {"kind": "number", "monotone": "increasing"}},
            r"\[scoring.lead.fields.visits\]: kind 'number' is not one of",
        ),
    ],
)
def test_rapport_toml_refuses_an_unknown_direction_or_one_on_a_categorical_naming_the_key(entry, message):
    from rapport.ml.features import apply_field_declarations

    builtin = FeatureSpec("lead", (FeatureColumn("industry", "Industry", "categorical"),))
    with pytest.raises(FeatureSpecError, match=message):
        apply_field_declarations(builtin, {"fields": entry})


@pytest.mark.skipif(not X_EDUCATION.exists(), reason=f"reference data {X_EDUCATION} not present")
def test_x_education_a_direction_declared_in_rapport_toml_holds_in_the_scores():
    import pandas as pd

    from rapport.ml.features import apply_field_declarations

    frame, spec = x_education_rows()
    # Independent reading of the file: leads with 8 visits or more convert more often than those with 1-2.
    raw = pd.read_csv(X_EDUCATION)
    assert (
        raw.loc[raw["TotalVisits"] >= 8, "Converted"].mean()
        > raw.loc[raw["TotalVisits"].between(1, 2), "Converted"].mean() + 0.05
    )
    # The #8 path: the built-in spec without the field, the field declared in [scoring.lead.fields] as a
    # custom field (its column in the features table is custom_totalvisits).
    base = spec.without({"tags", "lead_quality", VISITS})
    frame = frame.rename(columns={VISITS: f"custom_{VISITS}"})
    column = f"custom_{VISITS}"
    entry = {"kind": "numeric", "display": "Total visits"}
    free_spec, _ = apply_field_declarations(base, {"fields": {VISITS: entry}})
    declared_spec, _ = apply_field_declarations(
        base, {"fields": {VISITS: {**entry, "monotone": "increasing"}}}
    )
    assert declared_spec.monotone_constraints == {column: 1} and free_spec.monotone_constraints == {}
    free = train_model(frame, LEAD, free_spec, FAST_CONFIG, window=WINDOW)
    constrained = train_model(frame, LEAD, declared_spec, FAST_CONFIG, window=WINDOW)
    assert constrained.params.monotone == ((column, 1),)
    # undeclared, the trees follow the file's dip at 2 visits: some scores fall as visits grow
    assert _steps_against(free, frame, column, 1) > 0
    # declared: no record's score falls as its visits grow (the deployed, refitted model)
    assert _steps_against(constrained, frame, column, 1) == 0
    assert constrained.evaluation.auc > free.evaluation.auc - 0.01
