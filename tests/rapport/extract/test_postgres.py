"""Extraction from a real PostgreSQL server: same raw data as from files, incremental watermarks, clear errors."""

from __future__ import annotations

import socket
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from rapport.config import Config
from rapport.contract import ACTIVITY_TABLES, load_contract
from rapport.errors import MissingTableError, SourceConnectionError
from rapport.extract import extract_table, prepare_source, resolve_source
from tests.support.export import clone, guid, insert_rows, load_into_postgres, sample_rows, write_export
from tests.support.pipeline import extract_all, isolated_settings, query, raw_table, validate_all

pytestmark = pytest.mark.postgres


def test_postgres_gives_the_same_raw_data_as_files(
    postgres_db: str, tmp_path: Path, config: Config, ds: date
):
    rows = sample_rows()
    load_into_postgres(postgres_db, rows)
    loaded = {}
    for name, spec in (
        ("files", f"files:{write_export(tmp_path / 'export', rows)}"),
        ("postgres", f"postgres:{postgres_db}"),
    ):
        settings = isolated_settings(tmp_path / name / "var")
        source = prepare_source(resolve_source(spec, settings=settings), settings, config)
        extracted = extract_all(source, ds, settings, config)
        assert {result.load_type for result in extracted.values()} == {"full"}
        results = validate_all(ds, settings, config)
        assert all(result.quarantined_rows == 0 for result in results.values())
        loaded[name] = {table: raw_table(settings, table) for table in load_contract().table_names}
    assert loaded["postgres"] == loaded["files"]
    assert sum(len(table) for table in loaded["postgres"].values()) == sum(map(len, rows.values()))


def test_incremental_extraction_picks_up_only_changed_rows(
    postgres_db: str, tmp_path: Path, config: Config, ds: date
):
    rows = sample_rows()
    load_into_postgres(postgres_db, rows)
    settings = isolated_settings(tmp_path / "var")
    source = prepare_source(resolve_source(f"postgres:{postgres_db}", settings=settings), settings, config)
    tables = ["account", *ACTIVITY_TABLES, "activityparty"]
    first = extract_all(source, ds, settings, config, tables)
    validate_all(ds, settings, config, tables)
    assert first["account"].load_type == "full"

    # In the source, after the first run: one account edited, one e-mail edited with a new recipient, one
    # new phone call with its parties, and an edit dated *before* the watermark (must not be picked up).
    with psycopg.connect(postgres_db, autocommit=True) as connection:
        connection.execute(
            "UPDATE account SET name = 'Contoso ASA', modifiedon = '2026-02-01T09:00:00Z' WHERE accountid = %s",
            [guid("account:contoso")],
        )
        connection.execute(
            "UPDATE account SET name = 'silently edited' WHERE accountid = %s", [guid("account:fabrikam")]
        )
        connection.execute(
            "UPDATE email SET subject = 'Renewal terms v2', modifiedon = '2026-02-01T10:00:00Z' WHERE activityid = %s",
            [guid("email:1")],
        )
        connection.execute(
            "DELETE FROM activityparty WHERE activityid = %s AND participationtypemask = 3", [guid("email:1")]
        )
    new_call = clone(rows)["phonecall"][0] | {
        "activityid": guid("phonecall:new"),
        "subject": "Follow-up call",
        "createdon": "2026-02-01T11:00:00Z",
        "modifiedon": "2026-02-01T11:00:00Z",
        "actualstart": "2026-02-01T11:00:00Z",
    }
    insert_rows(postgres_db, "phonecall", [new_call])
    new_parties = [
        {"activitypartyid": guid("party:new:1"), "activityid": guid("phonecall:new"), "partyid": guid("user:anna"),
         "partyobjecttypecode": "systemuser", "participationtypemask": "1"},
        {"activitypartyid": guid("party:new:2"), "activityid": guid("phonecall:new"), "partyid": guid("contact:eve"),
         "partyobjecttypecode": "contact", "participationtypemask": "2"},
        {"activitypartyid": guid("party:email1:bcc"), "activityid": guid("email:1"), "partyid": guid("contact:eve"),
         "partyobjecttypecode": "contact", "participationtypemask": "4"},
    ]  # fmt: skip
    insert_rows(postgres_db, "activityparty", new_parties)

    next_day = ds + timedelta(days=1)
    second = extract_all(source, next_day, settings, config, tables)
    results = validate_all(next_day, settings, config, tables)

    assert {table: (result.load_type, result.rows) for table, result in second.items()} == {
        "account": ("incremental", 1),
        "email": ("incremental", 1),
        "phonecall": ("incremental", 1),
        "appointment": ("incremental", 0),
        "task": ("incremental", 0),
        "activityparty": (
            "incremental",
            5,
        ),  # email:1 now has 3 parties (cc removed, bcc added), the new call 2
    }
    assert second["account"].previous_watermark == datetime(2026, 1, 20, 12, 0)
    assert all(result.quarantined_rows == 0 and result.is_balanced for result in results.values())
    names = dict(query(settings, "SELECT accountid, name FROM raw.account"))
    assert names == {guid("account:contoso"): "Contoso ASA", guid("account:fabrikam"): 'Fabrikam "North"'}
    assert query(settings, "SELECT count(*) FROM raw.phonecall") == [(3,)]
    email_parties = query(
        settings,
        "SELECT participationtypemask FROM raw.activityparty WHERE activityid = ? ORDER BY 1",
        [guid("email:1")],
    )
    assert email_parties == [(1,), (2,), (4,)]  # the removed CC party is gone, the new BCC party is there
    assert query(settings, "SELECT count(*) FROM raw.activityparty") == [(len(rows["activityparty"]) + 2,)]
    assert query(
        settings,
        "SELECT watermark FROM audit.extract_manifest WHERE ds = ? AND table_name = 'task'",
        [next_day],
    ) == [
        (datetime(2026, 1, 26, 8, 0),)  # nothing changed: the watermark carries forward
    ]

    # a merged row records the date that loaded it
    assert query(settings, "SELECT _ds FROM raw.account WHERE accountid = ?", [guid("account:contoso")]) == [
        (next_day,)
    ]


def test_an_older_incremental_row_never_overwrites_a_newer_one(
    postgres_db: str, tmp_path: Path, config: Config, ds: date
):
    rows = sample_rows()
    load_into_postgres(postgres_db, {"account": rows["account"]})
    settings = isolated_settings(tmp_path / "var")
    source = prepare_source(resolve_source(f"postgres:{postgres_db}", settings=settings), settings, config)
    extract_all(source, ds, settings, config, ["account"])
    validate_all(ds, settings, config, ["account"])
    with psycopg.connect(postgres_db, autocommit=True) as connection:
        connection.execute("UPDATE account SET name = 'v2', modifiedon = '2026-02-01T09:00:00Z'")
    day2, day3 = ds + timedelta(days=1), ds + timedelta(days=2)
    extract_all(source, day2, settings, config, ["account"])
    with psycopg.connect(postgres_db, autocommit=True) as connection:
        connection.execute("UPDATE account SET name = 'v3', modifiedon = '2026-02-02T09:00:00Z'")
    extract_all(source, day3, settings, config, ["account"])
    validate_all(day3, settings, config, ["account"])
    late = validate_all(day2, settings, config, ["account"])["account"]  # an older landing validated late

    assert late.stale_rows == 2 and late.clean_rows == 2
    assert query(settings, "SELECT DISTINCT name FROM raw.account") == [("v3",)]


def test_schema_parameter_and_missing_tables(
    postgres_db: str, tmp_path: Path, settings, config: Config, ds: date
):
    load_into_postgres(postgres_db, {"account": sample_rows()["account"]}, schema="crm")
    source = resolve_source(f"postgres:{postgres_db}?schema=crm", settings=settings)
    assert extract_table("account", ds, source, settings, config=config).rows == 2
    optional = extract_table("connection", ds, source, settings, config=config)
    assert optional.rows == 0
    with pytest.raises(
        MissingTableError, match=r"table crm\.lead does not exist in PostgreSQL .*\?schema=NAME"
    ):
        extract_table("lead", ds, source, settings, config=config)


def test_a_refused_connection_says_where_and_what_to_check(settings, config: Config):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket closes
    source = resolve_source(f"postgres:postgresql://crm:secret@127.0.0.1:{port}/sales", settings=settings)
    with pytest.raises(SourceConnectionError) as caught:
        prepare_source(source, settings, config)
    message = str(caught.value)
    assert f"PostgreSQL at 127.0.0.1:{port} (database sales, user crm) could not be reached" in message
    assert "Check that the server is running" in message and "pg_hba.conf" in message
    assert "secret" not in message
