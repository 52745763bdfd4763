"""A vectorised template renderer: one pyarrow call renders millions of texts.

A template is a string with ``{slot}`` placeholders, e.g. ``"Meet {first} on {month} {day} at {time}."``.
Each row picks a template (an integer per row) and every slot is filled in one of three ways:

* a *choice* slot: a list of strings; each row draws one uniformly at random;
* an *indexed* slot: a list of strings plus an integer per row (e.g. month names indexed by month);
* a *row* slot: a pyarrow string array with one value per row (names, e-mail addresses, ...).

Rendering compiles all templates into pieces, lays every row's pieces out flat (``np.repeat``),
computes one index per piece into a single vocabulary array, takes them, wraps them in a list array
with one list per row and joins each list: no Python loop per row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.compute as pc

from rapport.sample.arrays import group_starts

_SLOT = re.compile(r"\{([a-z_0-9]+)\}")

CONST, CHOICE, INDEXED, ROW = 0, 1, 2, 3


class TemplateError(ValueError):
    """A template names a slot that was not supplied."""


@dataclass(frozen=True)
class _Compiled:
    vocabulary: list[str]
    piece_kind: np.ndarray
    piece_start: np.ndarray
    piece_length: np.ndarray
    piece_slot: np.ndarray  # index into the indexed-slot matrix or the row-slot list
    template_start: np.ndarray
    template_pieces: np.ndarray
    row_slots: tuple[str, ...]
    indexed_slots: tuple[str, ...]


def _compile(
    templates: Sequence[str],
    choices: Mapping[str, Sequence[str]],
    indexed: Mapping[str, Sequence[str]],
    rows: Sequence[str],
) -> _Compiled:
    vocabulary: list[str] = []
    vocab_at: dict[str, int] = {}
    kinds: list[int] = []
    starts: list[int] = []
    lengths: list[int] = []
    slots: list[int] = []
    slot_base: dict[str, tuple[int, int]] = {}
    row_names = tuple(rows)
    indexed_names = tuple(indexed)

    def constant(text: str) -> int:
        if text not in vocab_at:
            vocab_at[text] = len(vocabulary)
            vocabulary.append(text)
        return vocab_at[text]

    def block(name: str, values: Sequence[str]) -> tuple[int, int]:
        if name not in slot_base:
            slot_base[name] = (len(vocabulary), len(values))
            vocabulary.extend(values)
        return slot_base[name]

    template_start: list[int] = []
    template_pieces: list[int] = []
    for template in templates:
        template_start.append(len(kinds))
        position = 0
        for match in _SLOT.finditer(template):
            if match.start() > position:
                kinds.append(CONST)
                starts.append(constant(template[position : match.start()]))
                lengths.append(1)
                slots.append(0)
            name = match.group(1)
            if name in choices:
                start, length = block(f"c:{name}", choices[name])
                kinds.append(CHOICE)
                starts.append(start)
                lengths.append(length)
                slots.append(0)
            elif name in indexed:
                start, length = block(f"i:{name}", indexed[name])
                kinds.append(INDEXED)
                starts.append(start)
                lengths.append(length)
                slots.append(indexed_names.index(name))
            elif name in row_names:
                kinds.append(ROW)
                starts.append(0)
                lengths.append(1)
                slots.append(row_names.index(name))
            else:
                raise TemplateError(f"template {template!r} uses slot {{{name}}} which was not supplied")
            position = match.end()
        if position < len(template) or position == 0:
            kinds.append(CONST)
            starts.append(constant(template[position:]))
            lengths.append(1)
            slots.append(0)
        template_pieces.append(len(kinds) - template_start[-1])
    return _Compiled(
        vocabulary=vocabulary,
        piece_kind=np.array(kinds, dtype=np.int8),
        piece_start=np.array(starts, dtype=np.int64),
        piece_length=np.array(lengths, dtype=np.int64),
        piece_slot=np.array(slots, dtype=np.int64),
        template_start=np.array(template_start, dtype=np.int64),
        template_pieces=np.array(template_pieces, dtype=np.int64),
        row_slots=row_names,
        indexed_slots=indexed_names,
    )


def render(
    rng: np.random.Generator,
    template_ids: np.ndarray,
    templates: Sequence[str],
    *,
    choices: Mapping[str, Sequence[str]] | None = None,
    indexed: Mapping[str, tuple[Sequence[str], np.ndarray]] | None = None,
    rows: Mapping[str, pa.Array] | None = None,
) -> pa.StringArray:
    """Render ``templates[template_ids[i]]`` for every row ``i``.

    ``indexed`` maps a slot to ``(values, per_row_index)``; ``rows`` maps a slot to a per-row string
    array of the same length as ``template_ids``. Row values must not be null.
    """
    choices = choices or {}
    indexed = indexed or {}
    rows = rows or {}
    template_ids = np.asarray(template_ids, dtype=np.int64)
    n = len(template_ids)
    compiled = _compile(templates, choices, {k: v[0] for k, v in indexed.items()}, list(rows))
    if n == 0:
        return pa.array([], type=pa.string())

    counts = compiled.template_pieces[template_ids]
    row_of_piece = np.repeat(np.arange(n, dtype=np.int64), counts)
    piece = np.repeat(compiled.template_start[template_ids], counts) + (
        np.arange(len(row_of_piece), dtype=np.int64) - np.repeat(group_starts(counts), counts)
    )
    kind = compiled.piece_kind[piece]
    index = compiled.piece_start[piece].copy()

    is_choice = kind == CHOICE
    if is_choice.any():
        index[is_choice] += (
            rng.random(int(is_choice.sum())) * compiled.piece_length[piece[is_choice]]
        ).astype(np.int64)
    is_indexed = kind == INDEXED
    if is_indexed.any():
        matrix = np.stack([np.asarray(indexed[name][1], dtype=np.int64) for name in compiled.indexed_slots])
        chosen = matrix[compiled.piece_slot[piece[is_indexed]], row_of_piece[is_indexed]]
        index[is_indexed] += np.clip(chosen, 0, compiled.piece_length[piece[is_indexed]] - 1)
    is_row = kind == ROW
    parts: list[pa.Array] = [pa.array(compiled.vocabulary, type=pa.string())]
    if is_row.any():
        base = len(compiled.vocabulary)
        for name in compiled.row_slots:
            values = rows[name]
            if len(values) != n:
                raise TemplateError(f"row slot {{{name}}} has {len(values)} values for {n} rows")
            parts.append(values.cast(pa.string()))
        index[is_row] = base + compiled.piece_slot[piece[is_row]] * n + row_of_piece[is_row]
    vocabulary = pa.concat_arrays(parts) if len(parts) > 1 else parts[0]
    pieces = vocabulary.take(pa.array(index))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces), "")


def join(parts: Sequence[pa.Array], separator: str | pa.Array) -> pa.StringArray:
    """Join per-row parts with ``separator`` (a string or one per row), skipping null parts.

    A row whose parts are all null gives null. (pyarrow's ``binary_join_element_wise`` with
    ``null_handling="skip"`` drops such rows altogether, so it is not used.)
    """
    n = len(parts[0])
    k = len(parts)
    valid = np.stack([np.asarray(part.is_valid()) for part in parts], axis=1)
    index = (np.arange(k, dtype=np.int64)[None, :] * n + np.arange(n, dtype=np.int64)[:, None])[valid]
    values = pa.concat_arrays([part.cast(pa.string()) for part in parts]).take(pa.array(index))
    offsets = np.concatenate(([0], np.cumsum(valid.sum(axis=1)))).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    joined = pc.binary_join(lists, separator)
    return pc.if_else(pa.array(valid.any(axis=1)), joined, pa.nulls(n, pa.string()))


def pick(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """``n`` category numbers drawn with the given weights."""
    p = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(p), size=n, p=p / p.sum())
