"""Custom scoring fields declared in rapport.toml ([scoring.<model>.fields]) and the feature spec."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rapport.config import Config
from rapport.ml.features import (
    NEVER_FILLED_LEVEL,
    FeatureColumn,
    FeatureSpec,
    FeatureSpecError,
    apply_field_declarations,
    build_levels,
    prepare_matrix,
)

BUILTIN = FeatureSpec(
    model="lead",
    columns=(
        FeatureColumn("industry", "Industry", "categorical"),
        FeatureColumn("days_since_created", "Lead age", "numeric"),
    ),
)


def test_declared_fields_are_added_turned_off_or_refused_with_a_reason():
    declared = {
        "fields": {
            "lead_origin": {"kind": "categorical", "display": "Lead origin"},
            "total_visits": {"kind": "numeric"},
            "tags": {"kind": "categorical", "after_outcome": True},
            "days_since_created": {"use": False},
        }
    }
    spec, notes = apply_field_declarations(BUILTIN, declared)
    assert spec.names == ["industry", "custom_lead_origin", "custom_total_visits"]
    assert spec.column("custom_lead_origin").field == "Lead origin"
    assert spec.column("custom_total_visits").field == "Total visits"
    assert "lead feature days_since_created turned off in rapport.toml" in notes
    assert any("Tags (tags) refused: declared after_outcome" in note for note in notes)


def test_a_builtin_name_that_does_not_exist_is_an_error_naming_the_section():
    with pytest.raises(
        FeatureSpecError, match=r"\[scoring.lead.fields.lead_ages\]: 'lead_ages' is not a built-in"
    ):
        apply_field_declarations(BUILTIN, {"fields": {"lead_ages": {"use": False}}})
    with pytest.raises(FeatureSpecError, match="kind 'date' is not one of"):
        apply_field_declarations(BUILTIN, {"fields": {"signed": {"kind": "date"}}})


def test_the_config_carries_the_section_to_dbt_vars():
    data = _defaults()
    data["scoring"] = {**data["scoring"], "lead": {"fields": {"origin": {"kind": "categorical"}}}}
    config = Config.from_dict(data)
    assert config.dbt_vars()["scoring_lead"] == {"fields": {"origin": {"kind": "categorical"}}}
    assert config.dbt_vars()["scoring_opportunity"] == {}


def test_a_categorical_never_filled_in_keeps_one_level_and_trains():
    import xgboost as xgb

    spec = FeatureSpec("lead", (FeatureColumn("industry", "Industry", "categorical"),
                                FeatureColumn("visits", "Visits", "numeric")))  # fmt: skip
    frame = pd.DataFrame({"industry": [None] * 40, "visits": np.arange(40.0)})
    levels = build_levels(frame, spec)
    matrix = prepare_matrix(frame, spec, levels)
    assert list(matrix["industry"].cat.categories) == [NEVER_FILLED_LEVEL]
    assert matrix["industry"].isna().all()
    booster = xgb.train(
        {"max_depth": 2}, xgb.DMatrix(matrix, label=np.arange(40) % 2, enable_categorical=True), 3
    )
    assert booster.num_boosted_rounds() == 3


def _defaults() -> dict:
    import tomllib

    from rapport.config import DEFAULTS_PATH

    return tomllib.loads(DEFAULTS_PATH.read_text())
