"""The readiness gate: is there enough closed history to train an honest model?

A model trains only when its training window (``scoring.training_window_days`` before the as-of
moment) holds at least ``scoring.min_positive`` positive and ``scoring.min_negative`` negative records
that were both created and closed in the window. The reason is one sentence a person can act on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rapport.ml.as_of import AsOf, to_as_of
from rapport.ml.features import FeaturesMissingError, count_closed, training_window
from rapport.ml.targets import get_target

if TYPE_CHECKING:
    import duckdb

    from rapport.config import ScoringConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    """The gate's verdict for one model at one as-of moment."""

    model: str
    is_ready: bool
    reason: str
    positives: int
    negatives: int
    window_start: datetime
    window_end: datetime


def check_readiness(
    connection: duckdb.DuckDBPyConnection, model: str, as_of: AsOf, config: ScoringConfig
) -> Readiness:
    """Count the window's closed records and say whether ``model`` may train (never raises for no data)."""
    target = get_target(model)
    moment = to_as_of(as_of)
    window = training_window(moment, config.training_window_days)
    between = f"between {window.start:%Y-%m-%d} and {window.end:%Y-%m-%d}"
    need = f"need at least {config.min_positive} {target.positive_label} and {config.min_negative} {target.negative_label}"
    try:
        positives, negatives = count_closed(connection, target, window)
    except FeaturesMissingError as error:
        readiness = Readiness(model, False, f"{model}: {error}", 0, 0, window.start, window.end)
        log.info("readiness %s", readiness.reason)
        return readiness
    counts = (
        f"{model}: {positives} {target.positive_label} and {negatives} {target.negative_label} "
        f"{target.plural} created and closed {between}"
    )
    is_ready = positives >= config.min_positive and negatives >= config.min_negative
    if is_ready:
        reason = f"{counts}; ready to train ({need})"
    elif config.min_positive == config.min_negative:
        reason = f"{counts}; need at least {config.min_positive} of each"
    else:
        reason = f"{counts}; {need}"
    log.info("readiness %s", reason)
    return Readiness(model, is_ready, reason, positives, negatives, window.start, window.end)
