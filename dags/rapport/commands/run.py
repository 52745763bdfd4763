"""``rapport run``: one whole DAG run in this process, with progress and a summary at the end."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime


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
        "--date", type=date.fromisoformat, help="logical date YYYY-MM-DD (default: today, UTC)"
    )
    parser.add_argument(
        "--source",
        help="sample (default) | files:DIR | postgres:URI | mail:PATH | mapped:MAPPING.toml[@DIR]; default RAPPORT_SOURCE or the sample",
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
    from rapport.cli import CommandError
    from rapport.runner import RunFailed, run_dag
    from rapport.settings import Settings
    from rapport.summary import collect_summary, render_summary

    settings = Settings.from_env()
    logical = args.date or datetime.now(UTC).date()
    logical_date = datetime(logical.year, logical.month, logical.day, tzinfo=UTC)
    os.environ["RAPPORT_TASK_RETRIES"] = str(args.retries)
    if args.internal_domain:
        from rapport.config import load_config

        configured = load_config(settings.config_path).mail.internal_domains
        domains = list(dict.fromkeys([*configured, *(domain.lower() for domain in args.internal_domain)]))
        _add_config_layer(settings, {"mail": {"internal_domains": domains}})
        settings = Settings.from_env()
    source = args.source or os.environ.get("RAPPORT_SOURCE") or "sample"
    if source == "sample":
        _ensure_sample(settings, logical)
    conf = {"source": source, "force_retrain": bool(args.force_retrain)}

    print(f"Running sales_insights for {logical.isoformat()} on {_describe(source)} ...", flush=True)
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
    print(render_summary(collect_summary(settings, logical), settings))
    return 0


def _describe(source: str) -> str:
    if source.startswith("postgres:"):
        from urllib.parse import urlsplit

        parts = urlsplit(source.removeprefix("postgres:"))
        return f"postgres:{parts.hostname}:{parts.port or 5432}{parts.path}"
    return source


def _ensure_sample(settings, logical: date) -> None:
    """Generate the sample CRM once, before the run, so its progress bar is visible."""
    if settings.sample_dir.exists() and any(settings.sample_dir.iterdir()):
        return
    from rapport.config import load_config
    from rapport.sample import generate

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
    path = settings.var_dir / "run-config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for section, items in values.items():
        lines.append(f"[{section}]")
        for key, value in items.items():
            rendered = (
                "[" + ", ".join(f'"{item}"' for item in value) + "]"
                if isinstance(value, list)
                else repr(value)
            )
            lines.append(f"{key} = {rendered}")
    path.write_text("\n".join(lines) + "\n")
    os.environ["RAPPORT_CONFIG"] = os.pathsep.join([settings.config_path, str(path)])
