"""Helpers for the ml tests: temporary installations, feature spec YAML, X Education data."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from rapport.config import ScoringConfig
from rapport.ml.features import FeatureColumn, FeatureSpec
from rapport.ml.targets import ScoringTarget
from rapport.settings import PROJECT_ROOT, Settings
from tests.support import reference_data

# The shared reference data (tests.support.reference_data); tests that need it skip, saying so, without it.
X_EDUCATION = reference_data("leads_x_education") / "Leads.csv"


def require_reference_data(path: Path) -> None:
    """Skip the calling test when a reference corpus is not on this machine (set RAPPORT_REFERENCE_DATA)."""
    if not path.exists():
        pytest.skip(
            f"reference data {path} not present (set RAPPORT_REFERENCE_DATA to the shared data folder)"
        )


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
    require_reference_data(X_EDUCATION)
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


MAVEN = X_EDUCATION.parents[1] / "crm_maven"
MAVEN_END = datetime(2018, 1, 1)  # the day after the export's last close (2017-12-31)


def maven_records() -> pd.DataFrame:
    """Maven CRM opportunities with an engage date: created (engaged), closed, label (Won 1 / Lost 0, open null)
    and their fixed fields (agent, product, manager, office, account sector). Prospecting rows have no
    engage date and are left out; ``GTXPro`` is ``GTX Pro`` (README quirks)."""
    require_reference_data(MAVEN / "sales_pipeline.csv")
    pipeline = pd.read_csv(MAVEN / "sales_pipeline.csv", parse_dates=["engage_date", "close_date"])
    pipeline = pipeline[pipeline["engage_date"].notna()].copy()
    pipeline["product"] = pipeline["product"].replace({"GTXPro": "GTX Pro"})
    teams = pd.read_csv(MAVEN / "sales_teams.csv")
    accounts = pd.read_csv(MAVEN / "accounts.csv")[["account", "sector"]]
    frame = pipeline.merge(teams, on="sales_agent", how="left").merge(accounts, on="account", how="left")
    closed = frame["deal_stage"].isin(["Won", "Lost"])
    return pd.DataFrame(
        {
            "opportunity_id": frame["opportunity_id"],
            "created_at": frame["engage_date"],
            "closed_at": frame["close_date"].where(closed),
            "label": (frame["deal_stage"] == "Won").astype("float64").where(closed),
            "sales_agent": frame["sales_agent"],
            "product": frame["product"],
            "manager": frame["manager"],
            "regional_office": frame["regional_office"],
            "sector": frame["sector"],
        }
    )


MAVEN_SPEC = FeatureSpec(
    "opportunity",
    (
        FeatureColumn("sales_agent", "Sales agent", "categorical"),
        FeatureColumn("product", "Product", "categorical"),
        FeatureColumn("manager", "Manager", "categorical"),
        FeatureColumn("regional_office", "Regional office", "categorical"),
        FeatureColumn("sector", "Sector", "categorical"),
        FeatureColumn("days_since_engaged", "Deal age", "numeric", "Days since the deal was engaged"),
    ),
    source="crm_maven/sales_pipeline.csv",
)


def maven_history(every_days: int = 7, gap_days: int = 7, end: datetime = MAVEN_END) -> pd.DataFrame:
    """``marts.fct_opportunity_features`` as daily runs every ``every_days`` days up to ``end`` would have
    written it from the Maven export: each run describes its open deals at its as-of moment and its
    closed deals ``gap_days`` before their close (dropped when that is not after the engage date, as the
    dbt model does); the only time-varying feature is the deal's age at the moment described."""
    records = maven_records()
    first = records["created_at"].min().to_pydatetime()
    history = runs_history(records, first, end, every_days, gap_days)
    history["days_since_engaged"] = (history["feature_at"] - history["created_at"]).dt.days.astype("float64")
    order = ["opportunity_id", "as_of_date", "feature_at", "created_at", "closed_at", "label"]
    return history[order + [c for c in history.columns if c not in order]]


def runs_history(
    records: pd.DataFrame, first: datetime, end: datetime, every_days: int, gap_days: int
) -> pd.DataFrame:
    """The rows a features history of runs every ``every_days`` days, from ``end`` back to after ``first``,
    would hold: each run describes its open records at its as-of moment and its closed ones ``gap_days``
    before their close (dropped when that is not after their creation, as the dbt models do)."""
    days = []
    day = end
    while day > first:
        days.append(day)
        day -= timedelta(days=every_days)
    runs = []
    for day in reversed(days):
        seen = records[records["created_at"] < day]
        closed_then = seen["closed_at"] < day
        open_rows = seen[~closed_then].assign(closed_at=pd.NaT, label=np.nan, feature_at=day)
        closed_rows = seen[closed_then].assign(feature_at=lambda f: f["closed_at"] - timedelta(days=gap_days))
        closed_rows = closed_rows[closed_rows["feature_at"] > closed_rows["created_at"]]
        rows = pd.concat([open_rows, closed_rows], ignore_index=True)
        rows["as_of_date"] = day.date()
        runs.append(rows)
    return pd.concat(runs, ignore_index=True)


X_EDUCATION_LEAKING = ("tags", "lead_quality")  # filled in after contact (README): never features


def x_education_timer_history(
    timer_days: int = 90,
    manual_share: float = 0.15,
    every_days: int = 7,
    gap_days: int = 7,
    seed: int = 11,
    end: datetime = AS_OF,
) -> tuple[pd.DataFrame, FeatureSpec]:
    """X Education leads in a CRM that disqualifies a lead ``timer_days`` after its creation (issue 11).

    The leads' fields and outcomes are the real ones; only the dates are made, seeded: leads are created
    over 650 days in Lead Number order; a converted lead qualifies 1 to ``timer_days`` - 1 days after its
    creation; ``manual_share`` of the others are disqualified by hand at any age, the rest by the timer.
    Returns the features history runs every ``every_days`` days up to ``end`` would write (open leads
    described at the run, closed ones ``gap_days`` before their close, as the dbt model does) with the
    feature ``days_since_created`` (lead age at the moment described), and the spec without the leaking
    Tags and Lead Quality.
    """
    frame, spec = x_education_rows(end)
    rng = np.random.default_rng(seed)
    n = len(frame)
    created = pd.Series([end - timedelta(days=700) + timedelta(days=650 * i / n) for i in range(n)])
    converted = frame["label"].to_numpy() == 1
    manual = rng.uniform(0, 1, n) < manual_share
    lifetime = np.where(converted | manual, rng.uniform(1, timer_days - 1, n), float(timer_days))
    records = frame.drop(columns=["as_of_date", "feature_at"]).assign(
        created_at=created, closed_at=created + pd.to_timedelta(lifetime, unit="D")
    )
    history = runs_history(records, created.min(), end, every_days, gap_days)
    history["days_since_created"] = (history["feature_at"] - history["created_at"]).dt.total_seconds() / 86400
    honest = spec.without(set(X_EDUCATION_LEAKING))
    spec = FeatureSpec(
        "lead",
        (
            *honest.columns,
            FeatureColumn("days_since_created", "Lead age", "numeric", "Days since the lead was created"),
        ),
        source="leads_x_education/Leads.csv with a 90-day disqualification timer",
    )
    order = ["lead_id", "as_of_date", "feature_at", "created_at", "closed_at", "label"]
    return history[order + [c for c in history.columns if c not in order]], spec
