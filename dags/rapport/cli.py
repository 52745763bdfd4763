"""The ``rapport`` command: the front door for people and scripts.

Each subcommand lives in its own module under :mod:`rapport.commands` and exposes
``register(subparsers)``; modules are discovered, so adding a command never touches this file.
Heavy libraries are imported inside the command functions, so ``rapport --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from rapport import __version__, commands
from rapport.config import ConfigError
from rapport.errors import RapportError
from rapport.home import secure_home
from rapport.redaction import install_log_redaction, redact
from rapport.settings import apply_runtime_environment


class CommandError(Exception):
    """A user-facing failure: printed as ``rapport: error: <message>`` with exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport",
        description="Relationship analytics, predictive scoring and notes analysis for any CRM.",
    )
    parser.add_argument("--version", action="version", version=f"rapport {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    settings = apply_runtime_environment()
    secure_home(settings)
    install_log_redaction()
    # In-process dbt writes sys.argv into run_results.json and dbt.log: keep a URI's password out of it.
    sys.argv = [redact(argument) for argument in sys.argv]
    try:
        return int(args.handler(args) or 0)
    # ConfigError subclasses RapportError: caught first, as one line (file, [section] key, value, expected)
    except ConfigError as error:
        print(f"rapport: configuration error: {error}", file=sys.stderr)
        return 2
    except (CommandError, RapportError) as error:
        print(f"rapport: error: {redact(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rapport: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
