"""Typing slips in the words the English rules key on, corrected before analysis.

Sellers type fast: "meeitng", "Scheduel", "tomorow". A word that is one swap of two neighbouring letters
away from a trigger, time or cue word ("meeitng" -> "meeting", "Thrusday" -> "Thursday") is read as that
word. Only swaps are corrected: they keep the text's length, so every offset into the corrected text is an
offset into the note, and a swap of two letters is rarely another English word (checked on the
evaluation notes: no correct word is changed). Longer slips ("requsted") are left to the word lists.
"""

from __future__ import annotations

import re

# Words of five letters or more that the English rules read (triggers, cues, days, document names).
_TARGETS = (
    "meeting", "meetings", "tomorrow", "schedule", "scheduled", "reschedule", "follow", "confirm", "proposal",
    "contract", "brochure", "requested", "complained", "complaint", "prepare", "invoice", "customer", "visit",
    "quote", "update", "review", "cancelled", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "morning", "afternoon", "evening", "tonight", "lunch", "dinner", "breakfast", "workshop",
    "presentation", "arrange", "remind", "reminder", "contact", "introduce", "pricing", "samples", "catalogue",
    "agreement", "renewal", "training", "session", "coffee", "please", "needs", "wants", "asked", "broken",
    "crashes", "error", "errors", "issue", "issues", "problem", "problems", "unhappy", "refund", "outage",
    "deadline", "before", "after", "month",
)  # fmt: skip
_MIN_LENGTH = 5


def _swaps(word: str) -> set[str]:
    return {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)} - {word}


_CORRECTIONS: dict[str, str] = {}
for _target in _TARGETS:
    if len(_target) >= _MIN_LENGTH:
        for _variant in _swaps(_target):
            _CORRECTIONS.setdefault(_variant, _target)
for _target in _TARGETS:
    _CORRECTIONS.pop(_target, None)  # a real target word is never "corrected" into another

_WORD = re.compile(rf"[A-Za-z]{{{_MIN_LENGTH},}}")


def _fix(match: re.Match[str]) -> str:
    word = match.group()
    target = _CORRECTIONS.get(word.lower())
    if target is None:
        return word
    if word.isupper():
        return target.upper()
    return target.capitalize() if word[0].isupper() else target


def correct(text: str) -> str:
    """``text`` with one-swap slips of the rules' words corrected (same length, same offsets)."""
    if not text.isascii() and not any("a" <= ch.lower() <= "z" for ch in text):
        return text
    return _WORD.sub(_fix, text)
