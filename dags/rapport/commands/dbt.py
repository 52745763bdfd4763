"""``rapport dbt ARGS...``: run dbt with Rapport's profile, paths and vars from rapport.toml."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from rapport import warehouse
from rapport.cli import CommandError
from rapport.config import load_config
from rapport.settings import Settings
from rapport.transform import DbtRunError, run_dbt
from rapport.warehouse import lock_conflict_message

# dbt commands that are a group and a subcommand: `rapport dbt docs generate`, `rapport dbt source freshness`
_COMMAND_GROUPS = frozenset({"docs", "source"})
# commands that never open the warehouse
_NO_WAREHOUSE = frozenset({"debug", "deps", "init", "clean", "parse", "list", "ls", "docs serve"})


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt",
        help="run dbt with Rapport's profile, paths and vars (e.g. rapport dbt build -s marts)",
        description="Runs dbt in process with the vars from rapport.toml, the as-of moment and the contract's "
        "labels (e.g. rapport dbt build -s marts, rapport dbt docs generate, rapport dbt docs serve).",
    )
    parser.add_argument("--as-of", help="as-of moment for the models (default: today 00:00 UTC)")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt command and arguments")
    parser.set_defaults(handler=run)


def split_command(dbt_args: list[str]) -> tuple[str, list[str]]:
    """The dbt command (``docs generate`` is one) and the remaining arguments."""
    command, *rest = dbt_args
    if command in _COMMAND_GROUPS and rest and not rest[0].startswith("-"):
        command, rest = f"{command} {rest[0]}", rest[1:]
    return command, rest


def warehouse_holder_message(path: Path, var_dir: Path | None = None) -> str | None:
    """Why the warehouse cannot be opened for writing now (which process holds it, what to do), else None."""
    import duckdb

    try:
        with warehouse.connect(path):
            return None
    except duckdb.IOException as error:
        message = warehouse.lock_conflict_message(path, str(error), var_dir)
        if message is None:
            raise
        return message


def run(args: argparse.Namespace) -> int:
    if not args.dbt_args:
        raise CommandError("give a dbt command, e.g. `rapport dbt build --select staging`")
    as_of = (
        datetime.fromisoformat(args.as_of).replace(tzinfo=UTC)
        if args.as_of
        else datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    settings = Settings.from_env()
    config = load_config()
    command, rest = split_command(args.dbt_args)
    if command not in _NO_WAREHOUSE and not any(a in rest for a in ("-h", "--help")):
        message = warehouse_holder_message(settings.warehouse_path, settings.var_dir)
        if message:
            raise CommandError(message)
    print(f"dbt {command}: running (dbt prints each model as it finishes) ...", flush=True)
    try:
        summary = run_dbt(command, settings=settings, config=config, as_of=as_of, extra=rest)
    except DbtRunError as error:  # the warehouse may have been taken between the check and dbt's own connect
        lock = lock_conflict_message(settings.warehouse_path, str(error), settings.var_dir)
        raise CommandError(lock or str(error)) from error
    if command == "docs generate" and summary.succeeded:
        print(
            f"dbt docs written to {settings.dbt_target_dir / 'index.html'}; `rapport dbt docs serve` shows them"
        )
    return 0 if summary.succeeded else 1
