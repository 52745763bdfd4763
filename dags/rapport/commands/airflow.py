"""``rapport airflow ARGS...``: Airflow's own command line on this installation.

It sets what every Airflow command needs (``AIRFLOW_HOME`` under var/, ``AIRFLOW_CONFIG``, the DAGs
folder, the JWT secret, this venv first on PATH), so the Airflow commands in the docs work as printed:
``rapport airflow dags list``, ``rapport airflow backfill create --dag-id sales_insights ...``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rapport.commands.ui import prepare_airflow, tool_environment
from rapport.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "airflow",
        help="Airflow's command line with Rapport's environment (e.g. rapport airflow dags list)",
        description="Runs `airflow ARGS...` with AIRFLOW_HOME, AIRFLOW_CONFIG and the DAGs folder of this "
        "installation and its venv first on PATH.",
    )
    parser.add_argument("airflow_args", nargs=argparse.REMAINDER, help="airflow command and arguments")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    env = tool_environment(settings)
    marker = settings.airflow_home / ".migrated"
    if not marker.exists() and args.airflow_args[:1] != ["db"]:
        print("Preparing Airflow's metadata database and the warehouse pool (first use) ...", flush=True)
        prepare_airflow(env)
        marker.touch()
    program = str(Path(sys.executable).parent / "airflow")
    os.execve(program, [program, *args.airflow_args], env)
    return 0  # not reached
