"""``docs/contract.md`` from the contract YAML: the contract for people, generated so it cannot drift.

Regenerate with ``rapport contract docs``; a test fails when the committed file is out of date.
"""

from __future__ import annotations

from rapport.contract import Column, Contract, Table, load_contract
from rapport.settings import PROJECT_ROOT

DOC_PATH = PROJECT_ROOT / "docs" / "contract.md"

TYPE_TEXT = {
    "guid": "GUID (text)",
    "string": "text",
    "memo": "long text",
    "entityname": "table logical name",
    "integer": "whole number",
    "picklist": "option-set code",
    "money": "decimal (money)",
    "double": "decimal",
    "boolean": "boolean (1/0)",
    "datetime": "timestamp (UTC)",
    "date": "date",
}

INTRO = """\
# The raw data contract

<!-- Generated from dbt_project/models/staging/crm/_crm__sources.yml by `rapport contract docs`. Do not edit:
     change the YAML and regenerate (a test checks that this file is up to date). -->

What Rapport expects from a CRM export, table by table. The names are Dataverse (Dynamics 365) logical
names, so an unchanged Dynamics 365 Sales export fits; any other CRM fits once its export uses these names
and forms. The machine-readable contract is `dbt_project/models/staging/crm/_crm__sources.yml` (dbt reads it
as its sources; extraction and validation read it through `rapport.contract`). How extraction and validation
apply it: [extract_validate.md](extract_validate.md).

## Forms every table follows

| what | form | also accepted |
|---|---|---|
| files | `<table>.parquet` or `<table>.csv` in the export folder, or a folder `<table>/` of such files (partitions) | `.csv.gz`; names match case-insensitively; files and folders starting with `_` or `.` are skipped |
| column names | the logical names below, any letter case | the aliases listed per column (e.g. `regardingobjectid_entitytype`), the Web API form `_<column>_value` for every column |
| CSV | UTF-8, comma, `"` quotes (a quote inside a value doubled), first line = header | no header row when a CDM `model.json` beside the files (or in the export folder) lists the columns in order |
| ids (GUID) | text, e.g. `6f1c2a7e-3c1b-4f4e-9a55-2f0d6a1b9c10` | Parquet UUID |
| option sets | the integer code (`0`, `1`, ...) | `3.0` (a whole number written as a decimal); **labels such as `Active` are not accepted**: Dataverse exports codes |
| booleans | `1`/`0` | `true`/`false`, `t`/`f` (any case), Parquet/PostgreSQL booleans |
| timestamps | ISO 8601 in UTC, e.g. `2026-01-10T09:00:00Z` | any offset (`+02:00`, converted to UTC), no offset (taken as UTC), up to 7 fractional digits, Parquet/PostgreSQL timestamps |
| dates | `YYYY-MM-DD` | a timestamp (its date part is kept, never shifted) |
| numbers | plain decimals with a dot, e.g. `1250000.50` | Parquet/PostgreSQL numeric types |
| polymorphic lookups | an id column plus a column naming the target table (`regardingobjectid` + `regardingobjecttypecode`) | |
| extra columns | ignored (listed in the landing manifest and the log) | |
| Synapse Link append-only | | `isDeleted`, `versionnumber`, `SinkModifiedOn`, `SinkCreatedOn`, `Id`: the latest version per key is kept, keys whose latest version is deleted are dropped, both counted in the manifest; `Id` stands in for a missing primary key |
| Delta Lake folders | not read (export a Parquet snapshot) | |

A **required table** must be in every export: a missing one stops the run, and so does an empty one in a
full export (unless listed in `[extract] allow_empty_tables`). An **optional table** may be absent: it
lands empty. A mail archive source yields only the tables mail can fill, so there every table may be
absent or empty. A **required column** must be present (else the table fails) and not null (else the row
is quarantined). `activityparty` has no timestamps: an incremental load takes the parties of the
activities that changed.
"""


def render_contract_markdown(contract: Contract | None = None) -> str:
    """The whole of ``docs/contract.md``."""
    contract = contract or load_contract()
    parts = [
        INTRO,
        "## Tables\n",
        "| table | kind | required | primary key | incremental by | what it holds |",
        "|---|---|---|---|---|---|",
    ]
    for table in contract.tables:
        parts.append(
            f"| [{table.name}](#{table.name}) | {table.kind} | {'yes' if table.required else 'no'} | "
            f"`{table.primary_key}` | {f'`{table.watermark}`' if table.watermark else 'its activities'} | "
            f"{_cell(table.description)} |"
        )
    parts.append("")
    for table in contract.tables:
        parts.append(_table_section(table))
    return "\n".join(parts).rstrip() + "\n"


def _table_section(table: Table) -> str:
    lines = [
        f"### {table.name}",
        "",
        f"{table.description} Primary key `{table.primary_key}`; {'required' if table.required else 'optional'} table.",
        "",
        "| column | type | required | meaning | codes and accepted forms |",
        "|---|---|---|---|---|",
    ]
    for column in table.columns:
        lines.append(
            f"| `{column.name}` | {TYPE_TEXT[column.type]} | {'yes' if column.required else ''} | "
            f"{_cell(column.description)} | {_notes(column)} |"
        )
    lines.append("")
    return "\n".join(lines)


def _notes(column: Column) -> str:
    notes = []
    if column.codes:
        notes.append(", ".join(f"{code} {label}" for code, label in column.codes))
        if column.keep_unknown_codes:
            notes.append("other codes are kept (with a warning)")
    if column.aliases:
        notes.append("also " + ", ".join(f"`{alias}`" for alias in column.aliases))
    if column.references:
        target = (
            "an activity (email, phonecall, appointment, task)"
            if column.references == "activity"
            else f"`{column.references}`"
        )
        notes.append(f"refers to {target}")
    return _cell("; ".join(notes))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
