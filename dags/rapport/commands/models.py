"""``rapport models``: the scoring models in the MLflow registry, for ML engineers.

rapport models list                  versions, aliases, band, test AUC, as-of date
rapport models promote NAME VERSION  make VERSION the champion (refused for band 'not ready')
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.ml.registry import PromotionRefused, list_versions, list_versions_from_sqlite, promote_version
from rapport.ml.targets import UnknownModelError, target_for_registered_name
from rapport.ml.tracking import mlflow_store
from rapport.settings import Settings

if TYPE_CHECKING:
    from rapport.ml.registry import VersionSummary


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list and promote the scoring models (MLflow registry)")
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="registered models, versions, aliases, metrics and band")
    listing.set_defaults(handler=list_models)

    promote = actions.add_parser("promote", help="make a version the champion (same band rule as training)")
    promote.add_argument("name", help="registered model, e.g. rapport_lead_scoring")
    promote.add_argument("version", help="version number, e.g. 3")
    promote.set_defaults(handler=promote_model)


def list_models(args: argparse.Namespace) -> int:
    """Print one line per registered version."""

    settings = Settings.from_env()
    versions = _read_versions(settings)
    if not versions:
        print(f"no registered models in {settings.mlflow_tracking_uri} (train one: the DAG's train task)")
        return 0
    header = (
        f"{'model':<30} {'version':>7}  {'aliases':<20} {'band':<10} {'test AUC':>8}  {'as of':<10}  created"
    )
    print(header)
    print("-" * len(header))
    for v in versions:
        auc = f"{v.test_auc:.3f}" if v.test_auc is not None else "-"
        band = f"{v.band}{' !' if v.is_suspect else ''}"
        print(
            f"{v.name:<30} {v.version:>7}  {','.join(v.aliases) or '-':<20} {band:<10} {auc:>8}  "
            f"{v.as_of_date:<10}  {v.created_at:%Y-%m-%d %H:%M}"
        )
    if any(v.is_suspect for v in versions):
        print(
            "! suspect: test AUC above scoring.suspect_model_auc; look for a field filled after the outcome"
        )
    return 0


def _read_versions(settings: Settings) -> list[VersionSummary]:
    """The registry's versions: straight from a local SQLite store (a fraction of a second), else through
    MLflow's client, which takes seconds to load (said on stderr, so the table stays clean)."""
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if not path.exists():
            return []  # nothing was ever trained here; do not create a store just to say so
        try:
            return list_versions_from_sqlite(path)
        except sqlite3.DatabaseError as error:
            print(f"Reading {path} directly failed ({error}); using MLflow ...", file=sys.stderr, flush=True)
    print("Reading the model registry (loading MLflow, a few seconds) ...", file=sys.stderr, flush=True)

    with mlflow_store(settings) as client:
        return list_versions(client)


def promote_model(args: argparse.Namespace) -> int:
    """Move the champion alias to ``args.version`` of ``args.name``."""
    import sys

    try:
        target_for_registered_name(args.name)
    except UnknownModelError as error:
        raise CommandError(str(error)) from None
    if not str(args.version).isdigit():
        raise CommandError(f"version must be a number, got {args.version!r}")
    settings = Settings.from_env()
    config = load_config(settings.config_path).scoring
    print("Updating the model registry (loading MLflow, a few seconds) ...", file=sys.stderr, flush=True)
    with mlflow_store(settings) as client:
        try:
            decision = promote_version(client, args.name, str(args.version), config)
        except PromotionRefused as error:
            raise CommandError(str(error)) from None
    print(f"{args.name}: {decision.reason}")
    return 0
