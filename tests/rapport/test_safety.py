"""Safe by default (issue 13): the run lock, URI redaction, a private home with a Fernet key, the source
read from the Airflow connection ``rapport_source`` (as ``--conn-type postgres`` stores it: generic)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from rapport.errors import SourceSpecError
from rapport.extract import source as source_module
from rapport.extract.source import Source, postgres_uri, resolve_source
from rapport.home import secure_home
from rapport.publish import remove_leftover_staging
from rapport.redaction import redact
from rapport.run_lock import LOCK_FILE, RunLockedError, read_holder, run_lock
from tests.support.pipeline import isolated_settings

HOLDER = """
import sys, time
from pathlib import Path
from rapport.run_lock import run_lock
with run_lock(Path(sys.argv[1]), "rapport run"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold_lock(var_dir: Path, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(var_dir), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_second_run_refuses_at_once_naming_the_holder(tmp_path: Path):
    holder = _hold_lock(tmp_path, 30)
    try:
        started = time.monotonic()
        with pytest.raises(RunLockedError) as raised, run_lock(tmp_path, "rapport run"):
            pass
        assert time.monotonic() - started < 2
        assert f"pid {holder.pid}" in str(raised.value) and "rapport run" in str(raised.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path):
    holder = _hold_lock(tmp_path, 30)
    holder.kill()  # like kill -9: no clean release, the file still names the dead holder
    holder.wait()
    assert read_holder(tmp_path / LOCK_FILE).pid == holder.pid
    with run_lock(tmp_path, "rapport run") as stale:
        assert stale is not None and stale.pid == holder.pid
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert read_holder(tmp_path / LOCK_FILE) is None  # released cleanly: nothing stale next time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://crm:hunter2@db:5432/crm", "postgresql://crm:***@db:5432/crm"),
        ("source postgres:postgres://u:p%40ss@h/db done", "source postgres:postgres://u:***@h/db done"),
        ("no secret in postgresql://crm@db/crm", "no secret in postgresql://crm@db/crm"),
        ("['rapport', 'run', '--source', 'postgres:postgresql://a:b@c/d']", "['rapport', 'run', '--source', 'postgres:postgresql://a:***@c/d']"),
    ],
)  # fmt: skip
def test_uri_passwords_are_redacted(text: str, expected: str):
    assert redact(text) == expected


def test_the_home_is_private_and_has_a_fernet_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AIRFLOW__CORE__FERNET_KEY", raising=False)
    settings = isolated_settings(tmp_path / "it's var")
    previous = os.umask(0o022)
    try:
        key_file = secure_home(settings)
        (settings.var_dir / "warehouse.duckdb").write_text("x")
        assert stat.S_IMODE(settings.var_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE((settings.var_dir / "warehouse.duckdb").stat().st_mode) == 0o600
        first = os.environ["AIRFLOW__CORE__FERNET_KEY"]
        monkeypatch.delenv("AIRFLOW__CORE__FERNET_KEY")
        secure_home(settings)
        assert os.environ["AIRFLOW__CORE__FERNET_KEY"] == first == key_file.read_text().strip()
        from cryptography.fernet import Fernet

        Fernet(first.encode())  # a valid key
    finally:
        os.umask(previous)


def _connection(**fields):
    values = {
        "conn_type": "generic",
        "host": None,
        "port": None,
        "login": None,
        "password": None,
        "schema": None,
    }
    values.update(fields)
    return SimpleNamespace(extra_dejson=values.pop("extra", {}), **values)


def test_a_generic_connection_as_airflow_stores_conn_type_postgres_is_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    connection = _connection(host="db.example", port=5433, login="crm", password="hunter2", schema="crm")
    monkeypatch.delenv("RAPPORT_SOURCE", raising=False)
    monkeypatch.setattr(source_module, "_get_airflow_connection", lambda conn_id: connection)
    source = resolve_source(None, settings=isolated_settings(tmp_path / "var"))
    assert (source.kind, source.conn_id) == ("postgres", "rapport_source")
    assert "hunter2" not in json.dumps(source.to_dict()) and "hunter2" not in source.description
    assert postgres_uri(Source.from_dict(source.to_dict())) == "postgresql://crm:hunter2@db.example:5433/crm"


def test_a_generic_connection_with_a_path_is_a_folder_and_one_without_anything_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("RAPPORT_SOURCE", raising=False)
    settings = isolated_settings(tmp_path / "var")
    folder = _connection(extra={"path": str(tmp_path)})
    monkeypatch.setattr(source_module, "_get_airflow_connection", lambda conn_id: folder)
    assert resolve_source(None, settings=settings).description == f"files:{tmp_path}"
    monkeypatch.setattr(source_module, "_get_airflow_connection", lambda conn_id: _connection())
    with pytest.raises(SourceSpecError, match="names no host and no database"):
        resolve_source(None, settings=settings)


def test_a_password_from_rapport_source_never_travels_with_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RAPPORT_SOURCE", "postgres:postgresql://crm:hunter2@db.example/crm")
    source = resolve_source(None, settings=isolated_settings(tmp_path / "var"))
    travelled = Source.from_dict(json.loads(json.dumps(source.to_dict())))
    assert "hunter2" not in json.dumps(source.to_dict())
    assert postgres_uri(travelled) == "postgresql://crm:hunter2@db.example/crm"
    monkeypatch.setenv("RAPPORT_SOURCE", "postgres:postgresql://crm:hunter2@other.example/crm")
    with pytest.raises(SourceSpecError, match="changed during the run"):
        postgres_uri(travelled)


def test_the_sample_is_used_only_when_nothing_is_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("RAPPORT_SOURCE", raising=False)
    monkeypatch.setattr(source_module, "_get_airflow_connection", lambda conn_id: None)
    assert resolve_source(None, settings=isolated_settings(tmp_path / "var")).is_sample
    monkeypatch.setattr(
        source_module, "_get_airflow_connection", lambda conn_id: _connection(extra={"path": str(tmp_path)})
    )
    assert not resolve_source(None, settings=isolated_settings(tmp_path / "var")).is_sample


def test_publish_removes_the_staging_copy_a_crash_left(tmp_path: Path):
    live = tmp_path / ".parquet-2026-01-01-live"
    live.mkdir()
    (tmp_path / "parquet").symlink_to(live.name)
    crashed_db = tmp_path / ".marts-2026-01-02-dead.duckdb"
    crashed_db.write_text("partial")
    crashed_parquet = tmp_path / ".parquet-2026-01-02-dead"
    crashed_parquet.mkdir()
    removed = remove_leftover_staging(tmp_path)
    assert set(removed) == {crashed_db, crashed_parquet}
    assert live.is_dir() and not crashed_db.exists() and not crashed_parquet.exists()


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (OSError(28, "No space left on device"), True),
        (RuntimeError("IO Error: Could not write file: No space left on device"), True),
        (RuntimeError('IO Error: Could not set lock on file "warehouse.duckdb": Conflicting lock'), True),
        (RuntimeError("CSV Error on Line: 3 unterminated quote"), False),
        (FileNotFoundError(2, "No such file or directory"), False),
    ],
)
def test_disk_full_and_busy_locks_are_transient_and_bad_input_is_not(error: Exception, transient: bool):
    from rapport.errors import RapportInputError, TransientError, is_transient
    from rapport.extract.export_folder import describe_error

    assert is_transient(error) is transient
    described = describe_error(error, SimpleNamespace(display="account.csv", format="csv", paths=()))
    assert isinstance(described, TransientError) is transient
    assert isinstance(described, RapportInputError) is not transient  # the DAG fails bad input at once only
