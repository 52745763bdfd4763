"""``rapport contract docs``: write (or check) docs/contract.md from the contract YAML."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rapport.cli import CommandError
from rapport.contract_docs import DOC_PATH, render_contract_markdown


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("contract", help="the raw data contract (docs from the contract YAML)")
    actions = parser.add_subparsers(dest="contract_action", metavar="ACTION", required=True)
    docs = actions.add_parser("docs", help="write docs/contract.md from _crm__sources.yml")
    docs.add_argument("--output", type=Path, default=None, help="where to write (default: docs/contract.md)")
    docs.add_argument(
        "--check", action="store_true", help="only check that the file is up to date (exit 1 if not)"
    )
    docs.set_defaults(handler=write_docs)


def write_docs(args: argparse.Namespace) -> int:
    path = args.output or DOC_PATH
    text = render_contract_markdown()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            raise CommandError(f"{path} is out of date: run `rapport contract docs` and commit it")
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0
