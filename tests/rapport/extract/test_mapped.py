"""The mapped source: a flat export mapped onto the contract by a TOML file (rapport.extract.mapped)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import pytest

from rapport.extract.mapped import MappingError, convert_mapped_source, load_mapping, name_id
from rapport.extract.source import parse_source_spec
from tests.support import reference_data

PROJECT = Path(__file__).resolve().parents[3]
X_EDUCATION = reference_data("leads_x_education")

DEALS = """deal_id,agent,stage,engaged,closed,amount,product
D1,Anna Snelling,Won,2017-01-02,2017-02-03,100,GTX Pro
D2,Anna Snelling,Lost,2017-01-05,2017-01-20,0,GTXPro
D3,Moses Frase,Engaging,2017-02-01,,,gtx pro
"""

MAPPING = """[mapping]
missing_values = ["", "Select"]

[tables.opportunity]
file = "deals.csv"

[tables.opportunity.columns]
opportunityid = "deal_id"
name = { template = "Deal {deal_id}" }
ownerid = { from = "agent", uuid = true }
statecode = { from = "stage", values = { "Won" = 1, "Lost" = 2, "Engaging" = 0 } }
createdon = { from = "engaged", format = "%Y-%m-%d" }
modifiedon = { from = ["closed", "engaged"], format = "%Y-%m-%d" }
actualclosedate = { from = "closed", format = "%Y-%m-%d", only_when = { statecode = ["1", "2"] } }
actualvalue = "amount"

[tables.opportunity.custom]
product = "product"
"""


def _write(tmp_path: Path, mapping: str = MAPPING, deals: str = DEALS) -> Path:
    (tmp_path / "deals.csv").write_text(deals, encoding="utf-8")
    path = tmp_path / "map.toml"
    path.write_text(mapping, encoding="utf-8")
    return path


def _convert(tmp_path: Path, mapping: str = MAPPING, deals: str = DEALS) -> pd.DataFrame:
    loaded = load_mapping(_write(tmp_path, mapping, deals))
    convert_mapped_source(loaded, tmp_path / "export")
    return pd.read_csv(tmp_path / "export" / "opportunity.csv", dtype=str)


def test_a_flat_export_becomes_a_contract_table_with_its_custom_column(tmp_path: Path):
    frame = _convert(tmp_path)
    assert list(frame["statecode"]) == ["1", "2", "0"]
    assert list(frame["name"]) == ["Deal D1", "Deal D2", "Deal D3"]
    assert frame.loc[0, "ownerid"] == frame.loc[1, "ownerid"] == str(name_id("anna snelling"))
    assert list(frame["createdon"]) == [
        "2017-01-02T00:00:00Z",
        "2017-01-05T00:00:00Z",
        "2017-02-01T00:00:00Z",
    ]
    assert frame.loc[2, "modifiedon"] == "2017-02-01T00:00:00Z"  # open deal: falls back to the engage date
    assert pd.isna(frame.loc[2, "actualclosedate"])
    assert frame.loc[0, "actualclosedate"] == "2017-02-03"  # a date column: no time
    assert list(frame["product"]) == ["GTX Pro", "GTXPro", "gtx pro"]


def test_ids_that_are_not_guids_become_one_stable_guid_each(tmp_path: Path):
    guid = "6F1C2A7E-3C1B-4F4E-9A55-2F0D6A1B9C10"
    frame = _convert(tmp_path, deals=DEALS.replace("D2,", f"{guid},"))
    ids = list(frame["opportunityid"])
    # written independently of the module: uuid5 over the module's namespace of "id:" + the id as given
    namespace = uuid.UUID("6f1b7c2e-3d4a-5b6c-8d9e-0a1b2c3d4e5f")
    assert ids[0] == str(uuid.uuid5(namespace, "id:D1"))
    assert ids[1] == guid  # already a GUID: kept as it came (validation lower-cases keys)
    assert ids[2] == str(uuid.uuid5(namespace, "id:D3"))
    assert frame.loc[0, "ownerid"] == str(name_id("anna snelling"))  # uuid = true: derived from the name only


def test_unknown_contract_column_names_the_line_and_a_suggestion(tmp_path: Path):
    with pytest.raises(MappingError) as caught:
        load_mapping(_write(tmp_path, MAPPING.replace("actualvalue =", "actualvalu =")))
    message = str(caught.value)
    assert "map.toml, line 15" in message
    assert "'actualvalu' is not a column of the contract table opportunity" in message
    assert "did you mean 'actualvalue'" in message


def test_unknown_source_column_names_the_line_and_the_file_columns(tmp_path: Path):
    with pytest.raises(MappingError) as caught:
        _convert(tmp_path, MAPPING.replace('actualvalue = "amount"', 'actualvalue = "amont"'))
    message = str(caught.value)
    assert "line 15" in message and "reads column 'amont', which deals.csv does not have" in message
    assert "did you mean 'amount'" in message


def test_unmapped_value_names_the_file_line_and_the_fix(tmp_path: Path):
    with pytest.raises(MappingError) as caught:
        _convert(tmp_path, deals=DEALS.replace("Moses Frase,Engaging", "Moses Frase,Prospecting"))
    message = str(caught.value)
    assert "deals.csv: 1 row(s): opportunity.statecode: the value has no entry in values" in message
    assert "line 4 'Prospecting'" in message
    assert 'unmapped = "null"' in message and "map.toml, line 11" in message


def test_unmapped_value_kept_as_its_own_level_in_a_text_column(tmp_path: Path):
    mapping = MAPPING.replace(
        'product = "product"',
        'product = { from = "product", values = { "GTXPro" = "GTX Pro" }, unmapped = "keep" }',
    )
    loaded = load_mapping(_write(tmp_path, mapping))
    summary = convert_mapped_source(loaded, tmp_path / "export")
    frame = pd.read_csv(tmp_path / "export" / "opportunity.csv", dtype=str)
    assert list(frame["product"]) == ["GTX Pro", "GTX Pro", "gtx pro"]
    assert ("opportunity.product", "GTX Pro", 1) in summary.kept_unknown_values
    assert any("kept as its own level (1 rows)" in warning for warning in summary.warnings())


def test_bad_date_format_names_the_file_line_value_and_format(tmp_path: Path):
    with pytest.raises(MappingError) as caught:
        _convert(tmp_path, deals=DEALS.replace("2017-01-05", "05/01/2017"))
    message = str(caught.value)
    assert "opportunity.createdon" in message and "line 3 '05/01/2017'" in message
    assert "does not match format '%Y-%m-%d'" in message


def test_duplicate_ids_name_the_lines_and_the_fix(tmp_path: Path):
    with pytest.raises(MappingError) as caught:
        _convert(tmp_path, deals=DEALS.replace("D3,", "D1,"))
    message = str(caught.value)
    assert "2 rows share an id for opportunity.opportunityid" in message
    assert "D1 on lines 2, 4" in message and "distinct = true" in message


def test_a_required_contract_column_left_unmapped_is_named(tmp_path: Path):
    with pytest.raises(MappingError, match="does not map statecode, which the contract requires"):
        load_mapping(
            _write(
                tmp_path, "\n".join(line for line in MAPPING.splitlines() if not line.startswith("statecode"))
            )
        )


def test_mapped_spec_with_a_data_folder(tmp_path: Path):
    source = parse_source_spec(f"mapped:{tmp_path / 'map.toml'}@{tmp_path / 'data'}")
    assert source.kind == "mapped" and source.location.endswith("map.toml@" + str(tmp_path / "data"))


@pytest.mark.skipif(not X_EDUCATION.is_dir(), reason="reference data not present")
def test_x_education_mapping_derives_moments_from_lead_number_and_reads_select_as_missing(tmp_path: Path):
    loaded = load_mapping(PROJECT / "mappings" / "examples" / "x_education.toml", X_EDUCATION)
    convert_mapped_source(loaded, tmp_path)
    lead = pd.read_csv(tmp_path / "lead.csv", dtype=str, keep_default_na=False)
    source = pd.read_csv(X_EDUCATION / "Leads.csv", dtype=str, keep_default_na=False)
    assert len(lead) == len(source) == 9240
    # independent reading: the order by creation moment is the order by Lead Number
    by_created = lead.sort_values("createdon")["subject"].str.removeprefix("Lead ").astype(int).tolist()
    assert by_created == sorted(source["Lead Number"].astype(int).tolist())
    assert (lead["statecode"] == "1").sum() == (source["Converted"] == "1").sum()
    assert "Select" not in set(lead["specialization"])  # "Select" is the placeholder for missing
    assert (lead["specialization"] == "").sum() == source["Specialization"].isin(["", "Select"]).sum()


@pytest.mark.parametrize("path", sorted((PROJECT / "mappings").rglob("*.toml")), ids=lambda path: path.name)
def test_every_shipped_mapping_is_valid_against_the_contract(path: Path):
    if path.name.endswith(".rapport.toml"):  # the scoring fields that go with a mapping: a config layer
        from rapport.config import Config

        Config.load(str(path))
        return
    mapping = load_mapping(path)
    assert mapping.tables and all(table.files for table in mapping.tables)


MAVEN = X_EDUCATION.parent / "crm_maven"


@pytest.mark.skipif(not MAVEN.is_dir(), reason="reference data not present")
def test_maven_mapping_keeps_win_rates_by_agent_and_product_and_cycle_days(tmp_path: Path):
    convert_mapped_source(load_mapping(PROJECT / "mappings" / "examples" / "crm_maven.toml", MAVEN), tmp_path)
    deals = pd.read_csv(tmp_path / "opportunity.csv", dtype=str)
    users = pd.read_csv(tmp_path / "systemuser.csv", dtype=str)
    deals = deals.merge(
        users[["systemuserid", "fullname"]], left_on="ownerid", right_on="systemuserid", how="left"
    )
    closed = deals[deals["statecode"].isin(["1", "2"])].assign(won=lambda frame: frame["statecode"] == "1")
    closed = closed.assign(
        cycle=(
            pd.to_datetime(closed["actualclosedate"])
            - pd.to_datetime(closed["createdon"]).dt.tz_localize(None)
        ).dt.days
    )
    # independent reading of the raw file
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv")
    raw = raw[raw["deal_stage"].isin(["Won", "Lost"])].assign(won=lambda frame: frame["deal_stage"] == "Won")
    raw["product"] = raw["product"].replace({"GTXPro": "GTX Pro"})
    raw["cycle"] = (pd.to_datetime(raw["close_date"]) - pd.to_datetime(raw["engage_date"])).dt.days
    assert closed["fullname"].notna().all()  # every agent of a deal is a user
    by_agent = closed.groupby("fullname")["won"].mean().sort_index()
    pd.testing.assert_series_equal(
        by_agent, raw.groupby("sales_agent")["won"].mean().sort_index(), check_names=False
    )
    by_product = closed.groupby("product")["won"].mean().sort_index()
    pd.testing.assert_series_equal(
        by_product, raw.groupby("product")["won"].mean().sort_index(), check_names=False
    )
    assert set(by_product.index) == set(pd.read_csv(MAVEN / "products.csv")["product"])  # GTXPro folded in
    assert closed.groupby("won")["cycle"].median().to_dict() == raw.groupby("won")["cycle"].median().to_dict()
    assert len(deals) == 8800 and deals["createdon"].isna().sum() == 500  # Prospecting: no date at all


# Files are converted chunk by chunk ([extract] mapped_chunk_rows): what needs the whole table must still see it.


@pytest.mark.skipif(not X_EDUCATION.is_dir() or not MAVEN.is_dir(), reason="reference data not present")
@pytest.mark.parametrize(
    ("mapping", "data"),
    [("x_education.toml", X_EDUCATION), ("crm_maven.toml", MAVEN)],
    ids=["x_education", "maven"],
)
def test_a_file_read_in_small_chunks_converts_to_the_same_tables(tmp_path: Path, mapping: str, data: Path):
    loaded = load_mapping(PROJECT / "mappings" / "examples" / mapping, data)
    whole = convert_mapped_source(loaded, tmp_path / "whole", chunk_rows=1_000_000)
    chunked = convert_mapped_source(loaded, tmp_path / "chunked", chunk_rows=997)
    assert whole == chunked
    assert max(rows for _, rows in whole.tables) > 997 * 2  # several chunks really were read
    for table, _ in whole.tables:
        assert (tmp_path / "whole" / f"{table}.csv").read_bytes() == (
            tmp_path / "chunked" / f"{table}.csv"
        ).read_bytes()


def test_a_sequence_ranks_numbers_over_the_whole_file_not_within_a_chunk(tmp_path: Path):
    mapping = MAPPING.replace(
        'createdon = { from = "engaged", format = "%Y-%m-%d" }',
        'createdon = { from = "amount", sequence = { start = "2024-01-01T00:00:00Z", step_minutes = 60 } }',
    )
    deals = "deal_id,agent,stage,engaged,closed,amount,product\n" + "".join(
        f"D{number},Anna,Won,2017-01-02,2017-02-03,{amount},GTX\n"
        for number, amount in enumerate([50, 10, 40, 10, 30, 20])
    )
    loaded = load_mapping(_write(tmp_path, mapping, deals))
    convert_mapped_source(loaded, tmp_path / "export", chunk_rows=2)
    created = pd.read_csv(tmp_path / "export" / "opportunity.csv", dtype=str)["createdon"].tolist()
    # independent reading: dense rank of the amounts 50 10 40 10 30 20 over the file is 4 0 3 0 2 1 (hours)
    assert created == [f"2024-01-01T0{hour}:00:00Z" for hour in (4, 0, 3, 0, 2, 1)]


def test_an_id_repeated_in_a_later_chunk_is_found_with_both_lines(tmp_path: Path):
    with pytest.raises(MappingError) as caught:
        loaded = load_mapping(_write(tmp_path, deals=DEALS.replace("D3,", "D1,")))
        convert_mapped_source(loaded, tmp_path / "export", chunk_rows=1)
    message = str(caught.value)
    assert "2 rows share an id for opportunity.opportunityid" in message and "D1 on lines 2, 4" in message


def test_a_bad_value_in_a_later_chunk_names_its_line_and_that_the_file_is_read_in_chunks(tmp_path: Path):
    with pytest.raises(MappingError) as caught:
        _convert_chunked(tmp_path, deals=DEALS.replace("Moses Frase,Engaging", "Moses Frase,Prospecting"))
    message = str(caught.value)
    assert "line 4 'Prospecting'" in message and "among lines 4-4 (read in chunks" in message


def test_unknown_values_kept_are_counted_over_every_chunk(tmp_path: Path):
    mapping = MAPPING.replace(
        'product = "product"',
        'product = { from = "product", values = { "GTXPro" = "GTX" }, unmapped = "keep" }',
    )
    deals = (
        DEALS + "D4,Moses Frase,Engaging,2017-02-01,,,gtx pro\nD5,Moses Frase,Engaging,2017-02-01,,,GTX Pro\n"
    )
    loaded = load_mapping(_write(tmp_path, mapping, deals))
    summary = convert_mapped_source(loaded, tmp_path / "export", chunk_rows=2)
    # independent reading: "GTXPro" (line 3) is mapped; "GTX Pro" is on lines 2 and 6, "gtx pro" on lines 4 and 5,
    # so each spelling counts 2 rows although lines 2-3, 4-5 and 6 are three chunks
    assert sorted(summary.kept_unknown_values) == [
        ("opportunity.product", "GTX Pro", 2),
        ("opportunity.product", "gtx pro", 2),
    ]


def _convert_chunked(tmp_path: Path, deals: str) -> None:
    convert_mapped_source(load_mapping(_write(tmp_path, MAPPING, deals)), tmp_path / "export", chunk_rows=1)
