"""Probability calibration: Platt scaling (sigmoid) of the booster's log-odds on a held-out slice.

Why sigmoid and not isotonic: the calibration slice is the most recent part of the older records,
which at the gate's minimum holds only tens of records of each class. Isotonic regression overfits
such slices and turns the ranking into steps (ties: scores stop moving, AUC drops). A sigmoid has two
parameters, is strictly increasing, and so keeps the booster's order: the calibrated score, its AUC
and the direction of each SHAP reason (computed in log-odds) agree. Its quality is measured on the
test set (Brier score, expected calibration error) and logged with every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MIN_SLOPE = 1e-3  # a slope at or below zero would reverse the ranking; it is floored here


@dataclass(frozen=True)
class PlattCalibrator:
    """p = 1 / (1 + exp(-(slope * margin + intercept)))."""

    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, margin: np.ndarray) -> np.ndarray:
        import numpy as np

        return 1.0 / (1.0 + np.exp(-(self.slope * np.asarray(margin, dtype="float64") + self.intercept)))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "sigmoid", "slope": self.slope, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlattCalibrator:
        return cls(slope=float(data["slope"]), intercept=float(data["intercept"]))


def fit_platt(margin: np.ndarray, labels: np.ndarray) -> PlattCalibrator:
    """Fit the sigmoid on held-out log-odds ``margin`` and 0/1 ``labels`` (nearly unregularised)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(labels)
    if len(np.unique(y)) < 2:
        return PlattCalibrator()
    regression = LogisticRegression(C=1e4, max_iter=1000)
    regression.fit(np.asarray(margin, dtype="float64").reshape(-1, 1), y)
    slope = max(float(regression.coef_[0][0]), MIN_SLOPE)
    return PlattCalibrator(slope=slope, intercept=float(regression.intercept_[0]))


def fit_platt_recent(
    margin: np.ndarray, labels: np.ndarray, recent: np.ndarray, refit: str = "intercept"
) -> PlattCalibrator:
    """A sigmoid that follows drift: fitted on all held-out log-odds, then moved to the ``recent`` rows.

    ``refit = "intercept"``: the slope (how sharply the score separates) comes from every row, the intercept
    (the base rate) is refitted on the ``recent`` rows with that slope fixed: two parameters, only the one
    that drifts with the conversion rate taken from the smaller, newer slice. ``refit = "full"``: both
    parameters from the ``recent`` rows only. A recent slice with one class only keeps the all-rows sigmoid.
    """
    import numpy as np

    margin = np.asarray(margin, dtype="float64")
    y = np.asarray(labels, dtype="float64")
    recent = np.asarray(recent, dtype=bool)
    overall = fit_platt(margin, y)
    if len(np.unique(y[recent])) < 2:
        return overall
    if refit == "full":
        return fit_platt(margin[recent], y[recent])
    if refit != "intercept":
        raise ValueError(f'refit = "{refit}": use "intercept" or "full"')
    offset, target = overall.slope * margin[recent], y[recent]
    intercept = overall.intercept
    for _ in range(100):  # Newton's method on the one-parameter log-likelihood (concave)
        p = 1.0 / (1.0 + np.exp(-(offset + intercept)))
        gradient, curvature = float((target - p).sum()), float((p * (1 - p)).sum())
        if curvature <= 0:
            break
        step = gradient / curvature
        intercept += step
        if abs(step) < 1e-10:
            break
    return PlattCalibrator(slope=overall.slope, intercept=float(intercept))
