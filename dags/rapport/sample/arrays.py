"""Vectorised building blocks: GUIDs, hex tokens, timestamps, grouped sums and weighted sampling.

Everything here works on whole numpy arrays and returns numpy or pyarrow arrays; nothing loops in
Python per row. Times are int64 seconds since the Unix epoch (UTC) until they are written.

This module is imported only by the generator (never at DAG parse time), so numpy is imported at the top.
"""

from __future__ import annotations

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa

DAY = 86_400
HOUR = 3_600
MINUTE = 60

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _hex_bytes(raw: np.ndarray) -> np.ndarray:
    """(n, k) uint8 -> (n, 2k) uint8 of lower-case hex digits."""
    out = np.empty((raw.shape[0], raw.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 0x0F]
    return out


def _fixed_width_strings(chars: np.ndarray) -> pa.StringArray:
    """(n, w) uint8 ASCII -> a pyarrow string array of n strings of width w, without a Python loop."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    if offsets[-1] < 2**31:
        return pa.StringArray.from_buffers(
            n, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(np.ascontiguousarray(chars).tobytes())
        )
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())).cast(
        pa.string()
    )


def guids(rng: np.random.Generator, n: int) -> pa.StringArray:
    """``n`` random version-4 GUID strings (``xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx``) from ``rng``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexed = _hex_bytes(raw)
    chars = np.empty((n, 36), dtype=np.uint8)
    chars[:, 0:8] = hexed[:, 0:8]
    chars[:, 9:13] = hexed[:, 8:12]
    chars[:, 14:18] = hexed[:, 12:16]
    chars[:, 19:23] = hexed[:, 16:20]
    chars[:, 24:36] = hexed[:, 20:32]
    chars[:, [8, 13, 18, 23]] = ord("-")
    return _fixed_width_strings(chars)


def hex_tokens(rng: np.random.Generator, n: int, nbytes: int, upper: bool = False) -> pa.StringArray:
    """``n`` random hex strings of ``2 * nbytes`` characters."""
    chars = _hex_bytes(rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8))
    if upper:
        chars = np.where(chars >= ord("a"), chars - 32, chars).astype(np.uint8)
    return _fixed_width_strings(chars)


def digits(rng: np.random.Generator, n: int, width: int) -> pa.StringArray:
    """``n`` random strings of ``width`` decimal digits."""
    return _fixed_width_strings(rng.integers(ord("0"), ord("9") + 1, size=(n, width), dtype=np.uint8))


def timestamps(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.TimestampArray:
    """Seconds since the epoch -> ``timestamp[us]`` without a time zone (UTC by convention)."""
    micros = np.asarray(seconds, dtype=np.int64) * 1_000_000
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(micros, type=pa.int64(), mask=mask).cast(pa.timestamp("us"))


def dates(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Date32Array:
    """Seconds since the epoch -> the UTC calendar date (``date32``)."""
    days = np.floor_divide(np.asarray(seconds, dtype=np.int64), DAY).astype(np.int32)
    mask = None if valid is None else ~np.asarray(valid, dtype=bool)
    return pa.array(days, type=pa.int32(), mask=mask).cast(pa.date32())


def masked(values: np.ndarray, valid: np.ndarray, type_: pa.DataType) -> pa.Array:
    """A pyarrow array of ``values`` with nulls where ``valid`` is false."""
    return pa.array(values, type=type_, mask=~np.asarray(valid, dtype=bool))


def null_where(array: pa.Array, null: np.ndarray) -> pa.Array:
    """``array`` with nulls where ``null`` is true."""
    import pyarrow.compute as pc

    return pc.if_else(pa.array(np.asarray(null, dtype=bool)), pa.nulls(len(array), array.type), array)


def take(array: pa.Array, indices: np.ndarray) -> pa.Array:
    """``array[indices]`` for a pyarrow array and numpy indices."""
    return array.take(pa.array(np.asarray(indices, dtype=np.int64)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def group_starts(counts: np.ndarray) -> np.ndarray:
    """Start offset of each group in the flattened array of groups with ``counts`` rows each."""
    starts = np.zeros(len(counts), dtype=np.int64)
    if len(counts) > 1:
        np.cumsum(counts[:-1], out=starts[1:])
    return starts


def position_in_group(counts: np.ndarray) -> np.ndarray:
    """For the flattened rows of groups with ``counts`` rows each: each row's 0-based position in its group."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(group_starts(counts), counts)


def weighted_choice(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` indices drawn with probability proportional to ``weights``."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right").clip(0, len(weights) - 1)


def segment_choice(
    rng: np.random.Generator, segments: np.ndarray, offsets: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """For each row's segment ``s``, draw one position in ``[offsets[s], offsets[s+1])`` by ``weights``.

    ``offsets`` has one more entry than there are segments (CSR layout); every requested segment must be
    non-empty. Returns positions into the weights array.
    """
    weights = np.asarray(weights, dtype=np.float64)
    n_segments = len(offsets) - 1
    segment_of_item = np.repeat(np.arange(n_segments), np.diff(offsets))
    cumulative = np.cumsum(weights)
    before = np.concatenate(([0.0], cumulative))[offsets[:-1]]
    totals = np.concatenate(([0.0], cumulative))[offsets[1:]] - before
    # Normalised cumulative weight within the segment, shifted by the segment number: one global sorted key.
    within = (cumulative - before[segment_of_item]) / np.where(
        totals[segment_of_item] > 0, totals[segment_of_item], 1.0
    )
    keys = segment_of_item + np.minimum(within, 1.0)
    targets = segments + rng.random(len(segments)) * (1.0 - 1e-12)
    position = np.searchsorted(keys, targets, side="right")
    return np.clip(position, offsets[segments], offsets[segments + 1] - 1)


def business_time(
    rng: np.random.Generator, day_start: np.ndarray, start_hour: float = 8.0, hours: float = 10.0
) -> np.ndarray:
    """A random moment within business hours on each given day (seconds at 00:00 UTC of the day)."""
    offset = (start_hour * HOUR + rng.random(len(day_start)) * hours * HOUR).astype(np.int64)
    return day_start + offset - offset % MINUTE


def to_weekday(seconds: np.ndarray) -> np.ndarray:
    """Move Saturday and Sunday moments to the following Monday (same time of day)."""
    days = np.floor_divide(seconds, DAY)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3, Monday = 0)
    shift = np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
    return seconds + shift * DAY


def weekday_of(seconds: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6."""
    return (np.floor_divide(seconds, DAY) + 3) % 7
