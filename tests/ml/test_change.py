"""Why the score changed (issue 11): per record, the fields that moved it since its previous score.

Real data: a model trained on X Education leads (tests/ml/support.py); 300 of the leads are then open,
scored on two days; between the days 40 of them get a new "Total Time Spent on Website" and "Last
Activity", the others nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pandas as pd

from rapport.ml.change import _value_text
from rapport.ml.features import training_window
from rapport.ml.score import score_records
from rapport.ml.synthetic import write_feature_table
from rapport.ml.tables import ensure_ml_tables
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from rapport.warehouse import connect
from tests.ml.support import AS_OF, FAST_CONFIG, x_education_rows

LEAD = get_target("lead")


def _open(frame: pd.DataFrame, day) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return frame.assign(
        as_of_date=day.date(),
        feature_at=day,
        created_at=day - timedelta(days=3),
        closed_at=pd.NaT,
        label=np.nan,
    )


def test_every_rescored_lead_says_why_its_score_changed(settings):
    frame, spec = x_education_rows()
    spec = spec.without({"tags", "lead_quality"})
    trained = train_model(frame.iloc[:8000], LEAD, spec, FAST_CONFIG, window=training_window(AS_OF, 730))
    leads = frame.iloc[8000:8300].reset_index(drop=True)
    day1, day2 = AS_OF, AS_OF + timedelta(days=1)
    moved = leads.index[:40]
    later = leads.copy()
    later.loc[moved, "total_time_spent_on_website"] = later.loc[moved, "total_time_spent_on_website"] + 900
    later.loc[moved, "last_activity"] = "SMS Sent"
    with connect(settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
        write_feature_table(connection, LEAD, pd.concat([_open(leads, day1), _open(later, day2)]))
        score_records(connection, LEAD, day1, trained.bundle, "1", FAST_CONFIG, model_name="m")
        score_records(connection, LEAD, day2, trained.bundle, "1", FAST_CONFIG, model_name="m")
        first, second = (
            connection.execute(
                "select record_id, score, previous_score, change_json from ml.lead_score_history "
                "where as_of_date = ? order by record_id",
                [day.date()],
            ).df()
            for day in (day1, day2)
        )
    assert first["change_json"].isna().all()  # no previous score yet
    assert second["previous_score"].notna().all() and second["change_json"].notna().all()
    changes = {row.record_id: json.loads(row.change_json) for row in second.itertuples()}
    moved_ids = set(leads.loc[moved, "lead_id"])
    for record_id, change in changes.items():
        assert change["since"] == day1.date().isoformat() and change["model_changed"] is False
        before = first.set_index("record_id").loc[record_id, "score"]
        assert (change["previous_score"], change["score"]) == (
            before,
            second.set_index("record_id").loc[record_id, "score"],
        )
        if record_id not in moved_ids:
            assert change["moved_by"] == [] and change["score"] == change["previous_score"]
    # Independent reading: the fields listed for a changed lead are the ones we changed, with their values.
    # (A lead whose time was already past every split and whose activity was already "SMS Sent" may not move.)
    listed = [changes[record_id]["moved_by"] for record_id in moved_ids]
    assert all("note" not in changes[record_id] for record_id in moved_ids)
    assert all(
        changes[record_id]["moved_by"]
        for record_id in moved_ids
        if changes[record_id]["score"] != changes[record_id]["previous_score"]
    )
    assert sum(bool(entries) for entries in listed) >= 30
    listed = [entries for entries in listed if entries]
    top_fields = {entries[0]["field"] for entries in listed}
    assert top_fields <= {"Total Time Spent on Website", "Last Activity"}
    activity = [e for entries in listed for e in entries if e["field"] == "Last Activity"]
    assert activity and all(e["to"] == "SMS Sent" for e in activity)
    # The per-field changes add up to the booster's log-odds change (TreeSHAP is additive).
    row = next(i for i in moved if changes[leads.loc[i, "lead_id"]]["moved_by"])
    margin = trained.bundle.margin(trained.bundle.matrix(pd.concat([leads.iloc[[row]], later.iloc[[row]]])))
    total = sum(e["change"] for e in changes[leads.loc[row, "lead_id"]]["moved_by"])
    assert abs((margin[1] - margin[0]) - total) < 0.05 * max(1.0, abs(margin[1] - margin[0]))


def test_why_changed_reaches_the_scores_mart_and_the_record_page_for_every_rescored_record(
    tmp_path, monkeypatch
):
    """ml.lead_score_history.change_json -> stg_ml -> fct_predictive_scores.score_change_json -> the page's data."""
    from rapport.config import load_config
    from rapport.insights import data
    from rapport.settings import PROJECT_ROOT, Settings
    from rapport.transform import run_dbt

    warehouse = tmp_path / "warehouse.duckdb"
    settings = Settings.from_env(
        {
            "RAPPORT_HOME": str(tmp_path / "var"),
            "RAPPORT_WAREHOUSE": str(warehouse),
            "RAPPORT_CONFIG": str(PROJECT_ROOT / "rapport.toml"),
        }
    )
    frame, spec = x_education_rows()
    spec = spec.without({"tags", "lead_quality"})
    trained = train_model(frame.iloc[:8000], LEAD, spec, FAST_CONFIG, window=training_window(AS_OF, 730))
    leads = frame.iloc[8000:8200].reset_index(drop=True)
    later = leads.copy()
    later.loc[:29, "total_time_spent_on_website"] = later.loc[:29, "total_time_spent_on_website"] + 900
    day1, day2 = AS_OF, AS_OF + timedelta(days=1)
    with connect(warehouse) as connection:
        ensure_ml_tables(connection)
        write_feature_table(connection, LEAD, pd.concat([_open(leads, day1), _open(later, day2)]))
        score_records(connection, LEAD, day1, trained.bundle, "1", FAST_CONFIG, model_name="m")
        score_records(connection, LEAD, day2, trained.bundle, "1", FAST_CONFIG, model_name="m")
    monkeypatch.setenv("RAPPORT_WAREHOUSE", str(warehouse))  # the dbt profile reads it
    summary = run_dbt(
        "build",
        settings=settings,
        config=load_config(PROJECT_ROOT / "rapport.toml"),
        as_of=day2,
        select="stg_ml__lead_score_history stg_ml__opportunity_score_history fct_predictive_scores",
        extra=["--indirect-selection", "cautious"],
        raise_on_failure=False,
    )
    assert summary.succeeded, "\n".join(summary.failures)
    with connect(warehouse) as connection:
        # Independent reading: the score history's rows with a previous score, and the mart's rows.
        joined = connection.execute(
            """
            select history.record_id, history.as_of_date, history.previous_score, history.score,
                   history.change_json, scores.score_change_json
            from ml.lead_score_history as history
            inner join marts.fct_predictive_scores as scores
                on scores.msdyn_entitytype = 'lead' and scores.msdyn_entityid = history.record_id
                and scores.msdyn_scoredon = history.as_of_date
            """
        ).df()
        assert len(joined) == 2 * len(leads)
        rescored = joined[joined.previous_score.notna()]
        assert len(rescored) == len(leads)
        assert rescored.score_change_json.notna().all()
        assert (rescored.score_change_json == rescored.change_json).all()
        assert joined[joined.previous_score.isna()].score_change_json.isna().all()
        # What the record page reads: the latest score's stored change, fields that moved and their values.
        connection.execute("use marts")
        moved = rescored[rescored.score != rescored.previous_score]
        assert len(moved) >= 20
        for row in moved.itertuples():
            history = data.scores(connection, data.entity("leads"), row.record_id, day1.date())
            change = data.score_change(history)
            assert change is not None, row.record_id
            assert (change["from_score"], change["to_score"]) == (row.previous_score, row.score)
            assert change["from_date"] == day1.date().isoformat()
            assert [m["field"] for m in change["moved_by"]][:1] == ["Total Time Spent on Website"]
            assert change["moved_by"][0]["direction"] == (
                "raises" if row.score > row.previous_score else "lowers"
            )


def test_values_then_and_now_read_pandas_missing_values_as_none():
    """A nullable column's missing value (pandas' NA) is shown as missing, never an error."""
    values = pd.Series([pd.NA, 1.5, None], dtype="Float64")
    assert [_value_text(v) for v in values] == [None, "1.5", None]
    assert [_value_text(v) for v in (np.nan, pd.NaT, "Email Opened", 3)] == [None, None, "Email Opened", "3"]
