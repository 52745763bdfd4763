"""``rapport ui airflow|mlflow``: start Airflow's or MLflow's web UI on this installation's state.

Both bind 127.0.0.1 unless ``--host`` says otherwise. On the loopback address Airflow's simple auth
manager makes every local user an admin (a single-user development UI); on any other address it requires
a login: the user ``admin`` with a password generated once into ``var/airflow/ui_passwords.json``
(mode 0600), never "all admins". MLflow has no login of its own here, so it refuses a non-loopback address.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from rapport.cli import CommandError
from rapport.settings import Settings

AIRFLOW_USER = "admin"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ui",
        help="start Airflow's UI (airflow standalone), MLflow's UI on var/, or Rapport's insight pages",
        description="Starts a local web UI on this installation's state (Ctrl-C stops it). It listens on "
        "127.0.0.1; another --host needs a login (Airflow: user admin, password in var/airflow/ui_passwords.json; "
        "insights: the [insights] secret).",
    )
    parser.add_argument("which", choices=["airflow", "mlflow", "insights"], help="which UI")
    parser.add_argument(
        "--port",
        type=int,
        help="port (default 8080 for Airflow, 5000 for MLflow, [insights] port for insights)",
    )
    parser.add_argument(
        "--host",
        help="address to listen on (default 127.0.0.1: this machine only; insights: [insights] host)",
    )
    parser.set_defaults(handler=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _private_file(path: Path, create: str) -> str:
    """Read ``path``, creating it with ``create`` and mode 0600 (in a 0700 folder) if absent."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(create)
    path.chmod(0o600)
    return path.read_text()


def jwt_secret(settings: Settings) -> str:
    """A 64-byte secret for Airflow's API tokens, created once under var/ (never committed)."""
    return _private_file(settings.airflow_home / "jwt_secret", secrets.token_hex(64)).strip()


def airflow_passwords_file(settings: Settings) -> Path:
    """The simple auth manager's passwords (JSON user -> password), generated once, mode 0600."""
    path = settings.airflow_home / "ui_passwords.json"
    _private_file(path, json.dumps({AIRFLOW_USER: secrets.token_urlsafe(18)}))
    return path


def tool_environment(settings: Settings) -> dict[str, str]:
    """The environment every Airflow/MLflow command needs: Rapport's paths, and this venv first on PATH.

    Airflow starts its parts by running ``airflow`` from PATH, so the venv's bin folder must come first.
    """
    env = dict(os.environ)
    env.update(settings.runtime_environment())
    for key in ("AIRFLOW_HOME", "AIRFLOW_CONFIG", "AIRFLOW__CORE__DAGS_FOLDER", "RAPPORT_HOME"):
        env[key] = settings.runtime_environment()[key]  # never another installation's
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(
        [bin_dir, *(p for p in env.get("PATH", "").split(os.pathsep) if p != bin_dir)]
    )
    env["AIRFLOW__API_AUTH__JWT_SECRET"] = env.get("AIRFLOW__API_AUTH__JWT_SECRET") or jwt_secret(settings)
    return env


def command_for(
    which: str, settings: Settings, port: int | None, host: str = "127.0.0.1"
) -> tuple[list[str], dict[str, str]]:
    """The program, arguments and environment that start the chosen UI."""

    env = tool_environment(settings)
    bin_dir = Path(sys.executable).parent
    if which == "airflow":
        env["AIRFLOW__API__PORT"] = str(port or 8080)
        env["AIRFLOW__API__HOST"] = host
        if is_loopback(host):
            # this machine only: a single-user development UI, every local user is an admin
            env.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
        else:
            env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "False"
            env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = f"{AIRFLOW_USER}:admin"
            env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] = str(airflow_passwords_file(settings))
        return [str(bin_dir / "airflow"), "standalone"], env
    if not is_loopback(host):
        raise CommandError(
            f"MLflow's UI has no login here: it listens on 127.0.0.1 only (asked for {host}). "
            "Reach it through an SSH tunnel, or put an authenticating proxy in front of it."
        )
    return [
        str(bin_dir / "mlflow"),
        "ui",
        "--backend-store-uri",
        settings.mlflow_tracking_uri,
        "--default-artifact-root",
        str(settings.mlflow_artifacts_dir),
        "--workers",
        "1",
        "--host",
        host,
        "--port",
        str(port or 5000),
    ], env


def prepare_airflow(env: dict[str, str]) -> None:
    """Migrate Airflow's database and create the warehouse pool before the UI starts."""
    code = (
        "from airflow.utils import db; db.upgradedb(); "
        "from rapport.runner import ensure_warehouse_pool; ensure_warehouse_pool()"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)


def run(args: argparse.Namespace) -> int:
    if args.which == "insights":  # Rapport's own pages over the published copy (rapport.insights)
        from rapport.insights.server import serve

        return serve(host=args.host, port=args.port)
    settings = Settings.from_env()
    args.host = args.host or "127.0.0.1"
    argv, env = command_for(args.which, settings, args.port, args.host)
    if args.which == "airflow":
        print("Preparing Airflow's database and the warehouse pool ...", flush=True)
        prepare_airflow(env)
        where = f"http://{args.host}:{args.port or 8080}"
        login = (
            "no login (this machine only)"
            if is_loopback(args.host)
            else f"user {AIRFLOW_USER}, password in {airflow_passwords_file(settings)}"
        )
        print(f"Airflow UI at {where}: {login}", flush=True)
    print(f"Starting {' '.join(argv)}  (Ctrl-C stops it)", flush=True)
    os.execve(argv[0], argv, env)
    return 0  # not reached
