"""The contract a language fulfils (:class:`LanguageAnalyzer`) and a regex-table implementation of
most of it (:class:`PatternLanguage`), so that a new language is mostly word lists and a date grammar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from typing import Any, Protocol, runtime_checkable

from rapport.ml.notes.timeexpr import TimeAtom

# Trigger strengths: "strong" always counts; "weak" (schedule, arrange, book ...) counts as a task only
# when nothing stronger is in the clause; "cue" (remind, please ...) never makes a suggestion alone.
STRONG = "strong"
WEAK = "weak"


@dataclass(frozen=True)
class Trigger:
    """A word or phrase that asks for a record of ``type`` at ``[start, end)`` of the clause."""

    start: int
    end: int
    type: str
    strength: str = STRONG
    default_time: time | None = None


@dataclass(frozen=True)
class Cues:
    """What a clause says about its own actions."""

    past: bool = False  # told as done ("we met", "打了电话")
    future: bool = False  # told as to do ("will", "need to", "明天", "改到")
    negated: bool = False  # "no need to call", "不用", "cancelled"
    rebook: bool = False  # a cancelled or postponed thing to put back in the diary ("reschedule", "重新安排")


@runtime_checkable
class LanguageAnalyzer(Protocol):
    """What the notes engine needs from a language. Register an implementation with
    :func:`rapport.ml.notes.languages.register_language`."""

    code: str

    def detect(self, text: str) -> float:
        """How strongly ``text`` is in this language, 0 to 1 (scripts and stop words)."""
        ...

    def clauses(self, sentence: str) -> list[tuple[int, int, bool]]:
        """``(start, end, starts_with_connector)`` of the clauses of one sentence."""
        ...

    def time_atoms(self, clause: str) -> list[TimeAtom]:
        """Time-expression atoms in ``clause`` (offsets within it)."""
        ...

    def is_connector(self, gap: str) -> bool:
        """Whether ``gap`` may stand between two atoms of one time expression ("at", "on", ", ")."""
        ...

    def is_superseded(self, clause: str, start: int, end: int, later_starts: list[int]) -> bool:
        """Whether the time expression at ``[start, end)`` is replaced by a later one ("from X to Y")."""
        ...

    def triggers(self, clause: str, masked: str) -> list[Trigger]:
        """Triggers in ``clause``; ``masked`` is the clause with time expressions blanked out."""
        ...

    def cues(self, clause: str) -> Cues: ...

    def content_items(self, clause: str) -> list[tuple[int, int]]:
        """Spans of collateral asked for or to be sent (brochure, case study, 白皮书 ...)."""
        ...

    def has_delivery(self, clause: str) -> bool:
        """A verb of sending/sharing collateral in the imperative (send, share, 发, 寄)."""
        ...

    def has_request(self, clause: str) -> bool:
        """Someone asks for or needs something (asked for, wants, needs, 要, 需要)."""
        ...

    def has_deal_document(self, clause: str) -> bool:
        """A deal document we prepare (quote, contract, NDA, 报价, 合同) is named."""
        ...

    def deal_document_span(self, clause: str) -> tuple[int, int] | None:
        """Span of the first deal document named, or ``None``."""
        ...

    def issue_span(self, clause: str) -> tuple[int, int] | None:
        """Span of a problem the customer has (not negated, not resolved), or ``None``."""
        ...

    def resolves_issue(self, clause: str) -> bool:
        """The clause says a problem is answered or fixed ("all fixed now", "都当场解答了"): an issue
        named elsewhere in the same sentence is not open."""
        ...

    def is_next_day(self, clause: str) -> bool:
        """The clause is on the day after the one named before it ("the next morning", "第二天")."""
        ...

    def attendees(self, clause: str) -> list[str]: ...

    def contact_name(self, sentence: str, anchor: int) -> tuple[int, int] | None:
        """Span of the person's name nearest before ``anchor`` (an e-mail or phone) in ``sentence``."""
        ...

    def job_title(self, sentence: str) -> tuple[int, int] | None: ...

    def continues_previous(self, clause: str) -> bool:
        """The clause sends on what the previous clause prepares ("and send it to Kofi", "并发给保罗")."""
        ...

    def is_production(self, clause: str) -> bool:
        """The clause asks for collateral to be made or made ready, not sent ("need the deck ready",
        "出一份培训计划"): a task, not a content request."""
        ...

    def is_preparation(self, word: str) -> bool:
        """The task verb ``word`` prepares something of its own ("prepare", "bring", "准备", "带"), so its
        clause after an event is a second record, not the event's purpose."""
        ...

    def schedules(self, word: str) -> bool:
        """The weak task verb ``word`` only puts something in the diary ("book", "schedule", "约", "安排")."""
        ...

    def subject_is_other(self, clause: str) -> bool:
        """The clause opens with someone else as its subject ("she'll loop in IT", "他们会先讨论"): a
        clause joined to it by "and"/"然后" is their action too."""
        ...

    def is_remedy(self, word: str) -> bool:
        """The task verb ``word`` fixes or redoes something ("fix", "reissue", "处理", "重开"): in a
        sentence about the customer's problem it is the problem's remedy, part of the issue."""
        ...

    def introductions(self, sentence: str) -> list[tuple[int, int]]:
        """Spans of names of people introduced without contact details ("Let me introduce you to John")."""
        ...

    def has_contact_cue(self, sentence: str) -> bool:
        """The sentence introduces a person ("new contact", "intro", "新联系人", "对接人")."""
        ...


def overlapping(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < other_end and end > other_start for other_start, other_end in spans)


@dataclass(frozen=True)
class PatternTrigger:
    """A compiled trigger pattern (the whole match is the trigger)."""

    pattern: re.Pattern[str]
    type: str
    strength: str = STRONG
    default_time: time | None = None
    imperative: bool = False  # counts only in imperative position (tasks, "ring", "phone")


def required_words(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Lower-case ASCII words one of which every match of ``pattern`` contains, read from its parse
    tree (a run of literal characters, in each alternative of a branch, in a group or a repeat that
    must match at least once), or ``None`` when that cannot be said (an alternative without a literal,
    a non-ASCII literal, flags changed inside the pattern, a parse tree this reading does not know)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        words = _sequence_words(list(_parser.parse(pattern.pattern, pattern.flags)))
    except Exception:  # a parser of another Python version: no pre-filter, the pattern decides alone
        return None
    if not words or not all(word.isascii() for word in words):
        return None
    return tuple(sorted(words))


def _sequence_words(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Words one of which every match of the sequence ``items`` contains (the set of the mandatory
    item whose shortest word is longest), or ``None``."""
    best: set[str] | None = None
    run: list[str] = []

    def consider(candidate: set[str] | None) -> None:
        nonlocal best
        if candidate and (best is None or min(map(len, candidate)) > min(map(len, best))):
            best = candidate

    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(value))
            continue
        if run:
            consider({"".join(run).lower()})
            run = []
        if name == "BRANCH":
            consider(_branch_words(value[1]))
        elif name == "SUBPATTERN" and not value[1] and not value[2]:
            consider(_sequence_words(list(value[3])))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and value[0] >= 1:
            consider(_sequence_words(list(value[2])))
    if run:
        consider({"".join(run).lower()})
    return best


def _branch_words(alternatives: list[Any]) -> set[str] | None:
    out: set[str] = set()
    for alternative in alternatives:
        words = _sequence_words(list(alternative))
        if not words:
            return None
        out |= words
    return out


def may_match(text: str, words: tuple[str, ...] | None) -> bool:
    """False only when ``text`` is ASCII and holds none of ``words`` (lower-cased), so that a pattern
    whose :func:`required_words` they are cannot match it; the pattern decides everything else."""
    if words is None or not text.isascii():
        return True
    lowered = text.lower()
    return any(word in lowered for word in words)


@dataclass(frozen=True)
class FilteredPattern:
    """A compiled pattern behind the cheap test of :func:`may_match`: ``search`` and ``finditer`` give
    the pattern's own answers, without running it on ASCII text that holds none of its required words."""

    pattern: re.Pattern[str]
    words: tuple[str, ...] | None

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text) if may_match(text, self.words) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(text) if may_match(text, self.words) else iter(())


def prefiltered(pattern: re.Pattern[str]) -> FilteredPattern:
    return FilteredPattern(pattern, required_words(pattern))
