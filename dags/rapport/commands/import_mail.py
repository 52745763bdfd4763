"""``rapport import-mail``: turn a mail archive into an export folder of the raw contract.

The folder can then be used as a ``files:`` source. Internal domains come from ``[mail]`` in the
configuration plus every ``--internal-domain`` given here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.extract.mail import MailImportError, convert_archive


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import-mail",
        help="convert an mbox / maildir / .eml archive into a raw-contract export folder",
        description=(
            "Convert a mail archive (mbox file, maildir, folder of .eml files, or a mix) into an export "
            "folder (email, activityparty, systemuser, contact, account, ...). See docs/mail_archives.md."
        ),
    )
    parser.add_argument("archive", type=Path, help="mbox file, maildir, .eml file or folder")
    parser.add_argument(
        "out_dir", type=Path, help="export folder to write (new, empty, or a previous import)"
    )
    parser.add_argument(
        "--internal-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="a mail domain of our team (repeatable; added to [mail] internal_domains)",
    )
    parser.add_argument(
        "--internal-address",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a single address of our team (repeatable; added to [mail] internal_addresses)",
    )
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="table file format")
    parser.add_argument(
        "--default-owner", metavar="ADDRESS", help="internal address owning unassigned records"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    mail = load_config().mail
    try:
        summary = convert_archive(
            args.archive,
            args.out_dir,
            internal_domains=[*mail.internal_domains, *args.internal_domain],
            internal_addresses=[*mail.internal_addresses, *args.internal_address],
            fmt=args.format,
            default_owner=args.default_owner or mail.default_owner or None,
            progress=not args.no_progress,
        )
    except MailImportError as error:
        raise CommandError(str(error)) from error
    print(summary.describe())
    return 0
