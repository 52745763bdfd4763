"""`rapport ui airflow`: starts from a clean shell, listens on 127.0.0.1 by default, and on any other address
answers nothing without a login. Airflow standalone is heavy: it is started once, in this module."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rapport.commands.ui import AIRFLOW_USER, command_for
from rapport.settings import Settings

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def settings(tmp_path):
    return Settings.from_env({"RAPPORT_HOME": str(tmp_path / "var")})


def test_airflow_listens_on_loopback_by_default_with_the_venv_first_on_path(settings):
    argv, env = command_for("airflow", settings, None)
    assert argv == [str(VENV_BIN / "airflow"), "standalone"]
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1" and env["AIRFLOW__API__PORT"] == "8080"
    assert env["PATH"].split(os.pathsep)[0] == str(VENV_BIN)
    assert env["AIRFLOW_HOME"] == str(settings.airflow_home)


def test_another_address_gets_real_users_never_all_admins(settings, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")  # even when asked for
    _, env = command_for("airflow", settings, 8081, "0.0.0.0")
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == f"{AIRFLOW_USER}:admin"
    passwords = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    assert len(json.loads(passwords.read_text())[AIRFLOW_USER]) >= 20
    assert stat.S_IMODE((settings.airflow_home / "jwt_secret").stat().st_mode) == 0o600


def test_mlflow_refuses_a_non_loopback_address(settings):
    from rapport.cli import CommandError

    assert command_for("mlflow", settings, None)[0][-4:] == ["--host", "127.0.0.1", "--port", "5000"]
    with pytest.raises(CommandError, match=r"127\.0\.0\.1 only"):
        command_for("mlflow", settings, None, "0.0.0.0")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _lan_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def _request(url: str, data: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(
        url, data=body, headers=headers, method="POST" if data is not None else "GET"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == group:
                    members.append(int(entry.name))
            except ProcessLookupError:
                pass
    return members


@pytest.fixture(scope="module")
def airflow_ui(tmp_path_factory):
    """`rapport ui airflow --host 0.0.0.0` from a shell without the venv on PATH; the whole tree is killed after."""
    home = tmp_path_factory.mktemp("ui") / "var"
    port = _free_port()
    env = {"HOME": str(home.parent), "PATH": "/usr/bin:/bin", "RAPPORT_HOME": str(home), "LANG": "C.UTF-8"}
    log = (home.parent / "ui.log").open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "rapport"), "ui", "airflow", "--host", "0.0.0.0", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 420
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, _ = _request(f"http://127.0.0.1:{port}/api/v2/monitor/health")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(3)
        if status != 200:
            pytest.fail(
                f"Airflow did not answer on port {port}:\n{(home.parent / 'ui.log').read_text()[-3000:]}"
            )
        yield port, home
    finally:
        # airflow standalone can take far longer than 10 s to stop on SIGTERM: the group is then killed
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + wait
            while time.monotonic() < end and _group_members(process.pid):
                time.sleep(0.5)
            if not _group_members(process.pid):
                break
        process.wait(timeout=10)
        log.close()
        assert not _group_members(process.pid), "processes of rapport ui airflow survived"


@pytest.mark.slow
def test_ui_started_from_a_clean_shell_answers_its_api(airflow_ui):
    port, _ = airflow_ui
    status, body = _request(f"http://127.0.0.1:{port}/api/v2/monitor/health")
    assert status == 200
    assert json.loads(body)["metadatabase"]["status"] == "healthy"


@pytest.mark.slow
def test_ui_on_a_non_loopback_address_is_not_reachable_without_credentials(airflow_ui):
    port, home = airflow_ui
    address = _lan_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    base = f"http://{address}:{port}"
    assert _request(f"{base}/api/v2/dags")[0] in {401, 403}
    assert _request(f"{base}/api/v2/connections")[0] in {401, 403}
    assert _request(f"{base}/auth/token", {})[0] in {400, 401, 403, 422}
    assert _request(f"{base}/auth/token", {"username": AIRFLOW_USER, "password": "wrong"})[0] in {401, 403}
    password = json.loads((home / "airflow" / "ui_passwords.json").read_text())[AIRFLOW_USER]
    status, body = _request(f"{base}/auth/token", {"username": AIRFLOW_USER, "password": password})
    assert status in {200, 201}, body
    token = json.loads(body)["access_token"]
    status, body = _request(f"{base}/api/v2/dags", token=token)
    assert status == 200, body
    assert "dags" in json.loads(body)
