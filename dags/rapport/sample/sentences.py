"""Render sentences of given categories and languages, and the moments they mention.

:func:`render_sentences` picks, for every row, a random template of the row's category and language
from :data:`rapport.sample.text.SENTENCES`, derives the mentioned day and clock time from the moment
the text was written (so "next Tuesday at 10am" is a real Tuesday after it), and renders the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa

from rapport.sample import text
from rapport.sample.arrays import DAY, MINUTE, segment_choice, to_weekday, weekday_of
from rapport.sample.templating import TemplateError, render

ROW_SLOTS = (
    "person",
    "seller",
    "company",
    "to_first",
    "from_first",
    "new_name",
    "new_title",
    "new_email",
    "new_phone",
)

_CATEGORY_INDEX = {name: number for number, name in enumerate(text.CATEGORIES)}


def category_code(name: str) -> int:
    """The integer code of a sentence category."""
    return _CATEGORY_INDEX[name]


@dataclass(frozen=True)
class RenderedSentences:
    """Rendered texts and, per row, the mentioned moment (seconds, -1 if none) and whether it has a time."""

    text: pa.StringArray
    mentioned_at: np.ndarray
    has_time: np.ndarray


def _layout() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    keys = np.array([_CATEGORY_INDEX[s.category] * 2 + s.lang for s in text.SENTENCES], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    n_keys = len(text.CATEGORIES) * 2
    offsets = np.searchsorted(keys[order], np.arange(n_keys + 1), side="left")
    dates = np.array([s.date for s in text.SENTENCES], dtype=np.int8)
    times = np.array([s.time for s in text.SENTENCES], dtype=np.int8)
    return order, offsets, dates, times


_ORDER, _OFFSETS, _DATE_FORM, _TIME_FORM = _layout()
_TEMPLATES = tuple(s.template for s in text.SENTENCES)
_TIME_MINUTES = np.array([t[0] for t in text.TIMES], dtype=np.int64)


def _month_day(seconds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    days = np.floor_divide(seconds, DAY).astype("datetime64[D]")
    months = days.astype("datetime64[M]")
    return months.astype(np.int64) % 12, (days - months.astype("datetime64[D]")).astype(np.int64)


def render_sentences(
    rng: np.random.Generator,
    category: np.ndarray,
    lang: np.ndarray,
    written_at: np.ndarray,
    rows: Mapping[str, pa.Array],
) -> RenderedSentences:
    """Render one sentence per row.

    ``category`` holds codes from :func:`category_code`, ``lang`` 0 (English) or 1 (Chinese),
    ``written_at`` the moment of writing (seconds). ``rows`` must give every slot in :data:`ROW_SLOTS`.
    """
    n = len(category)
    if n == 0:
        return RenderedSentences(pa.array([], pa.string()), np.zeros(0, np.int64), np.zeros(0, bool))
    keys = np.asarray(category, dtype=np.int64) * 2 + np.asarray(lang, dtype=np.int64)
    empty = _OFFSETS[keys + 1] == _OFFSETS[keys]
    if empty.any():
        bad = int(keys[empty][0])
        raise TemplateError(
            f"no sentence template for category {text.CATEGORIES[bad // 2]!r} in {text.LANGUAGES[bad % 2]}"
        )
    template = _ORDER[segment_choice(rng, keys, _OFFSETS, np.ones(len(_ORDER)))]

    date_form = _DATE_FORM[template]
    time_form = _TIME_FORM[template]
    written = np.asarray(written_at, dtype=np.int64)
    day0 = written - written % DAY
    weekday = weekday_of(day0)
    next_weekday = rng.integers(0, 5, size=n)
    target = np.select(
        [
            date_form == text.ABSOLUTE,
            date_form == text.TOMORROW,
            date_form == text.DAY_AFTER,
            date_form == text.NEXT_WEEKDAY,
            date_form == text.THIS_FRIDAY,
        ],
        [
            to_weekday(day0 + rng.integers(2, 22, size=n) * DAY),
            day0 + DAY,
            day0 + 2 * DAY,
            day0 + (7 - weekday + next_weekday) * DAY,
            day0 + np.where(weekday < 4, 4 - weekday, 11 - weekday) * DAY,
        ],
        default=-1,
    )
    time_slot = rng.integers(0, len(text.TIMES), size=n)
    exact = (time_form == text.EXACT_TIME) & (target >= 0)
    mentioned = np.where(exact, target + _TIME_MINUTES[time_slot] * MINUTE, target)

    month, day = _month_day(np.maximum(target, 0))
    target_weekday = weekday_of(np.maximum(target, 0))
    missing = [slot for slot in ROW_SLOTS if slot not in rows]
    if missing:
        raise TemplateError(f"render_sentences needs row slots {missing}")
    rendered = render(
        rng,
        template,
        _TEMPLATES,
        choices=text.CHOICES,
        indexed={
            "month_en": (text.MONTHS_EN, month),
            "month_en_short": (text.MONTHS_EN_SHORT, month),
            "month_num": (tuple(str(m) for m in range(1, 13)), month),
            "day": (tuple(str(d) for d in range(1, 32)), day),
            "weekday_en": (text.WEEKDAYS_EN, target_weekday),
            "weekday_zh": (text.WEEKDAYS_ZH, target_weekday),
            "time_en": (tuple(t[1] for t in text.TIMES), time_slot),
            "time_zh": (tuple(t[2] for t in text.TIMES), time_slot),
        },
        rows={slot: rows[slot] for slot in ROW_SLOTS},
    )
    return RenderedSentences(text=rendered, mentioned_at=mentioned, has_time=exact)
