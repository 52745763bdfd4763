"""Cold-start baseline: below the readiness gate, a smoothed historical rate instead of nothing.

With too few closed records for a model, each open record still gets a probability, clearly flagged as
a baseline (status ``baseline`` in the score history, never counted as scored): the overall rate of the
closed records, moved by the rate of each categorical value the record has, shrunk towards the overall
rate by ``strength`` pseudo-records (a value seen on 5 records barely moves it)::

    rate(value)  = (positives with the value + strength x prior) / (records with the value + strength)
    logit(score) = logit(prior) + mean over categorical fields of (logit(rate(value)) - logit(prior))

Averaging (not adding) the fields' shifts keeps correlated fields from multiplying the same evidence.
Numeric fields are not used (no bins are trustworthy on a few dozen records); a missing value is a value
of its own; an unseen one moves nothing. The prior itself is smoothed towards one half, so a history
of one outcome only still gives a probability strictly between 0 and 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rapport.ml.features import FeatureSpec, build_levels, categorical_values

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MISSING = "\x00missing"
STRENGTH = 20.0  # pseudo-records pulling each value's rate (and the overall rate) towards its prior


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class BaselineModel:
    """Smoothed historical rates: the prior and, per categorical column, the rate of each value."""

    prior: float
    records: int
    positives: int
    rates: dict[str, dict[str, float]] = field(default_factory=dict)
    levels: dict[str, dict[str, str]] = field(default_factory=dict)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        import numpy as np

        base = _logit(self.prior)
        if not self.rates:
            return np.full(len(frame), self.prior)
        shifts = np.zeros(len(frame))
        for name, rates in self.rates.items():
            if name in frame.columns:
                values = categorical_values(frame[name], self.levels[name]).astype(object)
                known = frame[name].isna() | values.notna()  # missing counts; unseen values move nothing
                keys = values.where(values.notna(), MISSING)
                rate = keys.map(rates).where(known).astype("float64").to_numpy()
                shifts += np.where(np.isnan(rate), 0.0, np.log(rate / (1 - rate)) - base)
        return 1.0 / (1.0 + np.exp(-(base + shifts / len(self.rates))))

    def describe(self, noun: str) -> str:
        return (
            f"baseline score (no model yet): smoothed historical rates by field from {self.records} closed "
            f"{noun} ({self.positives} positive, overall {self.prior:.0%})"
        )


def fit_baseline(closed: pd.DataFrame, spec: FeatureSpec, strength: float = STRENGTH) -> BaselineModel:
    """The baseline of ``closed`` rows (``label`` 0/1) over the categorical columns of ``spec``."""
    records = len(closed)
    positives = int(closed["label"].sum()) if records else 0
    prior = (positives + strength * 0.5) / (records + strength)
    categorical = (
        FeatureSpec(
            spec.model, tuple(c for c in spec.columns if c.kind == "categorical" and c.name in closed.columns)
        )
        if any(c.kind == "categorical" and c.name in closed.columns for c in spec.columns)
        else None
    )
    if categorical is None or records == 0:
        return BaselineModel(prior, records, positives)
    levels = build_levels(closed, categorical)
    rates: dict[str, dict[str, float]] = {}
    for column in categorical.columns:
        keys = categorical_values(closed[column.name], levels[column.name]).astype(object)
        keys = keys.where(keys.notna(), MISSING)
        grouped = closed["label"].groupby(keys.to_numpy()).agg(["sum", "count"])
        rates[column.name] = {
            str(key): float((row["sum"] + strength * prior) / (row["count"] + strength))
            for key, row in grouped.iterrows()
        }
    return BaselineModel(prior, records, positives, rates, levels)
