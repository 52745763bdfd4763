"""Scoring: every open record gets a 0-100 score, a grade, a trend and its reasons, every day.

* score = round(calibrated probability x 100); grade A/B/C/D from ``scoring.grade_a_from`` /
  ``grade_b_from`` / ``grade_c_from``;
* trend against the record's previous score: a change above ``scoring.trend_dead_band`` points is
  *improving* or *declining*, within it *steady*; no previous score is *not enough info*;
* reasons are recomputed only for records whose feature values (or champion version) changed since
  their previous scoring (exact TreeSHAP is the costly part); they are stored once, on the date they
  were computed, and an unchanged record's row points at them (``reasons_as_of_date``);
* without a champion every open record is stored as *not enough data* with the gate's reason.

Re-running an as-of date replaces that date's rows in one transaction (idempotent).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from rapport.ml.change import describe_changes
from rapport.ml.explain import REASON_COLUMNS, explain_records
from rapport.ml.features import FeaturesMissingError, read_open_rows
from rapport.ml.population import insight_rows
from rapport.ml.tables import HISTORY_COLUMNS
from rapport.ml.targets import ScoringTarget

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pandas as pd

    from rapport.config import ScoringConfig
    from rapport.ml.baseline import BaselineModel
    from rapport.ml.bundle import ModelBundle
    from rapport.ml.features import FeatureSpec

log = logging.getLogger(__name__)

EXPLAIN_CHUNK = 100_000  # records scored, explained and inserted at a time (bounds memory)
STATUS_SCORED = "scored"
STATUS_NOT_ENOUGH_DATA = "not enough data"
STATUS_BASELINE = "baseline"  # below the gate: a smoothed historical rate (ml.baseline), not a model's score
IMPROVING, STEADY, DECLINING, NOT_ENOUGH_INFO = "improving", "steady", "declining", "not enough info"


@dataclass(frozen=True)
class ScoringResult:
    """What one scoring run did."""

    model: str
    as_of_date: date
    records: int  # open records in the scoring window
    scored: int
    not_enough_data: int
    explained: int  # records whose reasons were computed
    reused: int  # records whose features were unchanged: their earlier reasons still apply
    model_version: str | None
    reason: str
    baseline: int = 0  # of not_enough_data: records given a baseline score (ml.baseline)


def to_score(probabilities: np.ndarray) -> np.ndarray:
    """0-100 integer scores (half rounds up)."""
    import numpy as np

    return np.floor(np.asarray(probabilities, dtype="float64") * 100 + 0.5).astype("int64")


def grade_for(score: float, config: ScoringConfig) -> str:
    """A from ``grade_a_from``, B from ``grade_b_from``, C from ``grade_c_from``, else D."""
    if score >= config.grade_a_from:
        return "A"
    if score >= config.grade_b_from:
        return "B"
    if score >= config.grade_c_from:
        return "C"
    return "D"


def trend_for(score: float, previous: float | None, dead_band: float) -> str:
    """improving / steady / declining against ``previous``; not enough info without one."""
    if previous is None or previous != previous:  # None or NaN
        return NOT_ENOUGH_INFO
    change = score - previous
    if change > dead_band:
        return IMPROVING
    if change < -dead_band:
        return DECLINING
    return STEADY


def features_digests(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """One hash per row of the feature values ``names`` (hex text)."""
    import numpy as np
    import pandas as pd

    if frame.empty:
        return np.asarray([], dtype=object)
    hashed = pd.util.hash_pandas_object(frame[names], index=False).to_numpy()
    return np.char.mod("%016x", hashed).astype(object)


def _previous_scores(connection: duckdb.DuckDBPyConnection, target: ScoringTarget, day: date) -> pd.DataFrame:
    """Each record's latest scored row before ``day``."""
    return connection.execute(
        f"""
        select record_id, as_of_date as previous_as_of_date, score as previous_score,
               features_digest as previous_digest, model_version as previous_version,
               coalesce(reasons_as_of_date, as_of_date) as previous_reasons_as_of_date
        from {target.history_table}
        where as_of_date < ? and status = ?
        qualify row_number() over (partition by record_id order by as_of_date desc) = 1
        """,
        [day, STATUS_SCORED],
    ).df()


def _change_json(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    bundle: ModelBundle,
    version: str,
    frame: pd.DataFrame,
    current: pd.DataFrame,
    scores: np.ndarray,
    unchanged: np.ndarray,
) -> np.ndarray:
    """``change_json`` (ml.change) of each row with a previous score; None where there is none."""
    import numpy as np

    out = np.full(len(frame), None, dtype=object)
    has_previous = current["previous_score"].notna().to_numpy(dtype=bool)
    since = _iso_dates(current["previous_as_of_date"])
    for position in np.flatnonzero(has_previous & unchanged):
        out[position] = json.dumps(
            {
                "since": since[position],
                "previous_score": int(current["previous_score"].iloc[position]),
                "score": int(scores[position]),
                "model_changed": False,
                "moved_by": [],
            }
        )
    moved = np.flatnonzero(has_previous & ~unchanged)
    if not len(moved):
        return out
    pairs = current.iloc[moved][["record_id"]].assign(previous_date=[since[i] for i in moved])
    connection.register("_rapport_previous_pairs", pairs)
    try:
        previous = connection.execute(
            f"""
            select features.*, pairs.record_id as _record_id
            from {target.features_table} as features
            inner join _rapport_previous_pairs as pairs
                on cast(features."{target.id_column}" as varchar) = pairs.record_id
                and features.as_of_date = cast(pairs.previous_date as date)
            """
        ).df()
    finally:
        connection.unregister("_rapport_previous_pairs")
    previous = previous.drop_duplicates("_record_id").set_index("_record_id")
    previous = previous.reindex(pairs["record_id"].to_numpy())
    previous["_missing"] = previous[target.id_column].isna().to_numpy()
    out[moved] = describe_changes(
        bundle,
        frame.iloc[moved].reset_index(drop=True),
        previous.reset_index(drop=True),
        since=[since[i] for i in moved],
        previous_scores=current["previous_score"].to_numpy(dtype="float64")[moved],
        scores=scores[moved],
        model_changed=(current["previous_version"].iloc[moved] != version).to_numpy(dtype=bool),
    )
    return out


def _iso_dates(series: pd.Series) -> list[str]:
    """ISO dates of a date/datetime column (empty string where missing)."""
    import pandas as pd

    return [value.date().isoformat() if not pd.isna(value) else "" for value in pd.to_datetime(series)]


@contextlib.contextmanager
def _replacing_day(connection: duckdb.DuckDBPyConnection, target: ScoringTarget, day: date) -> Iterator[None]:
    """One transaction that first deletes ``day``'s history and reasons rows; rolled back on error."""
    connection.begin()
    try:
        connection.execute(f"delete from {target.history_table} where as_of_date = ?", [day])
        connection.execute(f"delete from {target.reasons_table} where as_of_date = ?", [day])
        yield
        connection.commit()
    except BaseException:
        connection.rollback()
        raise


@contextlib.contextmanager
def _staging_tables(
    connection: duckdb.DuckDBPyConnection, tables: tuple[str, ...]
) -> Iterator[dict[str, str]]:
    """Empty on-disk copies of ``tables`` (``ml._staging_<name>``), dropped afterwards.

    Blocks are inserted into them one statement (one commit) at a time, so memory stays bounded:
    DuckDB keeps the rows of an open transaction in memory, but an insert from a table in the final
    swap transaction is written out as it goes.
    """
    names = {}
    for table in tables:
        schema, name = table.split(".", 1)
        names[table] = f"{schema}._staging_{name}"
        connection.execute(f"create or replace table {names[table]} as select * from {table} limit 0")
    try:
        yield names
    finally:
        for staging in names.values():
            connection.execute(f"drop table if exists {staging}")


def _insert(
    connection: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, columns: tuple[str, ...]
) -> None:
    if not len(frame):
        return
    connection.register("incoming_rows", frame)
    try:
        names = ", ".join(columns)
        connection.execute(f"insert into {table} ({names}) select {names} from incoming_rows")
    finally:
        connection.unregister("incoming_rows")


def _replace_insights(
    connection: duckdb.DuckDBPyConnection, target: ScoringTarget, insights: pd.DataFrame
) -> None:
    connection.execute(f"delete from {target.insights_table}")
    _insert(connection, target.insights_table, insights, tuple(insights.columns))


def _read_open(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    bundle: ModelBundle | None,
    as_of: datetime,
    config: ScoringConfig,
) -> pd.DataFrame | None:
    try:
        return read_open_rows(
            connection, target, bundle.spec if bundle else None, as_of, config.scoring_window_days
        )
    except FeaturesMissingError as error:
        log.warning("%s: nothing to score: %s", target.model, error)
        return None


def mark_not_enough_data(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    as_of: datetime,
    config: ScoringConfig,
    reason: str,
    baseline: tuple[BaselineModel, FeatureSpec] | None = None,
) -> ScoringResult:
    """Store every open record as *not enough data* with ``reason`` (no champion).

    With ``baseline`` (a :class:`rapport.ml.baseline.BaselineModel` and the spec whose columns it reads), each
    record gets its baseline probability, score and grade, with status ``baseline`` and model name
    ``baseline``: flagged everywhere as not a model's score.
    """
    import pandas as pd

    day = as_of.date()
    try:
        frame = (
            read_open_rows(connection, target, baseline[1], as_of, config.scoring_window_days)
            if baseline
            else _read_open(connection, target, None, as_of, config)
        )
    except FeaturesMissingError as error:
        log.warning("%s: nothing to score: %s", target.model, error)
        frame = None
    ids = [] if frame is None else frame[target.id_column].astype(str).tolist()
    history = pd.DataFrame({name: pd.Series([None] * len(ids), dtype=object) for name in HISTORY_COLUMNS})
    history["record_id"] = ids
    history["as_of_date"] = day
    history["status"] = STATUS_NOT_ENOUGH_DATA
    history["status_reason"] = reason
    history["trend"] = NOT_ENOUGH_INFO
    history["scored_at"] = datetime.now(UTC).replace(tzinfo=None)
    history = history.astype({"probability": "float64", "score": "Int64", "previous_score": "Int64"})
    with_baseline = 0
    if baseline is not None and frame is not None and len(frame):
        model = baseline[0]
        probabilities = model.predict_proba(frame.reset_index(drop=True))
        history["status"] = STATUS_BASELINE
        history["status_reason"] = f"{model.describe(target.plural)}; {reason}"
        history["probability"] = probabilities
        history["score"] = pd.array(to_score(probabilities), dtype="Int64")
        history["grade"] = [grade_for(score, config) for score in history["score"]]
        history["model_name"] = STATUS_BASELINE
        with_baseline = len(ids)
    with _replacing_day(connection, target, day):
        _insert(connection, target.history_table, history, HISTORY_COLUMNS)
    log.info(
        "%s: %d open records marked 'not enough data' (%d with a baseline score): %s",
        target.model,
        len(ids),
        with_baseline,
        reason,
    )
    return ScoringResult(target.model, day, len(ids), 0, len(ids), 0, 0, None, reason, baseline=with_baseline)


@dataclass(frozen=True)
class _Scored:
    """The open records scored, next to their previous day's row (``unchanged``: same features and version)."""

    ids: pd.Series
    frame: pd.DataFrame
    probabilities: np.ndarray
    scores: np.ndarray
    digests: np.ndarray
    current: pd.DataFrame
    unchanged: np.ndarray
    previous_score: np.ndarray
    previous_score_int: Any
    reasons_as_of: np.ndarray


def _score_open(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    as_of: datetime,
    bundle: ModelBundle,
    version: str,
    config: ScoringConfig,
) -> _Scored:
    import numpy as np
    import pandas as pd

    day = as_of.date()
    frame = _read_open(connection, target, bundle, as_of, config)
    if frame is None:
        frame = pd.DataFrame(columns=[target.id_column])
    ids = frame[target.id_column].astype(str).reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    probabilities = bundle.predict_proba(frame) if len(frame) else np.asarray([], dtype="float64")
    present = [name for name in bundle.spec.names if name in frame.columns]
    digests = features_digests(frame, present)

    previous = _previous_scores(connection, target, day)
    current = pd.DataFrame({"record_id": ids, "features_digest": digests}).merge(
        previous, on="record_id", how="left"
    )
    unchanged = (
        (
            (current["previous_digest"] == current["features_digest"])
            & (current["previous_version"] == version)
        )
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    return _Scored(
        ids=ids,
        frame=frame,
        probabilities=probabilities,
        scores=to_score(probabilities),
        digests=digests,
        current=current,
        unchanged=unchanged,
        previous_score=current["previous_score"].to_numpy(dtype="float64", na_value=np.nan),
        previous_score_int=pd.array(current["previous_score"], dtype="Int64"),
        reasons_as_of=(
            pd.to_datetime(current["previous_reasons_as_of_date"])
            .where(pd.Series(unchanged), pd.Timestamp(day))
            .dt.date.to_numpy(dtype=object)
        ),
    )


def _insights_frame(bundle: ModelBundle, version: str, model_name: str) -> pd.DataFrame:
    import pandas as pd

    insights = pd.DataFrame(insight_rows(bundle.population, bundle.spec))
    insights.insert(0, "model_name", model_name)
    insights.insert(1, "model_version", version)
    insights.insert(2, "trained_as_of", _as_of_date(bundle))
    return insights


def _explain_block(
    connection: duckdb.DuckDBPyConnection,
    reasons_staging: str,
    target: ScoringTarget,
    bundle: ModelBundle,
    version: str,
    config: ScoringConfig,
    scored: _Scored,
    block: slice,
    day: date,
) -> np.ndarray:
    """Explain the block's changed records into the reasons staging table; their JSON (None if unchanged)."""
    import numpy as np

    start = block.start or 0
    changed = np.flatnonzero(~scored.unchanged[block]) + start
    reasons_json = np.full(len(scored.ids[block]), None, dtype=object)
    if len(changed):
        explanations = explain_records(
            bundle,
            scored.frame.iloc[changed],
            scored.ids.iloc[changed],
            target,
            per_side=config.reasons_per_side,
            max_chars=config.reasons_json_max_chars,
        )
        reasons_json[changed - start] = np.asarray(explanations.reasons_json, dtype=object)
        _insert(
            connection,
            reasons_staging,
            explanations.reasons.assign(as_of_date=day, model_version=version),
            (*REASON_COLUMNS, "as_of_date", "model_version"),
        )
    return reasons_json


def _history_block(
    scored: _Scored,
    block: slice,
    day: date,
    config: ScoringConfig,
    model_name: str,
    version: str,
    reasons_json: np.ndarray,
    changes: np.ndarray,
    scored_at: datetime,
) -> pd.DataFrame:
    import pandas as pd

    block_scores = scored.scores[block]
    return pd.DataFrame(
        {
            "record_id": scored.ids[block].to_numpy(dtype=object),
            "as_of_date": day,
            "status": STATUS_SCORED,
            "status_reason": pd.Series([None] * len(block_scores), dtype=object),
            "probability": scored.probabilities[block],
            "score": block_scores,
            "grade": [grade_for(score, config) for score in block_scores],
            "trend": [
                trend_for(s, p, config.trend_dead_band)
                for s, p in zip(block_scores, scored.previous_score[block], strict=True)
            ],
            "previous_score": scored.previous_score_int[block],
            "model_name": model_name,
            "model_version": version,
            "features_digest": scored.digests[block],
            "reasons_as_of_date": scored.reasons_as_of[block],
            "reasons_json": reasons_json,
            "scored_at": scored_at,
            "change_json": changes,
        }
    )


def score_records(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    as_of: datetime,
    bundle: ModelBundle,
    version: str,
    config: ScoringConfig,
    *,
    model_name: str,
) -> ScoringResult:
    """Score, grade, trend and explain every open record with ``bundle``; replace the day's rows."""
    day = as_of.date()
    scored = _score_open(connection, target, as_of, bundle, version, config)
    ids, unchanged = scored.ids, scored.unchanged
    explained = int((~unchanged).sum())
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    insights = _insights_frame(bundle, version, model_name)
    tables = (target.history_table, target.reasons_table)
    with _staging_tables(connection, tables) as staging:
        # Records go in blocks (bounded memory): exact TreeSHAP for the block's changed records, their
        # reasons, then the block's history rows, into staging tables. Unchanged records point at their
        # earlier reasons. The day's rows are then swapped in one transaction.
        for start in range(0, len(ids), EXPLAIN_CHUNK):
            block = slice(start, start + EXPLAIN_CHUNK)
            reasons_json = _explain_block(
                connection, staging[target.reasons_table], target, bundle, version, config, scored, block, day
            )
            changes = _change_json(
                connection,
                target,
                bundle,
                version,
                scored.frame.iloc[block].reset_index(drop=True),
                scored.current.iloc[block].reset_index(drop=True),
                scored.scores[block],
                unchanged[block],
            )
            history = _history_block(
                scored, block, day, config, model_name, version, reasons_json, changes, scored_at
            )
            _insert(connection, staging[target.history_table], history, HISTORY_COLUMNS)
        with _replacing_day(connection, target, day):
            for table in tables:
                connection.execute(f"insert into {table} select * from {staging[table]}")
            _replace_insights(connection, target, insights)
    result = ScoringResult(
        model=target.model,
        as_of_date=day,
        records=len(ids),
        scored=len(ids),
        not_enough_data=0,
        explained=explained,
        reused=int(unchanged.sum()),
        model_version=version,
        reason=f"{target.model}: {len(ids)} open {target.plural} scored with {model_name} version {version} "
        f"({explained} explained, {int(unchanged.sum())} unchanged kept their reasons)",
    )
    log.info("%s", result.reason)
    return result


def _as_of_date(bundle: ModelBundle) -> date | None:
    value = bundle.metadata.get("as_of")
    return datetime.fromisoformat(value).date() if value else None
