"""Point-in-time training rows and the prospective check, on a real lead file with a CRM timer (issue 11).

X Education's leads (real fields, real outcomes) are put in a CRM that disqualifies a lead 90 days after
its creation (tests/ml/support.py: x_education_timer_history). Trained on closed leads described a week
before their close, "days since created" separates the classes (every timer-disqualified lead is 83 days
old) and the model reports that as skill; trained on snapshots (closed leads described while open, at
earlier runs, like the open leads a run scores) it does not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise

import duckdb
import pytest

from rapport.ml.features import FeatureSpec, read_closed_rows, training_window
from rapport.ml.prospective import check_prospectively
from rapport.ml.snapshots import choose_cuts, read_rows_open_at, read_training_rows
from rapport.ml.targets import get_target
from rapport.ml.train import train_model
from tests.ml.support import AS_OF, FAST_CONFIG, auc, x_education_timer_history

LEAD = get_target("lead")
# Fields of X Education with little signal of their own (so that lead age dominates, as in the issue's
# CRM) and the lead age.
WEAK = ("city", "country", "specialization", "days_since_created")
NO_SCREENS = replace(FAST_CONFIG, shift_feature_psi=1000.0, leakage_feature_auc=1.01)


@pytest.fixture(scope="module")
def timer_crm() -> tuple[duckdb.DuckDBPyConnection, FeatureSpec]:
    history, spec = x_education_timer_history(every_days=15)
    spec = FeatureSpec("lead", tuple(c for c in spec.columns if c.name in WEAK), source=spec.source)
    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.register("history", history)
    connection.execute("create table marts.fct_lead_features as select * from history")
    return connection, spec


def test_independent_reading_lead_age_separates_closed_rows_but_not_open_ones(timer_crm):
    """Without any ml code: lead age alone on the close - gap rows vs on the leads open at the cut."""
    connection, _ = timer_crm
    closed = connection.execute(
        "select label, days_since_created from marts.fct_lead_features "
        "where as_of_date = (select max(as_of_date) from marts.fct_lead_features) and label is not null"
    ).df()
    open_then = connection.execute(
        """
        with final as (
            select lead_id, label from marts.fct_lead_features
            where as_of_date = (select max(as_of_date) from marts.fct_lead_features) and label is not null
        ),
        cut as (select max(as_of_date) as d from marts.fct_lead_features where as_of_date <= ?)
        select final.label, history.days_since_created
        from marts.fct_lead_features as history
        inner join final on history.lead_id = final.lead_id
        where history.as_of_date = (select d from cut) and history.label is null
        """,
        [(AS_OF - timedelta(days=90)).date()],
    ).df()
    # Older leads are the timer's: lower age = more likely qualified, so AUC is taken of -age.
    on_closed = auc(closed["label"], -closed["days_since_created"])
    on_open = auc(open_then["label"], -open_then["days_since_created"])
    print(f"lead age alone: AUC {on_closed:.3f} on close - gap rows, {on_open:.3f} on leads open at the cut")
    assert on_closed > 0.9
    assert on_open < 0.7


def test_close_gap_rows_report_the_timer_as_skill_and_the_gate_refuses(timer_crm):
    connection, spec = timer_crm
    check = check_prospectively(connection, LEAD, spec, replace(NO_SCREENS, snapshot_every_days=0), AS_OF)
    print(f"close - gap rows, no screens: test AUC {check.test_auc:.3f} vs prospective {check.auc:.3f}")
    assert check.status == "measured" and check.records > 500
    assert check.test_auc - check.auc > 0.25
    refusal = check.refusal(check.test_auc, FAST_CONFIG.prospective_max_auc_drop)
    assert refusal and "prospective AUC" in refusal and "prospective_max_auc_drop" in refusal
    # Prospectively the scores are far off too: the model thinks open leads young, hence likely to qualify.
    assert check.ece > 0.2


def test_the_shift_screen_catches_lead_age_on_close_gap_rows(timer_crm):
    connection, spec = timer_crm
    check = check_prospectively(connection, LEAD, spec, replace(FAST_CONFIG, snapshot_every_days=0), AS_OF)
    assert "days_since_created" in check.screened_out
    assert abs(check.test_auc - check.auc) <= 0.05


def test_snapshot_rows_keep_lead_age_honest_test_and_prospective_auc_agree(timer_crm):
    connection, spec = timer_crm
    config = replace(NO_SCREENS, snapshot_every_days=30)
    check = check_prospectively(connection, LEAD, spec, config, AS_OF)
    print(
        f"snapshots, no screens: test AUC {check.test_auc:.3f} vs prospective {check.auc:.3f}, "
        f"prospective ECE {check.ece:.3f}"
    )
    assert check.status == "measured"
    assert abs(check.test_auc - check.auc) <= 0.05
    assert check.refusal(check.test_auc, FAST_CONFIG.prospective_max_auc_drop) is None
    assert check.ece <= 0.08  # mean score close to the rate of the leads open at the cut
    # The default screens keep lead age: on snapshots it is no artefact (an old open lead is a timer's lead).
    # Trained as of the cut, when leads were still being created (the file's last lead is 50 days old today).
    cut = check.cut
    assert cut is not None
    moment = datetime(cut.year, cut.month, cut.day)
    window = training_window(moment, FAST_CONFIG.training_window_days)
    rows = read_training_rows(
        connection, LEAD, spec, window, snapshot_every_days=30, min_positive=40, min_negative=40
    )
    assert rows.source == "snapshots" and len(rows.cuts) >= 15
    trained = train_model(
        rows.frame,
        LEAD,
        spec,
        replace(FAST_CONFIG, snapshot_every_days=30),
        window=window,
        open_rows=read_rows_open_at(connection, LEAD, spec, (cut,)),
    )
    assert "days_since_created" in trained.bundle.spec.names
    assert trained.shift.dropped == () and trained.leakage.dropped == ()


def test_snapshot_rows_are_point_in_time_and_split_by_record(timer_crm):
    connection, spec = timer_crm
    window = training_window(AS_OF, FAST_CONFIG.training_window_days)
    rows = read_training_rows(
        connection, LEAD, spec, window, snapshot_every_days=30, min_positive=40, min_negative=40
    ).frame
    closed = read_closed_rows(connection, LEAD, spec, window).set_index("lead_id")
    # Every snapshot describes its record while open, with the record's final outcome.
    assert (rows["feature_at"] <= rows["closed_at"]).all() and (rows["feature_at"] > rows["created_at"]).all()
    assert (rows["label"].to_numpy() == closed.loc[rows["lead_id"], "label"].to_numpy()).all()
    assert rows["lead_id"].duplicated().any()  # several snapshots per record
    from rapport.ml.train import split_by_close

    fit, validation, test = split_by_close(rows, 0.2, 0.2, "lead_id")
    ids = [set(part["lead_id"]) for part in (fit, validation, test)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert fit["closed_at"].max() <= test["closed_at"].min()


def test_choose_cuts_walks_back_over_the_history():
    from datetime import date

    available = [date(2026, 1, 1) + timedelta(days=7 * i) for i in range(30)]
    cuts = choose_cuts(available, date(2026, 7, 1), 30, date(2026, 1, 1))
    assert cuts == tuple(sorted(cuts)) and all(c < date(2026, 7, 1) for c in cuts)
    assert all((b - a).days >= 28 for a, b in pairwise(cuts))
    assert choose_cuts(available, date(2026, 7, 1), 0, date(2026, 1, 1)) == ()


def test_a_prospective_refusal_keeps_the_challenger_whatever_its_auc():
    from rapport.ml.prospective import ProspectiveCheck
    from rapport.ml.registry import decide_promotion

    check = ProspectiveCheck("lead", "measured", "-", cut=AS_OF.date(), records=900, positives=200, auc=0.65)
    assert check.refusal(0.74, 0.10) is None  # within 0.10 AUC
    refusal = check.refusal(0.94, 0.10)
    assert refusal is not None and "0.290 below the test AUC 0.940" in refusal
    decision = decide_promotion(
        challenger_version="3",
        challenger_auc=0.94,
        band="ready",
        champion_version=None,
        champion_auc=None,
        test_records=500,
        refusal=refusal,
    )
    assert not decision.promoted and decision.reason == f"version 3 is not promoted: {refusal}"
    assert check.metrics()["prospective_auc"] == 0.65
    assert ProspectiveCheck("lead", "unavailable", "no history").metrics() == {}


def test_train_and_publish_logs_the_prospective_check_and_refuses_an_artefact(settings):
    """Through the DAG's function: close - gap rows on the timer CRM are trained, logged, and not promoted."""
    import mlflow

    from rapport.ml import pipeline
    from rapport.ml.synthetic import write_feature_table
    from rapport.ml.tables import ensure_ml_tables
    from rapport.ml.tracking import mlflow_store
    from rapport.warehouse import connect
    from tests.ml.support import write_spec_yaml

    history, spec = x_education_timer_history(every_days=15)
    spec = FeatureSpec("lead", tuple(c for c in spec.columns if c.name in WEAK))
    write_spec_yaml(settings, LEAD, spec)
    with connect(settings.warehouse_path) as connection:
        write_feature_table(connection, LEAD, history)
        ensure_ml_tables(connection)
    config = replace(NO_SCREENS, snapshot_every_days=0, ok_auc=0.55)
    result = pipeline.train_and_publish("lead", AS_OF, settings=settings, config=config)
    assert result.status == "trained" and not result.is_champion
    assert result.promotion is not None and "prospective AUC" in result.promotion.reason
    with mlflow_store(settings):
        run = mlflow.get_run(result.run_id)
    metrics, tags = run.data.metrics, run.data.tags
    assert metrics["test_auc"] - metrics["prospective_auc"] > config.prospective_max_auc_drop
    assert metrics["prospective_records"] > 500
    assert (
        tags["training_rows"].startswith("close - gap rows") and "trained as of" in tags["prospective_check"]
    )
