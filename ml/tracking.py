"""MLflow plumbing: the store of one installation, experiments and run provenance.

The tracking URI is never changed at import or for good: :func:`mlflow_store` points MLflow's
fluent API (``start_run``, ``log_model``, ``load_model``) at ``Settings.mlflow_tracking_uri`` for the
duration of a ``with`` block and restores the previous URIs (and environment variables) afterwards.
Each model has one experiment (``rapport_lead_scoring``, ``rapport_opportunity_scoring``) whose
artifacts live under ``Settings.mlflow_artifacts_dir / <experiment>``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from rapport.settings import Settings

_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextlib.contextmanager
def mlflow_store(settings: Settings) -> Iterator[MlflowClient]:
    """Use the installation's MLflow store inside the block; yields a client bound to it."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    saved_env = {name: os.environ.get(name) for name in _URI_VARIABLES}
    saved_tracking = tracking_utils._tracking_uri
    saved_registry = registry_utils._registry_uri
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield MlflowClient(tracking_uri=uri, registry_uri=uri)
    finally:
        tracking_utils._tracking_uri = saved_tracking
        registry_utils._registry_uri = saved_registry
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# MLflow 3 opens an experiment without this tag in its GenAI mode; these are classic ML experiments.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
CLASSIC_ML_KIND = "custom_model_development"


def ensure_experiment(client: MlflowClient, name: str, artifacts_dir: Path) -> str:
    """The id of experiment ``name``, created with its artifacts under ``artifacts_dir / name``."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.tags.get(EXPERIMENT_KIND_TAG) != CLASSIC_ML_KIND:
            client.set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND_TAG, CLASSIC_ML_KIND)
        return str(experiment.experiment_id)
    location = artifacts_dir / name
    location.mkdir(parents=True, exist_ok=True)
    return str(
        client.create_experiment(
            name,
            artifact_location=location.resolve().as_uri(),
            tags={EXPERIMENT_KIND_TAG: CLASSIC_ML_KIND},
        )
    )


def _git(project_root: Path, *args: str) -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(project_root), *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def git_sha(project_root: Path) -> str:
    """The project checkout's commit, or ``unknown`` outside git."""
    return _git(project_root, "rev-parse", "HEAD") or "unknown"


def git_is_dirty(project_root: Path) -> bool | None:
    """Whether tracked files have uncommitted changes (None outside git)."""
    status = _git(project_root, "status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status)
