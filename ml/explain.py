"""Reasons: exact TreeSHAP contributions summed per source field, rendered as sentences.

For each record XGBoost's exact TreeSHAP (``pred_contribs=True``) splits the log-odds into one share
per feature column. Shares of the columns of one source field are added up; the ``reasons_per_side``
fields pushing the score up most and the ones pushing it down most become the reasons. Each reason
names the field's value (for a field of several columns: the value of the column with the largest
share) and quotes the training population with that value:
"Industry is Financial: 64 % of such leads qualified".

Everything here is vectorised over records except the final JSON join, so explaining is bounded by
TreeSHAP itself (see bench/bench_scoring.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapport.ml.features import FeatureSpec, unseen_mask
from rapport.ml.population import MISSING, UNSEEN, Population, sentence, value_codes
from rapport.ml.targets import ScoringTarget

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from rapport.ml.bundle import ModelBundle

EPSILON = 1e-6  # a field whose share is smaller than this (log-odds) is no reason
REASON_COLUMNS = (
    "record_id",
    "direction",
    "rank",
    "field",
    "column_name",
    "value_text",
    "contribution",
    "population_records",
    "population_rate",
    "sentence",
)


@dataclass(frozen=True)
class Explanations:
    """Reasons of many records: the long table and one JSON text per record (in input order)."""

    reasons: pd.DataFrame
    reasons_json: list[str]


def field_indices(spec: FeatureSpec) -> np.ndarray:
    """For each feature column (spec order), the index of its field in ``spec.fields``."""
    import numpy as np

    position = {name: i for i, name in enumerate(spec.fields)}
    return np.array([position[column.field] for column in spec.columns], dtype="int64")


def field_contributions(contributions: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """(rows x fields) sums of column contributions; the bias column (last) is dropped."""
    import numpy as np

    columns = contributions[:, : len(spec.columns)]
    indicator = np.zeros((len(spec.columns), len(spec.fields)))
    indicator[np.arange(len(spec.columns)), field_indices(spec)] = 1.0
    return columns @ indicator


def representative_columns(contributions: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """(rows x fields) index of the column with the largest |share| within each field."""
    import numpy as np

    columns = np.abs(contributions[:, : len(spec.columns)])
    fields = field_indices(spec)
    out = np.empty((len(columns), len(spec.fields)), dtype="int64")
    for f in range(len(spec.fields)):
        members = np.flatnonzero(fields == f)
        out[:, f] = members[np.argmax(columns[:, members], axis=1)] if len(members) > 1 else members[0]
    return out


def cut_reasons_json(fragments: list[str], max_chars: int) -> str:
    """``[f1,f2,...]`` keeping the longest prefix of whole reasons that fits in ``max_chars``."""
    total = 2
    kept: list[str] = []
    for fragment in fragments:
        extra = len(fragment) + (1 if kept else 0)
        if total + extra > max_chars:
            break
        kept.append(fragment)
        total += extra
    return "[" + ",".join(kept) + "]"


def _entry_columns(spec: FeatureSpec, offsets: list[int], total: int) -> list[str]:
    """The column name of each entry of the sentence table (entries are grouped by column, in order)."""
    bounds = [*offsets[1:], total]
    return [
        name for name, start, end in zip(spec.names, offsets, bounds, strict=True) for _ in range(start, end)
    ]


def _against_sentence(direction: str, display: str, value: str, target: ScoringTarget) -> str:
    """A reason whose value, on its own, does not lean the way it pushes this record: no rate is quoted.

    Such a value counts through its interplay with the record's other fields (a tree split under
    another field's condition); quoting its population rate would contradict the direction.
    """
    if direction == "raises":
        return (
            f"{display} is {value}: raises the score of this {target.model} given its other fields "
            f"(on its own, this value is not above the usual rate)"
        )
    return (
        f"{display} is {value}: lowers the score of this {target.model} given its other fields "
        f"(on its own, this value is not below the usual rate)"
    )


def _fragment(direction: str, field: str, value: str, text: str) -> str:
    return json.dumps(
        {"effect": direction, "field": field, "value": value, "text": text},
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class _SentenceTable:
    """One entry per (column, code) with codes shifted by 2 so UNSEEN/MISSING index 0/1.

    ``offset_of[j]`` is the first entry of column ``j``; the per-direction arrays hold the fragment,
    the rate-free ("against") sentence and its fragment of every entry.
    """

    offset_of: np.ndarray
    values: np.ndarray
    sentences: np.ndarray
    records: np.ndarray
    rates: np.ndarray
    fragments: dict[str, np.ndarray]
    against: dict[str, np.ndarray]
    against_fragments: dict[str, np.ndarray]


def _table_entries(
    spec: FeatureSpec, population: Population, target: ScoringTarget
) -> tuple[list[int], list[tuple[str, str, str, int, float | None]]]:
    """Per column its first entry, and the entries: field, value, sentence, records, rate."""
    offsets: list[int] = []
    entries: list[tuple[str, str, str, int, float | None]] = []
    for column in spec.columns:
        column_population = population.columns[column.name]
        offsets.append(len(entries))
        for shifted in range(2 + max((g.code for g in column_population.groups), default=-1) + 1):
            code = shifted - 2
            group = column_population.group(code)
            text = "a value not seen in training" if code == UNSEEN else (group.text if group else "unknown")
            if code == MISSING and group is None:
                text = "unknown"
            entries.append(
                (
                    column.field,
                    text,
                    sentence(column_population, group, target, text),
                    group.records if group else 0,
                    group.rate if group else None,
                )
            )
    return offsets, entries


def _sentence_table(spec: FeatureSpec, population: Population, target: ScoringTarget) -> _SentenceTable:
    """The sentence of every (column, code), and its rate-free wording for values that contradict."""
    import numpy as np

    offsets, entries = _table_entries(spec, population, target)
    # A value whose training rate sits on the other side of the overall rate than its effect on this
    # record (it counts only through the record's other fields) is worded without the rate.
    entry_displays = [spec.column(name).display for name in _entry_columns(spec, offsets, len(entries))]
    against = {
        direction: np.asarray(
            [
                _against_sentence(direction, display, e[1], target)
                for display, e in zip(entry_displays, entries, strict=True)
            ],
            dtype=object,
        )
        for direction in ("raises", "lowers")
    }
    return _SentenceTable(
        offset_of=np.asarray(offsets, dtype="int64"),
        values=np.asarray([e[1] for e in entries], dtype=object),
        sentences=np.asarray([e[2] for e in entries], dtype=object),
        records=np.asarray([e[3] for e in entries], dtype="int64"),
        rates=np.asarray([np.nan if e[4] is None else e[4] for e in entries], dtype="float64"),
        fragments={
            direction: np.asarray([_fragment(direction, e[0], e[1], e[2]) for e in entries], dtype=object)
            for direction in ("raises", "lowers")
        },
        against=against,
        against_fragments={
            direction: np.asarray(
                [
                    _fragment(direction, e[0], e[1], text)
                    for e, text in zip(entries, against[direction], strict=True)
                ],
                dtype=object,
            )
            for direction in ("raises", "lowers")
        },
    )


@dataclass(frozen=True)
class _RecordCodes:
    """Per record: each field's summed share, its representative column, and each column's value code."""

    per_field: np.ndarray
    representative: np.ndarray
    codes: np.ndarray


def _record_codes(bundle: ModelBundle, frame: pd.DataFrame, matrix: np.ndarray) -> _RecordCodes:
    spec = bundle.spec
    contributions = bundle.reason_contributions(matrix)  # an ignored empty value is never a reason
    codes = value_codes(matrix, spec, bundle.population)
    for j, column in enumerate(spec.columns):
        if column.kind == "categorical" and column.name in frame.columns:
            codes[unseen_mask(frame[column.name], bundle.levels[column.name]).to_numpy(), j] = UNSEEN
    return _RecordCodes(
        per_field=field_contributions(contributions, spec),
        representative=representative_columns(contributions, spec),
        codes=codes,
    )


def _direction_reasons(
    direction: str,
    order: np.ndarray,
    record: _RecordCodes,
    table: _SentenceTable,
    spec: FeatureSpec,
    frame: pd.DataFrame,
    ids: np.ndarray,
    overall: float,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The reasons of one direction (``order``: each record's top-k fields) and their JSON fragments."""
    import numpy as np
    import pandas as pd

    n, k = order.shape
    rows = np.repeat(np.arange(n), k)
    fields = order.ravel()
    share = record.per_field[rows, fields]
    keep = share > EPSILON if direction == "raises" else share < -EPSILON
    rows, fields, share = rows[keep], fields[keep], share[keep]
    rank = np.tile(np.arange(1, k + 1), n)[keep]
    column_index = record.representative[rows, fields]
    code = record.codes[rows, column_index]
    entry = table.offset_of[column_index] + code + 2
    row_values = table.values[entry]
    rates = table.rates[entry]
    contradicts = (rates < overall) if direction == "raises" else (rates > overall)
    row_sentences = np.where(contradicts, table.against[direction][entry], table.sentences[entry])
    row_fragments = np.where(
        contradicts, table.against_fragments[direction][entry], table.fragments[direction][entry]
    )
    for position in np.flatnonzero(code == UNSEEN):  # rare: quote the new value itself
        column = spec.columns[int(column_index[position])]
        raw = str(frame[column.name].iloc[int(rows[position])]).strip()
        row_values[position] = raw
        row_sentences[position] = f"{column.display} is {raw}: a value not seen in training"
        row_fragments[position] = _fragment(direction, column.field, raw, row_sentences[position])
    reasons = pd.DataFrame(
        {
            "record_id": ids[rows],
            "direction": direction,
            "rank": rank.astype("int32"),
            "field": np.asarray(spec.fields, dtype=object)[fields],
            "column_name": np.asarray(spec.names, dtype=object)[column_index],
            "value_text": row_values,
            "contribution": share,
            "population_records": table.records[entry],
            "population_rate": table.rates[entry],
            "sentence": row_sentences,
            "_row": rows,
        }
    )
    return reasons, row_fragments


def _reasons_json(
    n: int,
    json_rows: list[np.ndarray],
    json_weights: list[np.ndarray],
    json_fragments: list[np.ndarray],
    max_chars: int,
) -> list[str]:
    """One JSON text per record: its fragments by decreasing weight, cut to ``max_chars``."""
    import numpy as np

    rows = np.concatenate(json_rows)
    order = np.lexsort((-np.concatenate(json_weights), rows))
    rows = rows[order]
    fragments = np.concatenate(json_fragments)[order]
    bounds = np.searchsorted(rows, np.arange(n + 1))
    return [cut_reasons_json(fragments[bounds[i] : bounds[i + 1]].tolist(), max_chars) for i in range(n)]


def explain_records(
    bundle: ModelBundle,
    frame: pd.DataFrame,
    record_ids: pd.Series | np.ndarray,
    target: ScoringTarget,
    *,
    per_side: int,
    max_chars: int,
) -> Explanations:
    """Reasons for every row of the features ``frame`` with ``bundle``'s model."""
    import numpy as np
    import pandas as pd

    spec = bundle.spec
    matrix = bundle.matrix(frame)
    n = len(matrix)
    ids = np.asarray(record_ids, dtype=object)
    if n == 0:
        return Explanations(pd.DataFrame(columns=list(REASON_COLUMNS)), [])

    record = _record_codes(bundle, frame, matrix)
    table = _sentence_table(spec, bundle.population, target)
    k = min(per_side, len(spec.fields))
    frames, json_rows, json_weights, json_fragments = [], [], [], []
    for direction, order in (
        ("raises", np.argsort(-record.per_field, axis=1, kind="stable")[:, :k]),
        ("lowers", np.argsort(record.per_field, axis=1, kind="stable")[:, :k]),
    ):
        reasons, fragments = _direction_reasons(
            direction, order, record, table, spec, frame, ids, bundle.population.overall_rate
        )
        frames.append(reasons)
        json_rows.append(reasons["_row"].to_numpy())
        json_weights.append(np.abs(reasons["contribution"].to_numpy()))
        json_fragments.append(fragments)

    reasons_json = _reasons_json(n, json_rows, json_weights, json_fragments, max_chars)
    # Raising reasons first, then lowering ones (not sorted per record: a table needs no order).
    reasons = pd.concat(frames, ignore_index=True).drop(columns="_row")
    return Explanations(reasons=reasons, reasons_json=reasons_json)
