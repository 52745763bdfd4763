"""Relationship analytics end to end: dbt on a generated tiny CRM against an independent pandas implementation.

One tiny CRM is generated and loaded into a temporary DuckDB warehouse per module; dbt builds the staging,
intermediate and mart models of relationship analytics through ``rapport.transform.run_dbt`` (which also
runs their data tests and unit tests). The marts are then compared with
``tests.support.relationship_reference``, a pandas implementation written from the documented rules, for a
few hundred records; the KPI model (int_relationship_kpis_at_moments) and the health macro are evaluated at
per-record moments; and an incremental history is shown to equal a full refresh.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rapport.config import load_config
from rapport.transform import DbtRunSummary, run_dbt
from tests.support.dbt_inline import query_inline
from tests.support.raw_loader import load_export
from tests.support.relationship_reference import Prepared, compute_health, compute_kpis, load_tables, prepare
from tests.support.warehouses import TINY_CRM_END_DATE, Warehouse, warehouse_in

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
EARLIER = datetime(2026, 10, 25, tzinfo=UTC)
MIDDLE = datetime(2026, 10, 28, tzinfo=UTC)
NEXT_DAY = datetime(2026, 11, 2, tzinfo=UTC)
# the relationship marts and everything they read (the KPI moments include the scoring features' moments)
SELECTION = "+path:models/marts/relationships"
KPI_COLUMNS = [
    *(
        f"{measure}{window}_count"
        for measure in (
            "emails_sent",
            "emails_received",
            "meetings_sent",
            "meetings_received",
            "calls_made",
            "calls_received",
            "tasks",
        )
        for window in ("", "_this_year", "_previous_years", "_last_n_days")
    ),
    "activity_count",
    "customer_initiated_count",
    "hours_ours",
    "hours_theirs",
    "last_activity_ours_at",
    "last_activity_ours_type",
    "last_activity_ours_by",
    "last_activity_theirs_at",
    "last_activity_theirs_type",
    "last_activity_theirs_by",
    "next_activity_ours_at",
    "next_activity_ours_type",
    "avg_response_hours_ours",
    "avg_response_hours_theirs",
    "avg_email_response_hours_ours",
    "avg_email_response_hours_theirs",
    "our_emails_replied_count",
    "customer_response_rate",
    "emails_sent_to_received_ratio",
    "most_contacted_name",
    "most_contacted_by_name",
    "first_activity_at",
]
HEALTH_COMPONENTS = ("volume", "recency", "reciprocity", "responsiveness")


def _build(
    warehouse: Warehouse,
    as_of: datetime,
    *,
    full_refresh: bool = False,
    skip_unchanged: bool = False,
    select: str = SELECTION,
) -> DbtRunSummary:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(warehouse.path))
        patch.setenv("RAPPORT_HOME", str(warehouse.settings.var_dir))
        summary = run_dbt(
            "build",
            settings=warehouse.settings,
            config=warehouse.config,
            as_of=as_of,
            select=select,
            extra=["--full-refresh"] if full_refresh else None,
            skip_unchanged=skip_unchanged,
        )
    assert summary.succeeded and (summary.skipped or summary.tests_passed > 50), summary
    return summary


def _read(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    from rapport import warehouse as rapport_warehouse

    with rapport_warehouse.connect(warehouse.path) as connection:
        return connection.execute(sql).df()


def _query_macro(warehouse: Warehouse, sql: str) -> pd.DataFrame:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(warehouse.path))
        return query_inline(sql, settings=warehouse.settings, config=warehouse.config, as_of=AS_OF)


@pytest.fixture(scope="module")
def export_dir(tiny_crm_export: Path) -> Path:
    assert AS_OF.date() == TINY_CRM_END_DATE
    return tiny_crm_export


@pytest.fixture(scope="module")
def built(export_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The tiny CRM loaded and built in full at AS_OF."""
    warehouse = warehouse_in(tmp_path_factory.mktemp("full"), load_config())
    load_export(export_dir, warehouse.path)
    _build(warehouse, AS_OF)
    return warehouse


@pytest.fixture(scope="module")
def reference(export_dir: Path) -> Prepared:
    return prepare(load_tables(export_dir))


def _sample_records(reference: Prepared, per_type: dict[str, int], before: pd.Timestamp) -> pd.DataFrame:
    linked = set(zip(reference.links.record_type, reference.links.record_id, strict=True))
    records = reference.records[reference.records.created_at < before]
    records = records[[key in linked for key in zip(records.record_type, records.record_id, strict=True)]]
    return pd.concat(
        [records[records.record_type == kind].sample(n=n, random_state=7) for kind, n in per_type.items()],
        ignore_index=True,
    )


def _assert_same(actual: pd.DataFrame, expected: pd.DataFrame, columns: list[str], keys: list[str]) -> None:
    merged = actual.merge(expected, on=keys, suffixes=("_dbt", "_pandas"), validate="one_to_one")
    assert len(merged) == len(expected) == len(actual)
    for column in columns:
        left, right = merged[f"{column}_dbt"], merged[f"{column}_pandas"]
        if pd.api.types.is_numeric_dtype(right) and not pd.api.types.is_bool_dtype(right):
            same = np.isclose(left.astype(float), right.astype(float), equal_nan=True, rtol=0, atol=1e-6)
        else:
            same = (left.astype(object) == right.astype(object)) | (left.isna() & right.isna())
        assert same.all(), (
            f"{column}: {merged.loc[~same, [*keys, f'{column}_dbt', f'{column}_pandas']].head()}"
        )


def test_kpis_equal_an_independent_pandas_computation(built: Warehouse, reference: Prepared) -> None:
    as_of = pd.Timestamp(AS_OF.replace(tzinfo=None))
    sample = _sample_records(
        reference, {"opportunity": 100, "contact": 100, "lead": 60, "account": 40}, as_of
    )
    expected = compute_kpis(
        reference, sample.assign(as_of_at=as_of)[["record_type", "record_id", "as_of_at"]]
    )
    marts = _read(built, f"select * from marts.fct_relationship_kpis where as_of_date = '{AS_OF.date()}'")
    actual = marts.merge(sample[["record_type", "record_id"]], on=["record_type", "record_id"])

    _assert_same(actual, expected, KPI_COLUMNS, ["record_type", "record_id"])
    # the comparison is not vacuous: the sample has activity of every kind and both sides
    for column in (
        "emails_sent_count",
        "emails_received_count",
        "meetings_sent_count",
        "calls_received_count",
        "tasks_count",
        "customer_response_rate",
        "avg_response_hours_theirs",
        "next_activity_ours_at",
    ):
        assert expected[column].fillna(0).astype(bool).sum() >= 5, column
    assert (expected.hours_ours > expected.hours_theirs).mean() > 0.5


def test_health_equals_the_documented_formula(built: Warehouse, reference: Prepared) -> None:
    health = _read(
        built, f"select * from marts.fct_relationship_health_daily where as_of_date = '{AS_OF.date()}'"
    )
    moments = health[["record_type", "record_id"]].assign(as_of_at=pd.Timestamp(AS_OF.replace(tzinfo=None)))
    expected = compute_health(reference, moments)
    merged = health.merge(expected, on=["record_type", "record_id"], suffixes=("", "_pandas"))
    assert len(merged) == len(health) > 300
    for name in HEALTH_COMPONENTS:
        assert np.allclose(
            merged[f"{name}_component"].astype(float), merged[name].astype(float), equal_nan=True
        )
    assert np.allclose(
        merged.health_score.astype(float),
        merged.health_score_pandas.astype(float),
        equal_nan=True,
        atol=0.051,
    )
    scored = health[health.health_score.notna()]
    assert set(scored.health_band) == {"good", "fair", "poor"}
    assert health[health.health_score.isna()].no_score_reason.notna().all()
    assert {"improving", "steady", "declining"} <= set(scored.health_trend)


def _kpis_at_moments(built: Warehouse, moments: pd.DataFrame, home: Path) -> pd.DataFrame:
    """int_relationship_kpis_at_moments run at ``moments`` instead of the run's: on a copy of the built
    warehouse whose int_records_pinned_to_moments holds them, dbt runs that one model."""
    from rapport import warehouse as rapport_warehouse

    copy = warehouse_in(home, built.config)
    shutil.copyfile(built.path, copy.path)
    with rapport_warehouse.connect(copy.path) as connection:
        connection.register("moments", moments)
        connection.execute("""
            create or replace table intermediate.int_records_pinned_to_moments as
            select row_number() over (order by records.record_type, records.record_id, moments.as_of_at)
                       as moment_id,
                   records.record_sk, records.record_key, records.record_type, records.record_id,
                   cast(moments.as_of_at as timestamp) as as_of_at
            from moments
            inner join intermediate.int_records_unioned as records using (record_type, record_id)
        """)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAPPORT_WAREHOUSE", str(copy.path))
        patch.setenv("RAPPORT_HOME", str(copy.settings.var_dir))
        summary = run_dbt(
            "run",
            settings=copy.settings,
            config=copy.config,
            as_of=AS_OF,
            select="int_relationship_kpis_at_moments",
        )
    assert summary.succeeded, summary
    return _read(copy, "select * from intermediate.int_relationship_kpis_at_moments")


def test_per_record_moments_use_nothing_after_the_moment(
    built: Warehouse, reference: Prepared, tmp_path: Path
) -> None:
    """The KPI model and the health macro at a moment per record (closed opportunities 14 days before
    close, contacts at their own moments) equal the reference at those moments; an activity exactly at the
    moment is left out and counts one second later."""
    opportunities = _read(
        built,
        """
        select 'opportunity' as record_type, opportunity_id as record_id,
               cast(actual_close_date as timestamp) - interval 14 day as as_of_at
        from staging.stg_crm__opportunities
        where not is_open and created_at < cast(actual_close_date as timestamp) - interval 14 day
        order by opportunity_id limit 80
    """,
    )
    done = reference.activities[reference.activities.occurred_at.notna()][["activity_id", "occurred_at"]]
    contact_links = reference.links[reference.links.record_type == "contact"].merge(done, on="activity_id")
    picked = contact_links.sort_values(["record_id", "occurred_at"]).groupby("record_id").nth(2).head(60)
    at_activity = picked[["record_type", "record_id", "occurred_at"]].rename(
        columns={"occurred_at": "as_of_at"}
    )
    just_after = at_activity.assign(as_of_at=at_activity.as_of_at + pd.Timedelta(seconds=1))
    moments = pd.concat([opportunities, at_activity, just_after], ignore_index=True)
    values = ",\n".join(
        f"('{row.record_type}', '{row.record_id}', cast('{row.as_of_at}' as timestamp))"
        for row in moments.itertuples()
    )
    moments_cte = (
        f"moments as (select given.*, records.record_sk from (values {values}) "
        "as given(record_type, record_id, as_of_at) "
        "inner join {{ ref('int_records_unioned') }} as records using (record_type, record_id))"
    )

    kpis = _kpis_at_moments(built, moments, tmp_path)
    assert len(kpis) == len(moments.drop_duplicates())
    expected = compute_kpis(reference, moments)
    _assert_same(kpis, expected, KPI_COLUMNS, ["record_type", "record_id", "as_of_at"])

    health = _query_macro(
        built, f"with {moments_cte}, health as ({{{{ health_components('moments') }}}}) select * from health"
    )
    expected_health = compute_health(reference, moments)
    merged = health.merge(
        expected_health, on=["record_type", "record_id", "as_of_at"], suffixes=("", "_pandas")
    )
    assert len(merged) == len(moments)
    assert np.allclose(
        merged.health_score.astype(float),
        merged.health_score_pandas.astype(float),
        equal_nan=True,
        atol=0.051,
    )

    before = kpis.merge(at_activity, on=["record_type", "record_id", "as_of_at"])
    after = kpis.merge(just_after, on=["record_type", "record_id", "as_of_at"])
    paired = before.merge(after, on=["record_type", "record_id"], suffixes=("_at", "_after"))
    assert len(paired) == len(at_activity) > 20
    assert (paired.activity_count_after > paired.activity_count_at).all()
    assert (paired.last_activity_ours_at_at.fillna(pd.Timestamp.min) < paired.as_of_at_at).all()
    assert (paired.last_activity_theirs_at_at.fillna(pd.Timestamp.min) < paired.as_of_at_at).all()


def _restrict_to_before(warehouse: Path, moment: datetime) -> None:
    """Make the raw layer look as it did at ``moment``: later activities, records and connections removed."""
    from rapport import warehouse as rapport_warehouse

    cut = moment.strftime("%Y-%m-%d %H:%M:%S")
    with rapport_warehouse.connect(warehouse) as connection:
        for table in ("email", "phonecall", "appointment", "task"):
            connection.execute(f"delete from raw.{table} where modifiedon >= '{cut}'")
        for table in ("lead", "opportunity", "contact", "account", "connection"):
            connection.execute(f"delete from raw.{table} where createdon >= '{cut}'")
        connection.execute("""
            delete from raw.activityparty where activityid not in (
                select activityid from raw.email union all select activityid from raw.phonecall
                union all select activityid from raw.appointment union all select activityid from raw.task)
        """)


INCREMENTAL_TABLES = {
    "intermediate.int_activities_unioned": "activity_id",
    "intermediate.int_activity_participants_resolved": "participant_id",
    "intermediate.int_activities_attributed": "activity_id",
    "intermediate.int_activities_linked_to_records": "record_activity_key",
    "intermediate.int_activity_responses_paired": "activity_id",
    "marts.fct_record_activities": "record_activity_key",
}
HISTORIES = {
    "marts.fct_relationship_kpis": "record_kpi_key",
    "marts.fct_relationship_health_daily": "record_health_key",
}


def _add_stakeholder_to_past_activity(warehouse: Warehouse, moment: datetime) -> tuple[str, str]:
    """Connect, as a stakeholder added at ``moment``, a contact who met an opportunity's owner before
    without the activities counting for the opportunity; returns (opportunity id, contact id)."""
    from rapport import warehouse as rapport_warehouse

    pair = _read(
        warehouse,
        f"""
        with together as (
            select customer.activity_id, customer.person_id as contact_id, colleague.person_id as user_id
            from intermediate.int_activity_participants_resolved as customer
            inner join intermediate.int_activity_participants_resolved as colleague
                on customer.activity_id = colleague.activity_id
            where customer.person_type = 'contact' and customer.takes_part
                and colleague.person_type = 'systemuser' and colleague.takes_part
        )
        select opportunities.opportunity_id, together.contact_id, count(*) as activities
        from staging.stg_crm__opportunities as opportunities
        inner join together on together.user_id = opportunities.owner_id
        inner join intermediate.int_activities_attributed as activities
            on activities.activity_id = together.activity_id
            and activities.occurred_at > opportunities.created_at
            and activities.occurred_at < '{EARLIER:%Y-%m-%d}'
        where not exists (
            select 1 from intermediate.int_record_contacts_of_interest as interest
            where interest.record_id = opportunities.opportunity_id
                and interest.person_key = 'contact:' || together.contact_id)
        group by all
        order by activities desc, opportunity_id, contact_id
        limit 1
    """,
    )
    opportunity_id, contact_id = pair.opportunity_id[0], pair.contact_id[0]
    with rapport_warehouse.connect(warehouse.path) as connection:
        connection.execute(
            """
            insert into raw.connection (connectionid, record1id, record1idobjecttypecode, record1roleid, record2id,
                record2idobjecttypecode, record2roleid, ismaster, statecode, statuscode, createdon, modifiedon)
            select 'test-stakeholder', ?, 'opportunity', null, ?, 'contact', connectionroleid, true, 0, 1, ?, ?
            from raw.connectionrole where category = 1000 order by connectionroleid limit 1
            """,
            [opportunity_id, contact_id, moment.replace(tzinfo=None), moment.replace(tzinfo=None)],
        )
    return opportunity_id, contact_id


def _via_people_links(warehouse: Warehouse, record_id: str) -> int:
    return int(
        _read(
            warehouse,
            "select count(*) as links from intermediate.int_activities_linked_to_records "
            f"where record_id = '{record_id}' and is_via_contact_of_interest and not is_regarding",
        ).links[0]
    )


def _change_contacts_of_interest_without_touching_modified_dates(warehouse: Warehouse) -> dict[str, int]:
    """Give one opportunity linked through people a new owner and take another's stakeholders away, with
    their ``modifiedon`` left as it was (issue 17: contacts of interest are compared between runs, not by
    modified dates); returns their links through people before the change."""
    from rapport import warehouse as rapport_warehouse

    linked = _read(
        warehouse,
        """
        select links.record_id, count(*) as links,
            max(case when interest.role = 'stakeholder' then 1 else 0 end) as has_stakeholder
        from intermediate.int_activities_linked_to_records as links
        left join intermediate.int_record_contacts_of_interest as interest
            on interest.record_id = links.record_id and interest.role = 'stakeholder'
        where links.record_type = 'opportunity' and links.is_via_contact_of_interest and not links.is_regarding
        group by links.record_id
        order by links desc, links.record_id
        """,
    )
    new_owner = linked.record_id.iloc[0]
    no_stakeholders = linked.record_id[(linked.has_stakeholder == 1) & (linked.record_id != new_owner)].iloc[
        0
    ]
    before = {
        record_id: _via_people_links(warehouse, record_id) for record_id in (new_owner, no_stakeholders)
    }
    with rapport_warehouse.connect(warehouse.path) as connection:
        connection.execute(
            "update raw.opportunity set ownerid = (select min(systemuserid) from raw.systemuser "
            "where systemuserid <> opportunity.ownerid) where opportunityid = ?",
            [new_owner],
        )
        connection.execute(
            "delete from raw.connection where record1id = ? or record2id = ?",
            [no_stakeholders, no_stakeholders],
        )
    return before


def _record_activities_state(warehouse: Warehouse) -> tuple[datetime, int]:
    """fct_record_activities' state (its as-of moment, the link batch it read), checked against the log."""
    state = _read(warehouse, "select * from marts.fct_record_activities__state")
    logged = _read(
        warehouse,
        "select max(batch_number) as batch from intermediate.int_activities_linked_to_records__changes",
    )
    assert len(state) == 1 and state.link_batch_number[0] == logged.batch[0], (state, logged)
    return state.as_of_at[0].to_pydatetime().replace(tzinfo=UTC), int(state.link_batch_number[0])


def _rebuilt_rows(warehouse: Warehouse) -> int:
    """Rows of fct_record_activities of the activities and records its last run rebuilt."""
    return int(
        _read(
            warehouse,
            """
            select count(*) as n from marts.fct_record_activities as built
            where built.activity_sk in (select activity_sk from marts.fct_record_activities__affected)
                or built.record_sk in (select record_sk from marts.fct_record_activities__affected)
            """,
        ).n[0]
    )


def _rows(warehouse: Warehouse) -> int:
    return int(_read(warehouse, "select count(*) as n from marts.fct_record_activities").n[0])


def _edited_and_late_emails(warehouse: Warehouse, edited: str, copied: str, moment: datetime) -> str:
    """The CRM as it stands after ``moment``: e-mail ``edited`` (months old) got a new subject and a late
    copy of ``copied`` (months old too, a new id) arrived, both modified an hour before ``moment``;
    returns the late e-mail's id. Applied again after each reload of the raw layer (they stay in the CRM)."""
    from rapport import warehouse as rapport_warehouse

    late = "0d1a7e00-0000-4000-8000-000000000017"
    modified = (moment - timedelta(hours=1)).replace(tzinfo=None)
    with rapport_warehouse.connect(warehouse.path) as connection:
        connection.execute(
            "update raw.email set subject = 'edited after the fact', modifiedon = ? where activityid = ?",
            [modified, edited],
        )
        connection.execute(
            "insert into raw.email select * replace (? as activityid, ? as modifiedon, "
            "null as messageid, null as inreplyto, null as conversationindex, null as parentactivityid) "
            "from raw.email where activityid = ?",
            [late, modified, copied],
        )
        connection.execute(
            "insert into raw.activityparty select * replace (md5(activitypartyid || 'late') as activitypartyid, "
            "? as activityid) from raw.activityparty where activityid = ?",
            [late, copied],
        )
    return late


def test_incremental_runs_equal_a_full_refresh_and_reruns_change_nothing(
    export_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    warehouse = warehouse_in(tmp_path_factory.mktemp("incremental"), load_config())
    path = warehouse.path
    load_export(export_dir, path)
    _restrict_to_before(path, EARLIER)
    _build(warehouse, EARLIER)  # a week ago, built in full
    assert _record_activities_state(warehouse) == (EARLIER, 1)  # the full refresh logged as batch 1
    old_emails = _read(
        warehouse,
        "select distinct activity_id from marts.fct_record_activities where activity_type = 'email' "
        f"and is_done and occurred_at < '{EARLIER - timedelta(days=60):%Y-%m-%d}' order by activity_id limit 2",
    ).activity_id.tolist()
    load_export(
        export_dir, path
    )  # three days of new and changed rows arrive, with an edited and a late e-mail
    _restrict_to_before(path, MIDDLE)
    late = _edited_and_late_emails(warehouse, *old_emails, MIDDLE)
    _build(warehouse, MIDDLE)  # incremental, the as-of moment moved
    assert _record_activities_state(warehouse) == (MIDDLE, 2)
    assert 0 < _rebuilt_rows(warehouse) < _rows(warehouse)  # some rows, not all
    history = _read(
        warehouse,
        f"select activity_id, subject from marts.fct_record_activities where activity_id in ('{old_emails[0]}', '{late}')",
    )
    assert set(history.activity_id) == {old_emails[0], late}, history
    assert set(history.subject[history.activity_id == old_emails[0]]) == {"edited after the fact"}
    load_export(export_dir, path)  # the rest of the week arrives...
    _edited_and_late_emails(warehouse, *old_emails, MIDDLE)
    stakeholder_added = datetime(2026, 10, 30, tzinfo=UTC)
    opportunity_id, contact_id = _add_stakeholder_to_past_activity(warehouse, stakeholder_added)
    changed_links = _change_contacts_of_interest_without_touching_modified_dates(warehouse)
    _build(warehouse, AS_OF)  # ...and the run is incremental
    # fct_record_activities rebuilt some rows, not all: those of re-linked activities (the new stakeholder's
    # opportunity's among them) and of activities between the two as-of moments
    stakeholder_rows = _read(
        warehouse,
        f"""
        select count(*) as n from marts.fct_record_activities as built
        where built.record_id = '{opportunity_id}' and built.activity_sk in (
            select activity_sk from marts.fct_record_activities__affected)
        """,
    )
    assert 0 < _rebuilt_rows(warehouse) < _rows(warehouse) and stakeholder_rows.n[0] >= 1, stakeholder_rows
    assert _record_activities_state(warehouse) == (AS_OF, 3)  # full, MIDDLE, AS_OF

    def table(name: str, key: str, where: str = "") -> pd.DataFrame:
        return _read(warehouse, f"select * from {name} {where} order by {key}").reset_index(drop=True)

    today = f"where as_of_date = '{AS_OF.date()}'"
    incremental = {name: table(name, key) for name, key in INCREMENTAL_TABLES.items()}
    incremental |= {name: table(name, key, today) for name, key in HISTORIES.items()}
    incremental["daily"] = table("marts.fct_relationship_activity_daily", "record_day_activity_key")
    # the new stakeholder re-linked past activities that were not linked before (an incremental path)
    relinked = _read(
        warehouse,
        f"""
        select count(*) as links from intermediate.int_activities_linked_to_records
        where record_id = '{opportunity_id}' and linked_from_at = '{stakeholder_added:%Y-%m-%d}'
    """,
    )
    assert relinked.links[0] >= 1, (opportunity_id, contact_id)
    # a new owner, stakeholders gone: links through people went, though no modified date moved
    links_after = {record_id: _via_people_links(warehouse, record_id) for record_id in changed_links}
    assert sum(links_after.values()) < sum(changed_links.values()), (links_after, changed_links)

    histories = {name: table(name, key) for name, key in HISTORIES.items()}
    assert all(len(frame.as_of_date.unique()) == 3 for frame in histories.values())  # every day kept
    _build(warehouse, AS_OF)  # the same day again changes nothing
    for name, key in HISTORIES.items():
        pd.testing.assert_frame_equal(table(name, key), histories[name])

    _build(warehouse, AS_OF, full_refresh=True)  # and a full refresh gives the same rows
    for name, key in INCREMENTAL_TABLES.items():
        pd.testing.assert_frame_equal(table(name, key), incremental[name], check_dtype=False)
    for name, key in HISTORIES.items():
        pd.testing.assert_frame_equal(table(name, key, today), incremental[name], check_dtype=False)
    pd.testing.assert_frame_equal(
        table("marts.fct_relationship_activity_daily", "record_day_activity_key"),
        incremental["daily"],
        check_dtype=False,
    )


def test_a_record_hard_deleted_from_the_next_full_export_takes_its_history_with_it(
    export_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Issue 13: a routine hard delete in the CRM must not fail every later run's relationships tests."""
    warehouse = warehouse_in(tmp_path_factory.mktemp("hard-delete"), load_config())
    load_export(export_dir, warehouse.path)
    _build(warehouse, EARLIER)
    (deleted,) = _read(
        warehouse,
        "select record_id from marts.fct_relationship_health_daily where record_type = 'opportunity' "
        "order by record_id limit 1",
    ).record_id
    before = _read(warehouse, "select count(*) as n from marts.fct_relationship_kpis").n[0]
    from rapport import warehouse as rapport_warehouse

    with rapport_warehouse.connect(warehouse.path) as connection:  # the second day's full export lacks it
        connection.execute("delete from raw.opportunity where opportunityid = ?", [deleted])
    _build(warehouse, AS_OF)  # succeeds: asserts the build and its tests passed

    for name in HISTORIES:
        left = _read(
            warehouse, f"select count(*) as n from {name} where record_key = 'opportunity:{deleted}'"
        )
        assert left.n[0] == 0, name
        orphans = _read(
            warehouse,
            f"select count(*) as n from {name} as history where not exists (select 1 from "
            "intermediate.int_records_unioned as records where records.record_key = history.record_key)",
        )
        assert orphans.n[0] == 0, name
    days = _read(warehouse, "select count(distinct as_of_date) as n from marts.fct_relationship_kpis").n[0]
    assert days == 2  # the other records keep both days of history
    assert _read(warehouse, "select count(*) as n from marts.fct_relationship_kpis").n[0] > before


def _snapshot(warehouse: Warehouse, as_of: datetime) -> dict[str, pd.DataFrame]:
    """Every incremental table, the histories' rows of ``as_of`` and the daily table, in key order."""
    keyed = {**INCREMENTAL_TABLES, "marts.fct_relationship_activity_daily": "record_day_activity_key"}
    tables = {
        name: _read(warehouse, f"select * from {name} order by {key}").reset_index(drop=True)
        for name, key in keyed.items()
    }
    day = f"where as_of_date = '{as_of.date()}'"
    return tables | {
        name: _read(warehouse, f"select * from {name} {day} order by {key}").reset_index(drop=True)
        for name, key in HISTORIES.items()
    }


def test_a_rerun_with_nothing_new_skips_the_relationship_models_and_one_changed_row_rebuilds_them(
    export_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Issue 17: the fingerprint of the relationship inputs skips a re-run; any changed input rebuilds."""
    from rapport import build_fingerprint
    from rapport import warehouse as rapport_warehouse

    warehouse = warehouse_in(tmp_path_factory.mktemp("skip"), load_config())
    load_export(export_dir, warehouse.path)
    first = _build(warehouse, AS_OF, skip_unchanged=True)
    assert not first.skipped and first.models_built > 10
    before = _snapshot(warehouse, AS_OF)

    again = _build(warehouse, AS_OF, skip_unchanged=True)  # nothing new: nothing built, nothing tested
    assert again.skipped.startswith("relationship marts unchanged since "), again
    assert again.models_built == 0 and again.tests_passed == 0
    for name, frame in _snapshot(warehouse, AS_OF).items():
        pd.testing.assert_frame_equal(frame, before[name], check_dtype=False)
    # a wider build (as `rapport run`'s) leaves the group out
    wider = _build(warehouse, AS_OF, select=f"{SELECTION} stg_crm__notes", skip_unchanged=True)
    assert wider.skipped and wider.models_built == 1, wider  # stg_crm__notes only

    next_day = _build(warehouse, NEXT_DAY, skip_unchanged=True)
    assert not next_day.skipped and next_day.models_built > 10  # another as-of moment is another input

    # one changed row: an e-mail's subject edited after the first run (the next extract's content)
    with rapport_warehouse.connect(warehouse.path) as connection:
        (changed,) = connection.execute(
            "select activityid from raw.email order by modifiedon desc, activityid limit 1"
        ).fetchone()
        connection.execute(
            "update raw.email set subject = 'edited by the test', modifiedon = '2026-11-01 06:00:00' "
            "where activityid = ?",
            [changed],
        )
    rebuilt = _build(warehouse, NEXT_DAY, skip_unchanged=True)
    assert not rebuilt.skipped and rebuilt.models_built > 10
    attributed = _read(
        warehouse,
        f"select subject from intermediate.int_activities_attributed where activity_id = '{changed}'",
    )
    assert attributed.subject.tolist() == ["edited by the test"]
    incremental = _snapshot(warehouse, NEXT_DAY)
    _build(warehouse, NEXT_DAY, full_refresh=True, skip_unchanged=True)
    for name, frame in _snapshot(warehouse, NEXT_DAY).items():
        pd.testing.assert_frame_equal(frame, incremental[name], check_dtype=False)
    # an older date run again (a backfill): the as-of moment moves back a day, and the incremental run
    # (fct_record_activities drops what happened on that day again) still equals a full refresh
    _build(warehouse, AS_OF, skip_unchanged=True)
    assert _record_activities_state(warehouse)[0] == AS_OF and _rebuilt_rows(warehouse) < _rows(warehouse)
    backward = _snapshot(warehouse, AS_OF)
    _build(warehouse, AS_OF, full_refresh=True, skip_unchanged=True)
    for name, frame in _snapshot(warehouse, AS_OF).items():
        pd.testing.assert_frame_equal(frame, backward[name], check_dtype=False)
    # a link that begins after the as-of moment (a backfill with newer data: a stakeholder connected at noon
    # of that day) counts from the next day on, though nothing is re-linked then
    noon = AS_OF + timedelta(hours=12)
    opportunity_id, _ = _add_stakeholder_to_past_activity(warehouse, noon)
    _build(warehouse, AS_OF, skip_unchanged=True)  # re-linked, but not counted at AS_OF
    _build(warehouse, NEXT_DAY, skip_unchanged=True)  # counted now, nothing re-linked
    counted = _read(
        warehouse,
        f"select count(*) as n from marts.fct_record_activities where record_id = '{opportunity_id}' "
        f"and activity_sk in (select activity_sk from intermediate.int_activities_linked_to_records "
        f"where record_id = '{opportunity_id}' and linked_from_at = '{noon:%Y-%m-%d %H:%M:%S}')",
    )
    assert counted.n[0] >= 1, counted
    forward = _snapshot(warehouse, NEXT_DAY)
    _build(warehouse, NEXT_DAY, full_refresh=True, skip_unchanged=True)
    for name, frame in _snapshot(warehouse, NEXT_DAY).items():
        pd.testing.assert_frame_equal(frame, forward[name], check_dtype=False)

    # a changed [relationship] setting, other code or a deleted row is another input too
    with rapport_warehouse.connect(warehouse.path) as connection:
        group = build_fingerprint.ModelGroup("probe", (), (), ("raw.email",))
        variables = {"relationship_recent_days": 90}
        build_fingerprint.remember(connection, group, "code", variables, AS_OF)
        assert build_fingerprint.decide(connection, "probe", "code", variables, "x").unchanged
        assert not build_fingerprint.decide(
            connection, "probe", "code", {"relationship_recent_days": 30}, "x"
        ).unchanged
        assert not build_fingerprint.decide(connection, "probe", "other code", variables, "x").unchanged
        connection.execute("delete from raw.email where activityid = ?", [changed])
        assert not build_fingerprint.decide(connection, "probe", "code", variables, "x").unchanged
