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
from rapport.ml.population import MISSING, UNSEEN, sentence, value_codes
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

    spec, population = bundle.spec, bundle.population
    matrix = bundle.matrix(frame)
    n = len(matrix)
    ids = np.asarray(record_ids, dtype=object)
    if n == 0:
        return Explanations(pd.DataFrame(columns=list(REASON_COLUMNS)), [])

    contributions = bundle.contributions(matrix)
    per_field = field_contributions(contributions, spec)
    representative = representative_columns(contributions, spec)
    codes = value_codes(matrix, spec, population)
    for j, column in enumerate(spec.columns):
        if column.kind == "categorical" and column.name in frame.columns:
            codes[unseen_mask(frame[column.name], bundle.levels[column.name]).to_numpy(), j] = UNSEEN

    # Sentence table: one entry per (column, code), codes shifted by 2 so UNSEEN/MISSING index 0/1.
    offsets: list[int] = []
    entries: list[tuple[str, str, str, int, float | None]] = []  # field, value, sentence, records, rate
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
    offset_of = np.asarray(offsets, dtype="int64")
    entry_values = np.asarray([e[1] for e in entries], dtype=object)
    entry_sentences = np.asarray([e[2] for e in entries], dtype=object)
    entry_records = np.asarray([e[3] for e in entries], dtype="int64")
    entry_rates = np.asarray([np.nan if e[4] is None else e[4] for e in entries], dtype="float64")
    entry_fragments = {
        direction: np.asarray([_fragment(direction, e[0], e[1], e[2]) for e in entries], dtype=object)
        for direction in ("raises", "lowers")
    }
    # A value whose training rate sits on the other side of the overall rate than its effect on this
    # record (it counts only through the record's other fields) is worded without the rate.
    overall = population.overall_rate
    entry_displays = [spec.column(name).display for name in _entry_columns(spec, offsets, len(entries))]
    entry_against = {
        direction: np.asarray(
            [
                _against_sentence(direction, display, e[1], target)
                for display, e in zip(entry_displays, entries, strict=True)
            ],
            dtype=object,
        )
        for direction in ("raises", "lowers")
    }
    entry_against_fragments = {
        direction: np.asarray(
            [
                _fragment(direction, e[0], e[1], text)
                for e, text in zip(entries, entry_against[direction], strict=True)
            ],
            dtype=object,
        )
        for direction in ("raises", "lowers")
    }

    k = min(per_side, len(spec.fields))
    frames, json_rows, json_weights, json_fragments = [], [], [], []
    for direction, order in (
        ("raises", np.argsort(-per_field, axis=1, kind="stable")[:, :k]),
        ("lowers", np.argsort(per_field, axis=1, kind="stable")[:, :k]),
    ):
        rows = np.repeat(np.arange(n), k)
        fields = order.ravel()
        share = per_field[rows, fields]
        keep = share > EPSILON if direction == "raises" else share < -EPSILON
        rows, fields, share = rows[keep], fields[keep], share[keep]
        rank = np.tile(np.arange(1, k + 1), n)[keep]
        column_index = representative[rows, fields]
        code = codes[rows, column_index]
        entry = offset_of[column_index] + code + 2
        row_values = entry_values[entry]
        rates = entry_rates[entry]
        contradicts = (rates < overall) if direction == "raises" else (rates > overall)
        row_sentences = np.where(contradicts, entry_against[direction][entry], entry_sentences[entry])
        row_fragments = np.where(
            contradicts, entry_against_fragments[direction][entry], entry_fragments[direction][entry]
        )
        for position in np.flatnonzero(code == UNSEEN):  # rare: quote the new value itself
            column = spec.columns[int(column_index[position])]
            raw = str(frame[column.name].iloc[int(rows[position])]).strip()
            row_values[position] = raw
            row_sentences[position] = f"{column.display} is {raw}: a value not seen in training"
            row_fragments[position] = _fragment(direction, column.field, raw, row_sentences[position])
        frames.append(
            pd.DataFrame(
                {
                    "record_id": ids[rows],
                    "direction": direction,
                    "rank": rank.astype("int32"),
                    "field": np.asarray(spec.fields, dtype=object)[fields],
                    "column_name": np.asarray(spec.names, dtype=object)[column_index],
                    "value_text": row_values,
                    "contribution": share,
                    "population_records": entry_records[entry],
                    "population_rate": entry_rates[entry],
                    "sentence": row_sentences,
                    "_row": rows,
                }
            )
        )
        json_rows.append(rows)
        json_weights.append(np.abs(share))
        json_fragments.append(row_fragments)

    rows = np.concatenate(json_rows)
    order = np.lexsort((-np.concatenate(json_weights), rows))
    rows = rows[order]
    fragments = np.concatenate(json_fragments)[order]
    bounds = np.searchsorted(rows, np.arange(n + 1))
    reasons_json = [
        cut_reasons_json(fragments[bounds[i] : bounds[i + 1]].tolist(), max_chars) for i in range(n)
    ]

    # Raising reasons first, then lowering ones (not sorted per record: a table needs no order).
    reasons = pd.concat(frames, ignore_index=True).drop(columns="_row")
    return Explanations(reasons=reasons, reasons_json=reasons_json)
