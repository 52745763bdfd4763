"""Write-back: the dbt scores marts, the day's exports, and the PostgreSQL upsert (real server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from rapport.ml.features import training_window
from rapport.ml.score import score_records
from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec, write_feature_table
from rapport.ml.tables import ensure_ml_tables
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from rapport.settings import PROJECT_ROOT
from rapport.warehouse import connect
from rapport.writeback import POSTGRES_TABLE, WriteBackError, export_day, upsert_day
from tests.ml.support import AS_OF, FAST_CONFIG

LEAD, OPPORTUNITY = get_target("lead"), get_target("opportunity")
OPTIONS = SyntheticOptions(closed=800, open=60)
DAY2 = AS_OF + timedelta(days=1)


def run_dbt_scores(settings) -> subprocess.CompletedProcess:
    """``dbt build --select tag:scores`` of the real project against the test's warehouse."""
    env = {
        **os.environ,
        "RAPPORT_WAREHOUSE": str(settings.warehouse_path),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
        "DBT_TARGET_PATH": str(settings.var_dir / "dbt" / "target"),
        "DBT_LOG_PATH": str(settings.var_dir / "dbt" / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    dbt = os.path.join(os.path.dirname(sys.executable), "dbt")
    command = [dbt, "build", "--select", "tag:scores", "--project-dir", str(PROJECT_ROOT / "dbt_project")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def _features(target, day):
    frame = make_feature_rows(target, AS_OF, replace(OPTIONS, seed=11 if target is OPPORTUNITY else 7))
    if day == AS_OF:
        return frame
    later = frame[frame["label"].isna()].assign(as_of_date=day.date(), feature_at=day)
    later["meetings_90d"] = later["meetings_90d"] + 2  # every open record moves
    return pd.concat([frame, later])


def _score(settings, bundles, day):
    with connect(settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
        for target, bundle in bundles.items():
            write_feature_table(connection, target, _features(target, day))
            score_records(
                connection, target, day, bundle, "1", FAST_CONFIG, model_name=target.registered_model
            )


@pytest.fixture(scope="module")
def bundles():
    out = {}
    for target in (LEAD, OPPORTUNITY):
        frame = _features(target, AS_OF)
        closed = frame[frame["label"].notna()].copy()
        closed["label"] = closed["label"].astype("int8")
        trained = train_model(
            closed.sort_values("closed_at"),
            target,
            synthetic_spec(target.model, OPTIONS),
            FAST_CONFIG,
            window=training_window(AS_OF, 730),
        )
        out[target] = trained.bundle
    return out


@pytest.fixture(scope="module")
def scored(module_settings, bundles):
    """Day 1 scored for leads and opportunities, and the scores marts built by dbt."""
    _score(module_settings, bundles, AS_OF)
    build = run_dbt_scores(module_settings)
    assert build.returncode == 0, build.stdout[-3000:]
    return module_settings, build.stdout


def _postgres_rows(uri):
    import psycopg

    with psycopg.connect(uri) as connection:
        return connection.execute(
            f"select msdyn_entitytype, msdyn_entityid, msdyn_score, msdyn_grade, msdyn_scoretrend, msdyn_scoredon, "
            f"msdyn_scorereasons from {POSTGRES_TABLE} order by 1, 2"
        ).fetchall()


def write_back(settings, as_of, *, batch_rows=None):
    """The DAG's ``export_scores`` then ``upsert_scores`` tasks for ``as_of``; rows upserted."""
    day = as_of.date()
    export_day(settings, day)
    if batch_rows is None:
        return upsert_day(settings, day)
    return upsert_day(settings, day, batch_rows=batch_rows)


def test_dbt_scores_marts_build_with_their_tests(scored):
    settings, output = scored
    assert "unit_test" in output and "ERROR=0" in output and "PASS=" in output
    with connect(settings.warehouse_path) as connection:
        mart = connection.execute("select * from marts.fct_predictive_scores").df()
        history = connection.execute("select * from ml.lead_score_history").df()
        insights = connection.execute("select * from marts.fct_attribute_insights").df()
    assert len(mart) == 120 and set(mart["msdyn_entitytype"]) == {"lead", "opportunity"}
    leads = mart[mart["msdyn_entitytype"] == "lead"].set_index("msdyn_entityid")
    for row in history.itertuples():
        assert leads.loc[row.record_id, "msdyn_score"] == row.score
        assert leads.loc[row.record_id, "msdyn_grade"] == "ABCD".index(row.grade)
        assert leads.loc[row.record_id, "msdyn_scoretrend"] == 3  # first scoring: not enough info
    assert (
        mart["msdyn_predictivescoreid"]
        .str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .all()
    )
    assert set(insights["entity_type"]) == {"lead", "opportunity"}


def test_exports_are_written_and_replaced_on_rerun(scored):
    settings, _ = scored
    rows, export_dir, _ = export_day(settings, AS_OF.date())
    folder = settings.exports_dir / "scores" / "ds=2026-11-27"
    assert export_dir == folder and rows == 120
    parquet = pd.read_parquet(folder / "predictive_scores.parquet")
    csv = pd.read_csv(folder / "predictive_scores.csv")
    assert len(parquet) == len(csv) == 120
    assert {"msdyn_entityid", "msdyn_score", "msdyn_grade", "msdyn_scoretrend", "msdyn_scorereasons"} <= set(
        csv.columns
    )
    json.loads(parquet["msdyn_scorereasons"].iloc[0])
    (folder / "stale.txt").write_text("from an earlier run")
    export_day(settings, date(2026, 11, 27))
    assert sorted(p.name for p in folder.iterdir()) == ["predictive_scores.csv", "predictive_scores.parquet"]
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no temporary folders left


@pytest.mark.postgres
def test_postgres_upsert_is_idempotent_and_keeps_newer_days(scored, bundles, postgres_db):
    settings, _ = scored
    settings = replace(settings, writeback_uri=postgres_db)
    assert write_back(settings, AS_OF) == 120
    rows = _postgres_rows(postgres_db)
    assert len(rows) == 120 and {row[5].isoformat() for row in rows} == {"2026-11-27"}
    assert write_back(settings, AS_OF) == 120
    assert _postgres_rows(postgres_db) == rows


@pytest.mark.postgres
def test_failures_leave_yesterdays_rows_intact(scored, bundles, postgres_db, monkeypatch):
    settings = replace(scored[0], writeback_uri=postgres_db)
    write_back(settings, AS_OF)
    yesterday = _postgres_rows(postgres_db)
    assert len(yesterday) == 120

    _score(settings, bundles, DAY2)
    # The mart was not rebuilt after scoring day 2: write-back refuses stale rows.
    with pytest.raises(WriteBackError, match="stale"):
        write_back(settings, DAY2)
    assert run_dbt_scores(settings).returncode == 0

    # 1. An exception after half of the rows were sent.
    import rapport.writeback as writeback

    calls = []
    original = writeback._write_batch

    def fail_on_second_batch(copy, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise RuntimeError("connection lost mid-write")
        original(copy, batch)

    monkeypatch.setattr(writeback, "_write_batch", fail_on_second_batch)
    with pytest.raises(RuntimeError, match="mid-write"):
        write_back(settings, DAY2, batch_rows=60)
    assert calls == [60, 60]
    assert _postgres_rows(postgres_db) == yesterday
    monkeypatch.undo()

    # 2. A row the table's constraints refuse (a score out of range): the whole day is rolled back.
    with connect(settings.warehouse_path) as connection:
        victim, score = connection.execute(
            "select msdyn_predictivescoreid, msdyn_score from marts.fct_predictive_scores "
            "where msdyn_scoredon = ? order by msdyn_entitytype desc, msdyn_entityid limit 1",
            [DAY2.date()],
        ).fetchone()
        connection.execute(
            "update marts.fct_predictive_scores set msdyn_score = 150 where msdyn_predictivescoreid = ? "
            "and msdyn_scoredon = ?",
            [victim, DAY2.date()],
        )
    with pytest.raises(WriteBackError, match="rolled back"):
        write_back(settings, DAY2)
    assert _postgres_rows(postgres_db) == yesterday

    # 3. Fixed: day 2 replaces day 1; re-sending day 1 afterwards does not overwrite the newer scores.
    with connect(settings.warehouse_path) as connection:
        connection.execute(
            "update marts.fct_predictive_scores set msdyn_score = ? where msdyn_predictivescoreid = ? "
            "and msdyn_scoredon = ?",
            [score, victim, DAY2.date()],
        )
    assert write_back(settings, DAY2) == 120
    today = _postgres_rows(postgres_db)
    assert {row[5].isoformat() for row in today} == {"2026-11-28"}
    assert any(row[4] != 3 for row in today)  # trends against day 1 exist now
    assert write_back(settings, AS_OF) == 0
    assert _postgres_rows(postgres_db) == today


def test_missing_mart_is_a_clear_error(settings):
    with connect(settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
    with pytest.raises(WriteBackError, match="dbt build --select tag:scores"):
        write_back(settings, AS_OF)
