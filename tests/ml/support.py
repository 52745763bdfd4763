"""Helpers for the ml tests: temporary installations, feature spec YAML, X Education data."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ml.features import FeatureColumn, FeatureSpec
from ml.targets import ScoringTarget
from rapport.config import ScoringConfig
from rapport.settings import PROJECT_ROOT, Settings

# The shared reference data sits beside the project checkout (``../shared/data``), or two levels up
# from a worktree (``/work/wt/<branch>``).
_CANDIDATES = [
    parent / "shared" / "data" / "leads_x_education" / "Leads.csv" for parent in PROJECT_ROOT.parents[:3]
]
X_EDUCATION = next((path for path in _CANDIDATES if path.exists()), _CANDIDATES[0])

AS_OF = datetime(2026, 11, 27)

# Small, fast models for tests (the defaults are sized for production data).
FAST_CONFIG = replace(ScoringConfig(), max_trees=60, early_stopping_rounds=10)


def make_settings(root: Path) -> Settings:
    """An installation under ``root``: var/ (warehouse, MLflow, exports) and project/ (feature spec YAML)."""
    (root / "project" / "dbt_project").mkdir(parents=True, exist_ok=True)
    return Settings.from_env(
        {
            "RAPPORT_HOME": str(root / "var"),
            "RAPPORT_PROJECT_ROOT": str(root / "project"),
            "RAPPORT_CONFIG": str(PROJECT_ROOT / "rapport.toml"),
        }
    )


def write_spec_yaml(settings: Settings, target: ScoringTarget, spec: FeatureSpec) -> Path:
    """The features model's YAML with ``meta.feature`` per column, as the dbt model will declare it."""
    columns = [
        {"name": target.id_column, "description": "Record id."},
        {"name": "as_of_date", "description": "Run date."},
    ]
    for column in spec.columns:
        feature = {"field": column.field, "kind": column.kind}
        if column.label:
            feature["label"] = column.label
        columns.append({"name": column.name, "description": column.field, "meta": {"feature": feature}})
    path = settings.dbt_project_dir / "models" / "marts" / "scoring" / f"{target.features_model}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        yaml.safe_dump({"version": 2, "models": [{"name": target.features_model, "columns": columns}]})
    )
    return path


def snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def x_education_rows(as_of: datetime = AS_OF) -> tuple[pd.DataFrame, FeatureSpec]:
    """X Education leads as a features table: every lead closed (Converted = label), in Lead Number order.

    The file has no dates: leads are spread over 650 days in Lead Number order, each closed 20 days
    after creation, features taken 7 days before the close. ``Select`` means missing (README).
    """
    raw = pd.read_csv(X_EDUCATION).sort_values("Lead Number", kind="stable").reset_index(drop=True)
    labels = raw.pop("Converted").astype("int64")
    ids = raw.pop("Prospect ID")
    raw = raw.drop(columns=["Lead Number"])
    columns = []
    frame = pd.DataFrame({"lead_id": ids})
    for name in raw.columns:
        series = raw[name]
        if pd.api.types.is_numeric_dtype(series):
            kind = "numeric"
        else:
            kind = "categorical"
            series = series.mask(series == "Select")
        columns.append(FeatureColumn(snake(name), name, kind))
        frame[snake(name)] = series
    n = len(frame)
    created = pd.Series([as_of - timedelta(days=700) + timedelta(days=650 * i / n) for i in range(n)])
    closed = created + timedelta(days=20)
    frame.insert(1, "as_of_date", as_of.date())
    frame.insert(2, "feature_at", closed - timedelta(days=7))
    frame.insert(3, "created_at", created)
    frame.insert(4, "closed_at", closed)
    frame.insert(5, "label", labels)
    return frame, FeatureSpec(model="lead", columns=tuple(columns), source=str(X_EDUCATION))


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))
