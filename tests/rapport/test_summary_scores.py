"""The run summary says how many records were really scored, not only how many rows were stored."""

from __future__ import annotations

from datetime import date

from rapport.settings import Settings
from rapport.summary import RunSummary, render_summary


def _summary(scores: dict[str, int], not_scored: dict[str, int]) -> RunSummary:
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
