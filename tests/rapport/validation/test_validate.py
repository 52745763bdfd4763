"""Validation: clean rows to raw, bad rows to quarantine with their reason, counts that reconcile."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from rapport.config import Config
from rapport.errors import ContractViolationError, LandingNotFoundError, ValidationOrderError
from rapport.extract import prepare_source, resolve_source
from rapport.validation import reconciliation_report, validate_table, validation_dependencies
from tests.support.export import clone, guid, sample_rows, write_export
from tests.support.pipeline import (
    extract_all,
    quarantine,
    query,
    raw_table,
    reconciliation,
    validate_all,
    with_activities,
)


def _run(tmp_path: Path, rows, settings, config: Config, ds: date, tables=None, fmt: str = "csv"):
    """Write ``rows`` as an export, extract ``tables`` (default: every table in ``rows``) and validate them."""
    export = write_export(tmp_path / "export", rows, fmt=fmt)
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    tables = list(tables or rows)
    extract_all(source, ds, settings, config, tables)
    return validate_all(ds, settings, config, tables)


def test_a_good_export_loads_every_row_with_contract_types(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = sample_rows()
    results = _run(tmp_path, rows, settings, config, ds)

    for table, result in results.items():
        assert (result.raw_rows, result.clean_rows, result.quarantined_rows) == (
            len(rows[table]),
            len(rows[table]),
            0,
        )
    report = reconciliation_report(ds, settings, config)
    assert report.is_balanced and report.clean_rows == sum(map(len, rows.values()))
    assert "balanced" in report.as_text()
    types = dict(
        query(settings, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'account'")
    )
    assert types["statecode"] == "INTEGER"
    assert types["revenue"] == "DOUBLE"
    assert types["createdon"] == "TIMESTAMP"
    assert types["_ds"] == "DATE"
    (account,) = query(
        settings,
        "SELECT revenue, statecode, createdon, _ds FROM raw.account WHERE accountid = ?",
        [guid("account:contoso")],
    )
    assert account == (1250000.5, 0, datetime(2025, 3, 1, 9, 0), ds)
    assert query(settings, "SELECT isdisabled FROM raw.systemuser ORDER BY fullname") == [(False,), (False,)]
    assert query(
        settings,
        "SELECT estimatedclosedate FROM raw.opportunity WHERE opportunityid = ?",
        [guid("opportunity:1")],
    ) == [(date(2026, 3, 31),)]
    assert results["email"].watermark == datetime(2026, 1, 28, 8, 0)
    assert query(settings, "SELECT watermark FROM audit.extract_manifest WHERE table_name = 'email'") == [
        (datetime(2026, 1, 28, 8, 0),)
    ]


def test_a_label_instead_of_a_code_is_quarantined_with_its_reason(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    rows["account"][1]["statecode"] = "Open"
    results = _run(tmp_path, {"account": rows["account"]}, settings, config, ds)

    assert (results["account"].clean_rows, results["account"].quarantined_rows) == (1, 1)
    (row,) = quarantine(settings, ds, "account")
    assert row["record_key"] == guid("account:fabrikam")
    assert row["check_name"] == "cast_to_contract_type(statecode)"
    assert row["reason"] == (
        "column statecode: value 'Open' is neither an option-set code nor a label of statecode (codes and "
        "labels: 0 Active, 1 Inactive; labels match ignoring case); export codes, or map the value in a mapped "
        "source"
    )  # 'Open' is an opportunity's label, not an account's
    assert json.loads(row["source_row"])["statecode"] == "Open"  # the row exactly as it arrived
    assert json.loads(row["source_row"])["name"] == 'Fabrikam "North"'
    assert reconciliation(settings, ds, "account") == (2, 1, 1, True)
    assert [key for key, *_ in raw_table(settings, "account")] == [guid("account:contoso")]


def test_a_required_column_of_the_wrong_type_fails_the_table(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    for row in rows["account"]:
        row["statecode"] = "Enabled"  # no label of account.statecode (labels of one code are accepted)
    with pytest.raises(ContractViolationError) as caught:
        _run(tmp_path, {"account": rows["account"]}, settings, config, ds)
    message = str(caught.value)
    assert "every value of required column statecode fails to cast to picklist" in message
    assert "'Enabled'" in message and "account.csv" in message and "wrong type, not a few bad rows" in message
    assert query(settings, "SELECT count(*) FROM audit.reconciliation") == [(0,)]


def test_a_missing_required_column_fails_naming_table_column_and_file(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    for row in rows["contact"]:
        del row["lastname"]
    with pytest.raises(
        ContractViolationError,
        match=r"table contact: required column\(s\) lastname missing from .*contact\.csv",
    ):
        _run(tmp_path, {"contact": rows["contact"]}, settings, config, ds)


def test_duplicate_keys_keep_the_latest_modifiedon(tmp_path: Path, settings, config: Config, ds: date):
    rows = clone(sample_rows())
    newer = rows["contact"][0] | {"jobtitle": "CFO", "modifiedon": "2026-01-30T10:00:00Z"}
    rows["contact"] = [
        rows["contact"][0] | {"modifiedon": "2026-01-02T10:00:00Z"},
        newer,
        *rows["contact"][1:],
    ]
    tie = rows["contact"][2] | {"jobtitle": "later in file"}
    rows["contact"].append(tie)
    results = _run(tmp_path, {"contact": rows["contact"]}, settings, config, ds)

    assert (
        results["contact"].raw_rows,
        results["contact"].clean_rows,
        results["contact"].quarantined_rows,
    ) == (5, 3, 2)
    reasons = {row["record_key"]: row for row in quarantine(settings, ds, "contact")}
    carla = reasons[guid("contact:carla")]
    assert carla["check_name"] == "duplicate_key"
    assert carla["reason"] == (
        f"duplicate primary key contactid = '{guid('contact:carla')}': the row at landed position 2 with modifiedon "
        "2026-01-30 10:00:00 was kept (the latest modifiedon wins; on a tie, the later row)"
    )
    assert json.loads(carla["source_row"])["modifiedon"] == "2026-01-02T10:00:00Z"
    jobs = dict(query(settings, "SELECT contactid, jobtitle FROM raw.contact"))
    assert jobs[guid("contact:carla")] == "CFO"
    assert jobs[guid("contact:dmitri")] == "later in file"


def test_unknown_option_set_code_is_quarantined_listing_known_codes(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    rows["account"][0]["customertypecode"] = "99"
    _run(tmp_path, {"account": rows["account"]}, settings, config, ds)

    (row,) = quarantine(settings, ds, "account")
    assert row["check_name"] == "expect_column_values_to_be_in_set(customertypecode)"
    assert row["reason"].startswith(
        "column customertypecode: value '99' is not a known account.customertypecode code (known: 1 Competitor, "
        "2 Consultant, 3 Customer"
    )
    assert reconciliation(settings, ds, "account") == (2, 1, 1, True)


def test_unknown_participation_codes_are_kept_with_a_warning(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    rows["activityparty"][0]["participationtypemask"] = "14"
    results = _run(tmp_path, {t: rows[t] for t in with_activities("activityparty")}, settings, config, ds)

    party = results["activityparty"]
    assert (party.clean_rows, party.quarantined_rows) == (len(rows["activityparty"]), 0)
    assert party.warnings == (
        "activityparty: 1 row(s) fail expect_column_values_to_be_in_set(participationtypemask) (values '14'); "
        "kept, as the contract allows",
    )
    assert query(
        settings, "SELECT participationtypemask FROM raw.activityparty WHERE participationtypemask > 13"
    ) == [(14,)]


def test_dangling_activity_party_is_quarantined(tmp_path: Path, settings, config: Config, ds: date):
    rows = clone(sample_rows())
    orphan = rows["activityparty"][0] | {
        "activitypartyid": guid("party:orphan"),
        "activityid": guid("email:gone"),
    }
    rows["activityparty"].append(orphan)
    results = _run(tmp_path, {t: rows[t] for t in with_activities("activityparty")}, settings, config, ds)

    assert results["activityparty"].quarantined_rows == 1
    (row,) = quarantine(settings, ds, "activityparty")
    assert row["record_key"] == guid("party:orphan")
    assert row["check_name"] == "expect_column_values_to_be_in_set(_activityid_resolves)"
    assert row["reason"] == (
        f"column activityid: value '{guid('email:gone')}' does not match an e-mail, phone call, appointment or task "
        "that passed validation (a dangling reference)"
    )


def test_activityparty_before_its_activities_is_refused(tmp_path: Path, settings, config: Config, ds: date):
    export = write_export(tmp_path / "export", {"activityparty": sample_rows()["activityparty"]})
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    extract_all(source, ds, settings, config, ["activityparty"])
    with pytest.raises(
        ValidationOrderError, match="validate email, phonecall, appointment, task before activityparty"
    ):
        validate_table("activityparty", ds, settings, config)
    assert validation_dependencies("activityparty") == ("email", "phonecall", "appointment", "task")
    assert validation_dependencies("email") == ()


def test_timestamps_far_in_the_future_are_quarantined_except_scheduled(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    rows["appointment"][0]["actualend"] = "2031-05-01T10:00:00Z"
    rows["appointment"][1]["scheduledend"] = "2031-05-01T10:00:00Z"  # scheduled times may lie ahead
    rows["appointment"].append(
        rows["appointment"][0]
        | {"activityid": guid("appointment:9999"), "createdon": "9999-12-31T00:00:00Z", "actualend": None}
    )
    results = _run(tmp_path, {"appointment": rows["appointment"]}, settings, config, ds)

    assert (results["appointment"].clean_rows, results["appointment"].quarantined_rows) == (1, 2)
    reasons = {row["record_key"]: row for row in quarantine(settings, ds, "appointment")}
    first = reasons[guid("appointment:1")]
    assert first["check_name"] == "expect_column_values_to_be_between(actualend)"
    assert re.fullmatch(
        r"column actualend: value '2031-05-01T10:00:00' is later than the moment the data was extracted "
        r"\(\d{4}-\d\d-\d\d \d\d:\d\d UTC\) plus 24 h; timestamps must be UTC and not in the future",
        first["reason"],
    ), first["reason"]
    assert "createdon" in reasons[guid("appointment:9999")]["check_name"]


def test_a_backfill_keeps_rows_newer_than_its_date_but_older_than_the_extraction(
    tmp_path: Path, settings, config: Config, ds: date
):
    """A snapshot taken today holds rows after an older run date: not bad data (the models apply the as-of cut)."""
    rows = clone(sample_rows())
    after_ds = (ds + timedelta(days=30)).isoformat() + "T09:00:00Z"
    rows["task"][0]["createdon"] = after_ds
    rows["task"][0]["modifiedon"] = after_ds
    results = _run(tmp_path, {"task": rows["task"]}, settings, config, ds)
    assert results["task"].quarantined_rows == 0
    assert results["task"].clean_rows == len(rows["task"])


def test_modifiedon_before_createdon_is_quarantined(tmp_path: Path, settings, config: Config, ds: date):
    rows = clone(sample_rows())
    rows["task"][0]["modifiedon"] = "2025-01-01T00:00:00Z"
    _run(tmp_path, {"task": rows["task"]}, settings, config, ds)
    (row,) = quarantine(settings, ds, "task")
    assert row["check_name"] == "expect_column_pair_values_a_to_be_greater_than_b(modifiedon)"
    assert row["reason"] == "modifiedon '2025-01-01T00:00:00' is earlier than createdon '2026-01-26T08:00:00'"


def test_several_failures_of_one_row_make_one_quarantine_row(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    rows["lead"][0] |= {"budgetstatus": "7", "subject": None}
    rows["lead"][1] |= {"leadqualitycode": "Scorching", "subject": None}
    results = _run(tmp_path, {"lead": rows["lead"]}, settings, config, ds)
    assert (results["lead"].clean_rows, results["lead"].quarantined_rows) == (0, 2)
    both, cast = quarantine(settings, ds, "lead")  # ordered by record key: lead:1, lead:2
    assert both["check_name"] == (
        "expect_column_values_to_be_in_set(budgetstatus), expect_column_values_to_not_be_null(subject)"
    )
    assert "column budgetstatus: value '7' is not a known lead.budgetstatus code" in both["reason"]
    assert "the value is missing (null) but lead.subject is required" in both["reason"]
    # a value that does not even cast is reported alone: the typed checks cannot judge that row
    assert cast["check_name"] == "cast_to_contract_type(leadqualitycode)"
    assert cast["reason"] == (
        "column leadqualitycode: value 'Scorching' is neither an option-set code nor a label of leadqualitycode "
        "(codes and labels: 1 Hot, 2 Warm, 3 Cold; labels match ignoring case); export codes, or map the value "
        "in a mapped source"
    )


def test_converter_quarantine_is_folded_in_and_reconciled(tmp_path: Path, settings, config: Config, ds: date):
    export = write_export(tmp_path / "export", {"email": sample_rows()["email"]})
    connection = duckdb.connect()
    connection.execute(
        f"""COPY (SELECT 'email' AS table_name, '<m1@x>' AS record_key, 'parse_message' AS check_name,
                  'message has no Date header' AS reason, '{{"message_id": "<m1@x>"}}' AS source_row)
            TO '{export / "_quarantine.parquet"}' (FORMAT parquet)"""
    )
    connection.close()
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    extract_all(source, ds, settings, config, ["email"])
    result = validate_table("email", ds.isoformat(), settings, config)  # Airflow's ds is text

    assert (
        result.raw_rows,
        result.clean_rows,
        result.quarantined_rows,
        result.converter_quarantined_rows,
    ) == (4, 3, 1, 1)
    (row,) = quarantine(settings, ds, "email")
    assert (row["record_key"], row["check_name"], json.loads(row["source_row"])) == (
        "<m1@x>",
        "parse_message",
        {"message_id": "<m1@x>"},
    )


def test_validation_without_landing_says_to_extract_first(settings, config: Config, ds: date):
    with pytest.raises(LandingNotFoundError, match="run the extract task for account"):
        validate_table("account", ds, settings, config)


def test_parquet_and_csv_exports_give_the_same_raw_tables(tmp_path: Path, config: Config, ds: date):
    from tests.support.pipeline import isolated_settings

    loaded = {}
    for fmt in ("csv", "parquet"):
        settings = isolated_settings(tmp_path / fmt / "var")
        tables = ["account", "contact", "opportunity", "connection", *with_activities("activityparty")]
        _run(tmp_path / fmt, {t: sample_rows()[t] for t in tables}, settings, config, ds, fmt=fmt)
        loaded[fmt] = {table: raw_table(settings, table) for table in tables}
    assert loaded["csv"] == loaded["parquet"]
    assert len(loaded["csv"]["activityparty"]) == len(sample_rows()["activityparty"])


def test_extract_and_validate_twice_gives_identical_raw_and_audit_tables(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    rows["account"][1]["statecode"] = "Open"
    rows["contact"].append(rows["contact"][0] | {"modifiedon": "2026-01-30T10:00:00Z"})
    audit_sql = {
        "quarantine": "SELECT ds, table_name, record_key, check_name, reason, CAST(source_row AS VARCHAR) "
        "FROM audit.quarantine ORDER BY ALL",
        "reconciliation": "SELECT ds, table_name, raw_rows, clean_rows, quarantined_rows, is_balanced "
        "FROM audit.reconciliation ORDER BY ALL",
        "manifest": "SELECT ds, table_name, source, load_type, rows, bytes, watermark, landed_path "
        "FROM audit.extract_manifest ORDER BY ALL",
    }

    tables = with_activities("account", "contact", "activityparty")

    def snapshot() -> dict:
        return {table: raw_table(settings, table) for table in tables} | {
            name: query(settings, sql) for name, sql in audit_sql.items()
        }

    _run(tmp_path, rows, settings, config, ds, tables)
    first = snapshot()
    _run(tmp_path, rows, settings, config, ds, tables)
    assert snapshot() == first
    assert len(first["quarantine"]) == 2


def test_a_custom_option_value_and_a_custom_column_are_kept_not_quarantined(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = clone(sample_rows())
    rows["account"][0]["customertypecode"] = "100000001"  # a publisher's custom option value
    rows["account"][1]["customertypecode"] = "99"  # an unknown code below the custom range: a fault
    for index, row in enumerate(rows["account"]):
        row["new_Segment"] = f"segment {index}"  # a custom column outside the contract
    results = _run(tmp_path, {"account": rows["account"]}, settings, config, ds)

    assert (results["account"].clean_rows, results["account"].quarantined_rows) == (1, 1)
    (row,) = quarantine(settings, ds, "account")
    assert row["record_key"] == guid("account:fabrikam") and "value '99' is not a known" in row["reason"]
    assert any("'100000001'" in warning for warning in results["account"].warnings)
    kept = query(settings, 'SELECT customertypecode, new_segment FROM raw."account"')
    assert kept == [(100000001, "segment 0")]


def test_an_empty_required_timestamp_is_quarantined(tmp_path: Path, settings, config: Config, ds: date):
    rows = clone(sample_rows())
    rows["opportunity"][0]["createdon"] = ""  # e.g. a deal a flat export has no date for
    results = _run(tmp_path, {"opportunity": rows["opportunity"]}, settings, config, ds)
    assert (results["opportunity"].clean_rows, results["opportunity"].quarantined_rows) == (1, 1)
    (row,) = quarantine(settings, ds, "opportunity")
    assert row["check_name"] == "expect_column_values_to_not_be_null(createdon)"
    assert "the value is missing (null) but opportunity.createdon is required" in row["reason"]
