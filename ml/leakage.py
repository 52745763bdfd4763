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

from rapport.ml.features import FeatureSpec

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


PSI_BINS = 10  # numeric columns: deciles of the training values (equal values merge bins)
PSI_FLOOR = 1e-4  # a share of 0 is counted as this, so the index stays finite


@dataclass(frozen=True)
class ShiftReport:
    """Train-vs-score population shift of every feature column: the population stability index (PSI).

    Each column's distribution on the training rows (closed records, described before their close) is
    compared with today's open rows, over the training deciles (numeric; missing is a bin of its own)
    or levels (categorical). A large PSI means the column describes the two populations differently,
    e.g. a lead age that is always about the same on closed leads because a CRM rule closes them on a
    timer: it separates the classes by *when* a record is described, not by what it is. Such columns
    (PSI >= ``threshold``) are dropped; the conventional "major shift" level 0.25 is only reported.
    """

    threshold: float
    open_rows: int
    values: tuple[tuple[str, float], ...]

    @property
    def dropped(self) -> tuple[str, ...]:
        return tuple(column for column, psi in self.values if psi >= self.threshold)

    def summary(self) -> str:
        if not self.open_rows:
            return "no open rows to compare with: shift screen not run"
        dropped = [f"{column} (PSI {psi:.2f})" for column, psi in self.values if psi >= self.threshold]
        if not dropped:
            return f"no feature shifts between training rows and {self.open_rows} open rows by PSI {self.threshold:.2f}"
        return (
            f"dropped (training rows vs {self.open_rows} open rows, PSI >= {self.threshold:.2f}): "
            + "; ".join(dropped)
        )

    def to_records(self) -> list[dict[str, Any]]:
        return [
            {"column": column, "psi": round(psi, 4), "is_dropped": psi >= self.threshold}
            for column, psi in sorted(self.values, key=lambda item: -item[1])
        ]


def _psi(train_codes: np.ndarray, open_codes: np.ndarray, bins: int) -> float:
    import numpy as np

    expected = np.bincount(train_codes, minlength=bins) / max(len(train_codes), 1)
    actual = np.bincount(open_codes, minlength=bins) / max(len(open_codes), 1)
    expected, actual = np.maximum(expected, PSI_FLOOR), np.maximum(actual, PSI_FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def screen_shift(
    training: pd.DataFrame, open_rows: pd.DataFrame, spec: FeatureSpec, threshold: float
) -> ShiftReport:
    """PSI of each column of the prepared matrices between ``training`` and ``open_rows``."""
    import numpy as np

    if open_rows.empty or training.empty:
        return ShiftReport(threshold, len(open_rows), ())
    values = []
    for column in spec.columns:
        if column.kind == "categorical":
            train_codes = training[column.name].cat.codes.to_numpy().astype("int64") + 1
            open_codes = open_rows[column.name].cat.codes.to_numpy().astype("int64") + 1
            bins = len(training[column.name].cat.categories) + 1
        else:
            train_values = training[column.name].to_numpy("float64")
            open_values = open_rows[column.name].to_numpy("float64")
            present = train_values[~np.isnan(train_values)]
            edges = (
                np.unique(np.quantile(present, np.linspace(0, 1, PSI_BINS + 1)[1:-1]))
                if len(present)
                else np.array([])
            )

            def codes(values: np.ndarray, edges: np.ndarray = edges) -> np.ndarray:
                out = np.searchsorted(edges, values, side="right") + 1
                out[np.isnan(values)] = 0
                return out.astype("int64")

            train_codes, open_codes = codes(train_values), codes(open_values)
            bins = len(edges) + 2
        values.append((column.name, _psi(train_codes, open_codes, bins)))
    return ShiftReport(threshold, len(open_rows), tuple(values))
