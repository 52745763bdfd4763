"""`rapport dbt ...` as a user types it: group commands (docs generate) and a held warehouse."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

RAPPORT = Path(sys.executable).parent / "rapport"


def test_split_command_keeps_dbt_command_groups_together():
    from rapport.commands.dbt import split_command

    assert split_command(["docs", "generate", "--no-compile"]) == ("docs generate", ["--no-compile"])
    assert split_command(["source", "freshness"]) == ("source freshness", [])
    assert split_command(["build", "-s", "marts"]) == ("build", ["-s", "marts"])


@pytest.mark.slow
def test_rapport_dbt_docs_generate_succeeds_and_writes_the_site(tmp_path):
    env = {**os.environ, "RAPPORT_HOME": str(tmp_path / "var")}
    for key in ("RAPPORT_WAREHOUSE", "DBT_TARGET_PATH", "DBT_LOG_PATH"):
        env.pop(key, None)
    done = subprocess.run(
        [str(RAPPORT), "dbt", "docs", "generate"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    target = tmp_path / "var" / "dbt" / "target"
    assert (target / "index.html").is_file() and (target / "catalog.json").is_file()
    manifest = (target / "manifest.json").read_text()
    assert "exposure.rapport.published_marts" in manifest and "exposure.rapport.insight_pages" in manifest


def test_a_held_warehouse_is_one_line_naming_the_holder(tmp_path):
    warehouse = tmp_path / "var" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                connection = duckdb.connect({str(warehouse)!r})
                print("holding", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        env = {**os.environ, "RAPPORT_HOME": str(tmp_path / "var")}
        env.pop("RAPPORT_WAREHOUSE", None)
        done = subprocess.run(
            [str(RAPPORT), "dbt", "build"], env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        holder.communicate("\n", timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"rapport: error: the warehouse {warehouse} is in use by process ")
    assert str(holder.pid) in lines[0]
