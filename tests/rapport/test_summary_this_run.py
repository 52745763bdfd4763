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


def test_relationship_marts_skipped_by_this_runs_build_are_named(tmp_path: Path) -> None:
    """Issue 17: a build that left the relationship models out (fingerprint unchanged) says so and since when."""
    path = tmp_path / "warehouse.duckdb"
    _warehouse(path)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table audit.build_fingerprints (group_name varchar, built_at timestamp)")
        connection.execute("insert into audit.build_fingerprints values ('relationships', ?)", [EARLIER])
    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path / "var"), "RAPPORT_WAREHOUSE": str(path)})
    notice = "relationship marts unchanged since 2026-11-27 08:00:00: skipped (nothing they read changed)"
    assert notice in collect_summary(settings, DS, since=STARTED).notices
    assert notice in render_summary(collect_summary(settings, DS, since=STARTED), settings)
    with duckdb.connect(str(path)) as connection:  # built by this run: nothing was skipped
        connection.execute("update audit.build_fingerprints set built_at = ?", [datetime(2026, 11, 27, 9, 5)])
    assert not any("unchanged since" in text for text in collect_summary(settings, DS, since=STARTED).notices)
