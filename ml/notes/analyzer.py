"""The notes analyser: one note in, the records it suggests creating out.

The work is split by sentence. Each sentence gets a primary language by script (and a second one when
it mixes scripts, e.g. "明天上午10点 meeting with 王总"); the languages give clauses, time atoms,
triggers and cues; this module decides, per clause, which record to suggest and resolves its
date-time with :mod:`rapport.ml.notes.timeexpr`. E-mail addresses and phone numbers are read per line.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rapport.ml.notes import contacts
from rapport.ml.notes.languages import available_languages, get_language
from rapport.ml.notes.languages.base import STRONG, WEAK, Cues, LanguageAnalyzer, Trigger
from rapport.ml.notes.suggestion import (
    APPOINTMENT,
    CONTACT,
    CONTENT_REQUEST,
    DUE_TYPES,
    ISSUE,
    PHONE_CALL,
    START_TYPES,
    TASK,
    Suggestion,
)
from rapport.ml.notes.text import blank_mail_headers, fold, sentences
from rapport.ml.notes.timeexpr import Mention, Resolved, group_atoms, resolve

SUBJECT_MAX_CHARS = 120
MIXED_SHARE = 0.2  # a second language joins a sentence holding at least this share of its words


@dataclass(frozen=True)
class AnalysisSettings:
    """Tunables of the analyser (``[notes]`` in rapport.toml)."""

    meeting_minutes: int = 60  # default appointment length when the note gives no end
    call_minutes: int = 30  # default phone-call length
    languages: tuple[str, ...] = ("en", "zh")  # languages detection may choose from
    min_confidence: float = 0.0  # suggestions below this confidence (0 to 1) are dropped

    @classmethod
    def from_config(cls, notes: Any) -> AnalysisSettings:
        """From ``rapport.config.NotesConfig`` (``[notes]`` in rapport.toml)."""
        return cls(
            meeting_minutes=notes.meeting_minutes,
            call_minutes=notes.call_minutes,
            languages=tuple(notes.languages),
            min_confidence=getattr(notes, "min_confidence", 0.0),
        )


DEFAULT_SETTINGS = AnalysisSettings()


def analyze(
    text: str,
    created_on: datetime,
    language: str | None = None,
    *,
    settings: AnalysisSettings = DEFAULT_SETTINGS,
) -> list[Suggestion]:
    """Suggest the records a note asks for.

    ``created_on`` anchors relative dates ("tomorrow", "下周二"); it may be naive or aware, and the
    date-times returned carry the same ``tzinfo``. ``language`` forces one analyser for the whole
    note (``"en"``, ``"zh"``); by default the language is detected per sentence. Suggestions are
    ordered by position; spans index into ``text`` as given.
    """
    if not text or not text.strip():
        return []
    folded = blank_mail_headers(fold(text))
    forced = get_language(language) if language else None
    candidates = [get_language(code) for code in settings.languages] if not forced else [forced]
    note_language = forced or _primary(folded, candidates)
    out: list[Suggestion] = []
    issues: list[tuple[int, Suggestion]] = []
    for index, (start, end) in enumerate(sentences(folded)):
        sentence = folded[start:end]
        languages = [forced] if forced else _languages_for(sentence, candidates, note_language)
        found = _analyze_sentence(text, sentence, start, created_on, languages, settings)
        for suggestion in found:
            if suggestion.type == ISSUE:
                issues.append((index, suggestion))
            else:
                out.append(suggestion)
    out.extend(_merge_issues(text, issues))
    out.extend(_contacts(text, folded, forced, candidates, note_language))
    out.extend(_introductions(text, folded, forced or note_language, out))
    out.sort(key=lambda s: (s.span[0], s.span[1], s.type))
    if settings.min_confidence > 0:
        out = [s for s in out if s.confidence >= settings.min_confidence]
    return out


# --- languages ------------------------------------------------------------------------------------
def _primary(text: str, candidates: list[LanguageAnalyzer]) -> LanguageAnalyzer:
    return max(candidates, key=lambda lang: lang.detect(text))


def _languages_for(
    sentence: str, candidates: list[LanguageAnalyzer], fallback: LanguageAnalyzer
) -> list[LanguageAnalyzer]:
    scores = [(lang.detect(sentence), lang) for lang in candidates]
    scores.sort(key=lambda pair: -pair[0])
    if not scores or scores[0][0] == 0:
        return [fallback]
    return [lang for score, lang in scores if score >= MIXED_SHARE or lang is scores[0][1]]


# --- one sentence ---------------------------------------------------------------------------------
@dataclass
class _Clause:
    start: int  # offset in the sentence
    end: int
    connector: bool
    text: str
    mentions: list[Mention]
    triggers: list[Trigger]
    cues: Cues
    action: Trigger | None = None
    action_type: str | None = None
    content: list[tuple[int, int]] = field(default_factory=list)
    mention: Mention | None = None
    issue: tuple[int, int] | None = None
    also_task: bool = False  # a request naming collateral and a deal document ("case study and a quote")


def _inherits_intent(cues: Cues, previous: _Clause) -> bool:
    """A clause joined by a sequencing connector ("then", "and", "然后", "并") to a clause stating a plan
    shares that plan, unless it states its own tense, negation or hedge."""
    return (
        previous.cues.future
        and not previous.cues.negated
        and not previous.cues.past
        and not cues.future
        and not cues.past
        and not cues.negated
    )


_COORDINATION = re.compile(r"\b(?:and|plus|as well as)\b|[&+,、，和及与]|以及|还有")


def _same_noun(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Two named items are two objects only when coordinated ("the case study and a quote",
    "报价单和条款说明"); "a copy of the signed MSA", "proposal deck", "合同资料" are one."""
    first, second = sorted((a, b))
    return first[1] >= second[0] or _COORDINATION.search(text[first[1] : second[0]]) is None


def _also_task(content: Suggestion, settings: AnalysisSettings) -> Suggestion:
    """The task for the deal document asked for in the same clause as collateral."""
    fields = {key: value for key, value in content.fields.items() if key in ("due", "subject")}
    return Suggestion(
        type=TASK,
        span=content.span,
        text=content.text,
        fields=fields,
        confidence=round(max(content.confidence - 0.1, 0.0), 3),
        language=content.language,
    )


def _analyze_sentence(
    original: str,
    sentence: str,
    offset: int,
    created_on: datetime,
    languages: list[LanguageAnalyzer],
    settings: AnalysisSettings,
) -> list[Suggestion]:
    primary = languages[0]
    clauses: list[_Clause] = []
    for start, end, connector in primary.clauses(sentence):
        clauses.append(
            _read_clause(sentence, start, end, connector, languages, clauses[-1] if clauses else None)
        )
    if any(c.issue is not None for c in clauses) and any(
        lang.resolves_issue(c.text) for c in clauses for lang in languages
    ):
        for clause in clauses:
            clause.issue = None
    _merge_sent_on(clauses, primary)
    _attach_orphan_mentions(clauses)
    _carry_dates(clauses, primary)
    _drop_continuations(clauses)
    mixed = len(languages) > 1
    out: list[Suggestion] = []
    for clause in clauses:
        if clause.action_type is not None:
            suggestion = _action_suggestion(
                original, clause, offset, created_on, primary.code, languages, settings, mixed
            )
            if suggestion is not None:
                out.append(suggestion)
                if clause.also_task:
                    out.append(_also_task(suggestion, settings))
    issue_clauses = [c for c in clauses if c.issue is not None]
    if issue_clauses:
        start = offset + issue_clauses[0].start
        end = offset + issue_clauses[-1].end
        span_text = _trim(original, start, end)
        out.append(
            Suggestion(
                type=ISSUE,
                span=span_text[0],
                text=span_text[1],
                fields={"subject": _subject(span_text[1]), "issue": span_text[1]},
                confidence=0.7 if len(issue_clauses) > 1 else 0.6,
                language=primary.code,
            )
        )
    return out


def _read_clause(
    sentence: str,
    start: int,
    end: int,
    connector: bool,
    languages: list[LanguageAnalyzer],
    previous: _Clause | None = None,
) -> _Clause:
    text = sentence[start:end]
    primary = languages[0]
    atoms = [atom for lang in languages for atom in lang.time_atoms(text)]
    mentions = group_atoms(atoms, text, primary.is_connector)
    starts = [m.start for m in mentions]
    mentions = [
        m for m in mentions if not any(lang.is_superseded(text, m.start, m.end, starts) for lang in languages)
    ]
    masked = _mask(text, [(a.start, a.end) for a in atoms])
    triggers = _longest([t for lang in languages for t in lang.triggers(text, masked)])
    cue_list = [lang.cues(text) for lang in languages]
    cues = Cues(
        past=any(c.past for c in cue_list),
        future=any(c.future for c in cue_list),
        negated=any(c.negated for c in cue_list),
        rebook=any(c.rebook for c in cue_list),
    )
    if connector and previous is not None and _inherits_intent(cues, previous):
        # "Arrange a site visit and then call Greg": a step sequenced after a planned one is planned too.
        cues = Cues(past=False, future=True, negated=False)
    clause = _Clause(start, end, connector, text, mentions, triggers, cues)
    clause.issue = next((span for lang in languages if (span := lang.issue_span(text)) is not None), None)
    if not cues.negated:
        _choose_action(clause, languages)
    return clause


def _choose_action(clause: _Clause, languages: list[LanguageAnalyzer]) -> None:
    text = clause.text
    content = sorted({span for lang in languages for span in lang.content_items(text)})
    delivery = any(lang.has_delivery(text) for lang in languages)
    request = any(lang.has_request(text) for lang in languages)
    strong = [t for t in clause.triggers if t.strength == STRONG]
    weak = [t for t in clause.triggers if t.strength == WEAK]
    if clause.cues.rebook:
        # "Reschedule the workshop that was called off", "培训推迟了，要重新定时间": finding a new date is
        # a task of ours, whatever the cancelled thing was and whenever it was.
        first = min(clause.triggers, key=lambda t: t.start) if clause.triggers else None
        clause.action = Trigger(first.start, first.end, TASK, STRONG, None) if first else None
        clause.action_type = TASK
        return
    if content and (delivery or request):
        if clause.cues.past and not clause.cues.future and not request:
            return
        tasks = [t for t in clause.triggers if t.type == TASK]
        anchor = min(tasks, key=lambda t: t.start) if tasks else None
        clause.action, clause.action_type, clause.content = anchor, CONTENT_REQUEST, content
        clause.also_task = any(
            (span := lang.deal_document_span(text)) is not None
            and not any(_same_noun(text, span, item) for item in content)
            for lang in languages
        )
        return
    if strong:
        chosen = min(strong, key=lambda t: t.start)
    elif weak:
        chosen = min(weak, key=lambda t: t.start)
        chosen = Trigger(chosen.start, chosen.end, TASK, WEAK, None)
    elif request and any(lang.has_deal_document(text) for lang in languages):
        clause.action, clause.action_type = None, TASK
        return
    else:
        return
    if chosen.type in (APPOINTMENT, PHONE_CALL, TASK) and clause.cues.past and not clause.cues.future:
        return
    clause.action, clause.action_type = chosen, chosen.type
    if chosen.type == APPOINTMENT and request:
        # "They want a demo and a trial licence": the coordinated deal document is a task of its own.
        clause.also_task = any(
            (span := lang.deal_document_span(text)) is not None
            and not _same_noun(text, span, (chosen.start, chosen.end))
            for lang in languages
        )


def _attach_orphan_mentions(clauses: list[_Clause]) -> None:
    """A clause without a record to suggest lends its time expression to the nearest clause that has
    one (``"Onsite visit next Tuesday, 10:00-12:00"``, ``"价格表……，下周内给到"``)."""
    for index, clause in enumerate(clauses):
        if clause.action_type is not None or not clause.mentions or clause.cues.past:
            continue
        order = sorted(
            (i for i, other in enumerate(clauses) if other.action_type is not None and i != index),
            key=lambda i: (abs(i - index), i > index),
        )
        for target_index in order[:1]:
            target = clauses[target_index]
            orphan = clause.mentions[0]
            shifted = Mention(
                orphan.start + clause.start - target.start,
                orphan.end + clause.start - target.start,
                tuple(_shift_atom(a, clause.start - target.start) for a in orphan.atoms),
            )
            if target.mentions:
                nearest = _nearest_mention(target)
                if nearest is not None and not (nearest.kinds() & shifted.kinds()):
                    target.mentions = [m for m in target.mentions if m is not nearest] + [
                        Mention(
                            min(nearest.start, shifted.start),
                            max(nearest.end, shifted.end),
                            nearest.atoms + shifted.atoms,
                        )
                    ]
            else:
                target.mentions = [shifted]


def _shift_atom(atom: Any, delta: int) -> Any:
    from dataclasses import replace

    return replace(atom, start=atom.start + delta, end=atom.end + delta)


def _carry_dates(clauses: list[_Clause], language: LanguageAnalyzer) -> None:
    """``"周一早上8点……，然后11点做演示"``: a later clause of the same sentence that gives only a clock
    time (no day) is on the day an earlier clause named; "the next morning at 9", "第二天上午9点" on
    the day after it."""
    day_atoms: tuple[Any, ...] = ()
    for clause in clauses:
        undated = [m for m in clause.mentions if not m.has_date]
        if day_atoms and clause.action_type is not None and undated and len(undated) == len(clause.mentions):
            carried = day_atoms
            if language.is_next_day(clause.text):
                carried = tuple(_next_day(a) for a in day_atoms)
            clause.mentions = [Mention(m.start, m.end, carried + m.atoms) for m in undated]
        dated = [m for m in clause.mentions if m.has_date]
        if dated:
            day_atoms = tuple(a for a in dated[-1].atoms if a.kind in _DAY_KINDS)


def _next_day(atom: Any) -> Any:
    """The same day atom one day later (a weekday stays a weekday of the same week)."""
    from dataclasses import replace

    if atom.kind == "rel_day":
        return replace(atom, value=(atom.value[0] + 1,))
    if atom.kind == "weekday":
        return replace(atom, value=((atom.value[0] + 1) % 7, *atom.value[1:]))
    if atom.kind == "day_of_month" and atom.value[0] < 28:  # the 28th + 1 may be in the next month
        return replace(atom, value=(atom.value[0] + 1,))
    if atom.kind == "abs_date":
        year, month, day = atom.value
        following = datetime(year or 2001, month, day) + timedelta(days=1)  # 2001: not a leap year
        return replace(atom, value=(year, following.month, following.day))
    return atom


_DAY_KINDS = frozenset({"rel_day", "weekday", "abs_date", "day_of_month"})


def _merge_sent_on(clauses: list[_Clause], language: LanguageAnalyzer) -> None:
    """``"Prepare the NDA and send it to Kofi by noon"``: one task, not two. The earlier clause gives
    up its task to the one that sends it on (which usually carries the date)."""
    for previous, clause in itertools.pairwise(clauses):
        if (
            clause.action_type == TASK
            and previous.action_type == TASK
            and language.continues_previous(clause.text)
        ):
            if not clause.mentions and previous.mentions:
                clause.action_type = None
                clause.action = None
            else:
                previous.action_type = None
                previous.action = None


def _drop_continuations(clauses: list[_Clause]) -> None:
    """``"给李经理打电话，确认报价"``: an undated task right after another suggestion, without a
    connector ("then", "然后"), says what the first one is for; it is not a record of its own."""
    for previous, clause in itertools.pairwise(clauses):
        if (
            clause.action_type == TASK
            and previous.action_type is not None
            and not clause.connector
            and not clause.mentions
        ):
            clause.action_type = None
            clause.action = None


def _nearest_mention(clause: _Clause) -> Mention | None:
    if not clause.mentions:
        return None
    anchor = clause.action
    if anchor is None:
        return clause.mentions[-1]
    return min(
        clause.mentions,
        key=lambda m: (_distance(m.start, m.end, anchor.start, anchor.end), m.start < anchor.start),
    )


def _distance(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    if a_end <= b_start:
        return b_start - a_end
    if b_end <= a_start:
        return a_start - b_end
    return 0


def _action_suggestion(
    original: str,
    clause: _Clause,
    offset: int,
    created_on: datetime,
    language: str,
    languages: list[LanguageAnalyzer],
    settings: AnalysisSettings,
    mixed: bool,
) -> Suggestion | None:
    kind = clause.action_type
    assert kind is not None
    mention = _nearest_mention(clause)
    role = "start" if kind in START_TYPES else "due"
    default_time = clause.action.default_time if clause.action is not None else None
    if default_time is None and kind == APPOINTMENT:
        default_time = next((t.default_time for t in clause.triggers if t.default_time is not None), None)
    resolved: Resolved | None = (
        resolve(mention, created_on, role, default_time) if mention is not None else None
    )
    if resolved is not None and resolved.at < created_on:
        if not clause.cues.rebook:
            return None
        resolved, mention = None, None  # the date of the cancelled event, not of the new one
    if kind in START_TYPES and mention is None and not clause.cues.future:
        return None
    fields: dict[str, Any] = {}
    if resolved is not None:
        if role == "start":
            minutes = settings.meeting_minutes if kind == APPOINTMENT else settings.call_minutes
            fields["start"] = resolved.at.isoformat()
            fields["end"] = (resolved.end or resolved.at + timedelta(minutes=minutes)).isoformat()
        else:
            fields["due"] = resolved.at.isoformat()
    pieces = [(clause.action.start, clause.action.end)] if clause.action is not None else []
    if mention is not None:
        pieces.append((mention.start, mention.end))
    pieces.extend(clause.content)
    if not pieces:
        pieces = [(0, len(clause.text))]
    start = offset + clause.start + min(p[0] for p in pieces)
    end = offset + clause.start + max(p[1] for p in pieces)
    clause_span = _trim(original, offset + clause.start, offset + clause.end)
    fields["subject"] = _subject(clause_span[1])
    if kind == APPOINTMENT:
        attendees = [name for lang in languages for name in lang.attendees(clause.text)]
        if attendees:
            fields["attendees"] = list(dict.fromkeys(attendees))
    if kind == PHONE_CALL:
        phone = contacts.phones(clause.text)
        if phone:
            fields["phone"] = phone[0].value
    if kind == CONTENT_REQUEST and clause.content:
        fields["content"] = ", ".join(
            dict.fromkeys(
                original[offset + clause.start + s : offset + clause.start + e] for s, e in clause.content
            )
        )
    confidence = {APPOINTMENT: 0.6, PHONE_CALL: 0.6, TASK: 0.5, CONTENT_REQUEST: 0.6}.get(kind, 0.5)
    if resolved is not None:
        confidence += 0.2 + (0.1 if resolved.has_time else 0.0)
    if clause.cues.future:
        confidence += 0.05
    if mixed:
        confidence -= 0.1
    return Suggestion(
        type=kind,
        span=(start, end),
        text=original[start:end],
        fields=fields,
        confidence=round(min(confidence, 0.95), 3),
        language=language,
    )


def _merge_issues(original: str, issues: list[tuple[int, Suggestion]]) -> list[Suggestion]:
    """Consecutive sentences describing a problem are one issue."""
    merged: list[tuple[int, Suggestion]] = []
    for index, issue in issues:
        if merged and merged[-1][0] == index - 1:
            first = merged[-1][1]
            start, end = first.span[0], issue.span[1]
            text = original[start:end]
            combined = Suggestion(
                ISSUE,
                (start, end),
                text,
                {"subject": _subject(text), "issue": text},
                min(0.9, first.confidence + 0.1),
                first.language,
            )
            merged[-1] = (index, combined)
        else:
            merged.append((index, issue))
    return [issue for _, issue in merged]


# --- contacts -------------------------------------------------------------------------------------
def _contacts(
    original: str,
    folded: str,
    forced: LanguageAnalyzer | None,
    candidates: list[LanguageAnalyzer],
    fallback: LanguageAnalyzer,
) -> list[Suggestion]:
    out: list[Suggestion] = []
    line_start = 0
    for line in folded.split("\n"):
        if "@" in line or any(ch.isdigit() for ch in line):
            out.extend(
                _line_contacts(original, line, line_start, forced or _primary_or(line, candidates, fallback))
            )
        line_start += len(line) + 1
    return out


def _introductions(
    original: str, folded: str, language: LanguageAnalyzer, found: list[Suggestion]
) -> list[Suggestion]:
    """People introduced by name only ("Let me introduce you to John."): a contact with the name."""
    out = []
    for start, end in language.introductions(folded):
        if any(s.type == CONTACT and s.span[0] <= start < s.span[1] for s in found):
            continue
        name = original[start:end]
        out.append(
            Suggestion(
                type=CONTACT,
                span=(start, end),
                text=name,
                fields={"name": name, "subject": f"New contact: {name}"},
                confidence=0.6,
                language=language.code,
            )
        )
    return out


def _primary_or(
    line: str, candidates: list[LanguageAnalyzer], fallback: LanguageAnalyzer
) -> LanguageAnalyzer:
    best = max(candidates, key=lambda lang: lang.detect(line))
    return best if best.detect(line) > 0 else fallback


def _line_contacts(original: str, line: str, offset: int, language: LanguageAnalyzer) -> list[Suggestion]:
    mails = [m for m in contacts.emails(line) if contacts.is_personal(m.value)]
    numbers = contacts.phones(line)
    cue = language.has_contact_cue(line)
    title = language.job_title(line)
    groups: list[list[contacts.Found]] = []
    used: set[int] = set()
    for mail in mails:
        group = [mail]
        near = [n for n in numbers if n.start not in used and abs(n.start - mail.end) <= 60]
        if near:
            group.append(near[0])
            used.add(near[0].start)
        groups.append(group)
    for number in numbers:
        if number.start not in used and (cue or title is not None):
            groups.append([number])
            used.add(number.start)
    out = []
    for group in groups:
        anchor = min(item.start for item in group)
        name = language.contact_name(line, anchor)
        if len(group) == 1 and group[0] in numbers and name is None:
            continue
        fields: dict[str, Any] = {}
        start = anchor
        end = max(item.end for item in group)
        if name is not None:
            fields["name"] = original[offset + name[0] : offset + name[1]].strip()
            start = min(start, name[0])
        if title is not None and title[1] <= end + 40:
            fields["job_title"] = original[offset + title[0] : offset + title[1]].strip()
        for item in group:
            key = "email" if "@" in item.value else "phone"
            fields.setdefault(key, original[offset + item.start : offset + item.end].strip())
        label = fields.get("name") or fields.get("email") or fields.get("phone")
        fields["subject"] = f"New contact: {label}"
        confidence = (
            0.5
            + (0.2 if "email" in fields else 0)
            + (0.1 if "phone" in fields else 0)
            + (0.1 if name else 0)
            + (0.05 if cue else 0)
        )
        out.append(
            Suggestion(
                type=CONTACT,
                span=(offset + start, offset + end),
                text=original[offset + start : offset + end],
                fields=fields,
                confidence=round(min(confidence, 0.95), 3),
                language=language.code,
            )
        )
    return out


# --- helpers ----------------------------------------------------------------------------------------
def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


def _longest(triggers: list[Trigger]) -> list[Trigger]:
    chosen: list[Trigger] = []
    for trigger in sorted(triggers, key=lambda t: (-(t.end - t.start), t.start)):
        if all(trigger.end <= other.start or trigger.start >= other.end for other in chosen):
            chosen.append(trigger)
    return sorted(chosen, key=lambda t: t.start)


_TRIM_CHARS = " \t\r\n-*•·>:;,.，。；：、!?！？"


def _trim(original: str, start: int, end: int) -> tuple[tuple[int, int], str]:
    while start < end and original[start] in _TRIM_CHARS:
        start += 1
    while end > start and original[end - 1] in _TRIM_CHARS:
        end -= 1
    return (start, end), original[start:end]


def _subject(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUBJECT_MAX_CHARS else text[: SUBJECT_MAX_CHARS - 1] + "…"


def supported_languages() -> tuple[str, ...]:
    """Codes of the registered language analysers."""
    return available_languages()


__all__ = ["DEFAULT_SETTINGS", "DUE_TYPES", "AnalysisSettings", "analyze", "supported_languages"]
