"""The notes analyser: one note in, the records it suggests creating out.

The work is split by sentence. Each sentence gets a primary language by script (and a second one when
it mixes scripts, e.g. "明天上午10点 meeting with 王总"); the languages give clauses, time atoms,
triggers and cues; this module decides, per clause, which record to suggest and resolves its
date-time with :mod:`rapport.ml.notes.timeexpr`. E-mail addresses and phone numbers are read per line.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from rapport.ml.notes import contacts, intent, typos
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
    # The learned sentence check (ml.notes.intent): add a type the rules missed at or above this
    # probability (above 1 never adds); drop a rule's suggestion whose sentence scores below this one
    # for its type (0 never drops).
    learned_add_threshold: float = 0.9
    learned_drop_threshold: float = 0.0

    @classmethod
    def from_config(cls, notes: Any) -> AnalysisSettings:
        """From ``rapport.config.NotesConfig`` (``[notes]`` in rapport.toml)."""
        return cls(
            meeting_minutes=notes.meeting_minutes,
            call_minutes=notes.call_minutes,
            languages=tuple(notes.languages),
            min_confidence=getattr(notes, "min_confidence", 0.0),
            learned_add_threshold=getattr(notes, "learned_add_threshold", cls.learned_add_threshold),
            learned_drop_threshold=getattr(notes, "learned_drop_threshold", cls.learned_drop_threshold),
        )

    @property
    def uses_learned(self) -> bool:
        return self.learned_add_threshold <= 1 or self.learned_drop_threshold > 0


DEFAULT_SETTINGS = AnalysisSettings()
# The hand-written rules alone (what the learned check is trained from).
RULES_ONLY = AnalysisSettings(learned_add_threshold=2.0, learned_drop_threshold=0.0)


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
    forced = get_language(language) if language else None
    candidates = [get_language(code) for code in settings.languages] if not forced else [forced]
    folded, spans, note_language = _prepare(text, candidates)
    note_language = forced or note_language
    out: list[Suggestion] = []
    issues: list[tuple[int, Suggestion]] = []
    read: list[_Sentence] = []
    for index, (start, end) in enumerate(spans):
        sentence = folded[start:end]
        languages = [forced] if forced else _languages_for(sentence, candidates, note_language)
        read.append(_Sentence(start, end, languages))
        found = _analyze_sentence(text, sentence, start, created_on, languages, settings)
        for suggestion in found:
            if suggestion.type == ISSUE:
                issues.append((index, suggestion))
            else:
                out.append(suggestion)
    out.extend(_merge_issues(text, issues))
    out.extend(_contacts(text, folded, forced, candidates, note_language))
    out.extend(_introductions(text, folded, forced or note_language, out))
    if settings.uses_learned:
        out = _learned_check(text, folded, read, out, created_on, note_language.code, settings)
    out.sort(key=lambda s: (s.span[0], s.span[1], s.type))
    if settings.min_confidence > 0:
        out = [s for s in out if s.confidence >= settings.min_confidence]
    return out


PREPARED_MAX = 20_000  # notes whose folded text, sentences and language a process keeps; 0 = none
_PREPARED: dict[tuple[Any, ...], tuple[str, tuple[tuple[int, int], ...], LanguageAnalyzer]] = {}


def _prepare(
    text: str, candidates: list[LanguageAnalyzer]
) -> tuple[str, tuple[tuple[int, int], ...], LanguageAnalyzer]:
    """The note's folded text (typos corrected, mail headers blanked), its sentences and its primary
    language among ``candidates``: pure functions of the text, kept per process so that
    :func:`score_learned` and :func:`analyze` (and the analyses of one text at several creation
    times) read a note once."""
    key = (text, *candidates)
    try:
        known = _PREPARED.get(key)
    except TypeError:  # a language object that cannot be hashed
        key, known = (), None
    if known is None:
        folded = typos.correct(blank_mail_headers(fold(text)))
        known = (folded, tuple(sentences(folded)), _primary(folded, candidates))
        if key and PREPARED_MAX > 0:
            if len(_PREPARED) >= PREPARED_MAX:
                _PREPARED.clear()
            _PREPARED[key] = known
    return known


def score_learned(texts: list[str], settings: AnalysisSettings = DEFAULT_SETTINGS) -> None:
    """Score the sentences of ``texts`` for the learned check in one numpy pass per language
    (:meth:`rapport.ml.notes.intent.IntentModel.score_many`), before analysing them one by one:
    :func:`analyze` then finds their probabilities scored (the same as scoring one sentence at a
    time, to the last few bits of a double)."""
    if not settings.uses_learned:
        return
    candidates = [get_language(code) for code in settings.languages]
    by_language: dict[str, list[str]] = {}
    for text in texts:
        if not text or not text.strip():
            continue
        folded, spans, primary = _prepare(text, candidates)
        by_language.setdefault(primary.code, []).extend(
            folded[start:end] for start, end in spans if folded[start:end].strip()
        )
    model = intent.load_model()
    for code, found in by_language.items():
        model.score_many(found, code)


def preload(settings: AnalysisSettings = DEFAULT_SETTINGS) -> None:
    """Load now what analysis otherwise loads on first need: the learned check's weights and the
    languages' tables (jieba's dictionary for Chinese). Called before forking worker processes, so
    that they inherit it instead of each loading it."""
    for code in settings.languages:
        warm = getattr(get_language(code), "preload", None)
        if callable(warm):
            warm()
    if settings.uses_learned:
        for model in intent.load_model().languages.values():
            model.probabilities("")


# --- the learned sentence check ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Sentence:
    start: int
    end: int
    languages: list[LanguageAnalyzer]


def _learned_check(
    original: str,
    folded: str,
    read: list[_Sentence],
    found: list[Suggestion],
    created_on: datetime,
    language: str,
    settings: AnalysisSettings,
) -> list[Suggestion]:
    """Drop the rules' suggestions the sentence model finds unlikely; add the types it finds likely
    that the rules missed (see :mod:`rapport.ml.notes.intent`)."""
    model = intent.load_model()
    scored = [
        (sentence, model.probabilities(folded[sentence.start : sentence.end], language))
        for sentence in read
        if folded[sentence.start : sentence.end].strip()
    ]
    threshold = settings.learned_drop_threshold
    kept = [s for s in found if not _unlikely(s, scored, threshold)] if threshold > 0 else list(found)
    for sentence, probabilities in scored:
        for kind, probability in (probabilities or {}).items():
            if (
                kind in intent.ADDABLE_TYPES
                and probability >= settings.learned_add_threshold
                and not any(s.type == kind and _overlaps(s, sentence) for s in kept)
            ):
                added = _learned_suggestion(original, folded, sentence, kind, created_on, settings)
                if added is not None:
                    kept.append(replace(added, confidence=round(0.3 + 0.5 * probability, 3)))
    return kept


def _overlaps(suggestion: Suggestion, sentence: _Sentence) -> bool:
    return suggestion.span[0] < sentence.end and suggestion.span[1] > sentence.start


def _unlikely(
    suggestion: Suggestion, scored: list[tuple[_Sentence, dict[str, float] | None]], threshold: float
) -> bool:
    home = next((p for s, p in scored if s.start <= suggestion.span[0] < s.end), None)
    return home is not None and home.get(suggestion.type, 1.0) < threshold


def _learned_suggestion(
    original: str,
    folded: str,
    sentence: _Sentence,
    kind: str,
    created_on: datetime,
    settings: AnalysisSettings,
) -> Suggestion | None:
    """A suggestion of ``kind`` for a whole sentence, dated by its time expression when it has one;
    ``None`` when that date is past (the sentence reports what happened)."""
    text = folded[sentence.start : sentence.end]
    span, trimmed = _trim(original, sentence.start, sentence.end)
    primary = sentence.languages[0]
    if kind == ISSUE:
        fields = {"subject": _subject(trimmed), "issue": trimmed}
        return Suggestion(ISSUE, span, trimmed, fields, 0.5, primary.code)
    clause = _read_clause(text, 0, len(text), False, sentence.languages)
    if clause.cues.negated or (clause.cues.past and not clause.cues.future):
        return None
    clause.action, clause.action_type = None, kind
    if kind == CONTENT_REQUEST:
        clause.content = sorted({item for lang in sentence.languages for item in lang.content_items(text)})
    mixed = len(sentence.languages) > 1
    made = _action_suggestion(
        original, clause, sentence.start, created_on, primary.code, sentence.languages, settings, mixed
    )
    if made is not None or clause.mentions:
        return made
    return Suggestion(kind, span, trimmed, {"subject": _subject(trimmed)}, 0.5, primary.code)


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
    others: bool = False  # joined by "and"/"然后" to a clause whose subject is someone else


def _states_plan(previous: _Clause) -> bool:
    """A clause joined by a sequencing connector ("then", "and", "然后", "并") to a clause stating a plan
    shares that plan, unless it states its own tense, negation or hedge: this is the previous clause's
    half of that test."""
    return (
        (previous.cues.future or previous.action_type is not None)
        and not previous.cues.negated
        and not previous.cues.past
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
    _merge_scheduling(clauses, primary)
    _attach_orphan_mentions(clauses, created_on)
    _carry_dates(clauses, primary)
    _drop_continuations(clauses, primary)
    if any(c.issue is not None for c in clauses):
        _drop_remedies(clauses, primary)
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


CLAUSE_MEMO_MAX = 50_000  # clause readings a process keeps (the table starts afresh when full); 0 = none
_CLAUSE_MEMO: dict[tuple[Any, ...], _Clause] = {}


def _read_clause(
    sentence: str,
    start: int,
    end: int,
    connector: bool,
    languages: list[LanguageAnalyzer],
    previous: _Clause | None = None,
) -> _Clause:
    """How a clause reads: its times, triggers, cues, issue and chosen action. A pure function of the
    clause's text, its languages and what it takes from the clause before it (whether it inherits that
    clause's plan, whether that clause's subject is someone else), so a clause met again in the process
    (a greeting, a template sentence) is read once: :data:`_CLAUSE_MEMO` keeps the reading, and each
    caller gets its own copy (the sentence-level steps change clauses in place)."""
    text = sentence[start:end]
    inherits = others = False
    if connector and previous is not None:
        inherits = _states_plan(previous)
        others = previous.others or languages[0].subject_is_other(previous.text)
    key = (text, connector, inherits, others, *languages)
    try:
        known = _CLAUSE_MEMO.get(key)
    except TypeError:  # a language object that cannot be hashed: read every time
        return _read_clause_text(text, start, end, connector, languages, inherits, others)
    if known is None:
        # the languages' own tables of answers (languages/memo.py) would only hold this clause's answers
        # twice: the reading is kept here, so the analysers are asked directly
        plain = [getattr(lang, "inner", lang) for lang in languages]
        known = _read_clause_text(text, start, end, connector, plain, inherits, others)
        if CLAUSE_MEMO_MAX <= 0:
            return known
        if len(_CLAUSE_MEMO) >= CLAUSE_MEMO_MAX:
            _CLAUSE_MEMO.clear()
        _CLAUSE_MEMO[key] = known
    return _Clause(
        start,
        end,
        connector,
        text,
        list(known.mentions),
        list(known.triggers),
        known.cues,
        known.action,
        known.action_type,
        list(known.content),
        known.mention,
        known.issue,
        known.also_task,
        known.others,
    )


def _read_clause_text(
    text: str,
    start: int,
    end: int,
    connector: bool,
    languages: list[LanguageAnalyzer],
    inherits: bool,
    others: bool,
) -> _Clause:
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
    if inherits and not cues.future and not cues.past and not cues.negated:
        # "Arrange a site visit and then call Greg": a step sequenced after a planned one is planned too.
        cues = Cues(past=False, future=True, negated=False)
    if others:
        # "she'll loop in IT and get back to us", "他们会先讨论，然后给我们回复": their steps, not ours
        triggers = [t for t in triggers if t.type != TASK]
    clause = _Clause(start, end, connector, text, mentions, triggers, cues)
    clause.others = others
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
    if content and request and not delivery and any(lang.is_production(text) for lang in languages):
        # "need the deck ready by 30 May", "希望我们出一份培训计划": making it is a task of ours
        if clause.cues.past and not clause.cues.future:
            return
        tasks = [t for t in clause.triggers if t.type == TASK]
        clause.action = min(tasks, key=lambda t: t.start) if tasks else None
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


def _attach_orphan_mentions(clauses: list[_Clause], created_on: datetime) -> None:
    """A clause without a record to suggest lends its time expression to the nearest clause that has
    one (``"Onsite visit next Tuesday, 10:00-12:00"``, ``"价格表……，下周内给到"``), unless that time is
    already past (``"Chase Tim for the SOW, he promised it last week"`` tells when something happened)."""
    for index, clause in enumerate(clauses):
        if clause.action_type is not None or not clause.mentions or clause.cues.past:
            continue
        when = resolve(clause.mentions[0], created_on, "due")
        if when is not None and when.at < created_on:
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
            and previous.action_type == CONTENT_REQUEST
            and language.continues_previous(clause.text)
        ):
            # "They need our W-9 and the insurance certificate - send both by Thursday": one request
            _lend_mentions(clause, previous)
            clause.action_type = None
            clause.action = None
            continue
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


def _lend_mentions(clause: _Clause, previous: _Clause) -> None:
    """The clause's times go to the previous clause when it has none (the clause is merged into it)."""
    if clause.mentions and not previous.mentions:
        delta = clause.start - previous.start
        previous.mentions = [
            Mention(m.start + delta, m.end + delta, tuple(_shift_atom(a, delta) for a in m.atoms))
            for m in clause.mentions
        ]


def _drop_continuations(clauses: list[_Clause], language: LanguageAnalyzer) -> None:
    """``"给李经理打电话，确认报价"``: an undated task right after another suggestion, without a
    connector ("then", "然后"), says what the first one is for; it is not a record of its own. A
    preparation of its own ("- prepare a one-pager", "准备一页ROI说明") is one."""
    previous: _Clause | None = None
    for clause in clauses:
        if (
            previous is not None
            and clause.action_type == TASK
            and previous.action_type is not None
            and not clause.connector
            and not clause.mentions
            and not (
                clause.action is not None
                and language.is_preparation(clause.text[clause.action.start : clause.action.end])
            )
        ):
            clause.action_type = None
            clause.action = None
        if clause.action_type is not None or clause.triggers or not clause.mentions:
            previous = clause  # a clause holding only a time ("…, 10:00-12:00, …") belongs to the one before


def _merge_scheduling(clauses: list[_Clause], language: LanguageAnalyzer) -> None:
    """``"wants to meet before signing - book something for next week"``: putting "something" in the
    diary right after an event or a call is that event; it lends its date and is not a task."""
    for previous, clause in itertools.pairwise(clauses):
        action = clause.action
        if (
            previous.action_type in START_TYPES
            and clause.action_type == TASK
            and action is not None
            and action.strength == WEAK
            and language.schedules(clause.text[action.start : action.end])
            and not any(t.type != TASK for t in clause.triggers)
        ):
            _lend_mentions(clause, previous)
            clause.action_type = None
            clause.action = None


def _drop_remedies(clauses: list[_Clause], language: LanguageAnalyzer) -> None:
    """``"客戶抱怨發票抬頭寫錯了，要求重開"``, ``"...看不到报表，麻烦尽快处理"``: fixing or redoing what the
    customer complains about, in the same sentence, is the issue's remedy, part of the issue."""
    for clause in clauses:
        action = clause.action
        if clause.action_type == TASK and (
            (action is not None and language.is_remedy(clause.text[action.start : action.end]))
            # "Client complained the invoice is wrong and wants it reissued": the complaint's demand
            or (action is None and clause.issue is not None)
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
    resolved = _resolve_clause(clause, mention, created_on)
    if resolved is not None and mention is not None and resolved.at < created_on and not clause.cues.past:
        resolved = _still_today(resolved, mention, created_on)
    if resolved is not None and resolved.at < created_on:
        if not clause.cues.rebook:
            return None
        resolved, mention = None, None  # the date of the cancelled event, not of the new one
    if kind in START_TYPES and mention is None and not clause.cues.future:
        return None
    fields = _date_fields(kind, resolved, settings)
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
    fields.update(_type_fields(original, clause, offset, languages))
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


# When a part of the day ends (hour): "call him this afternoon" written at 15:20 is still ahead.
_PART_ENDS = {"morning": 12, "noon": 14, "afternoon": 18, "dusk": 19, "evening": 23, "eod": 18}


def _still_today(resolved: Resolved, mention: Mention, created_on: datetime) -> Resolved:
    """A part of today without a clock time ("this afternoon", "今晚") whose usual hour has passed when
    the note was written, but which has not ended, starts at the next full hour."""
    kinds = {atom.kind: atom for atom in mention.atoms}
    part = kinds.get("part")
    if part is None or "clock" in kinds or resolved.at.date() != created_on.date():
        return resolved
    if created_on.hour >= _PART_ENDS.get(str(part.value[0]), 0):
        return resolved
    at = created_on.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return Resolved(at, None, resolved.has_time)


def _resolve_clause(clause: _Clause, mention: Mention | None, created_on: datetime) -> Resolved | None:
    """The date-time of the clause's record: a start (appointment, call) or a due date (to-do)."""
    if mention is None:
        return None
    kind = clause.action_type
    role = "start" if kind in START_TYPES else "due"
    default_time = clause.action.default_time if clause.action is not None else None
    if default_time is None and kind == APPOINTMENT:
        default_time = next((t.default_time for t in clause.triggers if t.default_time is not None), None)
    return resolve(mention, created_on, role, default_time)


def _date_fields(kind: str, resolved: Resolved | None, settings: AnalysisSettings) -> dict[str, Any]:
    if resolved is None:
        return {}
    if kind not in START_TYPES:
        return {"due": resolved.at.isoformat()}
    minutes = settings.meeting_minutes if kind == APPOINTMENT else settings.call_minutes
    return {
        "start": resolved.at.isoformat(),
        "end": (resolved.end or resolved.at + timedelta(minutes=minutes)).isoformat(),
    }


def _type_fields(
    original: str, clause: _Clause, offset: int, languages: list[LanguageAnalyzer]
) -> dict[str, Any]:
    """Attendees of an appointment, the number of a call, the items of a content request."""
    kind = clause.action_type
    if kind == APPOINTMENT:
        attendees = [name for lang in languages for name in lang.attendees(clause.text)]
        return {"attendees": list(dict.fromkeys(attendees))} if attendees else {}
    if kind == PHONE_CALL:
        phone = contacts.phones(clause.text)
        return {"phone": phone[0].value} if phone else {}
    if kind == CONTENT_REQUEST and clause.content:
        base = offset + clause.start
        items = dict.fromkeys(original[base + s : base + e] for s, e in clause.content)
        return {"content": ", ".join(items)}
    return {}


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
        if "@" in line or any(map(str.isdigit, line)):
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


# "send pricing to tom@northwind.com", "发到 tom@…": an address things are sent to, not a person met.
_DESTINATION = re.compile(r"(?:\b(?:to|cc)|发到|发给|寄到|抄送)\s*[:：]?\s*$", re.IGNORECASE)


def _line_contacts(original: str, line: str, offset: int, language: LanguageAnalyzer) -> list[Suggestion]:
    numbers = contacts.phones(line)
    cue = language.has_contact_cue(line)
    title = language.job_title(line)
    mails = [
        m
        for m in contacts.emails(line)
        if contacts.is_personal(m.value)
        and (cue or title is not None or _DESTINATION.search(line[: m.start]) is None)
    ]
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
