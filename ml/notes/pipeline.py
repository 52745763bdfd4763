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
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rapport.config import load_config
from rapport.ml.notes.analyzer import AnalysisSettings, analyze
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
                    json.dumps(suggestion.to_dict()["fields"], ensure_ascii=False),
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


def _analyse_source(
    connection: duckdb.DuckDBPyConnection,
    source: NoteSource,
    *,
    full: bool,
    zone: ZoneInfo,
    settings: AnalysisSettings,
    pool: _Pool | None,
    analysed_at: datetime,
    ds: date,
    counts: _NotesCounts,
) -> None:
    """Analyse one source's rows changed since its watermark, then move the watermark."""
    counts.replaced += _delete_vanished(connection, source)
    watermark = None if full else _watermark(connection, source.table)
    count, new_watermark = 0, watermark
    for batch in _read_batches(connection, source, watermark):
        count += len(batch)
        ids = [row[0] for row in batch]
        known = {} if full else _known_hashes(connection, source.table, ids)
        plan = _plan_batch(batch, source, known, zone, counts, new_watermark)
        new_watermark = plan.watermark
        counts.replaced += _delete_ids(connection, source.table, plan.changed)
        _store_hashes(connection, source.table, plan.hashes)
        results = _analyse_all(plan.work, settings, pool)
        counts.written += _insert(
            connection, _suggestion_rows(batch, results, source, analysed_at, ds, counts)
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


_PARALLEL_MIN = 2000  # texts: smaller batches are analysed in this process (starting workers costs more)
_CHUNK = 500  # texts per task sent to a worker


class _Pool:
    """Worker processes for notes analysis, started on first use (``fork`` where available, so the
    compiled patterns and jieba's dictionary are shared), closed at the end of the run."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Any = None

    def map(
        self, chunks: list[list[tuple[str, datetime]]], settings: AnalysisSettings
    ) -> list[list[list[Suggestion]]]:
        if self._pool is None:
            self._pool = fork_context().Pool(self.workers)
        return self._pool.starmap(_analyse_chunk, [(chunk, settings) for chunk in chunks])

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None


def _analyse_chunk(chunk: list[tuple[str, datetime]], settings: AnalysisSettings) -> list[list[Suggestion]]:
    return [analyze(text, anchor, settings=settings) for text, anchor in chunk]


def _analyse_all(
    work: list[tuple[str, datetime] | None], settings: AnalysisSettings, pool: _Pool | None
) -> list[list[Suggestion] | None]:
    """Suggestions per text (``None`` where there is nothing to analyse). A text repeated with the same
    anchor (templated notes, copied descriptions) is analysed once; large batches go to the pool."""
    unique: dict[tuple[str, datetime], int] = {}
    for item in work:
        if item is not None and item not in unique:
            unique[item] = len(unique)
    items = list(unique)
    if pool is not None and len(items) >= _PARALLEL_MIN:
        chunks = [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
        found = [s for part in pool.map(chunks, settings) for s in part]
    else:
        found = _analyse_chunk(items, settings)
    return [None if item is None else found[unique[item]] for item in work]


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
