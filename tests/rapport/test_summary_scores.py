"""The run summary says how many records were really scored, not only how many rows were stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb

from rapport.settings import Settings
from rapport.summary import RunSummary, open_record_counts, render_summary


def _summary(
    scores: dict[str, int], not_scored: dict[str, int], baseline: dict[str, int] | None = None
) -> RunSummary:
    return RunSummary(
        ds=date(2025, 6, 1),
        tables_extracted=1,
        rows_extracted=10,
        rows_clean=10,
        rows_quarantined=0,
        unbalanced_tables=(),
        models_built=1,
        tests_passed=1,
        tests_warned=0,
        scores=scores,
        not_scored=not_scored,
        baseline=baseline or {},
    )


def test_records_below_the_gate_are_not_counted_as_scored(tmp_path):
    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path)})
    text = render_summary(
        _summary({"lead": 0, "opportunity": 120}, {"lead": 8636, "opportunity": 0}), settings
    )
    assert "scored       0 leads (8,636 more stored unscored: not enough data), 120 opportunities" in text
    assert "8,636 leads" not in text
    text = render_summary(_summary({"lead": 0, "opportunity": 0}, {"lead": 277}), settings)
    assert "scored       0 scored: no model (" in text
    assert "; 277 leads stored unscored (not enough data)" in text


def test_baseline_scores_are_named_as_such_not_counted_as_scored(tmp_path):
    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path)})
    text = render_summary(_summary({"lead": 0, "opportunity": 0}, {"lead": 30}, {"lead": 30}), settings)
    assert "0 scored: no model" in text
    assert "30 leads stored unscored (not enough data), 30 of them with a baseline score" in text
    text = render_summary(_summary({"lead": 0, "opportunity": 5}, {"lead": 30}, {"lead": 30}), settings)
    assert (
        "0 leads (30 more stored unscored: not enough data; 30 with a baseline score), 5 opportunities"
        in text
    )


def test_a_run_with_nothing_open_names_the_champions_instead_of_saying_no_model(tmp_path):
    """X Education's export holds only closed leads: the lead model is trained and promoted, nothing is open."""
    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path)})
    champion = "rapport_lead_scoring v1 (trained as of 2025-02-01, test AUC 0.890, ready)"
    summary = replace(_summary({"lead": 0, "opportunity": 0}, {}), idle_champions=(champion,))
    text = render_summary(summary, settings)
    assert "scored       0 scored: no lead or opportunity is open at the as-of date" in text
    assert "no model" not in text
    assert f"champions    {champion}: nothing to score in this run" in text
    assert "none used in this run" in render_summary(_summary({"lead": 0, "opportunity": 0}, {}), settings)


def test_open_records_are_counted_from_the_features_snapshot_of_the_day():
    connection = duckdb.connect()
    connection.execute("create schema marts")
    for entity in ("lead", "opportunity"):
        connection.execute(
            f"create table marts.fct_{entity}_features (as_of_date date, label int, closed_at timestamp)"
        )
    connection.execute(
        "insert into marts.fct_lead_features values "
        "('2025-02-01', 1, '2025-01-02'), ('2025-02-01', null, null), ('2025-01-31', null, null)"
    )
    assert open_record_counts(connection, date(2025, 2, 1)) == {"lead": 1, "opportunity": 0}
    connection.execute(
        "delete from marts.fct_lead_features where label is null and as_of_date = '2025-02-01'"
    )
    assert open_record_counts(connection, date(2025, 2, 1)) == {"lead": 0, "opportunity": 0}
    connection.execute("drop table marts.fct_opportunity_features")
    assert open_record_counts(connection, date(2025, 2, 1)) is None
