"""The run's as-of moment: one normalised form for every ``ml`` function.

A DAG run describes the state *before* its logical date (see docs/architecture.md). Functions accept
a ``datetime`` (naive = UTC, aware = converted), a ``date`` (midnight UTC) or an ISO string such as
the DAG's ``ds`` (``"2026-11-27"``) and work with a naive UTC ``datetime``, the form the warehouse's
``TIMESTAMP`` columns use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from rapport.errors import RapportInputError

AsOf = datetime | date | str


class AsOfError(RapportInputError, ValueError):
    """An as-of value that is not a date, a datetime or an ISO 8601 string."""


def to_as_of(value: AsOf) -> datetime:
    """``value`` as a naive UTC datetime (a date or a date string means midnight UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise AsOfError(
                f"as-of {value!r} is not an ISO 8601 date or datetime; pass e.g. '2026-11-27' (the DAG's ds)"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    raise AsOfError(f"as-of {value!r} ({type(value).__name__}) is not a date, datetime or ISO string")
