"""A tiny DAG run's published copy and the insight pages served from it (the browser: tests/support/browser.py).

The run is a child process (``rapport run``) in its own RAPPORT_HOME, as in tests/e2e: the tiny generated
CRM, with the readiness gate lowered so that both models train and the score widget has scores.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RAPPORT = Path(sys.executable).parent / "rapport"
TEST_CONFIG = """
[sample]
scale = "tiny"

[scoring]
min_positive = 15
min_negative = 15
"""


@dataclass(frozen=True)
class TinyRun:
    home: Path
    env: dict[str, str]

    @property
    def published(self) -> Path:
        return self.home / "published" / "marts.duckdb"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"


def tiny_environment(home: Path) -> dict[str, str]:
    """The session's environment without the per-session paths conftest exported, pointed at ``home``
    and the tiny sample (``TEST_CONFIG`` written beside it)."""
    config = home.parent / "test.toml"
    config.write_text(TEST_CONFIG)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "RAPPORT_", "MLFLOW_", "DBT_"))
    }
    env["RAPPORT_HOME"] = str(home)
    env["RAPPORT_CONFIG"] = f"{ROOT / 'rapport.toml'}{os.pathsep}{config}"
    return env


def run_day(env: dict[str, str], day: str) -> None:
    """``rapport run --date day`` in ``env``; the test fails with the run's output if it fails."""
    result = subprocess.run(
        [str(RAPPORT), "run", "--date", day],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        pytest.fail(
            f"rapport run --date {day} exited {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    home = tmp_path_factory.mktemp("insights") / "var"
    env = tiny_environment(home)
    run_day(env, "2026-03-02")
    run = TinyRun(home, env)
    assert run.published.exists(), "the run published no copy"
    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(database: Path, secret: str = "") -> Iterator[str]:
    """The insight pages on a free loopback port, in a thread of this process; yields the base URL."""
    import uvicorn

    from rapport.config import InsightsConfig
    from rapport.insights.app import AppSettings, create_app

    port = free_port()
    app = create_app(AppSettings(database=database, insights=InsightsConfig(), secret=secret))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the insight pages did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def pages(tiny_run: TinyRun) -> Iterator[str]:
    with serving(tiny_run.published) as url:
        yield url


def published_rows(database: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    """An independent reading of the published copy (the expected values of a test)."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()
