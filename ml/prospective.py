"""The prospective check: would the model have ranked the records open at an earlier cut?

The test set holds the most recent closed records; the deployment question is about records open
today. The check goes back ``scoring.prospective_days`` to the newest run of the features history at or
before then (the cut), trains exactly as a run on that day would have (rows known then only), scores the
records open at the cut as that run described them, and compares with how they closed since. A test AUC
much higher than the prospective AUC (``scoring.prospective_max_auc_drop``) is skill that does not
survive deployment, often a time artefact: promotion is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from rapport.ml.evaluate import expected_calibration_error
from rapport.ml.features import FeatureSpec, training_window
from rapport.ml.snapshots import (
    history_dates,
    prospective_cut,
    prospective_rows,
    read_rows_open_at,
    read_training_rows,
)
from rapport.ml.targets import ScoringTarget
from rapport.ml.train import TrainingError, train_model

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from rapport.config import ScoringConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProspectiveCheck:
    """The outcome of :func:`check_prospectively`: measured, or unavailable with the reason."""

    model: str
    status: str  # measured | unavailable
    reason: str
    cut: date | None = None
    records: int = 0
    positives: int = 0
    auc: float | None = None
    ece: float | None = None
    brier: float | None = None
    mean_probability: float | None = None
    test_auc: float | None = None  # the test AUC the model trained at the cut reported for itself
    screened_out: tuple[str, ...] = ()  # feature columns the screens dropped at the cut (leakage, shift)

    def metrics(self) -> dict[str, float]:
        """MLflow metrics ``prospective_*`` (none when unavailable)."""
        if self.auc is None:
            return {}
        return {
            "prospective_auc": self.auc,
            "prospective_ece": float(self.ece or 0.0),
            "prospective_brier": float(self.brier or 0.0),
            "prospective_records": float(self.records),
            "prospective_positives": float(self.positives),
            "prospective_mean_probability": float(self.mean_probability or 0.0),
            "prospective_cut_test_auc": float(self.test_auc or 0.0),
        }

    def refusal(self, test_auc: float, max_drop: float) -> str | None:
        """Why promotion is refused (test AUC too far above the prospective AUC), else None."""
        if self.auc is None or test_auc - self.auc <= max_drop:
            return None
        return (
            f"prospective AUC {self.auc:.3f} (records open on {self.cut}, {self.records} closed since) is "
            f"{test_auc - self.auc:.3f} below the test AUC {test_auc:.3f} (more than "
            f"scoring.prospective_max_auc_drop = {max_drop:.2f}): the test skill does not hold on open records"
        )


def measure(
    model: str, cut: date, labels: pd.Series, probabilities: pd.Series | object, min_class: int
) -> ProspectiveCheck:
    """Figures of ``probabilities`` against ``labels`` (unavailable below ``min_class`` of each class)."""
    import numpy as np
    from sklearn.metrics import brier_score_loss, roc_auc_score

    y = np.asarray(labels, dtype="int64")
    p = np.asarray(probabilities, dtype="float64")
    positives = int(y.sum())
    if min(positives, len(y) - positives) < min_class:
        return ProspectiveCheck(
            model,
            "unavailable",
            f"{len(y)} records open on {cut} have closed since ({positives} positive); need "
            f"{min_class} of each outcome (scoring.prospective_min_class)",
            cut=cut,
            records=len(y),
            positives=positives,
        )
    auc = float(roc_auc_score(y, p))
    return ProspectiveCheck(
        model,
        "measured",
        f"trained as of {cut}, scored the {len(y)} records open then that closed since: AUC {auc:.3f}",
        cut=cut,
        records=len(y),
        positives=positives,
        auc=auc,
        ece=expected_calibration_error(y, p),
        brier=float(brier_score_loss(y, p)),
        mean_probability=float(p.mean()),
    )


def check_prospectively(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    spec: FeatureSpec,
    config: ScoringConfig,
    as_of: datetime,
) -> ProspectiveCheck:
    """Train as of the cut on what was known then, score the records open then, compare with outcomes."""
    if config.prospective_days <= 0:
        return ProspectiveCheck(target.model, "unavailable", "switched off (scoring.prospective_days = 0)")
    cut = prospective_cut(history_dates(connection, target), as_of, config.prospective_days)
    if cut is None:
        return ProspectiveCheck(
            target.model,
            "unavailable",
            f"the features history holds no run on or before {as_of.date()} - {config.prospective_days} days",
        )
    cut_moment = datetime(cut.year, cut.month, cut.day, tzinfo=as_of.tzinfo)
    then = training_window(cut_moment, config.training_window_days)
    rows = read_training_rows(
        connection,
        target,
        spec,
        then,
        snapshot_every_days=config.snapshot_every_days,
        min_positive=config.min_positive,
        min_negative=config.min_negative,
    )
    positives = int(rows.frame["label"].sum())
    if positives < config.min_positive or len(rows.frame) - positives < config.min_negative:
        return ProspectiveCheck(
            target.model,
            "unavailable",
            f"too few records closed by {cut} to train then ({positives} positive of {len(rows.frame)} rows)",
            cut=cut,
        )
    open_then = read_rows_open_at(connection, target, spec, (cut,))
    outcomes = prospective_rows(
        connection, target, spec, cut, training_window(as_of, config.training_window_days)
    )
    try:
        trained = train_model(rows.frame, target, spec, config, window=then, open_rows=open_then)
    except TrainingError as error:
        return ProspectiveCheck(target.model, "unavailable", f"training as of {cut} failed: {error}", cut=cut)
    check = replace(
        measure(
            target.model,
            cut,
            outcomes["label"],
            trained.bundle.predict_proba(outcomes),
            config.prospective_min_class,
        ),
        test_auc=trained.evaluation.auc,
        screened_out=(*trained.leakage.dropped, *trained.shift.dropped),
    )
    log.info("%s prospective check: %s", target.model, check.reason)
    return check
