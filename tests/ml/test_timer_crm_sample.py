"""The sample generator's CRM timer (``[sample] lead_auto_disqualify_days``) and the screen that catches it.

The issue's must-show on generated data: a sample CRM whose leads are disqualified 90 days after
creation is built with dbt as of two runs (the prospective check's cut, 90 days before the end, and the
end), like an installation that ran then and now. Trained on closed leads described a week before their
close, lead age separates the classes (every timer-closed lead is 83 days old) and the model reports that
as skill; the leads open at the cut show it is not. The shift screen (``scoring.shift_feature_psi``) drops
lead age and the reported and prospective AUC agree. As in tests/ml/test_point_in_time_training.py, the
model sees fields with little signal of their own beside lead age, so that lead age dominates as in the
issue's CRM (with every field the bench shows the same direction: bench/eval_scoring.py --timer-days 90).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from rapport.config import load_config
from rapport.ml.features import FeatureSpec, load_feature_spec
from rapport.ml.prospective import check_prospectively
from rapport.ml.targets import get_target
from rapport.settings import PROJECT_ROOT
from rapport.transform import run_dbt
from rapport.warehouse import connect
from tests.ml.support import FAST_CONFIG, auc
from tests.support.raw_loader import load_export
from tests.support.warehouses import warehouse_in

LEAD = get_target("lead")
END = datetime(2026, 11, 1)
TIMER_DAYS = 90
# Lead fields with little signal of their own, and the lead age (tests/ml/test_point_in_time_training.py).
WEAK = ("country", "industry", "lead_source", "days_since_created")
NO_SCREENS = replace(FAST_CONFIG, snapshot_every_days=0, shift_feature_psi=1000.0, leakage_feature_auc=1.01)
SHIFT_SCREEN = replace(FAST_CONFIG, snapshot_every_days=0)  # close - gap rows, the screens as in rapport.toml


@pytest.fixture(scope="module")
def timer_crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(export folder, warehouse) of a small sample with the timer, features built as of END - 90 d and END."""
    from rapport.sample import generate

    home = tmp_path_factory.mktemp("timer-crm")
    export = home / "crm"
    generate(
        export,
        scale="small",
        seed=42,
        end_date=END.date(),
        progress=False,
        activities=50_000,
        lead_auto_disqualify_days=TIMER_DAYS,
    )
    warehouse = warehouse_in(home, load_config())
    load_export(export, warehouse.path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(warehouse.path))
        for day in (END - timedelta(days=FAST_CONFIG.prospective_days), END):
            summary = run_dbt(
                "run",
                settings=warehouse.settings,
                config=warehouse.config,
                as_of=day,
                select="+fct_lead_features",
                raise_on_failure=False,
            )
            assert summary.succeeded, "\n".join(summary.failures)
    return export, warehouse.path


def _weak_spec() -> FeatureSpec:
    spec = load_feature_spec(LEAD, PROJECT_ROOT / "dbt_project")
    return FeatureSpec("lead", tuple(c for c in spec.columns if c.name in WEAK), source=spec.source)


def test_independent_reading_the_timer_closes_leads_and_lead_age_separates_only_closed_rows(timer_crm):
    """Without any ml code: the export's leads, and lead age on close - gap rows vs the leads open at the cut."""
    export, path = timer_crm
    connection = duckdb.connect()
    leads = connection.execute(
        f"""
        select
            statecode,
            statuscode,
            date_diff('second', createdon, modifiedon) / 86400.0 as days_open,
            date_diff('second', createdon, ?) / 86400.0 as age_at_end
        from read_parquet('{export / "lead.parquet"}')
        """,
        [END],
    ).df()
    disqualified = leads[leads.statecode == 2]
    on_timer = disqualified[(disqualified.days_open - TIMER_DAYS).abs() < 1 / 24]
    # Most disqualified leads are the timer's: closed exactly TIMER_DAYS after creation, status Canceled.
    assert len(on_timer) > 0.5 * len(disqualified) and (on_timer.statuscode == 7).all()
    assert (leads[leads.statecode != 0].days_open <= TIMER_DAYS + 1 / 24).all()
    assert (leads[leads.statecode == 0].age_at_end < TIMER_DAYS).all()  # nothing stays open past the timer
    cut = (END - timedelta(days=FAST_CONFIG.prospective_days)).date()
    with connect(path) as warehouse:
        closed = warehouse.execute(
            "select label, days_since_created from marts.fct_lead_features "
            "where as_of_date = ? and label is not null",
            [END.date()],
        ).df()
        open_then = warehouse.execute(
            """
            select later.label, history.days_since_created
            from marts.fct_lead_features as history
            inner join marts.fct_lead_features as later
                on history.lead_id = later.lead_id and later.as_of_date = ? and later.label is not null
            where history.as_of_date = ? and history.label is null
            """,
            [END.date(), cut],
        ).df()
    on_closed = auc(closed["label"], -closed["days_since_created"])
    # Younger than the timer's leads (83 days on close - gap rows): qualified on close - gap rows, but among
    # the leads open at the cut the same ages are mostly leads the timer will close.
    young = TIMER_DAYS - FAST_CONFIG.decision_gap_days - 3
    rate_closed = closed[closed.days_since_created < young]["label"].mean()
    rate_open = open_then[open_then.days_since_created < young]["label"].mean()
    print(
        f"lead age alone: AUC {on_closed:.3f} on close - gap rows; leads younger than {young} days qualified: "
        f"{rate_closed:.0%} of close - gap rows, {rate_open:.0%} of the leads open at {cut}"
    )
    assert on_closed > 0.9
    assert rate_closed > 0.7 and rate_open < 0.35


def test_without_the_screens_the_timer_passes_as_skill(timer_crm):
    _, path = timer_crm
    with connect(path) as connection:
        check = check_prospectively(connection, LEAD, _weak_spec(), NO_SCREENS, END)
    print(f"timer CRM, no screens: test AUC {check.test_auc:.3f} vs prospective {check.auc:.3f}")
    assert check.status == "measured" and check.records > 150
    assert check.test_auc is not None and check.auc is not None
    assert check.test_auc - check.auc > 0.3
    assert check.screened_out == ()
    assert check.refusal(check.test_auc, FAST_CONFIG.prospective_max_auc_drop) is not None


def test_the_shift_screen_drops_lead_age_and_test_and_prospective_auc_agree(timer_crm):
    _, path = timer_crm
    with connect(path) as connection:
        check = check_prospectively(connection, LEAD, _weak_spec(), SHIFT_SCREEN, END)
    print(f"timer CRM, shift screen: test AUC {check.test_auc:.3f} vs prospective {check.auc:.3f}")
    assert check.status == "measured"
    assert "days_since_created" in check.screened_out
    assert check.test_auc is not None and check.auc is not None
    assert abs(check.test_auc - check.auc) <= 0.05


def test_the_timer_is_off_by_default_and_validated(tmp_path):
    from rapport.config import SampleConfig
    from rapport.sample.scales import GenerationError

    assert load_config(PROJECT_ROOT / "rapport.toml").sample.lead_auto_disqualify_days == 0
    assert SampleConfig().lead_auto_disqualify_days == 0
    from rapport.sample import generate

    with pytest.raises(GenerationError, match="lead_auto_disqualify_days"):
        generate(
            tmp_path, scale="tiny", end_date=date(2026, 1, 1), progress=False, lead_auto_disqualify_days=5
        )
    assert not any(tmp_path.iterdir())
