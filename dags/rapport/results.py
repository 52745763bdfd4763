"""Result dataclasses as plain JSON-able dicts (for XCom return values and logs)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any


def to_jsonable(result: Any) -> dict[str, Any]:
    """``asdict(result)`` with dates and timestamps as ISO text and tuples as lists (recursively)."""
    return _convert(asdict(result))


def _convert(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _convert(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_convert(item) for item in value]
    return value
