"""Who-knows-whom on the generated CRM, where the truth is known: how often is our first colleague the right one?

Generates the sample CRM (default: small scale, seed 42, end date 2026-11-01) into a temporary folder,
loads it into a DuckDB warehouse (``tests.support.raw_loader``), builds ``fct_who_knows_whom`` and
``fct_company_connections`` with their ancestors, data tests and unit tests through
``rapport.transform.run_dbt`` (as of the end date), and compares the ranking with
``_truth/who_knows_whom.parquet``: over contacts with at least one true tie and at least one interaction,
the share whose true strongest colleague ranks first (top-1) and within the top three, against the record
owner and the most recent e-mailer as baselines (``tests.support.who_knows_whom_reference``). It also checks
the mart against the independent pandas reference (every pair) and prints timings.

    .venv/bin/python bench/eval_who_knows_whom.py [--scale small] [--seed 42] [--end-date 2026-11-01]
                                                  [--half-life 90 ...] [--keep DIR]

Several ``--half-life`` values re-run only the who-knows-whom models with that half-life (sensitivity).

On a real mail archive (no generated truth), ``--archive`` imports it with our domains, builds the marts
as of the day after its last message and compares with an independent header reading
(``tests.support.mail_ties``): for the most active customer-side people, does the colleague they exchanged
most messages with rank first? It prints the share and every miss with its counts.

    .venv/bin/python bench/eval_who_knows_whom.py --archive ../shared/data/email_usrp_users/usrp-users-2024-07_2026-07.mbox.xz \
        --internal-domain ettus.com --internal-domain emerson.com --internal-domain ni.com [--top 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))

FULL_SELECTION = "+fct_who_knows_whom +fct_company_connections"
OWN_SELECTION = "path:models/intermediate/who_knows_whom path:models/marts/who_knows_whom"


def _build(settings, config, as_of: datetime, select: str) -> float:
    from rapport.transform import run_dbt

    summary = run_dbt(
        "build",
        settings=settings,
        config=config,
        as_of=as_of,
        select=select,
        extra=["--quiet", "--indirect-selection", "cautious"],
    )
    print(
        f"  dbt build {select!r}: {summary.models_built} models, {summary.tests_passed} tests passed "
        f"in {summary.seconds:.1f} s"
    )
    return summary.seconds


def _reference_check(warehouse_path: Path, export_dir: Path, as_of: datetime, config) -> str:
    """Largest difference between the mart and the pandas reference, over every pair."""
    from rapport import warehouse
    from tests.support.who_knows_whom_reference import reference_pairs

    started = time.monotonic()
    reference = reference_pairs(export_dir, as_of, config.who_knows_whom)
    seconds = time.monotonic() - started
    with warehouse.connect(warehouse_path) as connection:
        mart = connection.execute("select * from marts.fct_who_knows_whom").df()
    both = mart.merge(
        reference, on=["colleague_id", "person_key"], how="outer", suffixes=("", "_ref"), indicator=True
    )
    unmatched = int((both["_merge"] != "both").sum())
    worst = max(
        float((both[column].astype(float) - both[f"{column}_ref"].astype(float)).abs().max())
        for column in (
            "emails_sent",
            "emails_received",
            "meetings_together",
            "calls",
            "weighted_interactions",
        )
    )
    strength = float((both.strength.astype(float) - both.strength_ref.astype(float)).abs().max())
    return (
        f"{len(mart)} pairs, {unmatched} unmatched, max |difference| counts/weighted {worst:.2e}, "
        f"strength {strength:.2f} (pandas reference {seconds:.1f} s)"
    )


def _evaluate_archive(archive: Path, domains: tuple[str, ...], top: int, work: Path) -> None:
    from datetime import timedelta

    from rapport import warehouse
    from rapport.config import load_config
    from rapport.extract.mail import convert_archive
    from rapport.extract.mail.discovery import last_message_date
    from rapport.settings import Settings, apply_runtime_environment
    from tests.support.mail_ties import read_archive, top_colleague_evaluation
    from tests.support.raw_loader import load_export

    export_dir, home = work / "mail", work / "var"
    warehouse_path = home / "warehouse.duckdb"
    os.environ["RAPPORT_HOME"] = str(home)
    os.environ["RAPPORT_WAREHOUSE"] = str(warehouse_path)
    apply_runtime_environment()
    settings = Settings.from_env()
    config = load_config()
    last = last_message_date(archive)
    assert last is not None, f"no dated message in {archive}"
    as_of = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    print(f"who-knows-whom on {archive.name}, our domains {', '.join(domains)}, as of {as_of:%Y-%m-%d}")
    summary = convert_archive(
        archive,
        export_dir,
        internal_domains=domains,
        progress=False,
        exclude_addresses=config.mail.exclude_addresses,
        alias_min_senders=config.mail.alias_min_senders,
    )
    print("  " + summary.describe().replace("\n", "\n  "))
    load_export(export_dir, warehouse_path)
    _build(settings, config, as_of, FULL_SELECTION)
    with warehouse.connect(warehouse_path) as connection:
        rows = connection.execute(
            "select person_email, colleague_email, rank, strength from marts.fct_who_knows_whom"
        ).fetchall()
    started = time.monotonic()
    reading = read_archive(archive)
    print(f"  independent reading: {reading.messages} messages in {time.monotonic() - started:.1f} s")
    print("  " + top_colleague_evaluation(reading, domains, rows, top).render().replace("\n", "\n  "))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="small", help="sample scale (tiny, small, medium, or a number)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 11, 1))
    parser.add_argument(
        "--half-life", type=float, nargs="+", default=None, help="half-lives in days to compare"
    )
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (default: a temporary one)"
    )
    parser.add_argument("--archive", type=Path, help="a real mail archive to evaluate instead of the sample")
    parser.add_argument("--internal-domain", action="append", default=[], help="our domain (repeatable)")
    parser.add_argument("--top", type=int, default=20, help="most active customer-side people evaluated")
    args = parser.parse_args()
    if args.archive is not None:
        work = args.keep or Path(tempfile.mkdtemp(prefix="rapport-wkw-mail-"))
        work.mkdir(parents=True, exist_ok=True)
        try:
            _evaluate_archive(args.archive, tuple(args.internal_domain), args.top, work)
        finally:
            if args.keep is None:
                shutil.rmtree(work, ignore_errors=True)
        return 0

    from rapport.config import load_config
    from rapport.sample import generate
    from rapport.settings import Settings, apply_runtime_environment
    from tests.support.raw_loader import load_export
    from tests.support.who_knows_whom_reference import evaluate_ranking

    work = args.keep or Path(tempfile.mkdtemp(prefix="rapport-wkw-"))
    work.mkdir(parents=True, exist_ok=True)
    export_dir, home = work / "crm", work / "var"
    warehouse_path = home / "warehouse.duckdb"
    os.environ["RAPPORT_HOME"] = str(home)
    os.environ["RAPPORT_WAREHOUSE"] = str(warehouse_path)
    apply_runtime_environment()
    settings = Settings.from_env()
    config = load_config()
    as_of = datetime.combine(args.end_date, datetime.min.time(), tzinfo=UTC)
    try:
        print(f"who-knows-whom evaluation: scale {args.scale}, seed {args.seed}, as of {as_of:%Y-%m-%d}")
        started = time.monotonic()
        generated = generate(
            export_dir, scale=args.scale, seed=args.seed, end_date=args.end_date, progress=False
        )
        print(f"  generated {generated.activities:,} activities in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        load_export(export_dir, warehouse_path)
        print(f"  loaded raw tables in {time.monotonic() - started:.1f} s")
        _build(settings, config, as_of, FULL_SELECTION)
        half_lives = args.half_life or [config.who_knows_whom.half_life_days]  # 0 = relative to the span
        for index, half_life in enumerate(half_lives):
            run_config = replace(
                config, who_knows_whom=replace(config.who_knows_whom, half_life_days=half_life)
            )
            if index > 0 or half_life != config.who_knows_whom.half_life_days:
                _build(settings, run_config, as_of, OWN_SELECTION)
            label = f"{half_life:g} days" if half_life else "relative to the data's span (half_life_share)"
            print(f"\nhalf-life {label}")
            print(
                "  mart vs pandas reference: "
                + _reference_check(warehouse_path, export_dir, as_of, run_config)
            )
            print("  " + evaluate_ranking(warehouse_path, export_dir).render().replace("\n", "\n  "))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
