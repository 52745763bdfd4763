"""What the notes analyser returns: one :class:`Suggestion` per record a seller should create."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

APPOINTMENT = "appointment"
PHONE_CALL = "phone_call"
TASK = "task"
CONTACT = "contact"
CONTENT_REQUEST = "content_request"
ISSUE = "issue"

SUGGESTION_TYPES = (APPOINTMENT, PHONE_CALL, TASK, CONTACT, CONTENT_REQUEST, ISSUE)
# Types whose pre-filled date-time is a start (scheduled activity) or a due date (to-do).
START_TYPES = frozenset({APPOINTMENT, PHONE_CALL})
DUE_TYPES = frozenset({TASK, CONTENT_REQUEST})

# Pre-filled field names, in output order. Date-times are ISO 8601 strings.
FIELD_NAMES = (
    "start",
    "end",
    "due",
    "subject",
    "attendees",
    "name",
    "job_title",
    "email",
    "phone",
    "content",
    "issue",
)


@dataclass(frozen=True)
class Suggestion:
    """A record the note suggests creating.

    ``span`` is the ``(start, end)`` character range of ``text`` in the note as given (end exclusive);
    ``fields`` holds only the pre-filled values that apply (see :data:`FIELD_NAMES`).
    """

    type: str
    span: tuple[int, int]
    text: str
    fields: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.5
    language: str = "en"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (span as a list, fields in :data:`FIELD_NAMES` order)."""
        ordered = {name: self.fields[name] for name in FIELD_NAMES if name in self.fields}
        return {
            "type": self.type,
            "span": [self.span[0], self.span[1]],
            "text": self.text,
            "fields": ordered,
            "confidence": round(self.confidence, 3),
            "language": self.language,
        }
