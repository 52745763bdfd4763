"""The pages read the published copy, so they keep working while a run holds the DAG's warehouse."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.insights.conftest import TinyRun, published_rows

pytestmark = [pytest.mark.slow]

HOLDER = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])  # read-write: DuckDB's one writer, as a DAG run holds it
connection.execute("create or replace table audit.insights_lock_probe as select 1 as x")
print("holding", flush=True)
sys.stdin.readline()
connection.close()
"""


def test_pages_answer_while_another_process_writes_the_warehouse(tiny_run: TinyRun, pages: str) -> None:
    import duckdb

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tiny_run.warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        # the warehouse is locked: not even a read-only connection opens
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(tiny_run.warehouse), read_only=True)
        (total,) = published_rows(tiny_run.published, "select count(*) from dim_leads")[0]
        (record_id,) = published_rows(
            tiny_run.published,
            "select opportunity_id from dim_opportunities order by activity_count desc limit 1",
        )[0]
        with httpx.Client(base_url=pages, timeout=60) as client:
            for path in (
                "/focus",
                "/list/opportunities",
                "/pipeline",
                "/run",
                f"/record/opportunities/{record_id}",
            ):
                assert client.get(path).status_code == 200, path
            assert f'id="row-count">{total} ' in client.get("/list/leads").text
    finally:
        if holder.stdin is not None:
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(timeout=60)
    assert holder.returncode == 0
