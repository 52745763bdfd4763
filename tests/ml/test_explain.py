"""Reasons: TreeSHAP per source field, direction, sentences with population figures, JSON size."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from rapport.ml.bundle import ModelBundle
from rapport.ml.calibration import PlattCalibrator
from rapport.ml.explain import cut_reasons_json, explain_records, field_contributions
from rapport.ml.features import FeatureColumn, FeatureSpec, build_levels, prepare_matrix, training_window
from rapport.ml.population import bin_texts, compute_population, numeric_edges, sentence
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from tests.ml.support import AS_OF, FAST_CONFIG, X_EDUCATION, x_education_rows

LEAD = get_target("lead")
OPPORTUNITY = get_target("opportunity")


def _bundle(frame: pd.DataFrame, labels: np.ndarray, spec: FeatureSpec, model: str = "lead") -> ModelBundle:
    levels = build_levels(frame, spec)
    matrix = prepare_matrix(frame, spec, levels)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "tree_method": "hist", "seed": 0},
        xgb.DMatrix(matrix, label=labels, enable_categorical=True),
        num_boost_round=30,
    )
    return ModelBundle(
        model, booster, spec, levels, PlattCalibrator(), compute_population(matrix, labels, spec)
    )


@pytest.fixture(scope="module")
def monotone():
    """``meetings`` decides the outcome (more meetings, more wins); ``industry`` carries a weaker signal."""
    rng = np.random.default_rng(0)
    n = 2000
    meetings = rng.integers(0, 10, n).astype(float)
    industry = rng.choice(["Financial", "Retail", "Health"], n)
    effect = pd.Series(industry).map({"Financial": 1.5, "Retail": 0.0, "Health": -1.5}).to_numpy()
    labels = ((meetings + effect >= 5) ^ (rng.random(n) < 0.05)).astype(int)
    spec = FeatureSpec(
        "opportunity",
        (
            FeatureColumn("meetings_90d", "Meetings in the last 90 days", "numeric"),
            FeatureColumn("industry", "Industry", "categorical"),
            FeatureColumn("noise", "Noise", "numeric"),
        ),
    )
    frame = pd.DataFrame({"meetings_90d": meetings, "industry": industry, "noise": rng.random(n)})
    return _bundle(frame, labels, spec, "opportunity"), frame, labels


def test_a_feature_monotone_with_the_label_raises_high_and_lowers_low_records(monotone):
    bundle, _, _ = monotone
    records = pd.DataFrame(
        {"meetings_90d": [9.0, 0.0], "industry": ["Retail", "Retail"], "noise": [0.5, 0.5]}
    )
    explained = explain_records(bundle, records, ["high", "low"], OPPORTUNITY, per_side=5, max_chars=2000)
    reasons = explained.reasons
    high = reasons[reasons["record_id"] == "high"]
    low = reasons[reasons["record_id"] == "low"]
    top_high = high[(high["direction"] == "raises") & (high["rank"] == 1)].iloc[0]
    top_low = low[(low["direction"] == "lowers") & (low["rank"] == 1)].iloc[0]
    assert top_high["field"] == "Meetings in the last 90 days" and top_high["contribution"] > 0
    assert top_low["field"] == "Meetings in the last 90 days" and top_low["contribution"] < 0
    # Sentences quote the training population of the record's bin.
    assert top_high["sentence"].startswith("Meetings in the last 90 days is 8 or more: ")
    assert top_high["sentence"].endswith("% of such opportunities were won")
    assert top_high["population_rate"] > 0.9 and top_low["population_rate"] < 0.1
    assert bundle.predict_proba(records)[0] > 0.9 > 0.1 > bundle.predict_proba(records)[1]
    # JSON: most important first, valid.
    first = json.loads(explained.reasons_json[0])[0]
    assert first == {
        "effect": "raises",
        "field": "Meetings in the last 90 days",
        "value": "8 or more",
        "text": top_high["sentence"],
    }


def test_contributions_add_up_to_the_margin(monotone):
    bundle, frame, _ = monotone
    matrix = bundle.matrix(frame.head(50))
    contributions = bundle.contributions(matrix)
    np.testing.assert_allclose(contributions.sum(axis=1), bundle.margin(matrix), rtol=1e-4, atol=1e-4)
    per_field = field_contributions(contributions, bundle.spec)
    np.testing.assert_allclose(
        per_field.sum(axis=1) + contributions[:, -1], bundle.margin(matrix), rtol=1e-4, atol=1e-4
    )


def test_columns_of_one_source_field_are_summed():
    rng = np.random.default_rng(3)
    n = 1500
    received = rng.poisson(5, n).astype(float)
    sent = rng.poisson(5, n).astype(float)
    labels = ((received + sent + rng.normal(0, 1, n)) > 10).astype(int)
    spec = FeatureSpec(
        "lead",
        (
            FeatureColumn("emails_received", "E-mails", "numeric", "E-mails received in the last 90 days"),
            FeatureColumn("emails_sent", "E-mails", "numeric", "E-mails sent in the last 90 days"),
            FeatureColumn("noise", "Noise", "numeric"),
        ),
    )
    frame = pd.DataFrame({"emails_received": received, "emails_sent": sent, "noise": rng.random(n)})
    bundle = _bundle(frame, labels, spec)
    record = pd.DataFrame({"emails_received": [12.0], "emails_sent": [1.0], "noise": [0.5]})
    contributions = bundle.contributions(bundle.matrix(record))
    reasons = explain_records(bundle, record, ["r"], LEAD, per_side=5, max_chars=2000).reasons
    email = reasons[reasons["field"] == "E-mails"].iloc[0]
    assert email["contribution"] == pytest.approx(contributions[0, 0] + contributions[0, 1], abs=1e-5)
    # The sentence quotes the field's column with the larger share: here the 12 received e-mails.
    assert email["column_name"] == "emails_received"
    assert email["sentence"].startswith("E-mails received in the last 90 days is ")
    assert len(reasons[reasons["field"] == "E-mails"]) == 1


def test_missing_and_unseen_values_are_named(monotone):
    bundle, _, _ = monotone
    records = pd.DataFrame({"meetings_90d": [np.nan, 6.0], "industry": ["Mining", None], "noise": [0.5, 0.5]})
    reasons = explain_records(bundle, records, ["a", "b"], OPPORTUNITY, per_side=5, max_chars=2000).reasons
    by_record = {
        key: dict(zip(rows["field"], rows["sentence"], strict=True))
        for key, rows in reasons.groupby("record_id")
    }
    assert by_record["a"]["Industry"] == "Industry is Mining: a value not seen in training"
    assert by_record["a"]["Meetings in the last 90 days"] == (
        "Meetings in the last 90 days is unknown: no such opportunities in the training data"
    )
    assert by_record["b"]["Industry"] == "Industry is unknown: no such opportunities in the training data"


def test_reasons_json_is_cut_to_whole_reasons_and_stays_valid():
    rng = np.random.default_rng(5)
    n = 1500
    columns = tuple(
        FeatureColumn(
            f"f{i}", f"A rather long source field name number {i} used to overflow the budget", "numeric"
        )
        for i in range(12)
    )
    spec = FeatureSpec("lead", columns)
    values = rng.normal(0, 1, (n, 12))
    labels = (values @ rng.normal(0, 1, 12) + rng.normal(0, 0.5, n) > 0).astype(int)
    frame = pd.DataFrame(values, columns=[c.name for c in columns])
    bundle = _bundle(frame, labels, spec)
    full = explain_records(bundle, frame.head(20), list(range(20)), LEAD, per_side=5, max_chars=100_000)
    cut = explain_records(bundle, frame.head(20), list(range(20)), LEAD, per_side=5, max_chars=2000)
    assert max(len(text) for text in full.reasons_json) > 2000  # the budget is really exercised
    for whole, short in zip(full.reasons_json, cut.reasons_json, strict=True):
        assert len(short) <= 2000
        kept, everything = json.loads(short), json.loads(whole)
        assert 0 < len(kept) < len(everything)
        assert kept == everything[: len(kept)]  # the most important reasons survive, whole
    per_side = full.reasons.groupby(["record_id", "direction"]).size()
    assert per_side.max() == 5  # at most reasons_per_side each way
    assert full.reasons.groupby("record_id").size().max() == 10


def test_cut_reasons_json_edges():
    fragments = ['{"a":1}', '{"b":2}', '{"c":3}']
    assert cut_reasons_json(fragments, 2000) == '[{"a":1},{"b":2},{"c":3}]'
    assert cut_reasons_json(fragments, 17) == '[{"a":1},{"b":2}]'
    assert cut_reasons_json(fragments, 16) == '[{"a":1}]'
    assert cut_reasons_json(fragments, 5) == "[]"


def test_numeric_bins_read_naturally():
    assert bin_texts((3.0, 12.0), is_integer=True) == ["less than 3", "3 to 11", "12 or more"]
    assert bin_texts((0.0, 1.0, 2.0), is_integer=True) == ["less than 0", "0", "1", "2 or more"]
    # Fractional values are named by rank, never by raw edges ("between 0.422 and 0.679").
    assert bin_texts((0.25, 1.5), is_integer=False) == [
        "low (compared with other records)",
        "medium (compared with other records)",
        "high (compared with other records)",
    ]
    assert not any(char.isdigit() for text in bin_texts((0.1, 0.2, 0.4, 0.7), False) for char in text)
    assert numeric_edges(np.array([0, 0, 0, 0, 1, 2, 3, 5, 8, 13, np.nan])) == (0.0, 1.0, 3.0, 8.0)
    assert numeric_edges(np.array([1234.5678, 2345.6789, 3456.789, 4567.89, 5678.9])) == (
        2120.0,
        3010.0,
        3900.0,
        4790.0,
    )


def test_small_groups_are_quoted_as_counts(monotone):
    bundle, _, _ = monotone
    column = bundle.population.columns["industry"]
    group = column.groups[1]
    from dataclasses import replace

    small = replace(group, records=3, positives=2)
    assert sentence(column, small, OPPORTUNITY).endswith(": 2 of 3 such opportunities were won")
    assert sentence(column, group, LEAD).endswith("% of such leads qualified")


QUOTED_RATE = re.compile(r": (\d+) % of such ")
QUOTED_COUNTS = re.compile(r": (\d+) of (\d+) such ")


def contradicting(reasons: pd.DataFrame, overall_rate: float) -> pd.DataFrame:
    """Reason rows whose quoted figure lies on the other side of the overall rate than their direction.

    Read from the sentence itself (what a person sees), not from the stored figure columns.
    """
    bad = []
    overall = 100 * overall_rate
    for row in reasons.itertuples():
        rate = QUOTED_RATE.search(row.sentence)
        counts = QUOTED_COUNTS.search(row.sentence)
        if rate:
            quoted = float(rate.group(1))
            tolerance = 0.5  # the sentence rounds to whole percent
        elif counts:
            quoted = 100 * int(counts.group(1)) / int(counts.group(2))
            tolerance = 0.0
        else:
            continue
        if (row.direction == "raises" and quoted < overall - tolerance) or (
            row.direction == "lowers" and quoted > overall + tolerance
        ):
            bad.append(row.Index)
    return reasons.loc[bad]


def test_no_reason_quotes_a_rate_against_its_direction(monotone):
    bundle, frame, _ = monotone
    explained = explain_records(bundle, frame, frame.index, OPPORTUNITY, per_side=3, max_chars=10_000)
    reasons = explained.reasons
    assert len(reasons) >= 2 * len(frame)
    assert contradicting(reasons, bundle.population.overall_rate).empty
    reworded = reasons[~reasons["sentence"].str.contains(" such ")]
    # Interactions exist here (Noise has no effect of its own), so some reasons carry no rate.
    assert len(reworded) > 0
    assert reworded["sentence"].str.contains("given its other fields").all()
    # The JSON carries the same sentences.
    texts = {item["text"] for text in explained.reasons_json for item in json.loads(text)}
    assert set(reworded["sentence"]) <= texts


@pytest.mark.skipif(not X_EDUCATION.exists(), reason=f"reference data {X_EDUCATION} not present")
def test_x_education_reasons_never_contradict_their_figures_nor_quote_raw_edges():
    frame, spec = x_education_rows()
    honest = spec.without({"tags", "lead_quality"})
    trained = train_model(frame, LEAD, honest, FAST_CONFIG, window=training_window(AS_OF, 730))
    test = trained.test_frame
    explained = explain_records(trained.bundle, test, test["lead_id"], LEAD, per_side=5, max_chars=2000)
    reasons = explained.reasons
    assert len(reasons) > 5 * len(test)
    assert contradicting(reasons, trained.bundle.population.overall_rate).empty
    # Independent check of the stored figures: a quoted percentage equals its stored population rate.
    quoted = reasons[reasons["sentence"].str.contains(" % of such ")]
    percent = quoted["sentence"].str.extract(QUOTED_RATE.pattern, expand=False).astype(float)
    assert (percent - (100 * quoted["population_rate"]).round()).abs().max() <= 1
    assert not reasons["sentence"].str.contains(r"\d\.\d{3}").any()  # no raw three-decimal edges
