"""The sample CRM generator: determinism, contract shape, integrity, realism and signal.

One tiny export is generated per module (about two seconds) and shared by the read-only tests; the
determinism, CSV and scale tests generate their own.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from rapport.contract import ACTIVITY_TABLES, load_contract
from rapport.contract_arrow import ARROW_TYPES
from rapport.sample import SCALES, GenerationSummary, ScaleError, generate, resolve_scale

END = date(2025, 6, 1)
END_TS = datetime(2025, 6, 1)
CONTRACT = load_contract()


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationSummary]:
    out = tmp_path_factory.mktemp("sample") / "crm"
    summary = generate(out, scale="tiny", seed=7, end_date=END, progress=False)
    return out, summary


@pytest.fixture(scope="module")
def db(export: tuple[Path, GenerationSummary]):
    out, _ = export
    connection = duckdb.connect()
    for table in CONTRACT.table_names:
        connection.execute(f"create view {table} as select * from read_parquet('{out / table}.parquet')")
    connection.execute(
        "create view activity as "
        + " union all ".join(
            f"select activityid, '{t}' as kind, regardingobjectid, regardingobjecttypecode, statecode, createdon, "
            f"modifiedon, scheduledstart from {t}"
            for t in ACTIVITY_TABLES
        )
    )
    yield connection
    connection.close()


def scalar(db: duckdb.DuckDBPyConnection, sql: str):
    return db.execute(sql).fetchone()[0]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- determinism ----------------------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(tmp_path: Path, export) -> None:
    out, _ = export
    again = tmp_path / "again"
    generate(again, scale="tiny", seed=7, end_date=END, progress=False)
    first, second = _files(out), _files(again)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []

    other = tmp_path / "other"
    generate(other, scale="tiny", seed=8, end_date=END, progress=False)
    assert _files(other)["lead.parquet"] != first["lead.parquet"]


# --- contract shape -------------------------------------------------------------------------------------
def test_every_contract_table_is_written_with_contract_columns_and_types(export, db) -> None:
    out, summary = export
    duck_types = {"VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "BOOLEAN", "TIMESTAMP", "DATE"}
    for table in CONTRACT.tables:
        schema = pq.read_schema(out / f"{table.name}.parquet")
        assert schema.names == list(table.column_names), table.name
        for column in table.columns:
            assert schema.field(column.name).type == ARROW_TYPES[column.type], (table.name, column.name)
        described = {row[0]: row[1] for row in db.execute(f"describe {table.name}").fetchall()}
        for column in table.columns:
            assert described[column.name] in duck_types
            assert described[column.name] == column.duckdb_type, (
                table.name,
                column.name,
                described[column.name],
            )
        assert summary.rows[table.name] == scalar(db, f"select count(*) from {table.name}")
        assert summary.rows[table.name] > 0, f"{table.name} is empty"


def test_required_columns_are_filled_and_codes_are_in_the_contract(db) -> None:
    for table in CONTRACT.tables:
        for column in table.required_columns:
            assert scalar(db, f"select count(*) from {table.name} where {column.name} is null") == 0, (
                table.name,
                column.name,
            )
        for column in table.columns:
            if column.codes and not column.keep_unknown_codes:
                codes = ",".join(str(code) for code in column.code_values)
                bad = scalar(
                    db,
                    f"select count(*) from {table.name} where {column.name} is not null and {column.name} not in ({codes})",
                )
                assert bad == 0, (table.name, column.name)


def test_primary_keys_are_unique_guids(db) -> None:
    guid = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
    for table in CONTRACT.tables:
        key = table.primary_key
        assert scalar(db, f"select count(*) - count(distinct {key}) from {table.name}") == 0, table.name
        assert (
            scalar(db, f"select count(*) from {table.name} where not regexp_matches({key}, '{guid}')") == 0
        ), table.name
    assert scalar(db, "select count(*) - count(distinct activityid) from activity") == 0


# --- referential integrity --------------------------------------------------------------------------------
def test_lookups_resolve_to_existing_records(db) -> None:
    for table in CONTRACT.tables:
        for column in table.columns:
            if not column.references:
                continue
            target = "activity" if column.references == "activity" else column.references
            key = "activityid" if target == "activity" else CONTRACT.table(target).primary_key
            dangling = scalar(
                db,
                f"select count(*) from {table.name} t where t.{column.name} is not null "
                f"and not exists (select 1 from {target} r where r.{key} = t.{column.name})",
            )
            assert dangling == 0, (table.name, column.name, dangling)


POLYMORPHIC = {
    "account": "accountid",
    "contact": "contactid",
    "lead": "leadid",
    "opportunity": "opportunityid",
    "systemuser": "systemuserid",
}


def _dangling_polymorphic(db, table: str, id_column: str, type_column: str) -> int:
    checks = " or ".join(
        f"(t.{type_column} = '{name}' and exists (select 1 from {name} r where r.{key} = t.{id_column}))"
        for name, key in POLYMORPHIC.items()
    )
    return scalar(db, f"select count(*) from {table} t where t.{id_column} is not null and not ({checks})")


def test_polymorphic_lookups_resolve_to_the_named_table(db) -> None:
    for table in ACTIVITY_TABLES:
        assert _dangling_polymorphic(db, table, "regardingobjectid", "regardingobjecttypecode") == 0, table
        assert (
            scalar(
                db,
                f"select count(*) from {table} where (regardingobjectid is null) <> (regardingobjecttypecode is null)",
            )
            == 0
        )
    assert _dangling_polymorphic(db, "activityparty", "partyid", "partyobjecttypecode") == 0
    assert _dangling_polymorphic(db, "annotation", "objectid", "objecttypecode") == 0
    assert _dangling_polymorphic(db, "connection", "record1id", "record1idobjecttypecode") == 0
    assert _dangling_polymorphic(db, "connection", "record2id", "record2idobjecttypecode") == 0
    assert _dangling_polymorphic(db, "contact", "parentcustomerid", "parentcustomeridtype") == 0
    assert _dangling_polymorphic(db, "opportunity", "customerid", "customeridtype") == 0
    # a realistic mix: regarding lead, opportunity, account, contact and none
    kinds = {
        row[0]
        for row in db.execute(
            "select distinct coalesce(regardingobjecttypecode, 'none') from email"
        ).fetchall()
    }
    assert kinds == {"lead", "opportunity", "account", "contact", "none"}


def test_qualified_leads_and_their_opportunities_point_to_each_other(db) -> None:
    assert (
        scalar(db, "select count(*) from lead where statecode = 1 and qualifyingopportunityid is null") == 0
    )
    assert (
        scalar(db, "select count(*) from lead where statecode <> 1 and qualifyingopportunityid is not null")
        == 0
    )
    mismatched = scalar(
        db,
        """
        select count(*) from lead l join opportunity o on o.opportunityid = l.qualifyingopportunityid
        where o.originatingleadid is distinct from l.leadid or o.createdon < l.createdon
    """,
    )
    assert mismatched == 0
    assert (
        scalar(
            db,
            """
        select count(*) from opportunity o join lead l on l.leadid = o.originatingleadid
        where l.qualifyingopportunityid is distinct from o.opportunityid
    """,
        )
        == 0
    )
    assert (
        scalar(db, "select count(*) from opportunity where originatingleadid is null") > 0
    )  # direct opportunities too


def test_every_account_has_its_primary_contact_and_sellers_have_managers(db) -> None:
    assert (
        scalar(
            db,
            """
        select count(*) from account a join contact c on c.contactid = a.primarycontactid
        where c.parentcustomerid <> a.accountid
    """,
        )
        == 0
    )
    assert (
        scalar(db, "select count(*) from systemuser where parentsystemuserid is not null")
        >= scalar(db, "select count(*) from systemuser") - 1
    )
    assert (
        scalar(
            db,
            "select count(*) from systemuser where not regexp_matches(internalemailaddress, '@contoso.com$')",
        )
        == 0
    )
    assert scalar(db, "select count(*) from systemuser where isdisabled") > 0


# --- states, times and threads -----------------------------------------------------------------------------
def test_status_reasons_match_states_and_planted_leakage_is_there(db) -> None:
    lead_ok = {0: {1, 2}, 1: {3}, 2: {4, 5, 6, 7}}
    for state, status in db.execute("select distinct statecode, statuscode from lead").fetchall():
        assert status in lead_ok[state]
    opp_ok = {0: {1, 2}, 1: {3}, 2: {4, 5}}
    for state, status in db.execute("select distinct statecode, statuscode from opportunity").fetchall():
        assert status in opp_ok[state]
    # leakage: filled in only once the outcome is known
    assert (
        scalar(
            db,
            "select count(*) from opportunity where statecode = 1 and (closeprobability <> 100 or msdyn_forecastcategory <> 100000005)",
        )
        == 0
    )
    assert (
        scalar(
            db,
            "select count(*) from opportunity where statecode = 2 and (closeprobability <> 0 or msdyn_forecastcategory <> 100000006)",
        )
        == 0
    )
    assert (
        scalar(db, "select count(*) from opportunity where (statecode = 1) <> (actualvalue is not null)") == 0
    )
    assert (
        scalar(db, "select count(*) from opportunity where (statecode = 0) <> (actualclosedate is null)") == 0
    )
    assert (
        scalar(db, "select count(*) from opportunity where statecode = 0 and closeprobability in (0, 100)")
        == 0
    )


def test_nothing_is_created_after_the_end_date_and_modified_follows_created(db) -> None:
    for table in CONTRACT.tables:
        if "createdon" not in table.column_names:
            continue
        assert (
            scalar(db, f"select count(*) from {table.name} where createdon >= TIMESTAMP '{END_TS}'") == 0
        ), table.name
        assert scalar(db, f"select count(*) from {table.name} where modifiedon < createdon") == 0, table.name
        assert (
            scalar(db, f"select count(*) from {table.name} where modifiedon >= TIMESTAMP '{END_TS}'") == 0
        ), table.name
    assert scalar(db, f"select count(*) from email where senton >= TIMESTAMP '{END_TS}'") == 0
    # only scheduled (open) activities lie in the future, and there are some of each kind
    assert (
        scalar(
            db,
            f"select count(*) from activity where scheduledstart >= TIMESTAMP '{END_TS}' and statecode not in (0, 3)",
        )
        == 0
    )
    for kind in ("phonecall", "appointment", "task"):
        assert (
            scalar(
                db,
                f"select count(*) from activity where kind = '{kind}' and scheduledstart >= TIMESTAMP '{END_TS}'",
            )
            > 0
        )
    assert (
        scalar(
            db, f"select count(*) from appointment where statecode = 1 and actualend >= TIMESTAMP '{END_TS}'"
        )
        == 0
    )
    # activities about a lead or opportunity do not predate it
    for kind, key in (("lead", "leadid"), ("opportunity", "opportunityid")):
        assert (
            scalar(
                db,
                f"""
            select count(*) from activity a join {kind} r on r.{key} = a.regardingobjectid
            where a.createdon < r.createdon
        """,
            )
            == 0
        ), kind
    # closed records: modified at (leads) or after (opportunities) their close
    assert (
        scalar(db, "select count(*) from opportunity where statecode > 0 and modifiedon < actualclosedate")
        == 0
    )
    assert (
        scalar(
            db,
            """
        select count(*) from lead l join opportunity o on o.opportunityid = l.qualifyingopportunityid
        where l.modifiedon <> o.createdon
    """,
        )
        == 0
    )


def test_email_threads_are_valid(db) -> None:
    assert (
        scalar(
            db,
            "select count(*) from email where statecode = 1 and (messageid is null or not regexp_matches(messageid, '^<[^@<>]+@[^@<>]+>$'))",
        )
        == 0
    )
    replies = db.execute("""
        select count(*),
               count(*) filter (where r.inreplyto = p.messageid),
               count(*) filter (where r.senton > p.senton),
               count(*) filter (where r.conversationindex like p.conversationindex || '%'
                                and length(r.conversationindex) = length(p.conversationindex) + 10),
               count(*) filter (where r.directioncode = p.directioncode)
        from email r join email p on p.activityid = r.parentactivityid
    """).fetchone()
    total, same_message_id, later, index_extends, same_side = replies
    assert total > 1000
    assert same_message_id == total and later == total and index_extends == total
    assert 0 < same_side < total * 0.3  # some replies to one's own message
    assert (
        scalar(db, "select count(*) from email where inreplyto is not null and parentactivityid is null") == 0
    )
    assert (
        scalar(
            db,
            "select count(*) from email where length(conversationindex) <> 44 and parentactivityid is null",
        )
        == 0
    )
    unanswered = scalar(
        db,
        """
        select count(*) from email p where p.directioncode
        and not exists (select 1 from email r where r.parentactivityid = p.activityid)
    """,
    )
    assert unanswered > 0
    assert (
        scalar(db, "select count(*) from email where subject like 'RE: %' and parentactivityid is null") == 0
    )


def test_activity_parties_follow_dataverse_roles(db) -> None:
    parties = (
        "select activityid, participationtypemask m, partyobjecttypecode t, addressused from activityparty"
    )
    bad_email = scalar(
        db,
        f"""
        with p as ({parties})
        select count(*) from email e where
          (select count(*) from p where p.activityid = e.activityid and m = 1) <> 1
          or not exists (select 1 from p where p.activityid = e.activityid and m = 2)
          or e.directioncode <> exists (select 1 from p where p.activityid = e.activityid and m = 1 and t = 'systemuser')
          or e.sender <> (select addressused from p where p.activityid = e.activityid and m = 1)
    """,
    )
    assert bad_email == 0
    assert (
        scalar(
            db,
            f"with p as ({parties}) select count(*) from email e where exists (select 1 from p where p.activityid = e.activityid and m = 3)",
        )
        > 0
    )
    bad_meeting = scalar(
        db,
        f"""
        with p as ({parties})
        select count(*) from appointment a where
          not exists (select 1 from p where p.activityid = a.activityid and m = 7 and t = 'systemuser')
          or not exists (select 1 from p where p.activityid = a.activityid and m = 5 and t in ('contact', 'lead'))
    """,
    )
    assert bad_meeting == 0
    for mask, side in ((5, "systemuser"), (6, "systemuser"), (6, "contact")):
        assert (
            scalar(
                db,
                f"select count(*) from activityparty p join appointment a using (activityid) where p.participationtypemask = {mask} and p.partyobjecttypecode = '{side}'",
            )
            > 0
        )
    assert (
        scalar(
            db,
            f"""
        with p as ({parties})
        select count(*) from phonecall c where
          (select count(*) from p where p.activityid = c.activityid and m = 1) <> 1
          or (select count(*) from p where p.activityid = c.activityid and m = 2) <> 1
    """,
        )
        == 0
    )
    assert scalar(db, "select count(*) from activityparty where addressused is null or partyid is null") == 0
    assert scalar(db, "select count(*) from activityparty where partyobjecttypecode = 'lead'") > 0


# --- realism and signal ----------------------------------------------------------------------------------------
def test_tiny_scale_passes_the_ml_readiness_gate_with_margin(db) -> None:
    window = f"createdon >= TIMESTAMP '{END_TS}' - INTERVAL 730 DAY"
    leads = dict(
        db.execute(
            f"select statecode, count(*) from lead where {window} and statecode > 0 group by 1"
        ).fetchall()
    )
    opps = dict(
        db.execute(
            f"select statecode, count(*) from opportunity where {window} and statecode > 0 group by 1"
        ).fetchall()
    )
    assert leads[1] >= 60 and leads[2] >= 60, leads
    assert opps[1] >= 60 and opps[2] >= 60, opps
    assert scalar(db, "select count(*) from lead where statecode = 0") > 0
    assert scalar(db, "select count(*) from opportunity where statecode = 0") > 0


def test_opportunities_running_at_the_end_stay_open_not_closed_on_the_last_day(db) -> None:
    # A deal whose planned close falls after the end date is still running: it must not be closed on the
    # last day with its drawn outcome (that pile-up made the newest closes win-rich and described mid-life).
    last_day, per_day = db.execute(f"""
        select count(*) filter (where cast(actualclosedate as date) = DATE '{END}' - 1),
               count(*) filter (where cast(actualclosedate as date) between DATE '{END}' - 61 and DATE '{END}' - 2)
               / 60.0
        from opportunity where statecode > 0
    """).fetchone()
    assert per_day > 0
    assert last_day <= max(3, 3 * per_day), (last_day, per_day)
    running = scalar(
        db,
        f"select count(*) from opportunity where statecode = 0 and createdon < TIMESTAMP '{END_TS}' - INTERVAL 30 DAY",
    )
    assert running > 0  # deals created a month or more before the end are still open


def test_engagement_before_close_separates_won_from_lost(db) -> None:
    rows = db.execute("""
        with closed as (
            select opportunityid, statecode = 1 as won, cast(actualclosedate as timestamp) - interval 7 day as cut
            from opportunity where statecode > 0
        )
        select c.won, count(e.activityid) filter (where not e.directioncode) as inbound
        from closed c left join email e
          on e.regardingobjectid = c.opportunityid and e.senton < c.cut and e.senton >= c.cut - interval 60 day
        group by c.opportunityid, c.won
    """).fetchall()
    won = np.array([r[0] for r in rows], dtype=bool)
    inbound = np.array([r[1] for r in rows], dtype=float)
    low, high = np.quantile(inbound, [1 / 3, 2 / 3])
    assert won[inbound > high].mean() - won[inbound <= low].mean() > 0.25
    assert 0.25 < won.mean() < 0.65  # not a trivially separable or one-sided outcome


def test_attributes_move_outcomes(db) -> None:
    free = db.execute("""
        select regexp_matches(emailaddress1, '@(gmail|outlook|hotmail|yahoo|qq|163|126)\\.com$') free, avg((statecode = 1)::int)
        from lead where statecode > 0 group by 1
    """).fetchall()
    rates = dict(free)
    assert rates[False] > rates[True] + 0.1
    assert (
        scalar(
            db,
            "select count(*) from lead where lower(fullname) in ('test test', 'asdf asdf', 'test user', 'aaa bbb', 'x x', 'qwerty qwerty')",
        )
        > 0
    )
    budget = dict(
        db.execute(
            "select budgetstatus, avg((statecode = 1)::int) from lead where statecode > 0 and budgetstatus in (0, 3) group by 1"
        ).fetchall()
    )
    assert budget[3] > budget[0] + 0.1


def test_notes_and_descriptions_are_bilingual_and_actionable(db) -> None:
    notes = [
        row[0] for row in db.execute("select notetext from annotation where notetext is not null").fetchall()
    ]
    han = re.compile(r"[\u4e00-\u9fff]")
    chinese = [n for n in notes if han.search(n)]
    english = [n for n in notes if not han.search(n)]
    assert len(chinese) > 20 and len(english) > 20
    joined = "\n".join(notes)
    for pattern in (
        r"New contact: .+, .+@.+\..+, \+\d",
        r"新联系人：",
        r"\d{1,2}月\d{1,2}日",
        r" at \d{1,2}(:\d\d)? ?([AP]M|am|pm)",
        r"asked for the|索取|要了",
        r"invoice|发票|投诉|frustrated|unhappy",
    ):
        assert re.search(pattern, joined), pattern
    assert len(set(notes)) > 0.8 * len(notes)  # varied, not a handful of strings
    inbound = "\n".join(
        row[0] for row in db.execute("select description from email where not directioncode").fetchall()
    )
    assert re.search(r"won the|marathon|game last night|球赛|联赛|马拉松", inbound)
    assert re.search(r"度假|vacation|holiday", inbound)


def test_text_labels_and_truth_tables_are_consistent(export, db) -> None:
    out, _ = export
    truth = out / "_truth"
    per_contact = db.execute(
        f"select contactid, sum(tie_strength), count(*) filter (where is_strongest) "
        f"from read_parquet('{truth}/who_knows_whom.parquet') group by 1"
    ).fetchall()
    assert len(per_contact) == scalar(db, "select count(*) from contact")
    assert all(abs(s - 1) < 1e-9 and k == 1 for _, s, k in per_contact)
    assert (
        scalar(
            db,
            f"""
        select count(*) from read_parquet('{truth}/who_knows_whom.parquet') w
        join systemuser u on u.systemuserid = w.systemuserid where u.isdisabled
    """,
        )
        == 0
    )
    leads = scalar(db, f"select count(*) from read_parquet('{truth}/lead_propensity.parquet')")
    assert leads == scalar(db, "select count(*) from lead")
    labels = db.execute(
        f"select table_name, intent, count(*) from read_parquet('{truth}/text_labels.parquet') group by all"
    ).fetchall()
    assert {row[0] for row in labels} == {"annotation", "email", "phonecall", "appointment", "task"}
    assert {row[1] for row in labels} >= {
        "meeting",
        "callback",
        "todo",
        "new_contact",
        "content_request",
        "complaint",
    }
    dated = scalar(
        db,
        f"""
        select count(*) from read_parquet('{truth}/text_labels.parquet') l
        join annotation a on a.annotationid = l.record_id
        where l.mentioned_at is not null and l.mentioned_at < date_trunc('day', a.createdon)
    """,
    )
    assert dated == 0


# --- formats and scales ---------------------------------------------------------------------------------------
def test_csv_and_parquet_hold_the_same_data(tmp_path: Path, export) -> None:
    parquet_dir, _ = export
    csv_dir = tmp_path / "csv"
    generate(csv_dir, scale="tiny", seed=7, end_date=END, fmt="csv", progress=False)
    connection = duckdb.connect()
    sample_line = (csv_dir / "email.csv").read_text(encoding="utf-8").splitlines()[1]
    assert re.search(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"', sample_line)
    for table in CONTRACT.tables:
        columns = ", ".join(f"'{c.name}': '{c.duckdb_type}'" for c in table.columns)
        connection.execute(
            f"create view c_{table.name} as select * from read_csv('{csv_dir / table.name}.csv', header = true, columns = {{{columns}}})"
        )
        connection.execute(
            f"create view p_{table.name} as select * from read_parquet('{parquet_dir / table.name}.parquet')"
        )
        for left, right in ((f"c_{table.name}", f"p_{table.name}"), (f"p_{table.name}", f"c_{table.name}")):
            differing = connection.execute(
                f"select count(*) from (select * from {left} except all select * from {right})"
            ).fetchone()[0]
            assert differing == 0, (table.name, left)
        assert not (csv_dir / f"{table.name}.parquet").exists()


def test_scales_resolve_and_sizes_land_near_their_targets(tmp_path: Path, export) -> None:
    _, summary = export
    assert abs(summary.activities - SCALES["tiny"].activities) < 0.1 * SCALES["tiny"].activities
    assert SCALES["small"].activities < SCALES["medium"].activities < SCALES["large"].activities == 10_000_000
    assert resolve_scale("250").accounts == 250
    with pytest.raises(ScaleError, match="not known"):
        resolve_scale("enormous")
    smaller = generate(
        tmp_path / "override", scale="tiny", seed=7, end_date=END, progress=False, activities=5_000
    )
    assert abs(smaller.activities - 5_000) < 500
    assert smaller.rows["lead"] == summary.rows["lead"]


def test_importing_the_package_stays_light() -> None:
    code = "import sys, rapport.sample; assert 'numpy' not in sys.modules and 'pyarrow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
