"""``rapport run``: one whole DAG run in this process, with progress and a summary at the end."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.errors import RapportInputError
from rapport.extract import resolve_source
from rapport.extract.mail.discovery import last_message_date
from rapport.run_lock import RunLockedError, run_lock
from rapport.runner import RunFailed, run_dag
from rapport.sample import generate
from rapport.settings import Settings
from rapport.summary import collect_summary, render_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the whole DAG once for a date (Airflow's test runner, in process)",
        description=(
            "Runs the sales_insights DAG for one logical date in this process (dag.test) and prints a summary. "
            "The default source is the generated sample CRM, generated on first use."
        ),
    )
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        help="logical date YYYY-MM-DD (default: [sample] end_date for the sample; for a mail: source, the day "
        "after its last message; else today, UTC)",
    )
    parser.add_argument(
        "--source",
        help="sample | files:DIR | postgres:URI | mail:PATH | mapped:MAPPING.toml[@DIR]; default: RAPPORT_SOURCE, "
        "then the Airflow connection rapport_source, then the generated sample (used only when nothing is "
        "configured)",
    )
    parser.add_argument(
        "--internal-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="our own e-mail domain (repeatable); needed for mail: sources, adds to [mail] internal_domains",
    )
    parser.add_argument(
        "--force-retrain", action="store_true", help="retrain both models whatever the champion's age"
    )
    parser.add_argument("--retries", type=int, default=0, help="task retries (default 0: fail fast)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        with run_lock(settings.var_dir, "rapport run"):
            return _run_locked(args)
    except RunLockedError as error:
        raise CommandError(str(error)) from error


def _run_locked(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    config = load_config(settings.config_path)  # a bad value stops here, as one line
    started = datetime.now(UTC).replace(tzinfo=None)
    os.environ["RAPPORT_TASK_RETRIES"] = str(args.retries)
    if args.internal_domain:
        configured = config.mail.internal_domains
        domains = list(dict.fromkeys([*configured, *(domain.lower() for domain in args.internal_domain)]))
        _add_config_layer(settings, {"mail": {"internal_domains": domains}})
        settings = Settings.from_env()
    if args.source:
        # The run is in this process: the tasks read the source from the environment, so the spec (which may
        # hold a password) never enters the DAG run's conf, XCom or Airflow's database.
        os.environ["RAPPORT_SOURCE"] = args.source
    try:
        source = resolve_source(None, settings=settings)
    except RapportInputError as error:
        raise CommandError(str(error)) from error
    # the sample ends on a fixed date ([sample] end_date) so a reader's figures are the README's
    logical, as_of_note = _logical_date(args.date, source, config.sample.end_date)
    logical_date = datetime(logical.year, logical.month, logical.day, tzinfo=UTC)
    if source.is_sample:
        _ensure_sample(settings, logical)
    conf = {"force_retrain": bool(args.force_retrain)}

    if as_of_note:
        print(f"As of {as_of_note}", flush=True)
    origin = "--source" if args.source else _origin(source)
    print(
        f"Running sales_insights for {logical.isoformat()} on {source.description} ({origin}) ...", flush=True
    )
    if source.is_sample:
        print(SAMPLE_WARNING, flush=True)
    try:
        outcome = run_dag(settings, logical_date, conf, verbose=args.verbose)
    except RunFailed as error:
        raise CommandError(str(error)) from error
    if outcome.state != "success":
        failed = [task.task_id for task in outcome.tasks if task.state == "failed"]
        details = "\n  ".join(outcome.errors) or "no error line found"
        raise CommandError(
            f"the run failed in {', '.join(failed) or 'an unknown task'} after {outcome.seconds:.0f} s:\n  {details}\n"
            f"Full log: {outcome.log_path or 'above'}. Fix the cause and re-run the same date: re-runs replace, "
            "never duplicate."
        )
    print(f"\nDone in {outcome.seconds:.0f} s.\n", flush=True)
    print(render_summary(collect_summary(settings, logical, since=started, as_of_note=as_of_note), settings))
    return 0


SAMPLE_WARNING = (
    "  SAMPLE: no source is configured (no --source, no RAPPORT_SOURCE, no Airflow connection rapport_source),\n"
    "  so this run reads the GENERATED SAMPLE CRM, not yours. See README, 'Running it on your CRM'."
)


def _logical_date(given: date | None, source, sample_end: date) -> tuple[date, str]:
    """The run's logical date and, when it was chosen here, a sentence saying how.

    A mail archive without ``--date`` runs as of the day after its last message: run "today", an old archive
    would have every relationship decayed to almost nothing.
    """
    if given is not None:
        return given, ""
    if source.is_sample:
        return sample_end, ""
    if source.kind != "mail":
        return datetime.now(UTC).date(), ""
    last = last_message_date(Path(source.location))
    if last is None:
        today = datetime.now(UTC).date()
        return (
            today,
            f"{today.isoformat()} (today: no dated message found in the archive; give --date to choose)",
        )
    logical = last + timedelta(days=1)
    return logical, (
        f"{logical.isoformat()}, the day after the archive's last message ({last.isoformat()}); "
        "give --date to choose another"
    )


def _origin(source) -> str:
    if source.conn_id:
        return f"Airflow connection {source.conn_id}"
    if source.is_sample:
        return "nothing configured"
    return "RAPPORT_SOURCE"


def _ensure_sample(settings, logical: date) -> None:
    """Generate the sample CRM once, before the run, so its progress bar is visible."""
    if settings.sample_dir.exists() and any(settings.sample_dir.iterdir()):
        return

    sample = load_config(settings.config_path).sample
    print(
        f"Generating the sample CRM ({sample.scale}, seed {sample.seed}) in {settings.sample_dir} ...",
        flush=True,
    )
    summary = generate(
        settings.sample_dir,
        scale=sample.scale,
        seed=sample.seed,
        end_date=logical,
        fmt=sample.format,
        progress=True,
        defects=sample.defect_rows,
    )
    print(f"  {sum(summary.rows.values()):,} rows in {summary.seconds:.1f} s", file=sys.stdout, flush=True)


def _add_config_layer(settings, values: dict) -> None:
    """Write ``values`` as a TOML layer merged over the installation's configuration for this process."""
    import tomli_w

    path = settings.var_dir / "run-config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tomli_w.dumps(values))
    os.environ["RAPPORT_CONFIG"] = os.pathsep.join([settings.config_path, str(path)])
