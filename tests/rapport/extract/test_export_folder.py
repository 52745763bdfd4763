"""Extracting export folders: layouts, alternative column names, Synapse Link forms, and broken exports."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import duckdb
import pytest

from rapport.config import Config
from rapport.contract import load_contract
from rapport.errors import EmptyTableError, ExportNotFoundError, ExportReadError, MissingTableError
from rapport.extract import extract_table, prepare_source, resolve_source
from rapport.extract.landing import read_landing_manifest
from tests.support.export import guid, sample_rows, write_csv, write_export, write_parquet
from tests.support.pipeline import extract_all, query


def _landed(path: str) -> list[dict]:
    connection = duckdb.connect()
    try:
        cursor = connection.execute(f"SELECT * FROM read_parquet('{path}')")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()


def _source(folder: Path, settings, config):
    return prepare_source(resolve_source(f"files:{folder}", settings=settings), settings, config)


def test_csv_export_lands_every_table_once_with_manifest(tmp_path: Path, settings, config: Config, ds: date):
    rows = sample_rows()
    del rows["connection"]  # an optional table may be absent
    source = _source(write_export(tmp_path / "export", rows), settings, config)

    results = extract_all(source, ds, settings, config)
    again = extract_all(source, ds, settings, config)  # re-running a date replaces, never adds

    assert {table: result.rows for table, result in again.items()} == {
        table: len(rows.get(table, [])) for table in load_contract().table_names
    }
    assert results["account"].load_type == "full"
    landing = settings.landing_dir / "account"
    assert sorted(path.name for path in landing.iterdir()) == ["ds=2026-02-01"]
    assert sorted(path.name for path in (landing / "ds=2026-02-01").iterdir()) == [
        "_manifest.json",
        "data.parquet",
    ]
    account = _landed(again["account"].path)
    assert account[1]["name"] == 'Fabrikam "North"'  # CSV quoting undone, value exactly as written
    assert account[0]["revenue"] == "1250000.50"  # CSV lands as text: validation casts
    manifest = query(
        settings, "SELECT table_name, rows, load_type, source FROM audit.extract_manifest ORDER BY 1"
    )
    assert len(manifest) == len(load_contract().table_names)
    assert ("account", 2, "full", f"files:{tmp_path / 'export'}") in manifest

    connection_landing = _landed(again["connection"].path)
    assert connection_landing == []
    _, connection_manifest = read_landing_manifest(settings, "connection", ds)
    assert connection_manifest.format == "none"
    assert connection_manifest.columns == load_contract().table("connection").column_names


def test_parquet_export_and_partitioned_table_folders(tmp_path: Path, settings, config: Config, ds: date):
    rows = sample_rows()
    export = write_export(tmp_path / "export", {k: v for k, v in rows.items() if k != "email"}, fmt="parquet")
    write_parquet(export / "email" / "2025.parquet", "email", rows["email"][:1])
    write_parquet(export / "email" / "2026.parquet", "email", rows["email"][1:])
    (export / "email" / "_SUCCESS").write_text("")  # marker files are skipped
    source = _source(export, settings, config)

    email = extract_table("email", ds, source, settings, config=config)
    account = extract_table("account", ds, source, settings, config=config)

    assert email.rows == 3
    assert {row["activityid"] for row in _landed(email.path)} == {
        guid("email:1"),
        guid("email:2"),
        guid("email:3"),
    }
    landed = _landed(account.path)[0]
    assert landed["revenue"] == 1250000.5  # Parquet keeps its types
    assert isinstance(landed["createdon"], object) and landed["statecode"] == 0


def test_alias_and_web_api_column_names_are_renamed_and_extras_kept(
    tmp_path: Path, settings, config: Config, ds: date
):
    rows = sample_rows()
    email = []
    for row in rows["email"]:
        renamed = {key.upper() if key == "subject" else key: value for key, value in row.items()}
        renamed["regardingobjectid_entitytype"] = renamed.pop("regardingobjecttypecode")
        renamed["_ownerid_value"] = renamed.pop("ownerid")
        renamed["regardingobjectidname"] = "Contoso"  # Synapse adds name columns: not in the contract
        email.append(renamed)
    export = tmp_path / "export"
    write_csv(export / "email.csv", "email", email)

    result = extract_table("email", ds, _source(export, settings, config), settings, config=config)

    landed = _landed(result.path)[0]
    assert landed["regardingobjecttypecode"] == "account"
    assert landed["ownerid"] == guid("user:anna")
    assert landed["subject"] == "Renewal terms"
    assert landed["regardingobjectidname"] == "Contoso"  # not in the contract: kept as an extra column
    assert result.ignored_columns == ("regardingobjectidname",)
    assert "owneridtype" not in result.missing_columns


def test_csv_without_header_takes_its_columns_from_model_json(
    tmp_path: Path, settings, config: Config, ds: date
):
    export = tmp_path / "export"
    columns = write_csv(export / "account" / "2025.csv", "account", sample_rows()["account"], header=False)
    model = {
        "name": "cdm",
        "entities": [{"name": "account", "attributes": [{"name": name} for name in columns]}],
    }
    (export / "model.json").write_text(json.dumps(model))

    result = extract_table("account", ds, _source(export, settings, config), settings, config=config)

    assert result.rows == 2
    assert _landed(result.path)[0]["accountid"] == guid("account:contoso")
    _, manifest = read_landing_manifest(settings, "account", ds)
    assert (manifest.csv_header, manifest.model_json) == (False, str(export / "model.json"))


def test_csv_without_header_or_model_json_is_a_clear_error(
    tmp_path: Path, settings, config: Config, ds: date
):
    export = tmp_path / "export"
    write_csv(export / "account.csv", "account", sample_rows()["account"], header=False)
    with pytest.raises(ExportReadError, match=r"account\.csv has no header row .* no CDM model\.json"):
        extract_table("account", ds, _source(export, settings, config), settings, config=config)
    assert not (settings.landing_dir / "account" / "ds=2026-02-01").exists()


def test_csv_with_a_header_of_other_names_is_not_reported_as_headerless(
    tmp_path: Path, settings, config: Config, ds: date
):
    export = tmp_path / "export"
    export.mkdir()
    (export / "lead.csv").write_text("Prospect ID,Lead Number,Converted\nabc,660737,1\n", encoding="utf-8")
    with pytest.raises(ExportReadError) as caught:
        extract_table("lead", ds, _source(export, settings, config), settings, config=config)
    message = str(caught.value)
    assert "has no header row" not in message
    assert "has a header row, but its column names (prospect id, lead number, converted)" in message
    assert "mapped:MAPPING.toml" in message


def test_broken_csv_quote_names_file_and_line(tmp_path: Path, settings, config: Config, ds: date):
    export = tmp_path / "export"
    write_csv(export / "contact.csv", "contact", sample_rows()["contact"])
    lines = (export / "contact.csv").read_text().splitlines()
    lines[2] = lines[2].replace("Dmitri Ivanov", '"Dmitri Ivanov', 1)
    (export / "contact.csv").write_text("\n".join(lines) + "\n")

    with pytest.raises(ExportReadError) as caught:
        extract_table("contact", ds, _source(export, settings, config), settings, config=config)
    message = str(caught.value)
    assert f"{export / 'contact.csv'}, line " in message
    assert "opens a double quote that is never closed" in message


def test_missing_export_folder(tmp_path: Path, settings, config: Config, ds: date):
    source = resolve_source(f"files:{tmp_path}/nowhere", settings=settings)
    with pytest.raises(ExportNotFoundError, match=r"export folder .*nowhere does not exist \(no such path\)"):
        prepare_source(source, settings, config)
    with pytest.raises(ExportNotFoundError, match="files:DIR in RAPPORT_SOURCE"):
        extract_table("account", ds, source, settings, config=config)


def test_missing_required_table_names_the_expected_files(tmp_path: Path, settings, config: Config, ds: date):
    export = write_export(tmp_path / "export", {"account": sample_rows()["account"]})
    with pytest.raises(MissingTableError, match=r"no lead table.*lead\.parquet, .*lead\.csv or a folder"):
        extract_table("lead", ds, _source(export, settings, config), settings, config=config)


def test_empty_required_table_is_an_error_unless_allowed(tmp_path: Path, settings, config: Config, ds: date):
    export = tmp_path / "export"
    write_csv(export / "lead.csv", "lead", [])
    (export / "lead.csv").write_text("leadid,subject,lastname,ownerid,statecode,createdon,modifiedon\n")
    source = _source(export, settings, config)
    with pytest.raises(
        EmptyTableError, match=r"required table lead has no rows in .*lead\.csv.*allow_empty_tables"
    ):
        extract_table("lead", ds, source, settings, config=config)

    allowing = replace(config, extract=replace(config.extract, allow_empty_tables=("lead",)))
    assert extract_table("lead", ds, source, settings, config=allowing).rows == 0


def test_synapse_append_only_keeps_latest_version_and_drops_deleted(
    tmp_path: Path, settings, config: Config, ds: date
):
    parties = sample_rows()["activityparty"][:3]
    versions = []
    for number, row in enumerate(parties, start=1):
        versions.append(
            row
            | {
                "versionnumber": str(number * 10),
                "isDeleted": "False",
                "SinkModifiedOn": "1/5/2026 3:04:05 PM",
            }
        )
    # a later version of the first party (new address), and a deletion of the third one
    versions.append(versions[0] | {"versionnumber": "40", "addressused": "anna.b@ours.example"})
    versions.append(versions[2] | {"versionnumber": "50", "isDeleted": "True"})
    # an older version arriving late must not win
    versions.append(versions[1] | {"versionnumber": "5", "addressused": "stale@contoso.example"})
    export = tmp_path / "export"
    write_csv(export / "activityparty" / "2026.csv", "activityparty", versions)

    result = extract_table("activityparty", ds, _source(export, settings, config), settings, config=config)

    landed = {row["activitypartyid"]: row for row in _landed(result.path)}
    assert set(landed) == {parties[0]["activitypartyid"], parties[1]["activitypartyid"]}
    assert landed[parties[0]["activitypartyid"]]["addressused"] == "anna.b@ours.example"
    assert landed[parties[1]["activitypartyid"]]["addressused"] == "carla@contoso.example"
    assert (result.superseded_rows, result.deleted_rows) == (3, 1)
    assert query(
        settings, "SELECT source_rows, superseded_rows, deleted_rows, rows FROM audit.extract_manifest"
    ) == [(6, 3, 1, 2)]


def test_delta_lake_folder_is_refused(tmp_path: Path, settings, config: Config, ds: date):
    export = tmp_path / "export"
    write_parquet(export / "account" / "part-0001.parquet", "account", sample_rows()["account"])
    (export / "account" / "_delta_log").mkdir()
    with pytest.raises(ExportReadError, match="Delta Lake table"):
        extract_table("account", ds, _source(export, settings, config), settings, config=config)


def test_converter_quarantine_rows_land_with_their_table(tmp_path: Path, settings, config: Config, ds: date):
    export = write_export(tmp_path / "export", {"email": sample_rows()["email"]})
    connection = duckdb.connect()
    connection.execute(
        f"""COPY (SELECT * FROM (VALUES
            ('email', '<abc@x>', 'parse_message', 'message has no Date header', '{{"file": "inbox.mbox"}}'),
            ('contact', NULL, 'parse_address', 'unreadable From address', '{{"from": "?"}}')
        ) AS q(table_name, record_key, check_name, reason, source_row)) TO '{export / "_quarantine.parquet"}'
        (FORMAT parquet)"""
    )
    connection.close()

    result = extract_table("email", ds, _source(export, settings, config), settings, config=config)

    assert result.converter_quarantined_rows == 1
    folder, manifest = read_landing_manifest(settings, "email", ds)
    assert manifest.converter_quarantined_rows == 1
    assert _landed(str(folder / "quarantine.parquet"))[0]["reason"] == "message has no Date header"


def test_waits_for_a_warehouse_another_process_holds(
    tmp_path: Path, settings, config: Config, ds: date, caplog
):
    import json as json_module
    import logging
    import subprocess
    import sys

    caplog.set_level(logging.INFO, logger="rapport.duckdb_session")
    export = write_export(tmp_path / "export", {"account": sample_rows()["account"]})
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(3)",
            str(settings.warehouse_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = extract_table("account", ds, _source(export, settings, config), settings, config=config)
    finally:
        holder.wait(timeout=30)
    assert result.rows == 2
    assert "is locked by another process; retrying" in caplog.text  # it waited instead of failing
    assert json_module.loads(json_module.dumps(result.to_dict()))["ds"] == "2026-02-01"
