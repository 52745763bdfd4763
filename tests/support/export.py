"""A small, hand-written CRM export that follows the contract, for extraction and validation tests.

Rows are plain dicts of text values, exactly as a CSV export would hold them (ISO 8601 UTC timestamps,
0/1 booleans, integer option-set codes). Tests copy and break them (a label instead of a code, a
duplicate key, a dangling party...), then write them as CSV or Parquet with :func:`write_export`, or
load them into PostgreSQL with :func:`load_into_postgres`.
"""

from __future__ import annotations

import copy
import csv
import uuid
from collections.abc import Iterable
from pathlib import Path

from rapport.contract import load_contract

Rows = dict[str, list[dict[str, str | None]]]

_NAMESPACE = uuid.UUID("6f1c2a7e-3c1b-4f4e-9a55-2f0d6a1b9c10")

# The run date the export describes: every timestamp is before it except scheduled ones.
DS = "2026-02-01"


def guid(name: str) -> str:
    """A stable GUID for a readable name (``guid('account:contoso')``)."""
    return str(uuid.uuid5(_NAMESPACE, name))


def _record(created: str, modified: str | None = None) -> dict[str, str]:
    return {"createdon": created, "modifiedon": modified or created}


def sample_rows() -> Rows:
    """A consistent little CRM: 2 users, 2 accounts, 3 contacts, 2 leads, 2 opportunities, 9 activities, every table."""
    anna, ben = guid("user:anna"), guid("user:ben")
    contoso, fabrikam = guid("account:contoso"), guid("account:fabrikam")
    carla, dmitri, eve = guid("contact:carla"), guid("contact:dmitri"), guid("contact:eve")
    lead1, lead2 = guid("lead:1"), guid("lead:2")
    opp1, opp2 = guid("opportunity:1"), guid("opportunity:2")
    rows: Rows = {
        "businessunit": [
            {"businessunitid": guid("bu:sales"), "name": "Sales", **_record("2025-01-01T00:00:00Z")},
        ],
        "systemuser": [
            {
                "systemuserid": anna,
                "fullname": "Anna Berg",
                "firstname": "Anna",
                "lastname": "Berg",
                "internalemailaddress": "anna@ours.example",
                "businessunitid": guid("bu:sales"),
                "isdisabled": "0",
                **_record("2025-01-02T08:00:00Z"),
            },
            {
                "systemuserid": ben,
                "fullname": "Ben Okafor",
                "firstname": "Ben",
                "lastname": "Okafor",
                "internalemailaddress": "ben@ours.example",
                "businessunitid": guid("bu:sales"),
                "parentsystemuserid": anna,
                "isdisabled": "0",
                **_record("2025-01-02T08:05:00Z", "2025-06-01T10:00:00Z"),
            },
        ],
        "account": [
            {
                "accountid": contoso,
                "name": "Contoso, Ltd.",
                "industrycode": "7",
                "revenue": "1250000.50",
                "numberofemployees": "120",
                "address1_country": "Norway",
                "primarycontactid": carla,
                "customertypecode": "3",
                "ownerid": anna,
                "owneridtype": "systemuser",
                "statecode": "0",
                "statuscode": "1",
                **_record("2025-03-01T09:00:00Z", "2026-01-20T12:00:00Z"),
            },
            {
                "accountid": fabrikam,
                "name": 'Fabrikam "North"',
                "industrycode": "33",
                "numberofemployees": "8",
                "ownerid": ben,
                "owneridtype": "systemuser",
                "statecode": "0",
                "statuscode": "1",
                **_record("2025-04-11T14:30:00Z"),
            },
        ],
        "contact": [
            {
                "contactid": carla,
                "fullname": "Carla Diaz",
                "firstname": "Carla",
                "lastname": "Diaz",
                "emailaddress1": "carla@contoso.example",
                "parentcustomerid": contoso,
                "parentcustomeridtype": "account",
                "donotemail": "0",
                "ownerid": anna,
                "owneridtype": "systemuser",
                "statecode": "0",
                "statuscode": "1",
                **_record("2025-03-01T09:10:00Z"),
            },
            {
                "contactid": dmitri,
                "fullname": "Dmitri Ivanov",
                "lastname": "Ivanov",
                "emailaddress1": "dmitri@contoso.example",
                "parentcustomerid": contoso,
                "parentcustomeridtype": "account",
                "ownerid": anna,
                "statecode": "0",
                **_record("2025-05-05T11:00:00Z"),
            },
            {
                "contactid": eve,
                "fullname": "Eve Chen",
                "lastname": "Chen",
                "emailaddress1": "eve@fabrikam.example",
                "parentcustomerid": fabrikam,
                "parentcustomeridtype": "account",
                "ownerid": ben,
                "statecode": "0",
                **_record("2025-04-12T10:00:00Z"),
            },
        ],
        "lead": [
            {
                "leadid": lead1,
                "subject": "Interested in 200 seats",
                "firstname": "Gus",
                "lastname": "Hall",
                "companyname": "Hall & Sons",
                "leadsourcecode": "8",
                "leadqualitycode": "1",
                "budgetamount": "50000",
                "ownerid": anna,
                "statecode": "1",
                "statuscode": "3",
                "qualifyingopportunityid": opp2,
                **_record("2025-09-01T08:00:00Z", "2025-10-01T08:00:00Z"),
            },
            {
                "leadid": lead2,
                "subject": "Pricing question",
                "lastname": "Ito",
                "ownerid": ben,
                "statecode": "0",
                "statuscode": "1",
                **_record("2026-01-15T16:45:00Z"),
            },
        ],
        "opportunity": [
            {
                "opportunityid": opp1,
                "name": "Contoso renewal",
                "customerid": contoso,
                "customeridtype": "account",
                "parentaccountid": contoso,
                "estimatedvalue": "90000",
                "estimatedclosedate": "2026-03-31",
                "closeprobability": "60",
                "ownerid": anna,
                "statecode": "0",
                "statuscode": "1",
                **_record("2025-11-01T10:00:00Z", "2026-01-25T09:00:00Z"),
            },
            {
                "opportunityid": opp2,
                "name": "Hall & Sons 200 seats",
                "originatingleadid": lead1,
                "estimatedvalue": "120000",
                "actualvalue": "115000",
                "actualclosedate": "2025-12-15",
                "closeprobability": "100",
                "ownerid": anna,
                "statecode": "1",
                "statuscode": "3",
                **_record("2025-10-01T08:00:00Z", "2025-12-15T17:00:00Z"),
            },
        ],
        "opportunitysalesprocess": [
            {
                "businessprocessflowinstanceid": guid("bpf:1"),
                "opportunityid": opp1,
                "name": "Opportunity Sales Process",
                "activestageid": guid("stage:propose"),
                "activestagename": "Propose",
                "activestagestartedon": "2026-01-05T09:00:00Z",
                "traversedpath": f"{guid('stage:qualify')},{guid('stage:develop')},{guid('stage:propose')}",
                "statecode": "0",
                "statuscode": "1",
                **_record("2025-11-01T10:00:00Z", "2026-01-05T09:00:00Z"),
            },
        ],
        "connectionrole": [
            {
                "connectionroleid": guid("role:stakeholder"),
                "name": "Stakeholder",
                "category": "1000",
                "statecode": "0",
            }
            | _record("2024-01-01T00:00:00Z"),
        ],
        "connection": [
            {
                "connectionid": guid("connection:1"),
                "record1id": opp1,
                "record1idobjecttypecode": "opportunity",
                "record2id": carla,
                "record2idobjecttypecode": "contact",
                "record2roleid": guid("role:stakeholder"),
                "ismaster": "1",
                "effectivestart": "2025-11-01",
                "statecode": "0",
                "statuscode": "1",
                **_record("2025-11-02T10:00:00Z"),
            },
        ],
        "email": [
            _activity("email:1", "Renewal terms", contoso, "account", anna, "1", "2026-01-10T09:00:00Z")
            | {"directioncode": "1", "description": "Hi Carla,\nattached are the terms.\nAnna"},
            _activity("email:2", "Re: Renewal terms", contoso, "account", anna, "1", "2026-01-11T14:20:00Z")
            | {"directioncode": "0", "parentactivityid": guid("email:1")},
            _activity("email:3", "Intro", fabrikam, "account", ben, "1", "2026-01-28T08:00:00Z")
            | {"directioncode": "1"},
        ],
        "phonecall": [
            _activity("phonecall:1", "Call Carla", carla, "contact", anna, "1", "2026-01-12T10:00:00Z")
            | {"directioncode": "1", "actualdurationminutes": "15"},
            _activity("phonecall:2", "Eve called", fabrikam, "account", ben, "1", "2026-01-29T15:00:00Z")
            | {"directioncode": "0", "actualdurationminutes": "5"},
        ],
        "appointment": [
            _activity("appointment:1", "QBR", contoso, "account", anna, "1", "2026-01-20T13:00:00Z")
            | {"actualdurationminutes": "60", "location": "Oslo"},
            _activity("appointment:2", "Kick-off", opp1, "opportunity", anna, "3", "2026-01-30T09:00:00Z")
            | {"scheduledstart": "2026-03-02T09:00:00Z", "scheduledend": "2026-03-02T10:00:00Z"},
        ],
        "task": [
            _activity("task:1", "Send proposal", opp1, "opportunity", anna, "0", "2026-01-26T08:00:00Z")
            | {"percentcomplete": "40", "scheduledend": "2026-02-10T17:00:00Z"},
            _activity("task:2", "Follow up", lead2, "lead", ben, "1", "2026-01-16T08:00:00Z")
            | {"percentcomplete": "100"},
        ],
        "activityparty": [
            _party("email:1", 1, anna, "systemuser", "anna@ours.example"),
            _party("email:1", 2, carla, "contact", "carla@contoso.example"),
            _party("email:1", 3, dmitri, "contact", "dmitri@contoso.example"),
            _party("email:2", 1, carla, "contact", "carla@contoso.example"),
            _party("email:2", 2, anna, "systemuser", "anna@ours.example"),
            _party("email:3", 1, ben, "systemuser", "ben@ours.example"),
            _party("email:3", 2, eve, "contact", "eve@fabrikam.example"),
            _party("phonecall:1", 1, anna, "systemuser", None),
            _party("phonecall:1", 2, carla, "contact", "+47 555 0101"),
            _party("phonecall:2", 1, eve, "contact", None),
            _party("phonecall:2", 2, ben, "systemuser", None),
            _party("appointment:1", 7, anna, "systemuser", None),
            _party("appointment:1", 5, carla, "contact", None),
            _party("appointment:1", 5, dmitri, "contact", None),
            _party("appointment:2", 7, anna, "systemuser", None),
            _party("task:1", 9, anna, "systemuser", None),
        ],
        "annotation": [
            {
                "annotationid": guid("note:1"),
                "objectid": contoso,
                "objecttypecode": "account",
                "subject": "Budget",
                "notetext": "Budget approved for Q2; CFO wants a discount.",
                "isdocument": "0",
                "ownerid": anna,
                **_record("2026-01-21T10:00:00Z"),
            },
            {
                "annotationid": guid("note:2"),
                "objectid": lead2,
                "objecttypecode": "lead",
                "notetext": "Asked about pricing for 10 users.",
                "isdocument": "0",
                "ownerid": ben,
                **_record("2026-01-15T17:00:00Z"),
            },
        ],
    }
    return rows


def _activity(
    name: str, subject: str, regarding: str, regarding_type: str, owner: str, state: str, created: str
) -> dict[str, str | None]:
    return {
        "activityid": guid(name),
        "subject": subject,
        "regardingobjectid": regarding,
        "regardingobjecttypecode": regarding_type,
        "statecode": state,
        "ownerid": owner,
        "owneridtype": "systemuser",
        "actualstart": created,
        **_record(created),
    }


def _party(
    activity: str, mask: int, party: str, party_type: str, address: str | None
) -> dict[str, str | None]:
    return {
        "activitypartyid": guid(f"party:{activity}:{mask}:{party}"),
        "activityid": guid(activity),
        "partyid": party,
        "partyobjecttypecode": party_type,
        "participationtypemask": str(mask),
        "addressused": address,
        "ispartydeleted": "0",
    }


def clone(rows: Rows) -> Rows:
    """A deep copy to break without touching the original."""
    return copy.deepcopy(rows)


def _columns(table: str, rows: Iterable[dict[str, str | None]]) -> list[str]:
    contract = load_contract().table(table).column_names
    present: list[str] = []
    for row in rows:
        for key in row:
            if key not in present:
                present.append(key)
    ordered = [name for name in contract if name in present]
    return ordered + [name for name in present if name not in ordered]


def write_csv(path: Path, table: str, rows: list[dict[str, str | None]], *, header: bool = True) -> list[str]:
    """Write one table as CSV (empty cell = null); returns the column order."""
    columns = _columns(table, rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        if header:
            writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(name) is None else row.get(name) for name in columns])
    return columns


def write_parquet(path: Path, table: str, rows: list[dict[str, str | None]]) -> None:
    """Write one table as typed Parquet (contract types; extra columns as text)."""
    import duckdb
    import pyarrow as pa

    from rapport.contract import DUCKDB_TYPES

    spec = load_contract().table(table)
    columns = _columns(table, rows)
    frame = pa.table({name: pa.array([row.get(name) for row in rows], pa.string()) for name in columns})
    selects = []
    for name in columns:
        kind = spec.column(name).type if name in spec.column_names else "string"
        if kind == "datetime":
            selects.append(f'CAST(CAST("{name}" AS TIMESTAMPTZ) AS TIMESTAMP) AS "{name}"')
        else:
            selects.append(f'CAST("{name}" AS {DUCKDB_TYPES[kind]}) AS "{name}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("frame", frame)
        connection.execute(f"COPY (SELECT {', '.join(selects)} FROM frame) TO '{path}' (FORMAT parquet)")
    finally:
        connection.close()


def write_export(folder: Path, rows: Rows, *, fmt: str = "csv") -> Path:
    """Write every table of ``rows`` into ``folder`` as ``<table>.csv`` or ``<table>.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, table_rows in rows.items():
        if fmt == "csv":
            write_csv(folder / f"{table}.csv", table, table_rows)
        else:
            write_parquet(folder / f"{table}.parquet", table, table_rows)
    return folder


PG_TYPES = {
    "guid": "uuid",
    "string": "text",
    "memo": "text",
    "entityname": "text",
    "integer": "bigint",
    "picklist": "integer",
    "money": "numeric(18, 2)",
    "double": "double precision",
    "boolean": "boolean",
    "datetime": "timestamp with time zone",
    "date": "date",
}


def load_into_postgres(uri: str, rows: Rows, *, schema: str = "public") -> None:
    """Create every table of ``rows`` (all contract columns, PostgreSQL types) and load the rows."""
    import psycopg
    from psycopg import sql

    contract = load_contract()
    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for table, table_rows in rows.items():
            spec = contract.table(table)
            definition = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(column.name), sql.SQL(PG_TYPES[column.type]))
                for column in spec.columns
            )
            connection.execute(
                sql.SQL("CREATE TABLE {}.{} ({})").format(
                    sql.Identifier(schema), sql.Identifier(table), definition
                )
            )
            insert_rows(uri, table, table_rows, schema=schema)


def insert_rows(uri: str, table: str, rows: list[dict[str, str | None]], *, schema: str = "public") -> None:
    """Insert text rows into an existing table (PostgreSQL casts the text to each column's type)."""
    import psycopg
    from psycopg import sql

    if not rows:
        return
    columns = _columns(table, rows)
    with psycopg.connect(uri, autocommit=True) as connection, connection.cursor() as cursor:
        statement = sql.SQL("COPY {}.{} ({}) FROM STDIN").format(
            sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with cursor.copy(statement) as copy_in:
            for row in rows:
                copy_in.write_row([row.get(name) for name in columns])
