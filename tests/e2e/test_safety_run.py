"""Safe by default, end to end (issue 13): one real ``rapport run`` whose only source is the Airflow
connection ``rapport_source`` (a PostgreSQL database, stored by ``airflow connections add --conn-type
postgres``, which Airflow keeps as ``generic`` without the postgres provider), with a password.

Checked on that one run: it reads the connection's database, not the sample; a second ``rapport run`` on
the same home while it runs refuses at once naming the holder; after it, the password appears in no file
under the home (the whole tree: logs, Airflow's database, dbt artefacts, the warehouse); the home is 0700.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.export import DS, load_into_postgres, sample_rows

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "s3cr3t-Pa55-7f1e"


@dataclass(frozen=True)
class Outcome:
    home: Path
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess
    second_seconds: float
    account_rows: int


def _environment(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "RAPPORT_", "MLFLOW_", "DBT_"))
    }
    env["RAPPORT_HOME"] = str(home)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, postgres_server) -> Outcome:
    import psycopg

    uri = postgres_server.create_database()
    rows = sample_rows()
    load_into_postgres(uri, rows)
    with psycopg.connect(uri, autocommit=True) as connection:
        connection.execute(f"ALTER ROLE CURRENT_USER PASSWORD '{PASSWORD}'")
    home = tmp_path_factory.mktemp("safety") / "var"
    env = _environment(home)
    make_home = "from rapport.home import secure_home; from rapport.settings import Settings; secure_home(Settings.from_env())"
    subprocess.run([sys.executable, "-c", make_home], env=env, check=True, cwd=ROOT)  # the home and its key
    database = uri.rsplit("/", 1)[1]
    airflow_env = {
        **env,
        "AIRFLOW_HOME": str(home / "airflow"),
        "AIRFLOW_CONFIG": str(ROOT / "airflow.cfg"),
        "AIRFLOW__CORE__FERNET_KEY": (home / "fernet.key").read_text().strip(),
    }
    migrated = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=airflow_env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    added = subprocess.run(
        [
            str(BIN / "airflow"), "connections", "add", "rapport_source", "--conn-type", "postgres",
            "--conn-host", postgres_server.host, "--conn-port", str(postgres_server.port),
            "--conn-login", "rapport", "--conn-password", PASSWORD, "--conn-schema", database,
        ],
        env=airflow_env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr[-2000:]
    first = subprocess.Popen(
        [str(BIN / "rapport"), "run", "--date", DS],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lock = home / "run.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (lock.exists() and lock.stat().st_size):
        time.sleep(0.2)
    started = time.monotonic()
    second = subprocess.run(
        [str(BIN / "rapport"), "run", "--date", DS],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    second_seconds = time.monotonic() - started
    stdout, stderr = first.communicate(timeout=1500)
    completed = subprocess.CompletedProcess(first.args, first.returncode, stdout, stderr)
    import duckdb

    with duckdb.connect(str(home / "published" / "marts.duckdb"), read_only=True) as connection:
        (account_rows,) = connection.execute(
            "select raw_rows from audit_reconciliation where table_name = 'account'"
        ).fetchone()
    return Outcome(home, completed, second, second_seconds, int(account_rows))


def test_the_run_reads_the_rapport_source_connection_not_the_sample(outcome: Outcome):
    assert outcome.first.returncode == 0, outcome.first.stdout[-3000:] + outcome.first.stderr[-3000:]
    assert "Airflow connection rapport_source" in outcome.first.stdout
    assert "SAMPLE" not in outcome.first.stdout
    assert "source       postgres:postgresql://rapport@" in outcome.first.stdout
    assert outcome.account_rows == len(sample_rows()["account"])


def test_a_second_run_on_the_same_home_refuses_at_once_naming_the_holder(outcome: Outcome):
    assert outcome.second.returncode == 2
    assert "another Rapport run holds" in outcome.second.stderr and "rapport run" in outcome.second.stderr
    assert "Traceback" not in outcome.second.stderr
    assert outcome.second_seconds < 60  # the CLI's own start-up; it never waits for the first run


def test_the_password_is_in_no_file_under_the_home(outcome: Outcome):
    assert outcome.first.returncode == 0
    secret = PASSWORD.encode()
    files = [path for path in outcome.home.rglob("*") if path.is_file() and not path.is_symlink()]
    assert len(files) > 50
    leaks = [str(path) for path in files if secret in path.read_bytes()]
    assert leaks == []
    assert PASSWORD not in outcome.first.stdout + outcome.first.stderr


def test_the_home_is_private(outcome: Outcome):
    assert stat.S_IMODE(outcome.home.stat().st_mode) == 0o700
    for path in (
        outcome.home / "warehouse.duckdb",
        outcome.home / "fernet.key",
        outcome.home / "airflow" / "airflow.db",
    ):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
