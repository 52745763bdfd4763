"""The raw data contract: one machine-readable file that dbt, extraction and validation all use."""

import re

from rapport.contract import ACTIVITY_TABLES, CONTRACT_PATH, DUCKDB_TYPES, load_contract
from rapport.settings import PROJECT_ROOT

REQUIRED_TABLES = {
    "systemuser", "account", "contact", "lead", "opportunity", "email", "phonecall", "appointment", "task",
    "annotation", "activityparty",
}  # fmt: skip


def test_contract_holds_every_table_the_issue_names():
    contract = load_contract()
    assert set(contract.table_names) >= REQUIRED_TABLES
    for name in REQUIRED_TABLES:
        assert contract.table(name).required, name


def test_every_table_has_a_required_primary_key_and_known_types():
    for table in load_contract().tables:
        key = table.column(table.primary_key)
        assert key.required and key.type == "guid", table.name
        for column in table.columns:
            assert column.type in DUCKDB_TYPES, (table.name, column.name)


def test_dataverse_codes_follow_the_reference():
    contract = load_contract()
    party = contract.table("activityparty").column("participationtypemask")
    assert party.label(1) == "Sender" and party.label(7) == "Organizer" and party.keep_unknown_codes
    assert dict(contract.table("lead").column("statecode").codes) == {
        0: "Open",
        1: "Qualified",
        2: "Disqualified",
    }
    assert dict(contract.table("opportunity").column("statecode").codes) == {0: "Open", 1: "Won", 2: "Lost"}
    assert contract.table("email").column("directioncode").type == "boolean"


def test_not_verified_forms_are_accepted_as_aliases():
    aliases = load_contract().table("email").alias_map()
    assert aliases["regardingobjectid_entitytype"] == "regardingobjecttypecode"
    assert aliases["_regardingobjectid_value"] == "regardingobjectid"
    assert aliases["ownerid_entitytype"] == "owneridtype"


def test_activities_and_parties_have_no_watermark_gap():
    contract = load_contract()
    for name in ACTIVITY_TABLES:
        assert contract.table(name).watermark == "modifiedon"
    assert contract.table("activityparty").watermark is None


def test_one_staging_model_per_contract_table_and_only_staging_calls_source():
    models = PROJECT_ROOT / "dbt_project" / "models"
    calls = {}
    for path in models.rglob("*.sql"):
        for table in re.findall(r"source\('crm', '(\w+)'\)", path.read_text()):
            calls.setdefault(table, set()).add(path)  # a model may name its source more than once
    assert set(calls) == set(load_contract().table_names)
    for table, paths in calls.items():
        assert len(paths) == 1, (table, paths)
        (path,) = paths
        assert path.parent == CONTRACT_PATH.parent and path.name.startswith("stg_crm__"), path
