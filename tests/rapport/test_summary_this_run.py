"""The run summary reports the run that just finished, never figures an earlier run left in the same home."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb

from rapport.settings import Settings
from rapport.summary import collect_summary, render_summary

DS = date(2026, 11, 27)
EARLIER = datetime(2026, 11, 27, 8, 0)
STARTED = datetime(2026, 11, 27, 9, 0)


def _warehouse(path: Path) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema audit; create schema ml")
        connection.execute(
            "create table audit.extract_manifest (ds date, rows bigint, extracted_at timestamp)"
        )
        connection.execute(
            "create table audit.dbt_runs (ds date, models_built int, tests_passed int, tests_warned int, "
            "finished_at timestamp)"
        )
        connection.execute(
            "create table ml.lead_score_history (as_of_date date, scored_at timestamp, status varchar)"
        )
        # an earlier sample run on the same date: 277 leads scored, 15 tables extracted
        connection.execute(
            "insert into ml.lead_score_history select ?, ?, 'scored' from range(277)", [DS, EARLIER]
        )
        connection.execute(
            "insert into audit.extract_manifest select ?, 1000, ? from range(15)", [DS, EARLIER]
        )
        # this run (a mail archive): 11 tables, nothing scored
        connection.execute("insert into audit.extract_manifest select ?, 10, ? from range(11)", [DS, STARTED])
        connection.execute("insert into audit.dbt_runs values (?, 43, 279, 0, ?)", [DS, STARTED])


def test_only_rows_written_since_the_run_started_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    _warehouse(path)
    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path / "var"), "RAPPORT_WAREHOUSE": str(path)})
    summary = collect_summary(settings, DS, since=STARTED, as_of_note="2026-11-27, the day after ...")
    assert summary.tables_extracted == 11 and summary.rows_extracted == 110
    assert summary.scores == {"lead": 0, "opportunity": 0} and summary.champions == ()
    text = render_summary(summary, settings)
    assert "0 scored: no model" in text and "277" not in text
    assert "as of        2026-11-27, the day after ..." in text
    # without a start moment (the old behaviour) the earlier run's figures leak in: the filter matters
    assert collect_summary(settings, DS).scores["lead"] == 277
