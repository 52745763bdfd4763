"""Great Expectations Data Docs: one page per validated table and run, offline, listed in an index."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from rapport.config import Config
from rapport.extract import prepare_source, resolve_source
from rapport.validation.data_docs import docs_dir, index_path
from tests.support.export import clone, guid, sample_rows, write_export
from tests.support.pipeline import extract_all, validate_all

# Anything a browser would fetch by itself from another host.
FETCHED = re.compile(r"<(?:script|img)[^>]*\bsrc=\"https?://|<link[^>]*\bhref=\"https?://", re.IGNORECASE)


def _validate(tmp_path: Path, rows, settings, config: Config, ds: date):
    export = write_export(tmp_path / "export", rows)
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    extract_all(source, ds, settings, config, list(rows))
    return validate_all(ds, settings, config, list(rows))


def _stored_results(settings, table: str) -> list[dict]:
    folder = settings.var_dir / "gx" / "uncommitted" / "validations"  # <suite>/<run>/<time>/<table>.json
    return [json.loads(path.read_text()) for path in sorted(folder.rglob(f"{table}.json"))]


def test_each_validation_has_an_offline_page_listed_in_the_index(tmp_path, settings, config, ds):
    rows = clone(sample_rows())
    rows["task"][0]["modifiedon"] = "2025-01-01T00:00:00Z"  # fails a GX pair check: quarantined
    results = _validate(tmp_path, {"task": rows["task"], "account": rows["account"]}, settings, config, ds)

    pages = {table: Path(result.data_docs) for table, result in results.items()}
    assert all(page.is_file() and page.is_relative_to(docs_dir(settings.var_dir)) for page in pages.values())
    task_page = pages["task"].read_text()
    assert "expect_column_pair_values_a_to_be_greater_than_b" in task_page or "greater than" in task_page
    for page in [*pages.values(), index_path(settings.var_dir)]:
        assert not FETCHED.search(page.read_text()), f"{page} loads something from another host"
        assert "rapport_offline.css" in page.read_text()
    index = index_path(settings.var_dir).read_text()
    rows_of = re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td>(.*?)</td><td class=\"\w+\">(\w+)</td>", index)
    assert sorted(rows_of) == [(ds.isoformat(), "account", "passed"), (ds.isoformat(), "task", "failed")]
    for page in pages.values():
        link = page.relative_to(docs_dir(settings.var_dir)).as_posix()
        assert f'href="{link}"' in index

    # A re-run of the date keeps the first run's page and adds its own.
    _validate(tmp_path / "again", {"account": rows["account"]}, settings, config, ds)
    assert index_path(settings.var_dir).read_text().count("<td>account</td>") == 2


def test_a_table_validated_in_chunks_gets_one_result_with_the_counts_added_up(tmp_path, settings, config, ds):
    template = sample_rows()["account"][0]
    accounts = [template | {"accountid": guid(f"account:{i}"), "name": f"Account {i}"} for i in range(2_500)]
    for i in (10, 1_500, 2_400):  # one bad row in each of the three chunks
        accounts[i]["modifiedon"] = "2000-01-01T00:00:00Z"
    chunked = replace(config, validation=replace(config.validation, chunk_rows=1_000))
    result = _validate(tmp_path, {"account": accounts}, settings, chunked, ds)["account"]
    assert result.quarantined_rows == 3

    (stored,) = _stored_results(settings, "account")
    assert stored["success"] is False
    failed = [item for item in stored["results"] if not item["success"]]
    assert len(failed) == 1 and failed[0]["result"]["element_count"] == 2_500
    assert failed[0]["result"]["unexpected_count"] == 3
    assert "unexpected_index_list" not in failed[0]["result"]  # row lists stay in audit.quarantine
    (not_null,) = [
        item
        for item in stored["results"]
        if item["expectation_config"]["type"] == "expect_column_values_to_not_be_null"
        and item["expectation_config"]["kwargs"]["column"] == "accountid"
    ]
    assert not_null["success"] and not_null["result"]["element_count"] == 2_500  # 1,000 + 1,000 + 500
