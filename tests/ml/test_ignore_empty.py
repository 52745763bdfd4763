"""D365's per-field "Ignore empty values" (``ignore_empty = true`` in [scoring.<model>.fields.<column>]).

An empty value of such a field says nothing: the booster never sees it empty (a record with it empty stands
for weighted copies holding the field's usual filled values, in training and in scoring), so the score of
such a record is the mean over its copies, and no reason cites the emptiness. Unit tests of the feature
matrix, then the real X Education leads (many empty or "Select" fields), trained with the setting off and on.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from rapport.ml.bundle import ModelBundle
from rapport.ml.explain import explain_records
from rapport.ml.features import (
    FeatureColumn,
    FeatureSpec,
    FeatureSpecError,
    apply_field_declarations,
    build_levels,
    empty_value_fills,
    expand_empty_values,
    prepare_matrix,
    training_window,
)
from rapport.ml.targets import get_target
from rapport.ml.train import train_model, uninformative_features
from tests.ml.support import AS_OF, FAST_CONFIG, x_education_rows

LEAD = get_target("lead")
BUILTIN = FeatureSpec(
    model="lead",
    columns=(
        FeatureColumn("industry", "Industry", "categorical"),
        FeatureColumn("days_since_created", "Lead age", "numeric"),
    ),
)


def test_ignore_empty_is_declared_on_custom_and_builtin_fields_noted_and_saved():
    declared = {
        "fields": {
            "industry": {"ignore_empty": True},  # a built-in field
            "occupation": {"kind": "categorical", "display": "Occupation", "ignore_empty": True},
            "visits": {"kind": "numeric"},
        }
    }
    spec, notes = apply_field_declarations(BUILTIN, declared)
    assert spec.ignore_empty_names == ["industry", "custom_occupation"]
    assert (
        not spec.column("custom_visits").ignore_empty and not spec.column("days_since_created").ignore_empty
    )
    assert (
        "lead: ignore empty values on 2 field(s): Industry, Occupation (an empty value neither raises nor "
        "lowers a score and is never a reason)" in notes
    )
    assert FeatureSpec.from_dict(spec.to_dict()) == spec  # the saved spec keeps the setting
    assert FeatureSpec.from_dict(spec.to_dict()).ignore_empty_names == spec.ignore_empty_names
    with pytest.raises(FeatureSpecError, match=r"\[scoring.lead.fields.industry\]: ignore_empty = 'yes'"):
        apply_field_declarations(BUILTIN, {"fields": {"industry": {"ignore_empty": "yes"}}})


@pytest.fixture
def small() -> tuple[pd.DataFrame, FeatureSpec]:
    spec = FeatureSpec(
        "lead",
        (
            FeatureColumn("origin", "Origin", "categorical", ignore_empty=True),
            FeatureColumn("visits", "Visits", "numeric", ignore_empty=True),
            FeatureColumn("pages", "Pages", "numeric"),  # empty values counted as usual
        ),
    )
    frame = pd.DataFrame(
        {
            "origin": ["a", "a", "a", "a", "a", "a", "b", "b", None, ""],
            "visits": [1.0, 2, 3, 4, 5, 6, 7, 8, np.nan, 10],
            "pages": [1.0, np.nan, 3, 4, 5, 6, 7, 8, 9, 10],
        }
    )
    return frame, spec


def test_fills_follow_the_filled_values_distribution(small):
    frame, spec = small
    matrix = prepare_matrix(frame, spec, build_levels(frame, spec))
    fills = empty_value_fills(matrix, spec, 4)
    assert set(fills) == {"origin", "visits"}  # pages counts its empty values as usual
    assert sorted(fills["origin"]) == ["a", "a", "a", "b"]  # 6 a : 2 b among the filled values
    assert sorted(fills["visits"]) == [2.0, 4.0, 6.0, 8.0]  # quantiles 1/8, 3/8, 5/8, 7/8 of 1..8, 10
    assert empty_value_fills(matrix, spec, 4) == fills  # deterministic
    with pytest.raises(FeatureSpecError, match="empty_value_draws = 0"):
        empty_value_fills(matrix, spec, 0)


def test_the_feature_matrix_replaces_an_ignored_empty_value_by_weighted_copies(small):
    frame, spec = small
    matrix = prepare_matrix(frame, spec, build_levels(frame, spec))
    fills = {"origin": ["b", "a", "a", "a"], "visits": [8.0, 2.0, 6.0, 4.0]}
    expanded = expand_empty_values(matrix, spec, fills)
    # rows 0-7 kept once; row 8 (origin and visits empty) and row 9 (origin "" = empty) as 4 copies each
    assert expanded.owner.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 9, 9, 9, 9]
    assert expanded.weight.tolist() == [1.0] * 8 + [0.25] * 8
    assert np.bincount(expanded.owner, weights=expanded.weight).tolist() == [1.0] * 10
    copies = expanded.matrix
    assert copies["origin"].isna().sum() == 0 and copies["visits"].isna().sum() == 0  # never seen empty
    assert copies["origin"].iloc[8:12].tolist() == fills["origin"] == copies["origin"].iloc[12:].tolist()
    assert copies["visits"].iloc[8:12].tolist() == fills["visits"]
    assert copies["visits"].iloc[12:].tolist() == [10.0] * 4  # filled: kept in every copy
    assert copies["pages"].isna().sum() == 1  # a field without the setting stays empty (row 1)
    assert list(copies["origin"].cat.categories) == list(matrix["origin"].cat.categories)
    pd.testing.assert_frame_equal(copies.iloc[:8], matrix.iloc[:8].reset_index(drop=True))
    means = expanded.mean_by_owner(np.arange(16, dtype="float64"))
    assert means.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 9.5, 13.5]
    untouched = expand_empty_values(matrix, spec, {})
    assert untouched.matrix is matrix and untouched.owner.tolist() == list(range(10))


def test_a_field_with_one_value_once_its_empty_values_are_ignored_is_uninformative(small):
    frame, spec = small
    frame = frame.assign(origin=["a"] * 8 + [None, ""])
    dropped = uninformative_features(frame, spec)
    assert [d.column for d in dropped] == ["origin"] and "once its empty values are ignored" in dropped[
        0
    ].reason
    assert (
        uninformative_features(frame, replace(spec, columns=(FeatureColumn("origin", "O", "categorical"),)))
        == ()
    )


# The real X Education leads ------------------------------------------------------------------------

HONEST = {
    "lead_origin",
    "lead_source",
    "totalvisits",
    "total_time_spent_on_website",
    "page_views_per_visit",
    "specialization",
    "what_is_your_current_occupation",
    "city",
    "country",
    "how_did_you_hear_about_x_education",
}
IGNORED = ("what_is_your_current_occupation", "specialization")


@pytest.fixture(scope="module")
def trained_off_and_on():
    frame, full = x_education_rows()
    off = FeatureSpec("lead", tuple(c for c in full.columns if c.name in HONEST), source=full.source)
    on = replace(
        off, columns=tuple(replace(c, ignore_empty=True) if c.name in IGNORED else c for c in off.columns)
    )
    window = training_window(AS_OF, FAST_CONFIG.training_window_days)
    config = replace(FAST_CONFIG, refit_on_window=False)
    return {
        "off": train_model(frame, LEAD, off, config, window=window),
        "on": train_model(frame, LEAD, on, config, window=window),
    }


def _reasons(bundle: ModelBundle, frame: pd.DataFrame) -> pd.DataFrame:
    return explain_records(
        bundle, frame, frame["lead_id"], LEAD, per_side=FAST_CONFIG.reasons_per_side, max_chars=4000
    ).reasons


def _margin_over_fills(bundle: ModelBundle, frame: pd.DataFrame, column: str, values: list) -> np.ndarray:
    """The mean margin of ``frame`` with ``column`` set to each of ``values`` (computed row by row here)."""
    return np.mean(
        [bundle.margin(bundle.matrix(frame.assign(**{column: value}))) for value in values], axis=0
    )


def test_x_education_with_ignore_empty_no_reason_cites_the_emptiness(trained_off_and_on):
    test = trained_off_and_on["off"].test_frame
    empty = test["what_is_your_current_occupation"].isna()
    assert 0.2 < empty.mean() < 0.6  # the data README: about a third of the leads leave it empty
    off = _reasons(trained_off_and_on["off"].bundle, test)
    on = _reasons(trained_off_and_on["on"].bundle, test)
    cited_off = off[off["column_name"].isin(IGNORED) & (off["value_text"] == "unknown")]
    cited_on = on[on["column_name"].isin(IGNORED) & (on["value_text"] == "unknown")]
    # off: emptiness is a value like any other and is a reason for many leads; on: never
    assert len(cited_off) > 100, off["value_text"].value_counts().head()
    assert cited_on.empty
    # the fields still give reasons where they are filled in
    filled_reasons = on[on["column_name"].isin(IGNORED)]
    assert len(filled_reasons) > 100
    record_empty = dict(zip(test["lead_id"], empty, strict=True))
    assert (
        not filled_reasons[filled_reasons["column_name"] == "what_is_your_current_occupation"]["record_id"]
        .map(record_empty)
        .any()
    )
    assert set(trained_off_and_on["on"].bundle.metadata["ignore_empty"]) == set(IGNORED)


def test_x_education_with_ignore_empty_an_empty_value_scores_as_the_mean_over_usual_values(
    trained_off_and_on,
):
    column = "what_is_your_current_occupation"
    on, off = trained_off_and_on["on"].bundle, trained_off_and_on["off"].bundle
    test = trained_off_and_on["off"].test_frame
    # records empty in the ignored occupation only (specialization filled), to isolate one field
    rows = test[test[column].isna() & test["specialization"].notna()].head(300)
    assert len(rows) >= 100
    fills = on.empty_fills[column]
    assert len(fills) == FAST_CONFIG.empty_value_draws and "Unemployed" in fills  # the most common value
    # on: the score of an empty value is exactly the mean over the usual values (emptiness says nothing)
    np.testing.assert_allclose(
        on.margin(on.matrix(rows)), _margin_over_fills(on, rows, column, fills), atol=1e-5
    )
    # off: emptiness is learned as its own value and moves the score away from that mean, measurably
    gap_off = off.margin(off.matrix(rows)) - _margin_over_fills(off, rows, column, fills)
    assert np.abs(gap_off).mean() > 0.2, np.abs(gap_off).mean()
    assert gap_off.mean() < 0  # X Education: leads without an occupation convert less than the usual value
    # and the two models score those leads differently
    assert np.abs(on.predict_proba(rows) - off.predict_proba(rows)).mean() > 0.02


def test_x_education_models_with_and_without_ignore_empty_both_rank_well(trained_off_and_on):
    for name, trained in trained_off_and_on.items():
        assert trained.evaluation.auc > 0.8, (name, trained.evaluation.auc)
        assert trained.evaluation.ece < 0.08, (name, trained.evaluation.ece)


def test_readiness_and_the_summary_say_which_fields_ignore_empty_values(monkeypatch, tmp_path):
    import duckdb

    from rapport.ml.features import ignore_empty_declared
    from rapport.ml.readiness import check_readiness

    declared = {
        "fields": {
            "industry": {"ignore_empty": True},
            "occupation": {"kind": "categorical", "display": "Occupation", "ignore_empty": True},
            "tags": {"kind": "categorical", "after_outcome": True, "ignore_empty": True},  # refused anyway
            "visits": {"kind": "numeric", "ignore_empty": False},
        }
    }
    assert ignore_empty_declared("lead", declared) == (
        "lead: ignore empty values on 2 field(s): industry, Occupation (an empty value neither raises nor "
        "lowers a score and is never a reason)"
    )
    assert ignore_empty_declared("opportunity", {}) is None
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:  # no features table: not ready, still said
        readiness = check_readiness(connection, "lead", AS_OF, replace(FAST_CONFIG, lead=declared))
    assert not readiness.is_ready
    assert readiness.reason.endswith("; ignore empty values on 2 field(s): industry, Occupation "
                                     "(an empty value neither raises nor lowers a score and is never a reason)")  # fmt: skip
