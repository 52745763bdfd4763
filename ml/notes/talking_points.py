"""Talking points: personal topics (sports, family, vacation, entertainment ...) that customers mention
in the e-mails they send us, with the sentence that mentions them.

Keyword and phrase lists live in :data:`CATEGORY_KEYWORDS` per category and language; a category is
switched on or off in ``[talking_points.categories]`` of rapport.toml. :func:`find_topics` reads one
text; :func:`detect_talking_points` scans inbound customer e-mails in the warehouse (``raw.email`` with
``directioncode`` false whose sender party, ``raw.activityparty`` mask 1, is a contact) into
``enrich.talking_point_mentions``.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from rapport.errors import RapportInputError
from rapport.ml.notes.pipeline import ensure_enrich_tables
from rapport.ml.notes.text import fold, has_han, sentences

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

# English entries are whole words or phrases (case-insensitive, word boundaries); Chinese entries are
# substrings. Ambiguous business words ("team", "game plan", "trade show", "product family",
# "book a meeting") are left out or only listed inside a phrase.
CATEGORY_KEYWORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "sports": {
        "en": (
            "football", "soccer", "basketball", "baseball", "tennis", "golf", "golfing", "rugby", "cricket", "hockey",
            "marathon", "half marathon", "triathlon", "cycling", "bike ride", "skiing", "snowboarding", "swimming",
            "yoga", "hiking", "climbing", "surfing", "sailing", "the gym", "workout", "world cup", "super bowl",
            "olympics", "nba", "premier league", "champions league", "tour de france", "the match", "the game last night",
            "went running", "go running", "a run this", "fantasy league", "playoffs", "our team won", "their team won",
        ),
        "zh": (
            "足球", "篮球", "网球", "高尔夫", "羽毛球", "乒乓球", "排球", "跑步", "马拉松", "健身", "游泳", "滑雪", "骑行", "瑜伽",
            "球赛", "世界杯", "奥运", "NBA", "中超", "欧冠", "登山", "爬山", "徒步", "打球", "钓鱼",
        ),
    },
    "family": {
        "en": (
            "my wife", "my husband", "my partner", "my kids", "my children", "my son", "my daughter", "my baby", "my family",
            "my parents", "my mother", "my mom", "my mum", "my father", "my dad", "our kids", "our son", "our daughter",
            "our baby", "our family", "the kids", "new baby", "newborn", "got married", "getting married", "wedding",
            "anniversary", "birthday", "maternity leave", "paternity leave", "parental leave", "school run", "graduation",
            "grandchildren", "grandson", "granddaughter", "twins", "toddler",
        ),
        "zh": (
            "孩子", "儿子", "女儿", "老婆", "老公", "妻子", "丈夫", "爱人", "家人", "家里人", "父母", "爸爸", "妈妈", "宝宝", "小孩",
            "二胎", "结婚", "婚礼", "生日", "满月", "产假", "陪产假", "高考", "中考", "幼儿园", "上小学", "周年纪念",
        ),
    },
    "vacation": {
        "en": (
            "vacation", "holiday", "holidays", "time off", "annual leave", "pto", "road trip", "beach", "honeymoon", "cruise",
            "ski trip", "long weekend", "getaway", "sabbatical", "trip to", "travelling to", "traveling to", "back from",
        ),
        "zh": (
            "休假", "度假", "假期", "年假", "旅游", "旅行", "出去玩", "海边", "国庆", "春节", "五一", "十一长假", "蜜月", "游轮", "自驾", "出国玩", "放假",
        ),
    },
    "entertainment": {
        "en": (
            "movie", "movies", "film", "cinema", "concert", "netflix", "tv series", "tv show", "the series", "theatre",
            "theater", "musical", "opera", "album", "festival", "novel", "reading a", "video game", "video games", "gaming",
            "podcast", "binge", "season finale", "stand-up", "comedy show", "exhibition", "museum",
        ),
        "zh": (
            "电影", "电视剧", "综艺", "演唱会", "音乐会", "话剧", "音乐剧", "展览", "追剧", "游戏", "小说", "看书", "动漫", "脱口秀", "博物馆", "音乐节",
        ),
    },
}  # fmt: skip
DEFAULT_CATEGORIES = ("sports", "family", "vacation", "entertainment")
SNIPPET_MAX_CHARS = 300


class UnknownCategoryError(RapportInputError, ValueError):
    """A talking-point category with no keyword list."""


@dataclass(frozen=True)
class TopicMention:
    """A category mentioned in one text: the keyword that matched and its sentence."""

    category: str
    keyword: str
    snippet: str
    span: tuple[int, int]  # of the snippet in the text
    language: str


@dataclass(frozen=True)
class TalkingPointsSummary:
    ds: date
    analysed_at: datetime
    categories: tuple[str, ...]
    emails_scanned: int
    mentions_written: int
    mentions_replaced: int
    full_rescan: bool
    by_category: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def check_categories(categories: Iterable[str]) -> tuple[str, ...]:
    """The categories, validated against :data:`CATEGORY_KEYWORDS`."""
    chosen = tuple(dict.fromkeys(categories))
    unknown = [c for c in chosen if c not in CATEGORY_KEYWORDS]
    if unknown:
        raise UnknownCategoryError(
            f"talking-point categories {unknown} have no keyword lists; known: {sorted(CATEGORY_KEYWORDS)} "
            "(add one to CATEGORY_KEYWORDS in ml/notes/talking_points.py, or switch it off in [talking_points.categories])"
        )
    return chosen


@cache
def _pattern(category: str, language: str) -> re.Pattern[str]:
    words = sorted(CATEGORY_KEYWORDS[category].get(language, ()), key=len, reverse=True)
    if not words:
        return re.compile(r"(?!x)x")
    if language == "zh":
        return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def find_topics(text: str, categories: Iterable[str] = DEFAULT_CATEGORIES) -> list[TopicMention]:
    """The first mention of each category in ``text`` (language chosen per sentence by script)."""
    chosen = check_categories(categories)
    if not text:
        return []
    folded = fold(text)
    found: dict[str, TopicMention] = {}
    for start, end in sentences(folded):
        sentence = folded[start:end]
        languages = ("zh", "en") if has_han(sentence) else ("en",)
        for category in chosen:
            if category in found:
                continue
            for language in languages:
                m = _pattern(category, language).search(sentence)
                if m is not None:
                    snippet = " ".join(text[start:end].split())
                    if len(snippet) > SNIPPET_MAX_CHARS:
                        snippet = snippet[: SNIPPET_MAX_CHARS - 1] + "…"
                    found[category] = TopicMention(
                        category, text[start + m.start() : start + m.end()], snippet, (start, end), language
                    )
                    break
    return sorted(found.values(), key=lambda t: (t.span[0], t.category))


_TAG = re.compile(r"<[^>]{0,500}>")
_BATCH = 5000


@dataclass
class _ScanCounts:
    """Running counts of one detection run (mutable: filled batch by batch)."""

    scanned: int = 0
    written: int = 0
    replaced: int = 0
    by_category: Counter[str] = field(default_factory=Counter)


def _delete_switched_off(connection: duckdb.DuckDBPyConnection, chosen: tuple[str, ...]) -> int:
    """Delete the mentions of categories no longer chosen (all when none is); the number deleted."""
    if chosen:
        return len(
            connection.execute(
                "DELETE FROM enrich.talking_point_mentions WHERE category NOT IN (SELECT unnest(?)) RETURNING 1",
                [list(chosen)],
            ).fetchall()
        )
    return len(connection.execute("DELETE FROM enrich.talking_point_mentions RETURNING 1").fetchall())


def _mention_rows(
    batch: list[tuple[Any, ...]],
    chosen: tuple[str, ...],
    analysed_at: datetime,
    ds: date,
    counts: _ScanCounts,
    watermark: datetime | None,
) -> tuple[list[tuple[Any, ...]], list[str], datetime | None]:
    """The mention rows of one batch of e-mails, the batch's e-mail ids and the advanced watermark."""
    rows: list[tuple[Any, ...]] = []
    ids: list[str] = []
    for email_id, contact_id, body, mentioned_at, modified_on in batch:
        counts.scanned += 1
        ids.append(email_id)
        if modified_on is not None and (watermark is None or modified_on > watermark):
            watermark = modified_on
        text = _TAG.sub(" ", body or "")
        for topic in find_topics(text, chosen) if chosen else []:
            rows.append(
                (
                    email_id,
                    contact_id,
                    topic.category,
                    topic.keyword,
                    topic.snippet,
                    mentioned_at,
                    topic.language,
                    analysed_at,
                    ds,
                )
            )
            counts.by_category[topic.category] += 1
    return rows, ids, watermark


def _scan_inbound(
    connection: duckdb.DuckDBPyConnection,
    watermark: datetime | None,
    chosen: tuple[str, ...],
    label: str,
    analysed_at: datetime,
    ds: date,
    counts: _ScanCounts,
) -> None:
    """Drop mentions of vanished e-mails, rescan e-mails changed after ``watermark`` and move the watermark."""
    counts.replaced += len(
        connection.execute(
            """
            DELETE FROM enrich.talking_point_mentions AS m
            WHERE NOT EXISTS (SELECT 1 FROM raw.email AS e WHERE CAST(e.activityid AS VARCHAR) = m.email_id)
            RETURNING 1
            """
        ).fetchall()
    )
    new_watermark = watermark
    for batch in _inbound_batches(connection, watermark):
        rows, ids, new_watermark = _mention_rows(batch, chosen, analysed_at, ds, counts, new_watermark)
        counts.replaced += len(
            connection.execute(
                "DELETE FROM enrich.talking_point_mentions WHERE email_id IN (SELECT unnest(?)) RETURNING 1",
                [ids],
            ).fetchall()
        )
        if rows:
            connection.executemany(
                "INSERT INTO enrich.talking_point_mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            counts.written += len(rows)
    connection.execute("DELETE FROM enrich.talking_point_watermarks")
    connection.execute(
        "INSERT INTO enrich.talking_point_watermarks VALUES (?, ?, ?, ?)",
        [new_watermark, label, analysed_at, ds],
    )


def detect_talking_points(
    connection: duckdb.DuckDBPyConnection,
    ds: date,
    categories: Iterable[str],
    *,
    analysed_at: datetime | None = None,
    full: bool = False,
) -> TalkingPointsSummary:
    """Scan inbound customer e-mails changed since the last run into ``enrich.talking_point_mentions``.

    Idempotent per e-mail: a rescanned e-mail's earlier mentions are replaced; mentions of e-mails that
    left ``raw.email`` or of categories now switched off are deleted. A change of ``categories`` since
    the last run (or ``full=True``) rescans every e-mail.
    """

    chosen = check_categories(categories)
    analysed_at = analysed_at or datetime.now().replace(microsecond=0)
    if analysed_at.tzinfo is not None:
        analysed_at = analysed_at.astimezone(UTC).replace(tzinfo=None)
    started = time.perf_counter()
    ensure_enrich_tables(connection)
    tables = {
        r[0]
        for r in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    label = ",".join(sorted(chosen))
    previous = connection.execute(
        "SELECT watermark, categories FROM enrich.talking_point_watermarks"
    ).fetchall()
    rescan = full or not previous or previous[0][1] != label
    watermark = None if rescan else previous[0][0]
    counts = _ScanCounts()
    connection.execute("BEGIN TRANSACTION")
    try:
        counts.replaced += _delete_switched_off(connection, chosen)
        if "email" not in tables or "activityparty" not in tables:
            log.warning("raw.email or raw.activityparty missing: no talking points detected")
        else:
            _scan_inbound(connection, watermark, chosen, label, analysed_at, ds, counts)
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise
    summary = TalkingPointsSummary(
        ds=ds,
        analysed_at=analysed_at,
        categories=chosen,
        emails_scanned=counts.scanned,
        mentions_written=counts.written,
        mentions_replaced=counts.replaced,
        full_rescan=rescan,
        by_category=dict(counts.by_category),
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info(
        "talking points %s: %d inbound e-mails scanned, %d mentions written",
        ds,
        counts.scanned,
        counts.written,
    )
    return summary


def _inbound_batches(connection: duckdb.DuckDBPyConnection, watermark: datetime | None):  # type: ignore[no-untyped-def]
    """Inbound e-mails (directioncode false) whose sender party is a contact, changed after ``watermark``.
    An e-mail with several contact senders (rare) yields one row per contact."""
    where = "AND e.modifiedon > ?" if watermark is not None else ""
    cursor = connection.cursor()
    cursor.execute(
        f"""
        SELECT DISTINCT CAST(e.activityid AS VARCHAR), CAST(p.partyid AS VARCHAR), e.description,
               coalesce(e.senton, e.createdon) AS mentioned_at, e.modifiedon
        FROM raw.email AS e
        INNER JOIN raw.activityparty AS p
            ON CAST(p.activityid AS VARCHAR) = CAST(e.activityid AS VARCHAR)
           AND p.participationtypemask = 1
           AND lower(p.partyobjecttypecode) = 'contact'
           AND p.partyid IS NOT NULL
        WHERE NOT coalesce(e.directioncode, true) {where}
        ORDER BY 5, 1, 2
        """,
        [watermark] if watermark is not None else [],
    )
    try:
        while batch := cursor.fetchmany(_BATCH):
            yield batch
    finally:
        cursor.close()
