"""``rapport ingest``: extract and validate one date outside Airflow (to try a source, or to debug one)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.contract import load_contract
from rapport.errors import RapportError
from rapport.extract import extract_table, prepare_source, resolve_source
from rapport.run_lock import RunLockedError, run_lock
from rapport.settings import Settings
from rapport.validation import reconciliation_report, validate_table, validation_dependencies


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="extract and validate the contract tables for one date (no Airflow needed)",
        description="Extract every contract table from the source into var/landing/ and validate it into the "
        "warehouse (raw.*, audit.*), then print the reconciliation. The same functions the DAG calls.",
    )
    parser.add_argument(
        "--source", default=None, help="sample | files:DIR | postgres:URI | mail:PATH (default: RAPPORT_SOURCE, "
        "the Airflow connection rapport_source, else sample)"
    )  # fmt: skip
    parser.add_argument(
        "--date", type=date.fromisoformat, default=None, help="logical date YYYY-MM-DD (default: today, UTC)"
    )
    parser.add_argument("--table", action="append", default=None, help="only this table (repeatable)")
    parser.add_argument("--extract-only", action="store_true", help="land the data but do not validate it")
    parser.set_defaults(handler=ingest)


def ingest(args: argparse.Namespace) -> int:
    try:
        with run_lock(Settings.from_env().var_dir, "rapport ingest"):
            return _ingest_locked(args)
    except RunLockedError as error:
        raise CommandError(str(error)) from error


def _ingest_locked(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    config = load_config(settings.config_path)
    ds = args.date or datetime.now(UTC).date()
    tables = args.table or list(load_contract().table_names)
    unknown = sorted(set(tables) - set(load_contract().table_names))
    if unknown:
        raise CommandError(
            f"unknown table(s) {', '.join(unknown)}; contract tables: {', '.join(load_contract().table_names)}"
        )
    try:
        source = prepare_source(resolve_source(args.source, settings=settings), settings, config, ds=ds)
        print(f"source: {source.description}; date {ds.isoformat()}")
        if source.is_sample:
            print("  SAMPLE: nothing is configured, so this reads the GENERATED SAMPLE CRM, not yours")
        for table in tables:
            result = extract_table(table, ds, source, settings, config=config)
            print(
                f"  extracted {table:<24} {result.rows:>10,} rows  {result.load_type:<11} {result.seconds:6.2f} s"
            )
        if args.extract_only:
            return 0
        ordered = sorted(tables, key=lambda name: bool(validation_dependencies(name)))
        for table in ordered:
            checked = validate_table(table, ds, settings, config)
            print(
                f"  validated {table:<24} {checked.clean_rows:>10,} clean {checked.quarantined_rows:>8,} quarantined "
                f"{checked.seconds:6.2f} s"
            )
            for warning in checked.warnings:
                print(f"    warning: {warning}")
    except RapportError as error:
        raise CommandError(str(error)) from error
    print(reconciliation_report(ds, settings, config).as_text())
    return 0
