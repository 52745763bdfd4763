"""Language-independent time expressions: atoms found by a language, grouped, then resolved.

A language module finds *atoms* ("next Tuesday", "10am", "下午", "月底") in a clause; atoms that touch
(only connectors such as "at", "on", "," between them) form one :class:`Mention`; :func:`resolve`
turns a mention into a date-time against the note's creation time. The conventions are documented in
``docs/notes_analysis.md`` and fixed here:

* part of day: morning 09:00, noon 12:00, afternoon 14:00, evening 19:00, end of day 17:00;
* a bare hour 1-7 means p.m. (13:00-19:00), 8-11 a.m., 12 noon;
* a start (appointment, phone call) without a time of day: 09:00 (or the trigger's own default:
  breakfast 08:00, lunch 12:00, dinner 19:00); a due date (task, content request) without one: 17:00;
* a bare weekday is its next occurrence after the creation day; "this <day>" is that day of the
  current Monday-to-Sunday week; "next <day>" is that day of next week;
* a period (a week, a month): a start takes its first day still ahead (tomorrow when the period is the
  current one), a due date its last day ("next week" is due Friday 17:00, "end of month" the last day);
* a month/day without a year is this year, or next year when that is more than 90 days ago;
* "in N hours/minutes" is exact; "in N days/weeks/months" keeps the time of day given (or the default).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

MORNING = time(9, 0)
NOON = time(12, 0)
AFTERNOON = time(14, 0)
EARLY_EVENING = time(18, 0)
EVENING = time(19, 0)
END_OF_DAY = time(17, 0)
DEFAULT_START = time(9, 0)
DEFAULT_DUE = time(17, 0)
YEAR_ROLLOVER_DAYS = 90

PART_TIMES = {
    "morning": MORNING,
    "noon": NOON,
    "afternoon": AFTERNOON,
    "dusk": EARLY_EVENING,
    "evening": EVENING,
    "eod": END_OF_DAY,
}
_PM_PARTS = frozenset({"afternoon", "dusk", "evening", "eod"})


@dataclass(frozen=True)
class TimeAtom:
    """One piece of a time expression at ``[start, end)`` of the clause text.

    ``kind`` and ``value``:

    * ``rel_day``: ``(days,)`` from the creation day (today 0, tomorrow 1, yesterday -1);
    * ``weekday``: ``(weekday 0=Monday, modifier)``, modifier ``""``, ``this``, ``next``, ``next2``, ``last``;
    * ``abs_date``: ``(year or None, month, day)``; ``day_of_month``: ``(day,)``;
    * ``week``: ``(offset, sub)``, sub ``""``, ``end`` (Friday), ``weekend``;
    * ``month``: ``(offset or None, month number or None, sub)``, sub ``""``, ``end``, ``start``, ``mid``;
    * ``offset``: ``(amount, unit, within)``, unit ``minutes``, ``hours``, ``days``, ``weeks``, ``months``;
    * ``clock``: ``(hour, minute, meridiem, end_hour, end_minute, end_meridiem)`` (meridiem ``am``,
      ``pm`` or ``""``; end hour ``-1`` when there is no range);
    * ``part``: ``(part, is_today)``, part a key of :data:`PART_TIMES`.
    """

    start: int
    end: int
    kind: str
    value: tuple[object, ...]


@dataclass(frozen=True)
class Mention:
    """Touching atoms forming one time expression."""

    start: int
    end: int
    atoms: tuple[TimeAtom, ...]

    def kinds(self) -> frozenset[str]:
        return frozenset(atom.kind for atom in self.atoms)

    @property
    def has_date(self) -> bool:
        return bool(self.kinds() & _DATE_KINDS)


_DATE_KINDS = frozenset({"rel_day", "weekday", "abs_date", "day_of_month", "week", "month", "offset"})


def group_atoms(atoms: list[TimeAtom], text: str, is_connector: Callable[[str], bool]) -> list[Mention]:
    """Merge atoms into mentions: neighbours whose gap ``is_connector`` accepts and which do not
    repeat a kind already in the group."""
    ordered = _drop_overlaps(atoms)
    mentions: list[Mention] = []
    group: list[TimeAtom] = []
    for atom in ordered:
        if group:
            gap = text[group[-1].end : atom.start]
            kinds = {a.kind for a in group}
            clash = atom.kind in kinds or (atom.kind == "clock" and _is_exact_offset(group))
            if is_connector(gap) and not clash:
                group.append(atom)
                continue
            mentions.append(Mention(group[0].start, group[-1].end, tuple(group)))
        group = [atom]
    if group:
        mentions.append(Mention(group[0].start, group[-1].end, tuple(group)))
    return mentions


def _is_exact_offset(group: list[TimeAtom]) -> bool:
    return any(a.kind == "offset" and a.value[1] in ("minutes", "hours") for a in group)


def _drop_overlaps(atoms: list[TimeAtom]) -> list[TimeAtom]:
    """Keep the longest atom where atoms overlap (earlier first on ties)."""
    chosen: list[TimeAtom] = []
    for atom in sorted(atoms, key=lambda a: (-(a.end - a.start), a.start)):
        if all(atom.end <= other.start or atom.start >= other.end for other in chosen):
            chosen.append(atom)
    return sorted(chosen, key=lambda a: a.start)


@dataclass(frozen=True)
class Resolved:
    """A mention resolved for one role: the date-time, an optional end (a range was given), and
    whether the text gave a time of day."""

    at: datetime
    end: datetime | None
    has_time: bool


def resolve(
    mention: Mention, created: datetime, role: str, default_time: time | None = None
) -> Resolved | None:
    """Resolve ``mention`` against ``created`` for ``role`` ``"start"`` or ``"due"``.

    Returns ``None`` when the mention gives neither a day nor a time of day.
    """
    by_kind: dict[str, TimeAtom] = {}
    for atom in mention.atoms:
        by_kind.setdefault(atom.kind, atom)
    today = created.date()

    offset = by_kind.get("offset")
    if offset is not None and offset.value[1] in ("minutes", "hours"):
        amount = float(offset.value[0])  # type: ignore[arg-type]
        delta = timedelta(minutes=amount) if offset.value[1] == "minutes" else timedelta(hours=amount)
        moment = (created + delta).replace(second=0, microsecond=0)
        return Resolved(moment, None, True)

    span = _day_span(by_kind, today)
    clock_time, clock_end = _clock(by_kind)
    if span is None and clock_time is None:
        return None
    if span is None:
        day = today
        if datetime.combine(day, clock_time, created.tzinfo) < created:  # type: ignore[arg-type]
            day = today + timedelta(days=1)
        span = (day, day)
    first, last = span
    if role == "start" and first <= today < last:
        first = today + timedelta(days=1)
    day = first if role == "start" else last
    if clock_time is not None:
        at_time = clock_time
    elif role == "start":
        at_time = default_time or DEFAULT_START
    else:
        at_time = DEFAULT_DUE
    at = datetime.combine(day, at_time, created.tzinfo)
    end = datetime.combine(day, clock_end, created.tzinfo) if clock_end is not None else None
    if end is not None and end <= at:
        end = None
    return Resolved(at, end, clock_time is not None)


def _clock(by_kind: dict[str, TimeAtom]) -> tuple[time | None, time | None]:
    part_atom = by_kind.get("part")
    part = str(part_atom.value[0]) if part_atom else ""
    clock = by_kind.get("clock")
    if clock is None:
        return (PART_TIMES[part] if part else None), None
    hour, minute, meridiem, end_hour, end_minute, end_meridiem = clock.value
    start = time(*_hour(int(hour), int(minute), str(meridiem), part))  # type: ignore[call-overload]
    end = None
    if int(end_hour) >= 0:  # type: ignore[call-overload]
        end_mer = str(end_meridiem) or ("pm" if start.hour >= 12 and int(end_hour) < 12 else "")  # type: ignore[call-overload]
        end = time(*_hour(int(end_hour), int(end_minute), end_mer, part))  # type: ignore[call-overload]
    return start, end


def _hour(hour: int, minute: int, meridiem: str, part: str) -> tuple[int, int]:
    """24-hour clock from an hour as written, its am/pm and the part of day around it."""
    hour = min(hour, 24) % 24 if hour != 24 else 0
    minute = min(max(minute, 0), 59)
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    elif not meridiem and (
        (part in _PM_PARTS and hour < 12)
        or (part == "noon" and 1 <= hour <= 5)
        or (not part and 1 <= hour <= 7)
    ):
        hour += 12
    return hour, minute


def _day_span(by_kind: dict[str, TimeAtom], today: date) -> tuple[date, date] | None:
    if "abs_date" in by_kind:
        year, month, day = by_kind["abs_date"].value
        found = _infer_year(year, int(month), int(day), today)  # type: ignore[arg-type, call-overload]
        if found:
            return found, found
    if "day_of_month" in by_kind:
        (day,) = by_kind["day_of_month"].value
        found = _day_of_month(int(day), today)  # type: ignore[call-overload]
        if found:
            return found, found
    if "weekday" in by_kind:
        weekday, modifier = by_kind["weekday"].value
        week = by_kind.get("week")
        if week is not None:
            found = monday(today, int(week.value[0])) + timedelta(days=int(weekday))  # type: ignore[call-overload]
        else:
            found = weekday_date(today, int(weekday), str(modifier))  # type: ignore[call-overload]
        return found, found
    if "rel_day" in by_kind:
        found = today + timedelta(days=int(by_kind["rel_day"].value[0]))  # type: ignore[call-overload]
        return found, found
    if "week" in by_kind:
        week_offset, sub = by_kind["week"].value
        start = monday(today, int(week_offset))  # type: ignore[call-overload]
        if sub == "end":
            return start + timedelta(days=4), start + timedelta(days=4)
        if sub == "weekend":
            return start + timedelta(days=5), start + timedelta(days=6)
        return start, start + timedelta(days=4)
    if "month" in by_kind:
        return _month_span(by_kind["month"].value, today)
    if "offset" in by_kind:
        amount, unit, within = by_kind["offset"].value
        target = _add(today, float(amount), str(unit))  # type: ignore[arg-type]
        return (today if within else target), target
    part = by_kind.get("part")
    if part is not None and part.value[1]:
        return today, today
    return None


def monday(day: date, week_offset: int = 0) -> date:
    """The Monday of ``day``'s week moved by ``week_offset`` weeks."""
    return day - timedelta(days=day.weekday()) + timedelta(weeks=week_offset)


def weekday_date(today: date, weekday: int, modifier: str) -> date:
    """The date a weekday reference means, seen from ``today`` (see the module conventions)."""
    if modifier == "this":
        return monday(today) + timedelta(days=weekday)
    if modifier == "next":
        return monday(today, 1) + timedelta(days=weekday)
    if modifier == "next2":
        return monday(today, 2) + timedelta(days=weekday)
    if modifier == "last":
        return monday(today, -1) + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def last_day_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _infer_year(year: int | None, month: int, day: int, today: date) -> date | None:
    try:
        if year:
            return date(int(year), month, day)
        found = date(today.year, month, day)
        if found < today - timedelta(days=YEAR_ROLLOVER_DAYS):
            found = date(today.year + 1, month, day)
        return found
    except ValueError:
        return None


def _day_of_month(day: int, today: date) -> date | None:
    year, month = today.year, today.month
    for _ in range(3):
        try:
            found = date(year, month, day)
        except ValueError:
            found = None
        if found is not None and found >= today:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _month_span(value: tuple[object, ...], today: date) -> tuple[date, date] | None:
    offset, number, sub = value
    if number is not None:
        year, month = today.year, int(number)  # type: ignore[call-overload]
        if last_day_of_month(year, month) < today - timedelta(days=YEAR_ROLLOVER_DAYS):
            year += 1
    else:
        index = today.year * 12 + today.month - 1 + int(offset or 0)  # type: ignore[call-overload]
        year, month = divmod(index, 12)
        month += 1
    first, last = date(year, month, 1), last_day_of_month(year, month)
    if sub == "end":
        return last, last
    if sub == "start":
        return first, first
    if sub == "mid":
        middle = date(year, month, 15)
        return middle, middle
    return first, last


def _add(day: date, amount: float, unit: str) -> date:
    if unit == "days":
        return day + timedelta(days=round(amount))
    if unit == "weeks":
        return day + timedelta(days=round(amount * 7))
    if unit == "months":
        index = day.year * 12 + day.month - 1 + round(amount)
        year, month = divmod(index, 12)
        month += 1
        return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
    return day
