"""``rapport dbt ARGS...``: run dbt with Rapport's profile, paths and vars from rapport.toml."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dbt",
        help="run dbt with Rapport's profile, paths and vars (e.g. rapport dbt build -s marts)",
        description="Runs dbt in process with the vars from rapport.toml, the as-of moment and the contract's labels.",
    )
    parser.add_argument("--as-of", help="as-of moment for the models (default: today 00:00 UTC)")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt command and arguments")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rapport.cli import CommandError
    from rapport.config import load_config
    from rapport.settings import Settings
    from rapport.transform import DbtRunError, run_dbt

    if not args.dbt_args:
        raise CommandError("give a dbt command, e.g. `rapport dbt build --select staging`")
    as_of = (
        datetime.fromisoformat(args.as_of).replace(tzinfo=UTC)
        if args.as_of
        else datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    command, *rest = args.dbt_args
    try:
        summary = run_dbt(
            command, settings=Settings.from_env(), config=load_config(), as_of=as_of, extra=rest
        )
    except DbtRunError as error:
        raise CommandError(str(error)) from error
    return 0 if summary.succeeded else 1
