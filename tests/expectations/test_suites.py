"""Each table's Great Expectations suite passes a good fixture and fails a broken one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd
import pytest

from rapport.contract import load_contract
from rapport.contract_casting import cast_sql
from rapport.expectations import build_suite, references, suite_module
from rapport.expectations.contract_rules import ROW_ID, SuiteContext
from rapport.validation.gx_runner import SuiteRunner
from tests.support.export import sample_rows

CONTEXT = SuiteContext(as_of=datetime(2026, 2, 1), future_tolerance_hours=24)
TABLES = load_contract().table_names


def typed_frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """The rows cast to their contract types (as the validator hands them to GX), plus derived columns."""
    import duckdb
    import pyarrow as pa

    spec = load_contract().table(table)
    text = pa.table(
        {name: pa.array([row.get(name) for row in rows], pa.string()) for name in spec.column_names}
    )
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.register("text", text)
    casts = []
    for column in spec.columns:
        value = cast_sql(f'"{column.name}"', "VARCHAR", column.type)
        if column.type == "datetime":
            value = f"CAST({value} AS TIMESTAMP_NS)"
        elif column.type in ("integer", "money", "double"):
            value = f"CAST({value} AS DOUBLE)"
        casts.append(f'{value} AS "{column.name}"')
    frame = connection.execute(
        f"SELECT row_number() OVER () - 1 AS {ROW_ID}, {', '.join(casts)} FROM text"
    ).df()
    connection.close()
    for check in references(table):
        frame[check.derived_column] = True
    return frame


def validate(table: str, frame: pd.DataFrame):
    runner = SuiteRunner(load_contract().table(table), build_suite(table, CONTEXT))
    batch = runner.batch_definition.get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(
        runner.suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]}
    )


def failing(result) -> set[tuple[str, str]]:
    return {
        (
            item.expectation_config.type,
            item.expectation_config.kwargs.get("column") or item.expectation_config.kwargs["column_A"],
        )
        for item in result.results
        if not item.success
    }


def _set(column: str, value):
    def mutate(frame: pd.DataFrame) -> None:
        if value is None:
            frame[column] = frame[column].astype(object)  # a bool column cannot hold a null otherwise
        frame.loc[0, column] = value

    return mutate


def _future(column: str) -> Callable[[pd.DataFrame], None]:
    return _set(column, pd.Timestamp("2026-03-01"))


# One break per table beyond the contract's generic ones, each caught by a named expectation.
BREAKS: dict[str, tuple[Callable[[pd.DataFrame], None], tuple[str, str]]] = {
    "businessunit": (_future("createdon"), ("expect_column_values_to_be_between", "createdon")),
    "systemuser": (
        _set("internalemailaddress", None),
        ("expect_column_values_to_not_be_null", "internalemailaddress"),
    ),
    "account": (_set("revenue", -5.0), ("expect_column_values_to_be_between", "revenue")),
    "contact": (_set("statecode", 5), ("expect_column_values_to_be_in_set", "statecode")),
    "lead": (_set("budgetamount", 2e12), ("expect_column_values_to_be_between", "budgetamount")),
    "opportunity": (
        _set("closeprobability", 150.0),
        ("expect_column_values_to_be_between", "closeprobability"),
    ),
    "opportunitysalesprocess": (_set("statuscode", 9), ("expect_column_values_to_be_in_set", "statuscode")),
    "connection": (
        _set("modifiedon", pd.Timestamp("2020-01-01")),
        ("expect_column_pair_values_a_to_be_greater_than_b", "modifiedon"),
    ),
    "connectionrole": (_set("category", 7), ("expect_column_values_to_be_in_set", "category")),
    "email": (
        _set("actualdurationminutes", -1.0),
        ("expect_column_values_to_be_between", "actualdurationminutes"),
    ),
    "phonecall": (_set("directioncode", None), ("expect_column_values_to_not_be_null", "directioncode")),
    "appointment": (_future("actualend"), ("expect_column_values_to_be_between", "actualend")),
    "task": (_set("percentcomplete", 101.0), ("expect_column_values_to_be_between", "percentcomplete")),
    "activityparty": (
        _set("_activityid_resolves", False),
        ("expect_column_values_to_be_in_set", "_activityid_resolves"),
    ),
    "annotation": (_set("ownerid", None), ("expect_column_values_to_not_be_null", "ownerid")),
}


def test_every_contract_table_has_a_suite_module():
    assert set(BREAKS) == set(TABLES)
    for table in TABLES:
        assert table == suite_module(table).TABLE


@pytest.mark.parametrize("table", TABLES)
def test_suite_passes_the_good_fixture(table: str):
    result = validate(table, typed_frame(table, sample_rows()[table]))
    assert failing(result) == set()
    assert len(result.results) >= 5


@pytest.mark.parametrize("table", TABLES)
def test_suite_fails_a_broken_fixture(table: str):
    frame = typed_frame(table, sample_rows()[table])
    mutate, expected = BREAKS[table]
    mutate(frame)
    duplicate = frame.iloc[[0]].assign(**{ROW_ID: len(frame)})
    frame = pd.concat([frame, duplicate], ignore_index=True)  # and a duplicated primary key
    failures = failing(validate(table, frame))
    assert expected in failures
    assert ("expect_column_values_to_be_unique", load_contract().table(table).primary_key) in failures


def test_a_missing_required_column_fails_the_suite():
    frame = typed_frame("account", sample_rows()["account"]).drop(columns=["name"])
    result = validate("account", frame)
    assert ("expect_column_to_exist", "name") in failing(result)


def test_scheduled_times_may_lie_in_the_future():
    frame = typed_frame("task", sample_rows()["task"])
    frame.loc[0, "scheduledend"] = pd.Timestamp("2030-01-01")
    assert failing(validate("task", frame)) == set()


def test_unknown_participation_codes_only_warn():
    frame = typed_frame("activityparty", sample_rows()["activityparty"])
    frame.loc[0, "participationtypemask"] = 14
    result = validate("activityparty", frame)
    (item,) = [item for item in result.results if not item.success]
    assert item.expectation_config.kwargs["column"] == "participationtypemask"
    assert item.expectation_config.severity.value == "warning"
