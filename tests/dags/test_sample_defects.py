"""Bad rows planted in the sample: each one is quarantined with its reason, nothing else changes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from rapport.config import Config, load_config
from rapport.extract import prepare_source, resolve_source
from rapport.sample import generate
from tests.support.pipeline import extract_all, isolated_settings, quarantine, query, validate_all

END = date(2026, 3, 1)

EXPECTED_CHECKS = {
    "account": "expect_column_values_to_be_in_set(customertypecode)",
    "task": "expect_column_pair_values_a_to_be_greater_than_b(modifiedon)",
    "activityparty": "expect_column_values_to_be_in_set(_activityid_resolves)",
}


def _rows(folder: Path, table: str, fmt: str) -> int:
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    return duckdb.sql(f"select count(*) from {reader}('{folder / f'{table}.{fmt}'}')").fetchall()[0][0]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_planted_rows_are_appended_and_counted(tmp_path: Path, fmt: str):
    clean = generate(tmp_path / "clean", scale="tiny", seed=7, end_date=END, fmt=fmt, progress=False)
    planted = generate(
        tmp_path / "planted", scale="tiny", seed=7, end_date=END, fmt=fmt, progress=False, defects=2
    )
    for table in ("account", "task", "activityparty"):
        assert planted.rows[table] == clean.rows[table] + 2
        assert _rows(tmp_path / "planted", table, fmt) == planted.rows[table]
    assert planted.rows["contact"] == clean.rows["contact"]


def test_validation_quarantines_every_planted_row_with_its_reason(tmp_path: Path):
    settings = isolated_settings(tmp_path / "var")
    config: Config = load_config()
    generate(settings.sample_dir, scale="tiny", seed=7, end_date=END, progress=False, defects=2)
    source = prepare_source(resolve_source("sample", settings=settings), settings, config, ds=END)
    extract_all(source, END, settings, config)
    results = validate_all(END, settings, config)

    for table, check in EXPECTED_CHECKS.items():
        rows = quarantine(settings, END, table)
        assert [row["check_name"] for row in rows] == [check, check], table
        assert all(row["reason"] for row in rows)
        assert all(json.loads(row["source_row"]) for row in rows)
    assert sum(result.quarantined_rows for result in results.values()) == 6
    assert all(
        raw == clean + quarantined
        for raw, clean, quarantined in query(
            settings,
            "select raw_rows, clean_rows, quarantined_rows from audit.reconciliation where ds = ?",
            [END],
        )
    )
