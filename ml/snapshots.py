"""Point-in-time training rows: closed records described as they were while open, like open records.

A closed record described a decision gap before its close is always "old" when the CRM closes on a timer
(disqualified after 90 days: described at 83 days), while an open record is described today at any age:
"days since created" then separates the classes in training and means nothing when scoring. The cure is
to describe both alike. ``marts.fct_<model>_features`` is a history: every run wrote the open records
of its as-of date described at that moment. A closed record's **snapshots** are its rows of earlier
as-of dates (the *cuts*), when it was still open, labelled with how it closed. Training on them asks the
deployment question ("this record is open today: will it qualify?") on the same population, sampled at
evenly spaced cuts like the open records a daily run scores.

The **prospective check** asks it on the past: a model trained only on what was known at an earlier cut
scores the records open then, against how they closed since (:func:`prospective_rows`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rapport.ml.features import (
    RECORD_COLUMNS,
    FeatureSpec,
    PointInTimeError,
    Window,
    _check_table,
    _table_columns,
    read_closed_rows,
)
from rapport.ml.targets import ScoringTarget

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

log = logging.getLogger(__name__)

SNAPSHOT_ROW = "snapshot"  # row_source of a closed record described at an earlier cut, while open
CLOSE_ROW = "close"  # row_source of a closed record described a decision gap before its close


@dataclass(frozen=True)
class TrainingRows:
    """The closed rows a model trains on, and how they were made (for the run's log and tags)."""

    frame: pd.DataFrame
    source: str  # "snapshots" | "close - gap"
    cuts: tuple[date, ...]
    reason: str


def choose_cuts(available: list[date], as_of: date, every_days: int, since: date) -> tuple[date, ...]:
    """Past as-of dates to describe records at: the newest available date at or before each of
    ``as_of - every_days``, ``as_of - 2 * every_days``, ... down to ``since`` (oldest first, distinct)."""
    if every_days <= 0:
        return ()
    ordered = sorted(d for d in available if since <= d < as_of)
    cuts: list[date] = []
    wanted = as_of - timedelta(days=every_days)
    while ordered and wanted >= since:
        before = [d for d in ordered if d <= wanted]
        if not before:
            break
        cuts.append(before[-1])
        wanted = min(before[-1], wanted) - timedelta(days=every_days)
    return tuple(sorted(set(cuts)))


def history_dates(connection: duckdb.DuckDBPyConnection, target: ScoringTarget) -> list[date]:
    """The as-of dates the features history holds."""
    _check_table(connection, target, None)
    rows = connection.execute(
        f"select distinct as_of_date from {target.features_table} order by 1"
    ).fetchall()
    return [row[0] for row in rows]


def read_rows_open_at(
    connection: duckdb.DuckDBPyConnection, target: ScoringTarget, spec: FeatureSpec, cuts: tuple[date, ...]
) -> pd.DataFrame:
    """Every record open at one of ``cuts``, as that run described it (one row per record per cut)."""
    import pandas as pd

    if not cuts:
        return pd.DataFrame(columns=[target.id_column, *RECORD_COLUMNS, *spec.names])
    present = _table_columns(connection, target.features_table)
    names = [name for name in spec.names if name in present]
    selected = ", ".join(f'"{name}"' for name in [target.id_column, *RECORD_COLUMNS, *names])
    placeholders = ", ".join("?" for _ in cuts)
    frame = connection.execute(
        f"""
        select {selected} from {target.features_table}
        where as_of_date in ({placeholders}) and label is null and closed_at is null
        order by as_of_date, "{target.id_column}"
        """,
        list(cuts),
    ).df()
    return frame


def label_snapshots(
    snapshots: pd.DataFrame, closed: pd.DataFrame, target: ScoringTarget, window: Window
) -> pd.DataFrame:
    """``snapshots`` of records that closed later, each with its record's close moment and label.

    A snapshot must describe a moment before its record's close and before the window's end
    (:class:`PointInTimeError` otherwise); records still open, or closed outside the window, are left out.
    """
    outcome = closed[[target.id_column, "closed_at", "label"]]
    rows = snapshots.drop(columns=["closed_at", "label"]).merge(outcome, on=target.id_column, how="inner")
    late = rows[(rows["feature_at"] > rows["closed_at"]) | (rows["feature_at"] > window.end)]
    if len(late):
        example = late.iloc[0]
        raise PointInTimeError(
            f"{target.features_table}: {len(late)} snapshot row(s) describe a moment after their record's "
            f"close (e.g. {example[target.id_column]}: feature_at {example['feature_at']}, closed_at "
            f"{example['closed_at']}); an open row must describe its run's as-of moment: fix the features model"
        )
    rows["label"] = rows["label"].astype("int8")
    rows["row_source"] = SNAPSHOT_ROW
    return rows.sort_values(["closed_at", target.id_column, "feature_at"], kind="stable").reset_index(
        drop=True
    )


def read_training_rows(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    spec: FeatureSpec,
    window: Window,
    *,
    snapshot_every_days: int,
    min_positive: int,
    min_negative: int,
) -> TrainingRows:
    """Closed records described at earlier cuts while open (snapshots), else a decision gap before close.

    Snapshots are used when the history has cuts in the window and they give at least ``min_positive``
    and ``min_negative`` rows; otherwise the close - gap rows are used and the reason says why (a new
    installation has no history yet: the shift screen then guards against time artefacts).
    """
    closed = read_closed_rows(connection, target, spec, window)
    cuts = choose_cuts(
        history_dates(connection, target), window.end.date(), snapshot_every_days, window.start.date()
    )
    snapshots = label_snapshots(read_rows_open_at(connection, target, spec, cuts), closed, target, window)
    positives = int(snapshots["label"].sum()) if len(snapshots) else 0
    negatives = len(snapshots) - positives
    if snapshot_every_days <= 0:
        reason = "close - gap rows: snapshots switched off (scoring.snapshot_every_days = 0)"
    elif positives >= min_positive and negatives >= min_negative:
        reason = (
            f"snapshots: {len(snapshots)} rows of {snapshots[target.id_column].nunique()} closed records "
            f"described while open at {len(cuts)} cuts from {cuts[0]} to {cuts[-1]} "
            f"({positives} {target.positive_label}, {negatives} not)"
        )
        log.info("%s training rows: %s", target.model, reason)
        return TrainingRows(snapshots, "snapshots", cuts, reason)
    else:
        reason = (
            f"close - gap rows: the features history has {len(cuts)} cut(s) every {snapshot_every_days} days in "
            f"the window, giving {positives} positive and {negatives} negative snapshot rows (need "
            f"{min_positive} and {min_negative}); time artefacts are left to the shift screen"
        )
    log.warning("%s training rows: %s", target.model, reason)
    frame = closed.assign(row_source=CLOSE_ROW)
    return TrainingRows(frame, "close - gap", cuts, reason)


def prospective_rows(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    spec: FeatureSpec,
    cut: date,
    window: Window,
) -> pd.DataFrame:
    """The records open at the ``cut`` run, as described then, with how they closed by the window's end."""
    closed = read_closed_rows(connection, target, spec, window)
    return label_snapshots(read_rows_open_at(connection, target, spec, (cut,)), closed, target, window)


def prospective_cut(available: list[date], as_of: datetime, days: int) -> date | None:
    """The newest history date at or before ``as_of - days`` (None when there is none)."""
    wanted = (as_of - timedelta(days=days)).date()
    before = [d for d in available if d <= wanted]
    return max(before) if before else None
