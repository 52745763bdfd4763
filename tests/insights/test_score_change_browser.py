"""The record page's "Why it changed" in a real browser (Debian's chromium driven by Playwright).

Two daily runs of the tiny generated CRM in their own RAPPORT_HOME (the day of tests/insights/conftest.py,
then the next day): after the second, a record whose score moved shows the fields whose contributions moved
most, each with its direction and the size of its change, exactly as fct_predictive_scores.score_change_json
(read here independently from the published DuckDB copy) stores them. After the first run no record has a
previous score, and no page shows the section.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.insights.conftest import published_rows, run_day, serving, tiny_environment

# two daily runs of about 3 minutes each (more on a busy machine) are made by the first test's fixture
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

FIRST_DAY = date(2026, 3, 2)
SECOND_DAY = FIRST_DAY + timedelta(days=1)
LISTS = {"lead": "leads", "opportunity": "opportunities"}


@dataclass(frozen=True)
class TwoDays:
    first: Path  # the published copy as the first day's run left it
    second: Path  # the published copy after the next day's run


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> TwoDays:
    home = tmp_path_factory.mktemp("score-change") / "var"
    env = tiny_environment(home)
    run_day(env, FIRST_DAY.isoformat())
    first = home.parent / "first-day.duckdb"
    shutil.copy(home / "published" / "marts.duckdb", first)
    run_day(env, SECOND_DAY.isoformat())
    return TwoDays(first=first, second=home / "published" / "marts.duckdb")


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def second_day_pages(two_days: TwoDays) -> Iterator[str]:
    with serving(two_days.second) as url:
        yield url


def _latest(database: Path, day: date) -> list[tuple]:
    """(type, id, score, previous score, change JSON) of every scored row of ``day``, independently read."""
    return published_rows(
        database,
        "select s.msdyn_entitytype, s.msdyn_entityid, s.msdyn_score, "
        "(select p.msdyn_score from fct_predictive_scores p where p.msdyn_entitytype = s.msdyn_entitytype "
        " and p.msdyn_entityid = s.msdyn_entityid and p.msdyn_scoredon < s.msdyn_scoredon "
        " order by p.msdyn_scoredon desc limit 1), s.score_change_json "
        "from fct_predictive_scores s where s.msdyn_scoredon = ? and s.msdyn_score is not null "
        "order by 1, 2",
        [day],
    )


def test_a_moved_score_shows_each_field_with_its_direction_and_size(
    two_days: TwoDays, second_day_pages: str, page
) -> None:
    rows = _latest(two_days.second, SECOND_DAY)
    rescored = [row for row in rows if row[3] is not None]
    assert rescored, "no record was scored on both days"
    # every rescored row carries its change, and it names the previous score the history holds
    assert all(row[4] is not None and json.loads(row[4])["previous_score"] == row[3] for row in rescored)
    moved = [row for row in rescored if row[2] != row[3] and json.loads(row[4])["moved_by"]]
    assert moved, "no score moved between the two days"
    # the record of each type whose score moved most, and one more of the leads
    chosen: dict[tuple[str, str], tuple] = {}
    for entity_type in LISTS:
        of_type = sorted(
            (row for row in moved if row[0] == entity_type), key=lambda row: (-abs(row[2] - row[3]), row[1])
        )
        for row in of_type[:2]:
            chosen[(row[0], row[1])] = row
    assert chosen
    for (entity_type, record_id), (_, _, score, previous, text) in chosen.items():
        stored = json.loads(text)
        page.goto(f"{second_day_pages}/record/{LISTS[entity_type]}/{record_id}")
        assert page.inner_text("#score-value") == str(score)
        section = page.locator("#score-change")
        assert section.count() == 1, (
            f"{entity_type} {record_id}: no 'Why it changed' for {previous} -> {score}"
        )
        assert f"{previous} ({stored['since']}) → {score}" in section.inner_text()
        items = page.locator("#score-moved-by li")
        shown = items.evaluate_all(
            "lis => lis.map(li => [li.dataset.field, li.dataset.direction, li.querySelector('.dir').textContent,"
            " li.querySelector('.size').textContent, Number(li.querySelector('.size').dataset.change),"
            " li.querySelector('.move-bar').getBoundingClientRect().width])"
        )
        expected = stored["moved_by"]
        assert [s[0] for s in shown] == [m["field"] for m in expected]  # same fields, same order
        largest = max(abs(m["change"]) for m in expected)
        for (field, direction, arrow, size, value, width), item in zip(shown, expected, strict=True):
            sign = "raises" if item["change"] > 0 else "lowers"
            assert (direction, arrow) == (sign, "▲" if sign == "raises" else "▼"), field
            assert value == pytest.approx(item["change"]) and size == f"{item['change']:+.2f}", field
            assert width == pytest.approx(100 * abs(item["change"]) / largest, abs=1), field
            if item["from"] is not None or item["to"] is not None:
                line = items.filter(has_text=field).first.inner_text()
                assert f"{item['from'] or '—'} → {item['to'] or '—'}" in line, line
        # a new champion between the runs is said (its note), and only then
        assert stored["model_changed"] == ("new model" in section.inner_text().lower())


def test_without_a_previous_score_there_is_nothing_to_explain(two_days: TwoDays, page) -> None:
    rows = _latest(two_days.first, FIRST_DAY)
    assert rows and all(row[3] is None and row[4] is None for row in rows)
    with serving(two_days.first) as url:
        for entity_type, list_name in LISTS.items():
            record_id = next(row[1] for row in rows if row[0] == entity_type)
            page.goto(f"{url}/record/{list_name}/{record_id}")
            assert page.locator("#score-value").count() == 1  # scored ...
            assert page.locator("#score-change").count() == 0  # ... but never before
    # after the second day, a rescored record whose score did not move shows none either
    unmoved = [row for row in _latest(two_days.second, SECOND_DAY) if row[3] is not None and row[2] == row[3]]
    if unmoved:
        with serving(two_days.second) as url:
            entity_type, record_id = unmoved[0][:2]
            page.goto(f"{url}/record/{LISTS[entity_type]}/{record_id}")
            assert page.locator("#score-change").count() == 0
