"""Notes analysis in the warehouse: new or changed notes and activity descriptions in, suggestions out.

Reads ``raw.annotation.notetext`` (keyed by ``annotationid``) and the ``description`` of
``raw.email``, ``raw.phonecall``, ``raw.appointment`` and ``raw.task`` (keyed by ``activityid``)
modified after the last analysed watermark, and writes ``enrich.note_suggestions``. Per source row
the write is a replace: re-analysing a note deletes its earlier suggestions first, so a note whose
text no longer suggests anything loses its rows, and running twice gives the same rows. Rows of notes
that left the raw table are deleted too. Relative dates are resolved against the row's ``createdon``
read in ``[notes] timezone``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rapport.config import load_config
from rapport.ml.notes.analyzer import AnalysisSettings, analyze, preload, score_learned
from rapport.ml.notes.suggestion import Suggestion
from rapport.parallel import fork_context, may_fork_workers

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoteSource:
    """A raw table whose free text is analysed."""

    table: str
    key: str
    text: str
    regarding_id: str
    regarding_type: str


NOTE_SOURCES = (
    NoteSource("annotation", "annotationid", "notetext", "objectid", "objecttypecode"),
    NoteSource("email", "activityid", "description", "regardingobjectid", "regardingobjecttypecode"),
    NoteSource("phonecall", "activityid", "description", "regardingobjectid", "regardingobjecttypecode"),
    NoteSource("appointment", "activityid", "description", "regardingobjectid", "regardingobjecttypecode"),
    NoteSource("task", "activityid", "description", "regardingobjectid", "regardingobjecttypecode"),
)

ENRICH_DDL = (
    "CREATE SCHEMA IF NOT EXISTS enrich",
    """
    CREATE TABLE IF NOT EXISTS enrich.note_text_hashes (
        source_table VARCHAR NOT NULL,      -- annotation | email | phonecall | appointment | task
        source_id VARCHAR NOT NULL,
        text_hash VARCHAR NOT NULL,         -- blake2b of the analysed text and its anchor time: an unchanged
                                            -- hash on a re-modified row keeps its suggestions without analysis
        PRIMARY KEY (source_table, source_id)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS enrich.note_suggestions (
        source_table VARCHAR NOT NULL,      -- annotation | email | phonecall | appointment | task
        source_id VARCHAR NOT NULL,         -- annotationid or activityid
        suggestion_index INTEGER NOT NULL,  -- 0-based position of the suggestion in its note
        regarding_id VARCHAR,               -- the record the note is about (objectid / regardingobjectid)
        regarding_type VARCHAR,             -- its table's logical name (account, contact, lead, opportunity, ...)
        suggestion_type VARCHAR NOT NULL,   -- appointment | phone_call | task | contact | content_request | issue
        span_start INTEGER NOT NULL,        -- character offsets of matched_text in the note text (end exclusive)
        span_end INTEGER NOT NULL,
        matched_text VARCHAR NOT NULL,
        fields JSON NOT NULL,               -- pre-filled fields: start, end, due, subject, attendees, name, ...
        confidence DOUBLE NOT NULL,         -- 0 to 1
        language VARCHAR NOT NULL,          -- en | zh | ...
        source_modified_at TIMESTAMP,       -- modifiedon of the analysed row (UTC)
        analysed_at TIMESTAMP NOT NULL,
        ds DATE NOT NULL,                   -- logical date of the run that analysed it
        PRIMARY KEY (source_table, source_id, suggestion_index)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS enrich.note_analysis_watermarks (
        source_table VARCHAR PRIMARY KEY,
        watermark TIMESTAMP,                -- max(modifiedon) analysed; the next run reads rows after it
        analysed_at TIMESTAMP NOT NULL,
        ds DATE NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS enrich.talking_point_mentions (
        email_id VARCHAR NOT NULL,          -- raw.email.activityid of the inbound e-mail
        contact_id VARCHAR NOT NULL,        -- the sending contact (activityparty mask 1)
        category VARCHAR NOT NULL,          -- sports | family | vacation | entertainment | ...
        keyword VARCHAR NOT NULL,           -- the word or phrase that matched
        snippet VARCHAR NOT NULL,           -- the sentence that mentions it
        mentioned_at TIMESTAMP NOT NULL,    -- when the e-mail was sent (senton, else createdon), UTC
        language VARCHAR NOT NULL,
        analysed_at TIMESTAMP NOT NULL,
        ds DATE NOT NULL,
        PRIMARY KEY (email_id, contact_id, category)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS enrich.talking_point_watermarks (
        watermark TIMESTAMP,                -- max(modifiedon) of raw.email scanned
        categories VARCHAR NOT NULL,        -- the categories switched on at that run (a change rescans all)
        analysed_at TIMESTAMP NOT NULL,
        ds DATE NOT NULL
    )
    """,
)


def ensure_enrich_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ``enrich`` schema and its tables if absent (dbt sources need them before any run)."""
    for statement in ENRICH_DDL:
        connection.execute(statement)


@dataclass(frozen=True)
class NotesRunSummary:
    """What one notes-analysis run did."""

    ds: date
    analysed_at: datetime
    rows_read: dict[str, int]  # per source table: new or changed rows analysed
    suggestions_written: int
    rows_with_suggestions: int
    suggestions_replaced: int  # earlier rows deleted because their note changed or vanished
    by_type: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    texts_reused: int = 0  # re-modified rows whose text and anchor hash was unchanged: not re-analysed

    @property
    def notes_analysed(self) -> int:
        return sum(self.rows_read.values())


_TAG = re.compile(r"<[^>]{0,500}>")
_BATCH = 20000  # rows read per round trip (and per parallel fan-out)


@dataclass
class _NotesCounts:
    """Running counts of one analysis run (mutable: filled batch by batch)."""

    rows_read: dict[str, int] = field(default_factory=dict)
    by_type: Counter[str] = field(default_factory=Counter)
    by_language: Counter[str] = field(default_factory=Counter)
    written: int = 0
    with_suggestions: int = 0
    replaced: int = 0
    reused: int = 0


@dataclass(frozen=True)
class _BatchPlan:
    """For each row of a batch: its (text, anchor) to analyse or None; the stored hashes and changed ids."""

    work: list[tuple[str, datetime] | None]
    hashes: list[tuple[str, str]]
    changed: list[str]
    watermark: datetime | None


def _plan_batch(
    batch: list[tuple[Any, ...]],
    source: NoteSource,
    known: dict[str, str],
    zone: ZoneInfo,
    counts: _NotesCounts,
    watermark: datetime | None,
) -> _BatchPlan:
    """Which rows of ``batch`` need analysing (new or changed text or anchor), and the advanced watermark."""
    work: list[tuple[str, datetime] | None] = []
    hashes: list[tuple[str, str]] = []
    changed: list[str] = []
    for source_id, text, _, _, created_on, modified_on in batch:
        if modified_on is not None and (watermark is None or modified_on > watermark):
            watermark = modified_on
        anchor = _local(created_on or modified_on, zone) if text else None
        if not text or anchor is None:
            work.append(None)
            changed.append(source_id)
            hashes.append((source_id, ""))  # nothing analysed: never matches a later text
            continue
        if source.table == "email" and "<" in text:
            text = _TAG.sub(lambda m: " " * len(m.group()), text)
        digest = _text_hash(text, anchor)
        hashes.append((source_id, digest))
        if known.get(source_id) == digest:
            work.append(None)  # same text, same anchor: its suggestions stand
            counts.reused += 1
            continue
        changed.append(source_id)
        work.append((text, anchor))
    return _BatchPlan(work=work, hashes=hashes, changed=changed, watermark=watermark)


def _suggestion_rows(
    batch: list[tuple[Any, ...]],
    results: list[Any],
    source: NoteSource,
    analysed_at: datetime,
    ds: date,
    counts: _NotesCounts,
) -> list[tuple[Any, ...]]:
    """The ``enrich.note_suggestions`` rows of one analysed batch."""
    out_rows: list[tuple[Any, ...]] = []
    fields_json: dict[int, str] = {}  # id of a suggestion shared by the notes of an anchor-free text -> JSON
    for (source_id, text, regarding_id, regarding_type, _, modified_on), suggestions in zip(
        batch, results, strict=True
    ):
        if text is None or suggestions is None:
            continue
        counts.with_suggestions += bool(suggestions)
        for index, suggestion in enumerate(suggestions):
            out_rows.append(
                (
                    source.table,
                    source_id,
                    index,
                    regarding_id,
                    regarding_type,
                    suggestion.type,
                    suggestion.span[0],
                    suggestion.span[1],
                    suggestion.text,
                    _fields_json(suggestion, fields_json),
                    suggestion.confidence,
                    suggestion.language,
                    modified_on,
                    analysed_at,
                    ds,
                )
            )
            counts.by_type[suggestion.type] += 1
            counts.by_language[suggestion.language] += 1
    return out_rows


def _fields_json(suggestion: Suggestion, done: dict[int, str]) -> str:
    text = done.get(id(suggestion))
    if text is None:
        text = done[id(suggestion)] = json.dumps(suggestion.to_dict()["fields"], ensure_ascii=False)
    return text


def _analyse_source(
    connection: duckdb.DuckDBPyConnection,
    source: NoteSource,
    *,
    full: bool,
    zone: ZoneInfo,
    settings: AnalysisSettings,
    pool: _Pool | None,
    known_texts: dict[str, list[Suggestion] | None],
    analysed_at: datetime,
    ds: date,
    counts: _NotesCounts,
) -> None:
    """Analyse one source's rows changed since its watermark, then move the watermark."""
    counts.replaced += _delete_vanished(connection, source)
    watermark = None if full else _watermark(connection, source.table)
    count, new_watermark = 0, watermark
    # While the workers analyse one batch, this process writes the suggestions of the one before.
    waiting: tuple[list[tuple[Any, ...]], Callable[[], list[list[Suggestion] | None]]] | None = None
    for batch in _read_batches(connection, source, watermark):
        count += len(batch)
        ids = [row[0] for row in batch]
        known = {} if full else _known_hashes(connection, source.table, ids)
        plan = _plan_batch(batch, source, known, zone, counts, new_watermark)
        new_watermark = plan.watermark
        counts.replaced += _delete_ids(connection, source.table, plan.changed)
        _store_hashes(connection, source.table, plan.hashes)
        started = _start_batch(plan.work, settings, pool, known_texts)
        if waiting is not None:
            counts.written += _insert(
                connection, _suggestion_rows(waiting[0], waiting[1](), source, analysed_at, ds, counts)
            )
        waiting = (batch, started)
    if waiting is not None:
        counts.written += _insert(
            connection, _suggestion_rows(waiting[0], waiting[1](), source, analysed_at, ds, counts)
        )
    counts.rows_read[source.table] = count
    if count:
        connection.execute(
            "INSERT OR REPLACE INTO enrich.note_analysis_watermarks VALUES (?, ?, ?, ?)",
            [source.table, new_watermark, analysed_at, ds],
        )


def analyze_notes(
    connection: duckdb.DuckDBPyConnection,
    ds: date,
    analysed_at: datetime,
    *,
    notes_config: Any | None = None,
    full: bool = False,
) -> NotesRunSummary:
    """Analyse notes and activity descriptions changed since the last run into ``enrich.note_suggestions``.

    ``notes_config`` is ``rapport.config.NotesConfig`` (default: the installation's ``[notes]``);
    ``full=True`` re-analyses every row (after changing the conventions or the time zone).
    """
    if notes_config is None:
        notes_config = load_config().notes
    settings = AnalysisSettings.from_config(notes_config)
    zone = ZoneInfo(notes_config.timezone)
    analysed_at = _naive_utc(analysed_at)
    started = time.perf_counter()
    ensure_enrich_tables(connection)
    existing = _raw_tables(connection)
    counts = _NotesCounts()
    workers = int(getattr(notes_config, "workers", 1))
    pool = _Pool(workers) if workers > 1 and may_fork_workers("[notes] workers") else None
    known_texts: dict[str, list[Suggestion] | None] = {}  # anchor-free texts of this run (see analyze_batch)
    connection.execute("BEGIN TRANSACTION")
    try:
        for source in NOTE_SOURCES:
            if source.table not in notes_config.sources:
                counts.replaced += _forget_source(connection, source.table)  # switched off: its rows go
                continue
            if source.table not in existing:
                log.warning("raw.%s does not exist: no %s notes analysed", source.table, source.table)
                counts.rows_read[source.table] = 0
                continue
            _analyse_source(
                connection,
                source,
                full=full,
                zone=zone,
                settings=settings,
                pool=pool,
                known_texts=known_texts,
                analysed_at=analysed_at,
                ds=ds,
                counts=counts,
            )
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise
    finally:
        if pool is not None:
            pool.close()
    summary = NotesRunSummary(
        ds=ds,
        analysed_at=analysed_at,
        rows_read=counts.rows_read,
        suggestions_written=counts.written,
        rows_with_suggestions=counts.with_suggestions,
        suggestions_replaced=counts.replaced,
        texts_reused=counts.reused,
        by_type=dict(counts.by_type),
        by_language=dict(counts.by_language),
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info(
        "notes analysis %s: %d rows read, %d suggestions written (%d replaced) in %.1f s",
        ds, summary.notes_analysed, counts.written, counts.replaced, summary.seconds,
    )  # fmt: skip
    return summary


_PARALLEL_MIN = 2000  # analyses: smaller batches are analysed in this process (starting workers costs more)
_CHUNK = 500  # analyses per task sent to a worker
_TEXT_CACHE_MAX = 200_000  # distinct texts a run remembers as anchor-free (with their suggestions) or not


class _AnchorRead(BaseException):
    """The analysis of a text read its anchor. A ``BaseException``, so that no ``except Exception`` in
    the analyser can swallow it and make a text that depends on its anchor look as if it did not."""


class _NoAnchor:
    """Stands in for ``created_on`` to learn whether a text's suggestions depend on it: any use of it
    (an attribute such as ``.date()`` or ``.tzinfo``, a comparison, arithmetic, hashing, ``isinstance``)
    raises :class:`_AnchorRead`. An analysis that completes without using it gives the same suggestions
    for every anchor, so a text repeated with many creation times ("Left voicemail", templates) is
    analysed once."""

    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        raise _AnchorRead(name)

    def _read(self, *args: object) -> Any:
        raise _AnchorRead("operator")

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _read  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = _read
    __hash__ = __bool__ = __str__ = __repr__ = __format__ = __int__ = __float__ = __index__ = _read  # type: ignore[assignment]


_NO_ANCHOR = _NoAnchor()


def _anchor_free(text: str, settings: AnalysisSettings) -> list[Suggestion] | None:
    """The suggestions of ``text`` when they do not depend on its anchor, else ``None``."""
    try:
        found = analyze(text, _NO_ANCHOR, settings=settings)  # type: ignore[arg-type]
    except _AnchorRead:
        return None
    if any(value is _NO_ANCHOR for suggestion in found for value in suggestion.fields.values()):
        return None  # kept in a field without being read: its value would differ per note
    return found


# One unit of work: a text, its distinct anchors, and whether to probe it for anchor independence first.
_Group = tuple[str, tuple[datetime, ...], bool]
# Its result: anchor-free (True), anchor-dependent (False) or not probed (None), and the suggestions
# (one list when anchor-free, else one per anchor).
_GroupResult = tuple[bool | None, list[list[Suggestion]]]


def _analyse_groups(groups: list[_Group], settings: AnalysisSettings) -> list[_GroupResult]:
    score_learned([text for text, _, _ in groups], settings)  # the learned check's sentences, in one pass
    out: list[_GroupResult] = []
    for text, anchors, probe in groups:
        free = _anchor_free(text, settings) if probe else None
        if free is not None:
            out.append((True, [free]))
        else:
            found = [analyze(text, anchor, settings=settings) for anchor in anchors]
            out.append((False if probe else None, found))
    return out


_AFFINITY_CHARS = (
    40  # texts starting alike go to the same task, whose worker's answer tables know their clauses
)


class _Pool:
    """Worker processes for notes analysis, started on first use (``fork`` where available, after
    :func:`rapport.ml.notes.analyzer.preload`, so the compiled patterns, jieba's dictionary and the
    learned weights are loaded once and shared), closed at the end of the run. A batch's texts are
    ordered by their first characters and cut into tasks of about ``_CHUNK`` analyses, which the workers
    take as they become free (a worker's tables of answers, :mod:`rapport.ml.notes.languages.memo`,
    then serve the texts of a task alike; a worker slowed by longer texts takes fewer tasks)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None

    def order(self, groups: list[_Group]) -> list[_Group]:
        """``groups`` in the order they are cut into tasks (texts starting alike together)."""
        return sorted(groups, key=lambda group: group[0][:_AFFINITY_CHARS])

    def map_async(self, groups: list[_Group], settings: AnalysisSettings) -> Callable[[], list[_GroupResult]]:
        """Start analysing ``groups`` on the workers; the function returned waits for the results, in
        the order of ``groups``."""
        if self._pool is None:
            context = fork_context()
            if context.get_start_method() == "fork":
                # jieba's dictionary and the learned weights: loaded once here, shared by the workers
                preload(settings)
            self._pool = context.Pool(self.workers)
        tasks = [(chunk, settings) for chunk in _chunks(groups)]
        pending = self._pool.starmap_async(_analyse_groups, tasks, chunksize=1)
        return lambda: [result for chunk in pending.get() for result in chunk]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None


def _groups(
    work: list[tuple[str, datetime] | None], known: dict[str, list[Suggestion] | None]
) -> list[_Group]:
    """The texts of ``work`` still to analyse, each with its distinct anchors (at most ``_CHUNK`` per
    group, so that one frequent text does not load one worker). A text is probed for anchor
    independence when it repeats and no earlier batch of the run has told."""
    by_text: dict[str, dict[datetime, None]] = {}
    for item in work:
        if item is not None:
            by_text.setdefault(item[0], {})[item[1]] = None
    groups: list[_Group] = []
    for text, distinct in by_text.items():
        if known.get(text) is not None:
            continue  # anchor-free, its suggestions known
        anchors = tuple(distinct)
        probe = text not in known and len(anchors) > 1
        groups.extend((text, anchors[i : i + _CHUNK], probe) for i in range(0, len(anchors), _CHUNK))
    return groups


def _chunks(groups: list[_Group]) -> list[list[_Group]]:
    """Groups cut into worker tasks of about ``_CHUNK`` analyses each."""
    chunks: list[list[_Group]] = [[]]
    size = 0
    for group in groups:
        if size >= _CHUNK:
            chunks.append([])
            size = 0
        chunks[-1].append(group)
        size += len(group[1])
    return [chunk for chunk in chunks if chunk]


def analyze_batch(
    work: list[tuple[str, datetime] | None],
    settings: AnalysisSettings,
    pool: _Pool | None = None,
    known: dict[str, list[Suggestion] | None] | None = None,
) -> list[list[Suggestion] | None]:
    """Suggestions per ``(text, anchor)`` of ``work`` (``None`` where the item is ``None``), the same as
    :func:`rapport.ml.notes.analyzer.analyze` note by note, with less work: a text whose suggestions do
    not depend on its anchor is analysed once, however many notes hold it; any other text once per
    distinct anchor. ``known`` remembers that across the batches of a run (text -> its suggestions when
    anchor-free, ``None`` when not); large batches go to ``pool``."""
    return _start_batch(work, settings, pool, known)()


def _start_batch(
    work: list[tuple[str, datetime] | None],
    settings: AnalysisSettings,
    pool: _Pool | None,
    known: dict[str, list[Suggestion] | None] | None,
) -> Callable[[], list[list[Suggestion] | None]]:
    """Start :func:`analyze_batch` (in the background on ``pool`` when the batch is large, else at once
    in this process); the function returned waits for it and gives its results."""
    known = {} if known is None else known
    groups = _groups(work, known)
    if pool is not None and sum(len(group[1]) for group in groups) >= _PARALLEL_MIN:
        groups = pool.order(groups)  # the order the results come back in
        wait = pool.map_async(groups, settings)
    else:
        results = _analyse_groups(groups, settings)

        def wait() -> list[_GroupResult]:
            return results

    def finish() -> list[list[Suggestion] | None]:
        return _batch_results(work, groups, wait(), known)

    return finish


def _batch_results(
    work: list[tuple[str, datetime] | None],
    groups: list[_Group],
    results: list[_GroupResult],
    known: dict[str, list[Suggestion] | None],
) -> list[list[Suggestion] | None]:
    """Each item's suggestions from its group's results; what was learned goes to ``known``."""
    free: dict[str, list[Suggestion]] = {}
    found: dict[tuple[str, datetime], list[Suggestion]] = {}
    for (text, anchors, _), (anchor_free, lists) in zip(groups, results, strict=True):
        if anchor_free:
            free[text] = lists[0]
        else:
            found.update(
                ((text, anchor), suggestions) for anchor, suggestions in zip(anchors, lists, strict=True)
            )
        if anchor_free is not None and len(known) < _TEXT_CACHE_MAX:
            known[text] = lists[0] if anchor_free else None
    out: list[list[Suggestion] | None] = []
    for item in work:
        if item is None:
            out.append(None)
            continue
        text = item[0]
        cached = free[text] if text in free else known.get(text)
        out.append(cached if cached is not None else found[item])
    return out


def _raw_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
    ).fetchall()
    return {row[0] for row in rows}


def _watermark(connection: duckdb.DuckDBPyConnection, table: str) -> datetime | None:
    rows = connection.execute(
        "SELECT watermark FROM enrich.note_analysis_watermarks WHERE source_table = ?", [table]
    ).fetchall()
    return rows[0][0] if rows else None


def _read_batches(connection: duckdb.DuckDBPyConnection, source: NoteSource, watermark: datetime | None):  # type: ignore[no-untyped-def]
    where = "WHERE modifiedon > ?" if watermark is not None else ""
    params = [watermark] if watermark is not None else []
    cursor = connection.cursor()
    cursor.execute(
        f"""
        SELECT CAST({source.key} AS VARCHAR), CAST({source.text} AS VARCHAR), CAST({source.regarding_id} AS VARCHAR),
               CAST({source.regarding_type} AS VARCHAR), createdon, modifiedon
        FROM raw.{source.table} {where}
        ORDER BY modifiedon, {source.key}
        """,
        params,
    )
    try:
        while batch := cursor.fetchmany(_BATCH):
            yield batch
    finally:
        cursor.close()


def _text_hash(text: str, anchor: datetime) -> str:
    return hashlib.blake2b(f"{anchor.isoformat()}\0{text}".encode(), digest_size=16).hexdigest()


def _known_hashes(connection: duckdb.DuckDBPyConnection, table: str, ids: list[str]) -> dict[str, str]:
    import pyarrow as pa

    connection.register("_hash_ids", pa.table({"source_id": pa.array(ids, pa.string())}))
    try:
        rows = connection.execute(
            "SELECT source_id, text_hash FROM enrich.note_text_hashes WHERE source_table = ? "
            "AND source_id IN (SELECT source_id FROM _hash_ids)",
            [table],
        ).fetchall()
    finally:
        connection.unregister("_hash_ids")
    return dict(rows)


def _store_hashes(connection: duckdb.DuckDBPyConnection, table: str, hashes: list[tuple[str, str]]) -> None:
    if not hashes:
        return
    import pyarrow as pa

    ids, digests = zip(*hashes, strict=True)
    connection.register(
        "_hash_rows",
        pa.table({"source_id": pa.array(ids, pa.string()), "text_hash": pa.array(digests, pa.string())}),
    )
    try:
        connection.execute(
            "INSERT OR REPLACE INTO enrich.note_text_hashes SELECT ?, source_id, text_hash FROM _hash_rows",
            [table],
        )
    finally:
        connection.unregister("_hash_rows")


def _forget_source(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    """Remove the suggestions and watermark of a source table that ``[notes] sources`` no longer lists."""
    count = connection.execute(
        "SELECT count(*) FROM enrich.note_suggestions WHERE source_table = ?", [table]
    ).fetchall()[0][0]
    connection.execute("DELETE FROM enrich.note_suggestions WHERE source_table = ?", [table])
    connection.execute("DELETE FROM enrich.note_text_hashes WHERE source_table = ?", [table])
    connection.execute("DELETE FROM enrich.note_analysis_watermarks WHERE source_table = ?", [table])
    return int(count)


def _delete_ids(connection: duckdb.DuckDBPyConnection, table: str, ids: list[str]) -> int:
    if not ids:
        return 0
    import pyarrow as pa

    connection.register("_note_ids", pa.table({"source_id": pa.array(ids, pa.string())}))
    try:
        row = connection.execute(
            "DELETE FROM enrich.note_suggestions WHERE source_table = ? AND source_id IN (SELECT source_id FROM _note_ids) RETURNING 1",
            [table],
        ).fetchall()
    finally:
        connection.unregister("_note_ids")
    return len(row)


def _delete_vanished(connection: duckdb.DuckDBPyConnection, source: NoteSource) -> int:
    rows = connection.execute(
        f"""
        DELETE FROM enrich.note_suggestions AS s
        WHERE s.source_table = ? AND NOT EXISTS (
            SELECT 1 FROM raw.{source.table} AS r WHERE CAST(r.{source.key} AS VARCHAR) = s.source_id
        )
        RETURNING 1
        """,
        [source.table],
    ).fetchall()
    connection.execute(
        f"""
        DELETE FROM enrich.note_text_hashes AS h
        WHERE h.source_table = ? AND NOT EXISTS (
            SELECT 1 FROM raw.{source.table} AS r WHERE CAST(r.{source.key} AS VARCHAR) = h.source_id
        )
        """,
        [source.table],
    )
    return len(rows)


def _insert(connection: duckdb.DuckDBPyConnection, rows: list[tuple[Any, ...]]) -> int:
    if not rows:
        return 0
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {
            "source_table": pa.array(columns[0], pa.string()),
            "source_id": pa.array(columns[1], pa.string()),
            "suggestion_index": pa.array(columns[2], pa.int32()),
            "regarding_id": pa.array(columns[3], pa.string()),
            "regarding_type": pa.array(columns[4], pa.string()),
            "suggestion_type": pa.array(columns[5], pa.string()),
            "span_start": pa.array(columns[6], pa.int32()),
            "span_end": pa.array(columns[7], pa.int32()),
            "matched_text": pa.array(columns[8], pa.string()),
            "fields": pa.array(columns[9], pa.string()),
            "confidence": pa.array(columns[10], pa.float64()),
            "language": pa.array(columns[11], pa.string()),
            "source_modified_at": pa.array(columns[12], pa.timestamp("us")),
            "analysed_at": pa.array(columns[13], pa.timestamp("us")),
            "ds": pa.array(columns[14], pa.date32()),
        }
    )
    connection.register("_note_rows", table)
    try:
        connection.execute(
            """
            INSERT INTO enrich.note_suggestions
            SELECT source_table, source_id, suggestion_index, regarding_id, regarding_type, suggestion_type, span_start,
                   span_end, matched_text, CAST(fields AS JSON), confidence, language, source_modified_at, analysed_at, ds
            FROM _note_rows
            """
        )
    finally:
        connection.unregister("_note_rows")
    return len(rows)


def _naive_utc(moment: datetime) -> datetime:
    """A timestamp for a DuckDB TIMESTAMP column: UTC without tzinfo."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A raw UTC timestamp (naive) as wall-clock time in the sellers' zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)
