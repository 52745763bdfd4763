"""The record page's "why it changed": the stored change (ml.change) first, else reasons that came and went."""

from __future__ import annotations

import json
from datetime import date

from rapport.insights.data import decode_change, score_change

CHANGE = {
    "since": "2026-11-26",
    "previous_score": 71,
    "score": 49,
    "model_changed": False,
    "moved_by": [
        {"field": "Relationship health", "change": -0.92, "from": "61", "to": "48"},
        {"field": "Lead age", "change": 0.1, "from": None, "to": "12"},
    ],
}


def _row(day: int, score: int | None, change: dict | None = None, raises: tuple[str, ...] = ()) -> dict:
    return {
        "scored_on": date(2026, 11, day),
        "score": score,
        "reasons": {"raises": [{"effect": "raises", "field": f, "text": f} for f in raises], "lowers": []},
        "change": decode_change(json.dumps(change)) if change else None,
    }


def test_the_stored_change_is_shown_with_each_field_direction_and_values():
    change = score_change([_row(26, 71), _row(27, 49, CHANGE)])
    assert change is not None
    assert (change["from_score"], change["from_date"], change["to_score"]) == (71, "2026-11-26", 49)
    assert [(m["field"], m["direction"], m["change"], m["from"], m["to"]) for m in change["moved_by"]] == [
        ("Relationship health", "lowers", -0.92, "61", "48"),
        ("Lead age", "raises", 0.1, None, "12"),
    ]
    assert [m["share"] for m in change["moved_by"]] == [100, 11]  # bar widths: share of the largest move
    assert change["model_changed"] is False


def test_without_a_stored_change_the_reasons_that_came_and_went_are_shown():
    change = score_change([_row(26, 71, raises=("A",)), _row(27, 49, raises=("B",))])
    assert change is not None and change["moved_by"] == []
    assert change["appeared"] == ["B"] and change["went_away"] == ["A"]
    assert score_change([_row(27, 49)]) is None  # a first score: nothing to explain


def test_an_unreadable_change_is_ignored_not_an_error():
    assert decode_change(None) is None and decode_change("not json") is None and decode_change("[1]") is None
    assert (
        decode_change(json.dumps({"since": "2026-11-26", "moved_by": None, "note": "gone"}))["note"] == "gone"
    )
