"""Validation over several worker processes gives exactly the one-process result (issue 17, item 3).

The same export is extracted into two homes and validated with ``[validation] workers`` = 1 and 2, with a
small ``chunk_rows`` and ``parallel_min_rows`` 0 so that every table of more than one row goes to the
workers, the larger ones in many units: quarantine rows (key, check, reason, the row as it
arrived), reconciliation counts, warnings and raw tables must be equal row for row. Two exports:

- the real Maven CRM export (../shared/data/crm_maven) through its shipped mapping: its 500 Prospecting
  deals have no date at all and are quarantined (counted independently from the CSV here);
- the tiny generated CRM with planted bad rows (unknown option-set code, modifiedon before createdon,
  parties of activities that do not exist), which reach three different Great Expectations checks.
"""

from __future__ import annotations

import logging
import multiprocessing
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from rapport.config import Config, ConfigError, ValidationConfig
from rapport.extract import prepare_source, resolve_source
from rapport.settings import PROJECT_ROOT
from rapport.validation import ValidationResult
from rapport.validation.gx_runner import parallel_chunk_rows
from tests.support import reference_data
from tests.support.pipeline import extract_all, isolated_settings, query, validate_all

MAVEN = reference_data("crm_maven")
MAVEN_MAPPING = PROJECT_ROOT / "mappings" / "examples" / "crm_maven.toml"
MAVEN_TABLES = ["systemuser", "account", "opportunity"]
RUN_DATE = date(2018, 1, 1)
CHUNK_ROWS = 4000  # rows: the 8,800 Maven deals and 28k sample parties go to the workers in 2,000-row units


def _config(config: Config, workers: int) -> Config:
    validation = replace(config.validation, workers=workers, chunk_rows=CHUNK_ROWS, parallel_min_rows=0)
    return replace(config, validation=validation)


def _validate(home: Path, spec: str, tables: list[str] | None, config: Config, ds: date) -> dict[str, Any]:
    """Extract ``spec`` into ``home`` and validate it; everything a run leaves that validation decides."""
    settings = isolated_settings(home)
    source = prepare_source(resolve_source(spec, settings=settings), settings, config)
    extract_all(source, ds, settings, config, tables)
    results: dict[str, ValidationResult] = validate_all(ds, settings, config, tables)
    quarantine = query(
        settings,
        "SELECT table_name, record_key, check_name, reason, CAST(source_row AS VARCHAR) FROM audit.quarantine "
        "ORDER BY ALL",
    )
    counts = query(
        settings,
        "SELECT table_name, raw_rows, clean_rows, quarantined_rows, is_balanced FROM audit.reconciliation "
        "ORDER BY table_name",
    )
    raw = {table: query(settings, f'SELECT * FROM raw."{table}" ORDER BY ALL') for table in results}
    outcome = {
        table: (result.failed_checks, result.warnings, result.clean_rows, result.quarantined_rows)
        for table, result in results.items()
    }
    return {"quarantine": quarantine, "counts": counts, "raw": raw, "outcome": outcome}


def _assert_same(one: dict[str, Any], two: dict[str, Any]) -> None:
    assert one["quarantine"] == two["quarantine"]
    assert one["counts"] == two["counts"]
    assert one["outcome"] == two["outcome"]
    for table, rows in one["raw"].items():
        assert rows == two["raw"][table], table


def test_maven_export_validates_identically_over_two_workers(
    tmp_path: Path, config: Config, caplog: pytest.LogCaptureFixture
):
    if not MAVEN.is_dir():
        pytest.skip("reference data ../shared/data/crm_maven not present")
    spec = f"mapped:{MAVEN_MAPPING}@{MAVEN}"
    one = _validate(tmp_path / "one", spec, MAVEN_TABLES, _config(config, 1), RUN_DATE)
    assert "worker processes" not in caplog.text
    with caplog.at_level(logging.INFO, logger="rapport.validation.table_validation"):
        two = _validate(tmp_path / "two", spec, MAVEN_TABLES, _config(config, 2), RUN_DATE)
    assert "checking opportunity in 2 worker processes, 2000-row units" in caplog.text
    _assert_same(one, two)
    deals = pd.read_csv(MAVEN / "sales_pipeline.csv", dtype=str, keep_default_na=False)
    dateless = deals[(deals["engage_date"] == "") & (deals["close_date"] == "")]
    quarantined = [row for row in two["quarantine"] if row[0] == "opportunity"]
    assert len(dateless) == 500 and len(quarantined) == len(dateless)
    assert all(row[1] for row in quarantined)  # every quarantined deal keeps its key
    assert all("createdon" in row[2] for row in quarantined)
    counts = {row[0]: row[1:] for row in two["counts"]}
    assert counts["opportunity"] == (len(deals), len(deals) - 500, 500, True)


SAMPLE_TABLES = ["account", "email", "phonecall", "appointment", "task", "activityparty"]


@pytest.fixture(scope="module")
def sample_with_defects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny generated CRM with 3 bad rows of each planted kind."""
    from rapport.sample import generate

    out = tmp_path_factory.mktemp("tiny-crm-defects")
    generate(out, scale="tiny", seed=42, end_date=date(2026, 1, 1), progress=False, defects=3)
    return out


def test_sample_with_planted_bad_rows_validates_identically_over_two_workers(
    tmp_path: Path, sample_with_defects: Path, config: Config, ds: date
):
    import json

    spec = f"files:{sample_with_defects}"
    one = _validate(tmp_path / "one", spec, SAMPLE_TABLES, _config(config, 1), ds)
    two = _validate(tmp_path / "two", spec, SAMPLE_TABLES, _config(config, 2), ds)
    _assert_same(one, two)
    checks = {(row[0], row[2]) for row in two["quarantine"]}
    planted = {table for table, _ in checks}
    assert {"account", "task", "activityparty"} <= planted
    assert any("customertypecode" in check for table, check in checks if table == "account")
    assert any("modifiedon" in check for table, check in checks if table == "task")
    # the planted dangling parties, read independently from the export: activity ids no activity file holds
    activities: set[str] = set()
    for table in ("email", "phonecall", "appointment", "task"):
        activities |= set(_read(sample_with_defects, table)["activityid"])
    parties = _read(sample_with_defects, "activityparty")
    dangling = set(parties.loc[~parties["activityid"].isin(activities), "activitypartyid"])
    quarantined_parties = {row[1] for row in two["quarantine"] if row[0] == "activityparty"}
    assert dangling and dangling <= quarantined_parties
    assert all(json.loads(row[4]) for row in two["quarantine"])


def _read(export: Path, table: str) -> pd.DataFrame:
    files = sorted(export.glob(f"{table}.*"))
    if not files:
        raise FileNotFoundError(f"{table} in {export}")
    if files[0].suffix == ".parquet":
        return pd.read_parquet(files[0])
    return pd.read_csv(files[0], dtype=str, keep_default_na=False)


def test_units_split_chunk_rows_over_the_workers():
    assert parallel_chunk_rows(3_000_000, 1_000_000, 2, 100_000) == 500_000
    assert parallel_chunk_rows(400_000, 1_000_000, 2, 100_000) == 200_000
    assert parallel_chunk_rows(50_000, 1_000_000, 2, 100_000) is None  # small: in-process
    assert parallel_chunk_rows(3_000_000, 1_000_000, 1, 100_000) is None


def _validate_in_daemon(home: str, export: str, ds: date, queue: Any) -> None:
    from rapport.config import load_config

    config = _config(load_config(), 2)
    warnings: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("rapport.parallel").addHandler(handler)
    try:
        result = _validate(Path(home), f"files:{export}", ["account"], config, ds)
        queue.put(("ok", (result["counts"], warnings)))
    except Exception as error:  # reported to the test
        queue.put(("error", repr(error)))


def test_a_daemonic_process_validates_in_process(tmp_path: Path, sample_with_defects: Path, ds: date):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(
        target=_validate_in_daemon, args=(str(tmp_path), str(sample_with_defects), ds, queue), daemon=True
    )
    process.start()
    status, value = queue.get(timeout=300)
    process.join(timeout=60)
    assert status == "ok", value
    counts, warnings = value
    assert counts and counts[0][0] == "account" and counts[0][4] is True
    assert "running in a daemonic process: [validation] workers ignored, one process used" in warnings


def test_a_negative_worker_count_is_refused():
    with pytest.raises(ConfigError, match=r"validation\.workers = -1"):
        ValidationConfig(workers=-1).validate()
