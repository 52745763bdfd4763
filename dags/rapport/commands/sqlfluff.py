"""``rapport sqlfluff ARGS...``: SQLFluff on the dbt project with the vars from rapport.toml.

The dbt templater compiles every model, and models read their tunables with ``var()`` (no defaults in
the SQL: ``rapport.toml`` is their one home). This command writes those vars into an extra SQLFluff
config under ``var/`` and runs SQLFluff with it, so ``rapport sqlfluff lint dbt_project/models`` works
as plain ``sqlfluff lint`` would with the vars passed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.settings import Settings
from rapport.transform import apply_duckdb_resources


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sqlfluff",
        help="SQLFluff with the dbt templater and rapport.toml's vars (e.g. rapport sqlfluff lint dbt_project/models)",
        description="Runs SQLFluff (configured in .sqlfluff) with the vars from rapport.toml for the dbt templater.",
    )
    parser.add_argument("sqlfluff_args", nargs=argparse.REMAINDER, help="sqlfluff command and arguments")
    parser.set_defaults(handler=run)


def _toml_value(value: Any) -> str:
    """A value as TOML: strings, numbers, booleans, arrays and inline tables (what Config.dbt_vars holds)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def context_config(variables: dict[str, Any]) -> str:
    """An SQLFluff config (pyproject.toml form) passing every var, lists and tables too, to the dbt templater.

    TOML, not INI, because INI cannot hold the lists and tables some tunables are; the models' var() calls
    have no fallbacks (rapport.toml is the one home of every default).
    """
    lines = ["[tool.sqlfluff.templater.dbt.context]"]
    lines += [f"{name} = {_toml_value(value)}" for name, value in sorted(variables.items())]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    if not args.sqlfluff_args:
        raise CommandError("give a sqlfluff command, e.g. `rapport sqlfluff lint dbt_project/models`")
    settings = Settings.from_env()
    config_path = settings.var_dir / "sqlfluff" / "pyproject.toml"  # sqlfluff reads TOML only by this name
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config = load_config()
    config_path.write_text(context_config(config.dbt_vars()))
    apply_duckdb_resources(config)  # the profile's DuckDB memory limit and threads
    env = dict(os.environ)
    # compile against a scratch database: linting must not need (or lock) the DAG's warehouse
    env["RAPPORT_WAREHOUSE"] = str(config_path.parent / "compile.duckdb")
    program = Path(sys.executable).parent / "sqlfluff"
    command, *rest = args.sqlfluff_args
    argv = [str(program), command, "--config", str(config_path), *rest]
    return subprocess.run(argv, cwd=settings.project_root, env=env, check=False).returncode
