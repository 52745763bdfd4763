"""Talking points: keyword detection in both languages, category switches and the warehouse scan."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from rapport.ml.notes.talking_points import UnknownCategoryError, detect_talking_points, find_topics

ALL = ("sports", "family", "vacation", "entertainment")


def test_topics_in_english_and_chinese_with_their_sentence() -> None:
    text = "Thanks for the demo. My daughter just started university! We're off to the beach next week."
    topics = {t.category: t for t in find_topics(text, ALL)}
    assert set(topics) == {"family", "vacation"}
    assert topics["family"].snippet == "My daughter just started university!"
    assert topics["vacation"].keyword == "beach" and topics["vacation"].language == "en"
    zh = {t.category: t for t in find_topics("谢谢您的报价。周末带孩子去看了电影。下个月去海边度假。", ALL)}
    assert set(zh) == {"family", "entertainment", "vacation"}
    assert zh["vacation"].snippet == "下个月去海边度假。"
    assert zh["entertainment"].keyword == "电影"


def test_business_words_are_not_talking_points() -> None:
    text = "Our product family fits your game plan; see you at the trade show. Please book a meeting with the team."
    assert find_topics(text, ALL) == []


def test_category_switches() -> None:
    text = "Played golf on Sunday with my son."
    assert {t.category for t in find_topics(text, ALL)} == {"sports", "family"}
    assert {t.category for t in find_topics(text, ("family",))} == {"family"}
    with pytest.raises(UnknownCategoryError, match="known"):
        find_topics(text, ("cooking",))


def email(
    activityid: str,
    text: str,
    *,
    inbound: bool = True,
    senton: str = "2026-05-05 09:00:00",
    modified: str | None = None,
) -> dict[str, Any]:
    return {
        "activityid": activityid,
        "subject": "Re: proposal",
        "description": text,
        "statecode": 1,
        "directioncode": not inbound,
        "senton": senton,
        "ownerid": "user-1",
        "createdon": senton,
        "modifiedon": modified or senton,
    }


def party(activityid: str, partyid: str, kind: str = "contact", mask: int = 1) -> dict[str, Any]:
    return {
        "activitypartyid": f"{activityid}-{partyid}-{mask}",
        "activityid": activityid,
        "partyid": partyid,
        "partyobjecttypecode": kind,
        "participationtypemask": mask,
    }


def mentions(connection: Any) -> list[tuple[Any, ...]]:
    return connection.execute(
        "SELECT email_id, contact_id, category, keyword, snippet, mentioned_at, language FROM enrich.talking_point_mentions ORDER BY ALL"
    ).fetchall()


def test_only_inbound_customer_emails_are_scanned_and_reruns_are_idempotent(
    warehouse: Any, rows: Any
) -> None:
    rows(warehouse, "email", [
        email("e1", "<p>Great call. I'm back from a ski trip with my kids.</p>"),
        email("e2", "周末去打网球了，下周再聊合同。", senton="2026-05-06 10:00:00"),
        email("e3", "Enjoy your holiday! (our own outbound e-mail)", inbound=False),
        email("e4", "Went to a concert last night.", senton="2026-05-06 11:00:00"),
    ])  # fmt: skip
    rows(warehouse, "activityparty", [
        party("e1", "c1"), party("e1", "u1", "systemuser", 2),
        party("e2", "c2"),
        party("e3", "u1", "systemuser"), party("e3", "c1", "contact", 2),
        party("e4", "u2", "systemuser"),  # sent by a colleague, not a contact
    ])  # fmt: skip
    ds, at = date(2026, 5, 7), datetime(2026, 5, 7, 1, 0)

    summary = detect_talking_points(warehouse, ds, ALL, analysed_at=at)

    assert summary.emails_scanned == 2 and summary.full_rescan
    assert mentions(warehouse) == [
        (
            "e1",
            "c1",
            "family",
            "my kids",
            "I'm back from a ski trip with my kids.",
            datetime(2026, 5, 5, 9, 0),
            "en",
        ),
        (
            "e1",
            "c1",
            "vacation",
            "back from",
            "I'm back from a ski trip with my kids.",
            datetime(2026, 5, 5, 9, 0),
            "en",
        ),
        ("e2", "c2", "sports", "网球", "周末去打网球了，下周再聊合同。", datetime(2026, 5, 6, 10, 0), "zh"),
    ]
    first = mentions(warehouse)
    again = detect_talking_points(warehouse, ds, ALL, analysed_at=at)
    assert again.emails_scanned == 0 and not again.full_rescan
    assert mentions(warehouse) == first


def test_switching_a_category_off_removes_it_and_changed_emails_are_replaced(
    warehouse: Any, rows: Any
) -> None:
    rows(warehouse, "email", [email("e1", "Played golf with my son on Sunday.")])
    rows(warehouse, "activityparty", [party("e1", "c1")])
    detect_talking_points(warehouse, date(2026, 5, 7), ALL, analysed_at=datetime(2026, 5, 7, 1, 0))
    assert {r[2] for r in mentions(warehouse)} == {"sports", "family"}

    summary = detect_talking_points(
        warehouse, date(2026, 5, 8), ("family", "vacation"), analysed_at=datetime(2026, 5, 8, 1, 0)
    )
    assert summary.full_rescan  # categories changed: everything is rescanned
    assert {r[2] for r in mentions(warehouse)} == {"family"}

    warehouse.execute(
        "UPDATE raw.email SET description = 'We are on vacation in June.', modifiedon = '2026-05-08 12:00:00'"
    )
    detect_talking_points(
        warehouse, date(2026, 5, 9), ("family", "vacation"), analysed_at=datetime(2026, 5, 9, 1, 0)
    )
    assert [(r[0], r[2], r[4]) for r in mentions(warehouse)] == [
        ("e1", "vacation", "We are on vacation in June.")
    ]
