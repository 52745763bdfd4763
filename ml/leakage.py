"""The leakage screen: drop any single feature that by itself nearly decides the outcome.

A field filled in *after* the outcome (a "closed by" tag, a quality grade set after the call) makes a
model look brilliant on history and useless on open records. Each feature column is scored alone on
the training part (never the test set) with ``max(AUC, 1 - AUC)``:

* over all rows, a missing value counted as a value of its own;
* over the rows where the feature is filled in (when those hold at least :data:`MIN_CLASS_ROWS` of
  each class): a field that decides the outcome *whenever it is filled in* is the typical after-the-fact
  field, even when it is empty for most records.

Categorical columns are scored through out-of-fold target encoding (each row gets its level's outcome
rate measured on the other folds), so a high-cardinality column is not flagged for memorising rows.
Any column reaching ``scoring.leakage_feature_auc`` either way is dropped and reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ml.features import FeatureSpec

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MIN_CLASS_ROWS = 20  # the "where filled in" AUC needs at least this many rows of each class
FOLDS = 5
MAX_SCREEN_ROWS = 200_000  # larger training parts are screened on a fixed random sample of this size


@dataclass(frozen=True)
class FeatureScreen:
    """One column's single-feature AUCs."""

    column: str
    field: str
    kind: str
    auc_all: float
    auc_present: float | None
    present_share: float
    is_dropped: bool

    @property
    def auc(self) -> float:
        """The screen's verdict value: the larger of the two AUCs."""
        return max(self.auc_all, self.auc_present or 0.0)

    def describe(self) -> str:
        where = (
            f"AUC {self.auc_present:.3f} where filled in ({self.present_share:.0%} of rows)"
            if self.auc_present is not None and self.auc_present >= self.auc_all
            else f"AUC {self.auc_all:.3f} alone"
        )
        return f"{self.column} ({self.field}): {where}"


@dataclass(frozen=True)
class LeakageReport:
    """The screen of every feature column of one training run."""

    threshold: float
    screens: tuple[FeatureScreen, ...]

    @property
    def dropped(self) -> tuple[str, ...]:
        return tuple(screen.column for screen in self.screens if screen.is_dropped)

    def summary(self) -> str:
        """One line for logs and MLflow tags: the dropped columns and why, or that none was."""
        dropped = [screen.describe() for screen in self.screens if screen.is_dropped]
        if not dropped:
            return f"no feature reaches AUC {self.threshold:.2f} alone"
        return f"dropped (AUC >= {self.threshold:.2f} alone): " + "; ".join(dropped)

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {
                "column": s.column,
                "field": s.field,
                "kind": s.kind,
                "auc_all": round(s.auc_all, 4),
                "auc_present": None if s.auc_present is None else round(s.auc_present, 4),
                "present_share": round(s.present_share, 4),
                "is_dropped": s.is_dropped,
            }
            for s in sorted(self.screens, key=lambda s: -s.auc)
        ]


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """``max(AUC, 1 - AUC)``; 0.5 when either class or the score's variation is absent."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    if len(np.unique(labels)) < 2 or np.nanmax(scores) == np.nanmin(scores):
        return 0.5
    auc = float(roc_auc_score(labels, scores))
    return max(auc, 1.0 - auc)


def _out_of_fold_rates(codes: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """Each row's level outcome rate measured on the other folds (smoothed toward the fold's rate)."""
    import numpy as np

    folds = np.random.default_rng(seed).integers(0, FOLDS, size=len(codes))
    n_levels = int(codes.max()) + 1 if len(codes) else 0
    rates = np.empty(len(codes), dtype="float64")
    for fold in range(FOLDS):
        inside = folds == fold
        outside = ~inside
        prior = labels[outside].mean() if outside.any() else 0.5
        counts = np.bincount(codes[outside], minlength=n_levels)
        positives = np.bincount(codes[outside], weights=labels[outside], minlength=n_levels)
        level_rates = (positives + prior) / (counts + 1.0)
        rates[inside] = level_rates[codes[inside]]
    return rates


def _screen_categorical(
    values: pd.Series, labels: np.ndarray, seed: int
) -> tuple[float, float | None, float]:
    import numpy as np
    import pandas as pd

    present = values.notna().to_numpy()
    codes_all = pd.factorize(values, use_na_sentinel=False)[0]
    auc_all = _auc(labels, _out_of_fold_rates(codes_all, labels, seed))
    auc_present = None
    if _enough(labels[present]) and present.mean() < 0.999:
        codes = pd.factorize(values[present])[0]
        auc_present = _auc(labels[present], _out_of_fold_rates(codes, labels[present], seed))
    return auc_all, auc_present, float(np.mean(present))


def _screen_numeric(values: np.ndarray, labels: np.ndarray) -> tuple[float, float | None, float]:
    import numpy as np

    present = ~np.isnan(values)
    if not present.any():
        return 0.5, None, 0.0
    low, high = np.nanmin(values), np.nanmax(values)
    auc_all = max(
        _auc(labels, np.where(present, values, low - 1.0)),
        _auc(labels, np.where(present, values, high + 1.0)),
    )
    auc_present = None
    if _enough(labels[present]) and present.mean() < 0.999:
        auc_present = _auc(labels[present], values[present])
    return auc_all, auc_present, float(present.mean())


def _enough(labels: np.ndarray) -> bool:
    positives = int(labels.sum())
    return positives >= MIN_CLASS_ROWS and len(labels) - positives >= MIN_CLASS_ROWS


def screen_features(
    matrix: pd.DataFrame,
    labels: pd.Series | np.ndarray,
    spec: FeatureSpec,
    threshold: float,
    *,
    seed: int = 0,
) -> LeakageReport:
    """Score every column of ``matrix`` (the prepared training part) alone; flag those >= ``threshold``."""
    import numpy as np

    y = np.asarray(labels, dtype="float64")
    if len(matrix) > MAX_SCREEN_ROWS:
        keep = np.sort(np.random.default_rng(seed).choice(len(matrix), MAX_SCREEN_ROWS, replace=False))
        matrix, y = matrix.iloc[keep], y[keep]
    screens = []
    for column in spec.columns:
        if column.kind == "categorical":
            auc_all, auc_present, share = _screen_categorical(matrix[column.name], y, seed)
        else:
            auc_all, auc_present, share = _screen_numeric(matrix[column.name].to_numpy("float64"), y)
        verdict = max(auc_all, auc_present or 0.0)
        screens.append(
            FeatureScreen(
                column=column.name,
                field=column.field,
                kind=column.kind,
                auc_all=auc_all,
                auc_present=auc_present,
                present_share=share,
                is_dropped=verdict >= threshold,
            )
        )
    return LeakageReport(threshold=threshold, screens=tuple(screens))
