"""Synthetic feature tables with the shape of ``marts.fct_<model>_features``, for tests and benchmarks.

The outcome depends on a few features (a known signal, in known directions) plus noise, records are
created and closed over time before the as-of moment, and open records are recent. Nothing here is
used by the pipeline itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rapport.ml.features import FeatureColumn, FeatureSpec
from rapport.ml.targets import ScoringTarget

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

INDUSTRIES = ("Financial", "Retail", "Manufacturing", "Health", "Education")
INDUSTRY_EFFECT = (1.0, 0.0, -0.3, 0.4, -1.0)
SOURCES = ("Web", "Referral", "Event", "Partner")
SOURCE_EFFECT = (0.0, 0.8, -0.2, 0.3)


@dataclass(frozen=True)
class SyntheticOptions:
    """What to generate."""

    closed: int = 600
    open: int = 100
    extra_numeric: int = 0  # padding columns with weak signal (for a realistic width)
    extra_categorical: int = 0
    leak: bool = False  # add a column filled after the outcome ("close reason")
    history_days: int = 700
    decision_gap_days: int = 7
    signal: float = 1.0  # multiplies every effect: 0 means no signal at all
    seed: int = 7


def synthetic_spec(model: str, options: SyntheticOptions) -> FeatureSpec:
    """The feature spec of :func:`make_feature_rows`' table."""
    columns = [
        FeatureColumn("industry", "Industry", "categorical"),
        FeatureColumn("lead_source", "Source", "categorical"),
        FeatureColumn("emails_received_90d", "E-mails", "numeric", "E-mails received in the last 90 days"),
        FeatureColumn("emails_sent_90d", "E-mails", "numeric", "E-mails sent in the last 90 days"),
        FeatureColumn("days_since_last_activity", "Last activity", "numeric", "Days since the last activity"),
        FeatureColumn("meetings_90d", "Meetings in the last 90 days", "numeric"),
        FeatureColumn("budget", "Budget", "numeric"),
    ]
    columns += [FeatureColumn(f"signal_{i}", f"Signal {i}", "numeric") for i in range(options.extra_numeric)]
    columns += [
        FeatureColumn(f"group_{i}", f"Group {i}", "categorical") for i in range(options.extra_categorical)
    ]
    if options.leak:
        columns.append(FeatureColumn("close_reason", "Close reason", "categorical"))
    return FeatureSpec(model=model, columns=tuple(columns))


def make_feature_rows(target: ScoringTarget, as_of: datetime, options: SyntheticOptions) -> pd.DataFrame:
    """A features table: ``options.closed`` closed and ``options.open`` open records (one as-of date)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(options.seed)
    n = options.closed + options.open
    industry = rng.integers(0, len(INDUSTRIES), n)
    source = rng.integers(0, len(SOURCES), n)
    emails_received = rng.poisson(6, n).astype("float64")
    emails_sent = rng.poisson(8, n).astype("float64")
    idle_days = rng.exponential(20, n).round(0)
    meetings = rng.poisson(1.2, n).astype("float64")
    budget = rng.lognormal(10, 1, n).round(-2)
    budget[rng.random(n) < 0.15] = np.nan
    logit = options.signal * (
        np.asarray(INDUSTRY_EFFECT)[industry]
        + np.asarray(SOURCE_EFFECT)[source]
        + 0.25 * (emails_received - 6)
        - 0.05 * (idle_days - 20)
        + 0.6 * (meetings - 1.2)
    )
    extra = rng.normal(0, 1, (n, options.extra_numeric))
    if options.extra_numeric:
        logit += options.signal * extra @ rng.normal(0, 0.15, options.extra_numeric)
    groups = rng.integers(0, 12, (n, options.extra_categorical))
    label = (rng.random(n) < 1 / (1 + np.exp(-(logit - 0.3)))).astype("int64")

    history = timedelta(days=options.history_days)
    created = np.array(
        [as_of - history + timedelta(days=float(d)) for d in rng.uniform(0, options.history_days - 60, n)]
    )
    duration = np.array([timedelta(days=float(d)) for d in rng.uniform(10, 60, n)])
    closed_at = created + duration
    is_open = np.zeros(n, dtype=bool)
    is_open[options.closed :] = True
    created[is_open] = np.array([as_of - timedelta(days=float(d)) for d in rng.uniform(1, 50, options.open)])
    gap = timedelta(days=options.decision_gap_days)
    feature_at = np.maximum(closed_at - gap, created)
    feature_at[is_open] = as_of

    frame = pd.DataFrame(
        {
            target.id_column: [f"{target.model}-{i:07d}" for i in range(n)],
            "as_of_date": as_of.date(),
            "feature_at": pd.to_datetime(feature_at),
            "created_at": pd.to_datetime(created),
            "closed_at": pd.to_datetime(np.where(is_open, None, closed_at)),
            "label": pd.array(np.where(is_open, None, label), dtype="Int64"),
            "industry": np.asarray(INDUSTRIES, dtype=object)[industry],
            "lead_source": np.asarray(SOURCES, dtype=object)[source],
            "emails_received_90d": emails_received,
            "emails_sent_90d": emails_sent,
            "days_since_last_activity": idle_days,
            "meetings_90d": meetings,
            "budget": budget,
        }
    )
    for i in range(options.extra_numeric):
        frame[f"signal_{i}"] = extra[:, i].round(3)
    for i in range(options.extra_categorical):
        frame[f"group_{i}"] = np.char.add("g", groups[:, i].astype(str)).astype(object)
    if options.leak:
        flip = rng.random(n) < 0.02
        reason = np.where(label ^ flip, "Won: fit", "Lost: no budget").astype(object)
        reason[is_open] = None
        frame["close_reason"] = reason
    return frame


def write_feature_table(
    connection: duckdb.DuckDBPyConnection, target: ScoringTarget, frame: pd.DataFrame
) -> None:
    """Replace ``marts.fct_<model>_features`` with ``frame`` (timestamps as naive UTC TIMESTAMP)."""
    connection.execute("create schema if not exists marts")
    connection.register("synthetic_features", frame)
    try:
        connection.execute(
            f"create or replace table {target.features_table} as select * from synthetic_features"
        )
    finally:
        connection.unregister("synthetic_features")
