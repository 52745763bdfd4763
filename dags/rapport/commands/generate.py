"""``rapport generate``: write the sample CRM export (the embedded default source) to a folder.

Defaults come from the ``[sample]`` section of the configuration. The command refuses to write into a
folder that holds anything but a previous generation (recognised by ``_truth/generation.json``);
``--force`` empties such a folder first.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date
from pathlib import Path

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.sample import GenerationError, generate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write the sample CRM (Dataverse-shaped export folder)",
        description="Write a reproducible sample CRM export: every table of the raw contract as Parquet or CSV, "
        "plus ground truth in _truth/. Defaults come from [sample] in rapport.toml.",
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="folder to write the export into"
    )
    parser.add_argument(
        "--scale", help="tiny | small | medium | large, or a number of accounts (default: [sample] scale)"
    )
    parser.add_argument("--seed", type=int, help="random seed (default: [sample] seed)")
    parser.add_argument(
        "--end-date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="last day of history is the day before (default: today, UTC)",
    )
    parser.add_argument(
        "--format", dest="fmt", choices=("parquet", "csv"), help="file format (default: [sample] format)"
    )
    parser.add_argument(
        "--activities", type=int, metavar="N", help="override the number of activities (benchmarks)"
    )
    parser.add_argument(
        "--force", action="store_true", help="empty the folder first, even if it holds other files"
    )
    parser.add_argument(
        "--defects",
        type=int,
        metavar="N",
        help="bad rows of each kind to plant, quarantined by validation (default: [sample] defect_rows; 0 = none)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from error


def prepare_folder(out: Path, force: bool) -> None:
    """Check that ``out`` may be written; with ``force``, empty it first."""
    from rapport.sample.truth import MANIFEST, TRUTH_DIR  # lazy: the truth module loads numpy and pyarrow

    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file; give a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    if force:
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        return
    if not (out / TRUTH_DIR / MANIFEST).is_file():
        raise CommandError(
            f"--out {out} is not empty and was not written by `rapport generate` (no {TRUTH_DIR}/{MANIFEST}); "
            "choose an empty folder, or add --force to delete its contents first"
        )


def run(args: argparse.Namespace) -> int:
    defaults = load_config().sample
    prepare_folder(args.out, args.force)
    try:
        summary = generate(
            args.out,
            scale=args.scale or defaults.scale,
            seed=defaults.seed if args.seed is None else args.seed,
            end_date=args.end_date,
            fmt=args.fmt or defaults.format,
            progress=not args.quiet,
            activities=args.activities,
            defects=defaults.defect_rows if args.defects is None else args.defects,
        )
    except GenerationError as error:
        raise CommandError(str(error)) from error
    print(summary.render(), file=sys.stdout)
    return 0
