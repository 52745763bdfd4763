"""The scoring features on a generated CRM: point in time, no post-outcome fields, gate counts, leakage screen.

One tiny CRM is generated, loaded into a temporary DuckDB warehouse and built with dbt (staging, the
relationship intermediates and the scoring features, with their data and unit tests) once per module.
Tests that change raw data work on a copy of that warehouse.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from rapport.config import Config, load_config
from rapport.ml.features import load_feature_spec
from rapport.ml.readiness import check_readiness
from rapport.ml.targets import get_target
from rapport.settings import PROJECT_ROOT, Settings
from rapport.transform import run_dbt
from tests.support.raw_loader import load_export
from tests.support.warehouses import TINY_CRM_END_DATE, Warehouse

AS_OF = datetime(2026, 11, 1)
GAP = timedelta(days=7)
SELECTION = "+fct_lead_features +fct_opportunity_features assert_scoring_features_are_point_in_time"
# Fields Dynamics (and the sample generator) fill in because of the outcome: never features.
POST_OUTCOME = {
    "close_probability",
    "closeprobability",
    "forecast_category",
    "msdyn_forecastcategory",
    "actual_value",
    "actualvalue",
    "actual_close_date",
    "status_reason",
    "status_code",
    "state",
    "state_code",
    "pipeline_phase",
    "stepname",
    "sales_stage",
    "sales_stage_code",
    "qualifying_opportunity_id",
    "modified_at",
    "relationship_type",
    "customertypecode",
}


def _settings(home: Path, warehouse: Path, project_root: Path = PROJECT_ROOT) -> Settings:
    return Settings.from_env(
        {
            "RAPPORT_HOME": str(home),
            "RAPPORT_WAREHOUSE": str(warehouse),
            "RAPPORT_PROJECT_ROOT": str(project_root),
            "RAPPORT_CONFIG": str(PROJECT_ROOT / "rapport.toml"),
        }
    )


def _build(warehouse: Warehouse) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(warehouse.path))
        summary = run_dbt(
            "build",
            settings=warehouse.settings,
            config=warehouse.config,
            as_of=AS_OF,
            select=SELECTION,
            # leave out tests of the shared upstream models that also read marts this test does not build
            extra=["--indirect-selection", "cautious"],
            raise_on_failure=False,
        )
    assert summary.succeeded and summary.tests_passed > 40, "\n".join(summary.failures)


def _read(path: Path, sql: str, parameters: list | None = None) -> pd.DataFrame:
    from rapport import warehouse

    with warehouse.connect(path) as connection:
        return connection.execute(sql, parameters or []).df()


def _execute(path: Path, sql: str, parameters: list | None = None) -> None:
    from rapport import warehouse

    with warehouse.connect(path) as connection:
        connection.execute(sql, parameters or [])


def _copy_file(source: Path, path: Path) -> None:
    """Copy a DuckDB file (checkpointed first, so nothing waits in its write-ahead log). The copy keeps the
    file name: dbt's views name the database (the file's stem)."""
    _execute(source, "checkpoint")
    shutil.copyfile(source, path)


def _copy(built: Warehouse, folder: Path) -> Warehouse:
    path = folder / built.path.name
    _copy_file(built.path, path)
    return Warehouse(path=path, settings=_settings(folder / "var", path), config=built.config)


@pytest.fixture(scope="module")
def export_dir(tiny_crm_export: Path) -> Path:
    assert AS_OF.date() == TINY_CRM_END_DATE
    return tiny_crm_export


@pytest.fixture(scope="module")
def built(export_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    home = tmp_path_factory.mktemp("features")
    path = home / "warehouse.duckdb"
    load_export(export_dir, path)
    warehouse = Warehouse(path=path, settings=_settings(home / "var", path), config=load_config())
    _build(warehouse)
    return warehouse


def _features(path: Path, model: str) -> pd.DataFrame:
    target = get_target(model)
    return _read(
        path,
        f"select * from {target.features_table} where as_of_date = ? order by {target.id_column}",
        [AS_OF.date()],
    )


def test_open_rows_are_described_at_the_as_of_moment_and_closed_rows_a_gap_before_the_close(
    built: Warehouse,
) -> None:
    for model in ("lead", "opportunity"):
        frame = _features(built.path, model)
        open_rows = frame[frame.row_kind == "open"]
        closed = frame[frame.row_kind == "closed"]
        assert len(open_rows) >= 20 and len(closed) >= 200, (model, len(open_rows), len(closed))
        assert (open_rows.feature_at == pd.Timestamp(AS_OF)).all()
        assert open_rows.label.isna().all() and open_rows.closed_at.isna().all()
        assert (closed.feature_at == closed.closed_at - GAP).all()
        assert (closed.closed_at < pd.Timestamp(AS_OF)).all() and closed.label.isin([0, 1]).all()
        assert (frame.feature_at > frame.created_at).all()


def test_records_closed_after_the_as_of_moment_were_open_then(built: Warehouse, tmp_path: Path) -> None:
    """A backfill: at an earlier as-of moment, records closed since are open rows without a label."""
    earlier = AS_OF - timedelta(days=60)
    closed_since = _read(
        built.path,
        "select opportunity_id from staging.stg_crm__opportunities "
        "where not is_open and actual_close_date >= ? and created_at < ?",
        [earlier.date(), earlier],
    ).opportunity_id
    assert len(closed_since) >= 10
    warehouse = _copy(built, tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(warehouse.path))
        run_dbt(
            "build",
            settings=warehouse.settings,
            config=warehouse.config,
            as_of=earlier,
            select="int_opportunities_pinned_to_moments",
        )
    rows = _read(warehouse.path, "select * from intermediate.int_opportunities_pinned_to_moments")
    then = rows[rows.opportunity_id.isin(closed_since)]
    assert len(then) == len(closed_since)
    assert (then.row_kind == "open").all() and then.label.isna().all()
    assert (then.feature_at == pd.Timestamp(earlier)).all()


def _feature_names(model: str) -> list[str]:
    return load_feature_spec(get_target(model), PROJECT_ROOT / "dbt_project").names


def test_fields_filled_in_after_the_outcome_are_not_features(built: Warehouse) -> None:
    for model in ("lead", "opportunity"):
        names = set(_feature_names(model))
        assert len(names) >= 45
        assert not names & POST_OUTCOME, names & POST_OUTCOME
        columns = set(_features(built.path, model).columns)
        assert names <= columns
        assert not columns & POST_OUTCOME, columns & POST_OUTCOME
    # the leaking fields are in the data (the screen and these tests have something to miss)
    staged = _read(
        built.path,
        "select close_probability, forecast_category, actual_value, label "
        "from staging.stg_crm__opportunities inner join marts.fct_opportunity_features using (opportunity_id) "
        "where label is not null",
    )
    assert ((staged.close_probability == 100) == (staged.label == 1)).all()


def _plant(warehouse: Warehouse, closed: pd.Series, open_row: pd.Series, colleague_contact: str) -> None:
    """Post-close activity, a late stakeholder, post-close field changes on ``closed``; a fresh e-mail on
    ``open_row`` (the control: the features must notice that one)."""
    # modified after everything the first build processed (the sample's last change is a second before
    # its end), so the incremental models pick the rows up
    late = AS_OF - timedelta(milliseconds=1)
    path = warehouse.path
    for activity_id, opportunity_id, sent_on in (
        ("planted-after-close", closed.opportunity_id, closed.closed_at + timedelta(days=1)),
        ("planted-control", open_row.opportunity_id, AS_OF - timedelta(hours=1)),
    ):
        _execute(
            path,
            """
            insert into raw.email (activityid, subject, regardingobjectid, regardingobjecttypecode, statecode,
                statuscode, directioncode, senton, ownerid, owneridtype, createdon, modifiedon)
            select ?, 'Thanks!', ?, 'opportunity', 1, 4, false, ?, ownerid, 'systemuser', ?, ?
            from raw.opportunity where opportunityid = ?
            """,
            [activity_id, opportunity_id, sent_on, sent_on, late, opportunity_id],
        )
        _execute(
            path,
            """
            insert into raw.activityparty (activitypartyid, activityid, partyid, partyobjecttypecode,
                participationtypemask)
            select ? || '-from', ?, parentcontactid, 'contact', 1 from raw.opportunity where opportunityid = ?
            union all
            select ? || '-to', ?, ownerid, 'systemuser', 2 from raw.opportunity where opportunityid = ?
            """,
            [activity_id, activity_id, opportunity_id] * 2,
        )
    # a stakeholder connected after the close who had e-mailed the owner before the decision moment
    _execute(
        path,
        """
        insert into raw.connection (connectionid, record1id, record1idobjecttypecode, record1roleid, record2id,
            record2idobjecttypecode, record2roleid, ismaster, statecode, statuscode, createdon, modifiedon)
        select 'planted-stakeholder', ?, 'opportunity', null, ?, 'contact', connectionroleid, true, 0, 1, ?, ?
        from raw.connectionrole where category = 1000 order by connectionroleid limit 1
        """,
        [closed.opportunity_id, colleague_contact, closed.closed_at + timedelta(days=2), late],
    )
    # the fields Dynamics fills in at the close flip (as if the deal had been lost after all)
    _execute(
        path,
        "update raw.opportunity set closeprobability = 100 - closeprobability, msdyn_forecastcategory = 100000006, "
        "actualvalue = null, modifiedon = ? where opportunityid = ?",
        [late, closed.opportunity_id],
    )
    _execute(
        path,
        "update raw.account set customertypecode = 8, modifiedon = ? "
        "where accountid = (select parentaccountid from raw.opportunity where opportunityid = ?)",
        [late, closed.opportunity_id],
    )


def test_nothing_after_feature_at_changes_a_closed_record(built: Warehouse, tmp_path: Path) -> None:
    """Plant, after a won deal's decision moment: the customer's e-mail a day after the close (regarding the
    deal), a stakeholder connected after the close whose earlier e-mails then count for the deal, and the
    close fields flipped. Its feature row is unchanged; an open deal's row does see a new e-mail."""
    candidates = _read(
        built.path,
        """
        with together as (
            select customer.activity_id, customer.person_id as contact_id, colleague.person_id as user_id
            from intermediate.int_activity_participants_resolved as customer
            inner join intermediate.int_activity_participants_resolved as colleague
                on customer.activity_id = colleague.activity_id
            where customer.person_type = 'contact' and customer.takes_part
                and colleague.person_type = 'systemuser' and colleague.takes_part
        )
        select features.opportunity_id, features.closed_at, features.feature_at, together.contact_id
        from marts.fct_opportunity_features as features
        inner join staging.stg_crm__opportunities as opportunities using (opportunity_id)
        inner join together on together.user_id = opportunities.owner_id
        inner join intermediate.int_activities_attributed as activities
            on activities.activity_id = together.activity_id
            and activities.occurred_at > features.created_at
            and activities.occurred_at < features.feature_at
        where features.label = 1 and features.closed_at < ? and opportunities.contact_id is not null
            and not exists (
                select 1 from intermediate.int_record_contacts_of_interest as interest
                where interest.record_id = features.opportunity_id
                    and interest.person_key = 'contact:' || together.contact_id)
        order by features.opportunity_id, together.contact_id
        limit 1
        """,
        [AS_OF - timedelta(days=5)],
    )
    assert len(candidates) == 1
    closed = candidates.iloc[0]
    opens = _features(built.path, "opportunity").query("row_kind == 'open'")
    open_row = opens.iloc[0]

    warehouse = _copy(built, tmp_path)
    before = _features(warehouse.path, "opportunity").set_index("opportunity_id")
    _plant(warehouse, closed, open_row, closed.contact_id)
    _build(warehouse)
    after = _features(warehouse.path, "opportunity").set_index("opportunity_id")

    # the plants reached the models: the e-mail after the close and the stakeholder's earlier e-mails are
    # linked to the deal now (so the features had the chance to count them)
    links = _read(
        warehouse.path,
        "select activity_id, linked_from_at from intermediate.int_activities_linked_to_records "
        "where record_type = 'opportunity' and record_id = ?",
        [closed.opportunity_id],
    )
    assert "planted-after-close" in set(links.activity_id)
    assert (links.linked_from_at == closed.closed_at + timedelta(days=2)).sum() >= 1
    # ...and nothing of it changed the closed deal's row
    columns = ["row_kind", "created_at", "closed_at", "label", "feature_at", *_feature_names("opportunity")]
    pd.testing.assert_series_equal(
        after.loc[closed.opportunity_id, columns], before.loc[closed.opportunity_id, columns]
    )
    # the control: the open deal's row counts the new e-mail
    assert (
        after.loc[open_row.opportunity_id, "emails_received_count"]
        == before.loc[open_row.opportunity_id, "emails_received_count"] + 1
    )
    assert after.loc[open_row.opportunity_id, "days_since_their_last_activity"] == pytest.approx(1 / 24)


def _independent_counts(export_dir: Path, model: str, config: Config) -> tuple[int, int]:
    """(positives, negatives) created and closed in the training window, from the export files alone."""
    start = AS_OF - timedelta(days=config.scoring.training_window_days)
    opportunities = pd.read_parquet(export_dir / "opportunity.parquet")
    if model == "lead":
        leads = pd.read_parquet(export_dir / "lead.parquet")
        opportunity_created = opportunities.set_index("opportunityid").createdon
        qualified_at = leads.qualifyingopportunityid.map(opportunity_created).fillna(leads.modifiedon)
        frame = pd.DataFrame(
            {
                "created": leads.createdon,
                "closed": qualified_at.where(leads.statecode == 1, leads.modifiedon),
                "label": leads.statecode.map({1: 1, 2: 0}),
            }
        )
        frame.loc[frame.label.isna(), "closed"] = pd.NaT
    else:
        frame = pd.DataFrame(
            {
                "created": opportunities.createdon,
                "closed": pd.to_datetime(opportunities.actualclosedate).fillna(opportunities.modifiedon),
                "label": opportunities.statecode.map({1: 1, 2: 0}),
            }
        )
        frame.loc[frame.label.isna(), "closed"] = pd.NaT
    used = frame[
        frame.label.notna()
        & (frame.created >= start)
        & (frame.closed >= start)
        & (frame.closed < AS_OF)
        & (frame.closed - GAP > frame.created)
    ]
    return int((used.label == 1).sum()), int((used.label == 0).sum())


def test_the_readiness_gate_counts_what_training_reads(built: Warehouse, export_dir: Path) -> None:
    from rapport import warehouse

    for model in ("lead", "opportunity"):
        frame = _features(built.path, model)
        closed = frame[frame.row_kind == "closed"]
        with warehouse.connect(built.path) as connection:
            readiness = check_readiness(connection, model, AS_OF, built.config.scoring)
        assert readiness.is_ready, readiness.reason
        assert (readiness.positives, readiness.negatives) == (
            int((closed.label == 1).sum()),
            int((closed.label == 0).sum()),
        )
        assert (readiness.positives, readiness.negatives) == _independent_counts(
            export_dir, model, built.config
        )


def _spec_with_leaks(settings: Settings) -> Path:
    """A copy of the opportunity features YAML that also declares two fields filled in at the close."""
    source = PROJECT_ROOT / "dbt_project" / "models" / "marts" / "scoring" / "fct_opportunity_features.yml"
    document = yaml.safe_load(source.read_text())
    document.pop("unit_tests", None)
    columns = document["models"][0]["columns"]
    columns.append(
        {"name": "close_probability", "meta": {"feature": {"field": "Probability", "kind": "numeric"}}}
    )
    columns.append(
        {"name": "forecast_category", "meta": {"feature": {"field": "Forecast", "kind": "categorical"}}}
    )
    target = settings.dbt_project_dir / "models" / "marts" / "scoring" / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(document, sort_keys=False))
    return target


def test_the_leakage_screen_drops_close_fields_declared_as_features(built: Warehouse, tmp_path: Path) -> None:
    """End to end through train_and_publish: the leaking fields are dropped, reported in MLflow, and the
    model that is registered does not use them."""
    import json

    import mlflow

    from rapport.ml.pipeline import train_and_publish
    from rapport.ml.tracking import mlflow_store

    path = tmp_path / built.path.name
    _copy_file(built.path, path)
    _execute(
        path,
        """
        alter table marts.fct_opportunity_features add column close_probability double;
        alter table marts.fct_opportunity_features add column forecast_category varchar;
        update marts.fct_opportunity_features as features
        set close_probability = opportunities.close_probability, forecast_category = opportunities.forecast_category
        from staging.stg_crm__opportunities as opportunities
        where features.opportunity_id = opportunities.opportunity_id;
        """,
    )
    settings = _settings(tmp_path / "var", path, project_root=tmp_path / "project")
    _spec_with_leaks(settings)
    config = replace(built.config.scoring, max_trees=60, early_stopping_rounds=10)

    result = train_and_publish("opportunity", AS_OF, force=True, settings=settings, config=config)

    assert result.status == "trained", result.reason
    assert {"close_probability", "forecast_category"} <= set(result.dropped_features)
    assert result.test_auc is not None and result.test_auc < config.suspect_model_auc
    with mlflow_store(settings) as client:
        run = client.get_run(result.run_id)
        assert "close_probability" in run.data.tags["leakage_dropped"]
        screen = json.loads(
            Path(
                mlflow.artifacts.download_artifacts(
                    run_id=result.run_id,
                    artifact_path="evaluation/leakage_screen.json",
                    dst_path=str(tmp_path / "artifacts"),
                )
            ).read_text()
        )
        used = json.loads(
            Path(
                mlflow.artifacts.download_artifacts(
                    run_id=result.run_id,
                    artifact_path="evaluation/feature_spec.json",
                    dst_path=str(tmp_path / "artifacts"),
                )
            ).read_text()
        )
    by_column = {row["column"]: row for row in screen}
    assert by_column["close_probability"]["is_dropped"] and by_column["forecast_category"]["is_dropped"]
    assert (
        max(by_column["close_probability"]["auc_all"], by_column["close_probability"]["auc_present"] or 0)
        >= 0.95
    )
    assert {"close_probability", "forecast_category"}.isdisjoint(c["name"] for c in used["columns"])
    # the honest features all stayed
    assert not set(result.dropped_features) - {"close_probability", "forecast_category"}
