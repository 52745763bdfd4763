"""A warehouse locked by another process is reported as who holds it and what to do, not DuckDB's raw text."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import duckdb
import pytest

from rapport import warehouse


@pytest.fixture
def held(tmp_path):
    """A process holding ``warehouse.duckdb`` open for writing, with a password in its command line."""
    path = tmp_path / "warehouse.duckdb"
    code = textwrap.dedent(
        f"""
        import sys, duckdb
        connection = duckdb.connect({str(path)!r})
        print("holding", flush=True)
        sys.stdin.readline()
        """
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, "postgres:postgresql://rapport:s3cret@crm-db/crm"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        yield path, holder
    finally:
        holder.communicate("\n", timeout=30)


def test_the_holder_is_named_with_its_command_and_run(tmp_path, held):
    path, holder = held
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "run.lock").write_text(
        json.dumps(
            {"pid": holder.pid, "host": "h", "command": "rapport run", "started_at": "2026-12-06T20:00:00"}
        )
    )
    with pytest.raises(duckdb.IOException) as raised:
        warehouse.connect(path)
    raw = str(raised.value)
    message = warehouse.lock_conflict_message(path, raw, var_dir)
    assert message is not None and "\n" not in message
    assert message.startswith(f"the warehouse {path} is in use by process {holder.pid} (")
    assert "import sys, duckdb" in message  # its command line, read from /proc
    assert "s3cret" not in message  # passwords on that command line are masked
    assert "`rapport run` started 2026-12-06T20:00:00" in message
    assert f"kill {holder.pid}" in message and "var/published/marts.duckdb" in message
    # Without a run lock naming it, the process is still named; another error is not a lock conflict.
    assert "started" not in warehouse.lock_conflict_message(path, raw, tmp_path / "elsewhere")
    assert warehouse.lock_conflict_message(path, "Catalog Error: Table x does not exist", var_dir) is None
