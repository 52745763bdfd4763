"""Test-wide set-up.

The environment is pointed at a per-session temporary folder *before* anything imports Airflow, so
tests never write into the source tree or ``~/airflow`` and never reach the network.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="rapport-tests-"))
os.environ["RAPPORT_HOME"] = str(_SESSION_HOME / "var")
os.environ.pop("RAPPORT_CONFIG", None)
os.environ.pop("RAPPORT_SOURCE", None)
os.environ.pop("RAPPORT_WAREHOUSE", None)
os.environ.pop("RAPPORT_WRITEBACK_URI", None)
os.environ.pop("MLFLOW_TRACKING_URI", None)
os.environ.pop("AIRFLOW_HOME", None)

from rapport.config import load_config  # noqa: E402
from rapport.settings import apply_runtime_environment  # noqa: E402
from rapport.transform import apply_duckdb_resources  # noqa: E402

apply_runtime_environment()
# dbt_project/profiles.yml reads DuckDB's memory limit and threads from the environment, as `rapport` sets them:
# a test that calls dbt directly must not depend on an earlier test (in its worker) having set them
apply_duckdb_resources(load_config())

import pytest  # noqa: E402

from tests.support.postgres import PostgresServer, running_postgres  # noqa: E402
from tests.support.warehouses import TINY_CRM_END_DATE  # noqa: E402


@pytest.fixture(scope="session")
def session_home() -> Path:
    """The per-session folder that holds RAPPORT_HOME (var/) and AIRFLOW_HOME."""
    return _SESSION_HOME


@pytest.fixture(scope="session")
def tiny_crm_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny generated CRM (seed 42, history up to TINY_CRM_END_DATE), written once per session.

    Shared by the dbt test modules; read only (tests that change data change their own warehouse).
    """
    from rapport.sample import generate

    out = tmp_path_factory.mktemp("tiny-crm")
    generate(out, scale="tiny", seed=42, end_date=TINY_CRM_END_DATE, progress=False)
    return out


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on a free port, started for this test session and stopped after it.

    Its folder is not under pytest's tmp_path: another pytest session on the machine may reset that tree's
    permissions, which a server running as another user (postgres) would not survive.
    """
    folder = Path(tempfile.mkdtemp(prefix="rapport-postgres-"))
    try:
        with running_postgres(folder) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_server: PostgresServer):
    """A fresh, empty database on the session's server; returns its connection URI."""
    uri = postgres_server.create_database()
    yield uri
    postgres_server.drop_database(uri)


# the real browser (chromium) and a page in it: one session fixture for every folder that uses it
pytest_plugins = ["tests.support.browser"]
