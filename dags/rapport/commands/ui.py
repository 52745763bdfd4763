"""``rapport ui airflow|mlflow``: start Airflow's or MLflow's web UI on this installation's state."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from pathlib import Path

from rapport.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ui",
        help="start Airflow's UI (airflow standalone) or MLflow's UI on var/",
        description="Starts a local web UI on this installation's state (Ctrl-C stops it).",
    )
    parser.add_argument("which", choices=["airflow", "mlflow", "insights"], help="which UI")
    parser.add_argument("--host", help="insights only: address to listen on (default [insights] host)")
    parser.add_argument("--port", type=int, help="port (default 8080 for Airflow, 5000 for MLflow)")
    parser.set_defaults(handler=run)


def jwt_secret(settings: Settings) -> str:
    """A 64-byte secret for Airflow's API tokens, created once under var/ (never committed)."""
    path = settings.airflow_home / "jwt_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(64))
        path.chmod(0o600)
    return path.read_text().strip()


def command_for(which: str, settings: Settings, port: int | None) -> tuple[list[str], dict[str, str]]:
    """The program, arguments and environment that start the chosen UI."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    if which == "airflow":
        env["AIRFLOW__API_AUTH__JWT_SECRET"] = env.get("AIRFLOW__API_AUTH__JWT_SECRET") or jwt_secret(
            settings
        )
        env["AIRFLOW__API__PORT"] = str(port or 8080)
        # A local, single-user UI: every user is an admin (set to False and configure auth for shared use).
        env.setdefault("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
        program = (
            str(bin_dir / "airflow")
            if (bin_dir / "airflow").exists()
            else shutil.which("airflow") or "airflow"
        )
        return [program, "standalone"], env
    program = str(bin_dir / "mlflow") if (bin_dir / "mlflow").exists() else shutil.which("mlflow") or "mlflow"
    return [
        program,
        "ui",
        "--backend-store-uri",
        settings.mlflow_tracking_uri,
        "--default-artifact-root",
        str(settings.mlflow_artifacts_dir),
        "--workers",
        "1",
        "--port",
        str(port or 5000),
    ], env


def run(args: argparse.Namespace) -> int:
    if args.which == "insights":  # Rapport's own pages over the published copy (rapport.insights)
        from rapport.insights.server import serve

        return serve(host=args.host, port=args.port)
    settings = Settings.from_env()
    argv, env = command_for(args.which, settings, args.port)
    print(f"Starting {' '.join(argv)}  (Ctrl-C stops it)", flush=True)
    os.execvpe(argv[0], argv, env)
    return 0  # not reached
