"""Each relative date form of the brief, in English and Chinese, against fixed creation times."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from rapport.ml.notes import analyze
from rapport.ml.notes.timeexpr import weekday_date

WEDNESDAY = datetime(2026, 5, 6, 15, 20)  # Wednesday 6 May 2026, 15:20


def only(text: str, created: datetime = WEDNESDAY, language: str | None = None) -> dict:
    suggestions = analyze(text, created, language)
    assert len(suggestions) == 1, [s.to_dict() for s in suggestions]
    return suggestions[0].to_dict()


@pytest.mark.parametrize(
    ("text", "kind", "key", "expected"),
    [
        ("Call Priya tomorrow morning.", "phone_call", "start", "2026-05-07T09:00:00"),
        ("Meeting with the buyer next Tuesday at 10am.", "appointment", "start", "2026-05-12T10:00:00"),
        ("Send the signed NDA by Friday.", "task", "due", "2026-05-08T17:00:00"),
        ("Finalise the pricing proposal by end of month.", "task", "due", "2026-05-31T17:00:00"),
        ("Follow up in two days at 2pm.", "task", "due", "2026-05-08T14:00:00"),
    ],
)
def test_english_relative_forms(text: str, kind: str, key: str, expected: str) -> None:
    suggestion = only(text)
    assert suggestion["type"] == kind
    assert suggestion["fields"][key] == expected
    assert suggestion["language"] == "en"


@pytest.mark.parametrize(
    ("text", "kind", "key", "expected"),
    [
        ("明天上午给李经理打电话。", "phone_call", "start", "2026-05-07T09:00:00"),
        ("下周二上午10点和买方开会。", "appointment", "start", "2026-05-12T10:00:00"),
        ("本周五之前把保密协议发回去。", "task", "due", "2026-05-08T17:00:00"),
        ("月底前完成价格方案。", "task", "due", "2026-05-31T17:00:00"),
        ("后天下午2点跟进客户反馈。", "task", "due", "2026-05-08T14:00:00"),
    ],
)
def test_chinese_relative_forms(text: str, kind: str, key: str, expected: str) -> None:
    suggestion = only(text)
    assert suggestion["type"] == kind
    assert suggestion["fields"][key] == expected
    assert suggestion["language"] == "zh"


def test_next_weekday_means_next_calendar_week_even_on_monday() -> None:
    monday = datetime(2026, 5, 4, 9, 5)
    assert (
        only("Next Tuesday at 10am: workshop with the buyer.", monday)["fields"]["start"]
        == "2026-05-12T10:00:00"
    )
    assert only("Tuesday 2pm call with Jacob.", monday)["fields"]["start"] == "2026-05-05T14:00:00"
    assert only("这周四上午10点演示。", monday)["fields"]["start"] == "2026-05-07T10:00:00"


def test_weekday_conventions() -> None:
    wednesday = date(2026, 5, 6)
    assert weekday_date(wednesday, 2, "") == date(2026, 5, 13)  # bare weekday: never today
    assert weekday_date(wednesday, 4, "this") == date(2026, 5, 8)
    assert weekday_date(wednesday, 4, "next") == date(2026, 5, 15)
    assert weekday_date(wednesday, 4, "next2") == date(2026, 5, 22)
    assert weekday_date(date(2026, 11, 1), 0, "next") == date(
        2026, 11, 2
    )  # Sunday: next week starts tomorrow


def test_defaults_and_durations() -> None:
    lunch = only("Lunch with Sarah Friday.")
    assert lunch["fields"]["start"] == "2026-05-08T12:00:00"
    assert lunch["fields"]["end"] == "2026-05-08T13:00:00"  # 60-minute default
    call = only("Call Jenny tomorrow at 3.")  # bare 3 -> 15:00
    assert call["fields"]["start"] == "2026-05-07T15:00:00"
    assert call["fields"]["end"] == "2026-05-07T15:30:00"  # 30-minute call
    ranged = only("Workshop with the analytics team in three days, 9am–12pm.")
    assert (ranged["fields"]["start"], ranged["fields"]["end"]) == (
        "2026-05-09T09:00:00",
        "2026-05-09T12:00:00",
    )
    week = only("Send the security questionnaire next week.")
    assert week["fields"]["due"] == "2026-05-15T17:00:00"  # a period is due on its last working day
    meet_week = only("Coffee catch-up with Ahmed next week.")
    assert meet_week["fields"]["start"] == "2026-05-11T09:00:00"  # and starts on its first


def test_exact_offsets_year_rollover_and_bare_times() -> None:
    assert only("Set up a call with Lena in 2 hours.")["fields"]["start"] == "2026-05-06T17:20:00"
    assert only("两小时后给莉娜打个电话。")["fields"]["start"] == "2026-05-06T17:20:00"
    december = datetime(2026, 12, 17, 11, 0)
    assert (
        only("Kick-off with the new team on Jan 8 at 10am.", december)["fields"]["start"]
        == "2027-01-08T10:00:00"
    )
    assert only("1月8日上午10点开启动会。", december)["fields"]["start"] == "2027-01-08T10:00:00"
    assert only("下个月底前关掉所有待办。", december)["fields"]["due"] == "2027-01-31T17:00:00"
    # a time of day without a date: today if still ahead, else tomorrow
    assert only("Quick call at 4pm about pricing.")["fields"]["start"] == "2026-05-06T16:00:00"
    assert only("Quick call at 10am about pricing.")["fields"]["start"] == "2026-05-07T10:00:00"


def test_past_dates_suggest_nothing() -> None:
    assert analyze("Meet the customer on May 4 at 4:00 PM", WEDNESDAY) == []
    assert analyze("5月4日下午4:00与客户会面", WEDNESDAY) == []
    assert analyze("We met last Tuesday and walked through the roadmap.", WEDNESDAY) == []
    assert analyze("上周二和客户见了面，聊了产品路线图。", WEDNESDAY) == []
    assert analyze("Had a long call with Marco yesterday.", WEDNESDAY) == []


def test_full_width_digits_and_punctuation() -> None:
    assert only("Call Li Wei at １０:３０ tomorrow.")["fields"]["start"] == "2026-05-07T10:30:00"
    assert only("明天１０：３０给李伟打电话。")["fields"]["start"] == "2026-05-07T10:30:00"
    assert only("請安排下週一上午１０：３０和趙女士見面。")["fields"]["start"] == "2026-05-11T10:30:00"


def test_aware_creation_time_keeps_its_offset() -> None:
    shanghai = timezone(timedelta(hours=8))
    result = only("明天上午10点给王总打电话。", datetime(2026, 5, 6, 23, 30, tzinfo=shanghai))
    assert result["fields"]["start"] == "2026-05-07T10:00:00+08:00"
