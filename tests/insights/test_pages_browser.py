"""The insight pages in a real browser (Debian's chromium driven by Playwright) over a tiny run's published copy.

Every value the pages show is compared with an independent query of the published DuckDB file. A
screenshot of each page type is saved under the test's output folder (and, when
RAPPORT_SCREENSHOTS_DIR is set, copied there: that is how docs/img/ is refreshed).
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.insights.conftest import TinyRun, published_rows

pytestmark = [pytest.mark.slow]

MEASURES = (
    "emails_sent",
    "emails_received",
    "meetings_sent",
    "meetings_received",
    "calls_made",
    "calls_received",
    "tasks",
)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


def shot(page, folder: Path, name: str, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    target = folder / f"insights_{name}.png"
    page.screenshot(path=str(target), full_page=full_page)
    assert target.stat().st_size > 10_000
    copy_to = os.environ.get("RAPPORT_SCREENSHOTS_DIR")
    if copy_to:
        shutil.copy(target, Path(copy_to) / target.name)


def ds_of(run: TinyRun) -> date:
    return published_rows(run.published, "select ds from _publication")[0][0]


def latest_scores(run: TinyRun, entity_type: str) -> dict[str, int | None]:
    return dict(
        published_rows(
            run.published,
            "select msdyn_entityid, arg_max(msdyn_score, msdyn_scoredon) from fct_predictive_scores "
            "where msdyn_entitytype = ? group by 1",
            [entity_type],
        )
    )


def test_list_view_sorts_filters_and_opens_a_record(tiny_run: TinyRun, pages: str, page, screenshots) -> None:
    (total,) = published_rows(tiny_run.published, "select count(*) from dim_opportunities")[0]
    page.goto(f"{pages}/list/opportunities")
    assert page.inner_text("#row-count").startswith(f"{total} ")
    shot(page, screenshots, "list")

    # sort by score, highest first: the first rows carry the highest scores of the marts
    page.click("#sort-score")  # ascending
    page.click("#sort-score")  # descending
    assert "desc=1" in page.url and "sort=score" in page.url
    shown = [
        int(value)
        for value in page.locator("#list tbody td.score").evaluate_all(
            "cells => cells.map(c => c.dataset.score).filter(v => v !== '')"
        )
    ]
    scores = sorted(
        (score for score in latest_scores(tiny_run, "opportunity").values() if score is not None),
        reverse=True,
    )
    assert shown and shown == scores[: len(shown)]

    # filter by health band: the count is the marts' count
    (good,) = published_rows(
        tiny_run.published, "select count(*) from dim_opportunities where health_band = 'good'"
    )[0]
    page.select_option("#filter-band", "good")
    page.click("#filters button[type=submit]")
    assert page.inner_text("#row-count").startswith(f"{good} ")
    bands = page.locator("#list tbody td.health .band").all_inner_texts()
    assert bands and set(bands) == {"good"}

    # search by a name, then open the record
    (record_id, name) = published_rows(
        tiny_run.published,
        "select opportunity_id, opportunity_name from dim_opportunities where health_band = 'good' "
        "order by activity_count desc, opportunity_id limit 1",
    )[0]
    page.fill("#search", name)
    page.click("#filters button[type=submit]")
    page.click(f"#list tbody tr[data-id='{record_id}'] a")
    assert page.inner_text("#record-title").startswith(name)
    assert f"/record/opportunities/{record_id}" in page.url


def _expected_kpis(run: TinyRun, record_type: str, record_id: str) -> dict:
    connection_rows = published_rows(
        run.published,
        "select * from fct_relationship_kpis where record_type = ? and record_id = ? and as_of_date = ?",
        [record_type, record_id, ds_of(run)],
    )
    import duckdb

    with duckdb.connect(str(run.published), read_only=True) as connection:
        names = [c[0] for c in connection.execute("select * from fct_relationship_kpis limit 0").description]
    return dict(zip(names, connection_rows[0], strict=True))


def one_decimal(value: float | None) -> str:
    return "—" if value is None else f"{float(value):,.1f}"


def test_record_page_shows_each_panel_with_the_marts_values(
    tiny_run: TinyRun, pages: str, page, screenshots
) -> None:
    ds = ds_of(tiny_run)
    # the scored open opportunity with the most activities
    (record_id,) = published_rows(
        tiny_run.published,
        "select d.opportunity_id from dim_opportunities d join fct_predictive_scores s "
        "on s.msdyn_entitytype = 'opportunity' and s.msdyn_entityid = d.opportunity_id and s.msdyn_scoredon = ? "
        "where d.is_open and s.msdyn_score is not null order by d.activity_count desc, d.opportunity_id limit 1",
        [ds],
    )[0]
    kpis = _expected_kpis(tiny_run, "opportunity", record_id)
    page.goto(f"{pages}/record/opportunities/{record_id}")

    # 1 overview: this year / previous years / last 90 days / all time per measure
    for measure in MEASURES:
        row = page.locator(f"#panel-overview tr[data-measure='{measure}']")
        assert row.locator(".this-year").inner_text() == str(kpis[f"{measure}_this_year_count"])
        assert row.locator(".previous-years").inner_text() == str(kpis[f"{measure}_previous_years_count"])
        assert row.locator(".recent").inner_text() == str(kpis[f"{measure}_last_n_days_count"])
        assert row.locator(".total").inner_text() == str(kpis[f"{measure}_count"])

    # 2 health with trend
    (score, band, trend) = published_rows(
        tiny_run.published,
        "select health_score, health_band, health_trend from fct_relationship_health_daily "
        "where record_type = 'opportunity' and record_id = ? and as_of_date = ?",
        [record_id, ds],
    )[0]
    assert page.inner_text("#health-score") == one_decimal(score)
    assert page.inner_text("#panel-health .band") == band
    assert page.inner_text("#health-trend") == trend

    # 3 initiated by us vs them
    ours = sum(kpis[f"{m}_count"] for m in ("emails_sent", "meetings_sent", "calls_made"))
    theirs = sum(kpis[f"{m}_count"] for m in ("emails_received", "meetings_received", "calls_received"))
    assert page.inner_text("#initiated-ours") == str(ours)
    assert page.inner_text("#initiated-theirs") == str(theirs)

    # 4 hours, 5 response time, 6 e-mail ratio
    assert page.inner_text("#hours-ours") == one_decimal(kpis["hours_ours"])
    assert page.inner_text("#hours-theirs") == one_decimal(kpis["hours_theirs"])
    assert page.inner_text("#response-ours") == one_decimal(kpis["avg_response_hours_ours"])
    assert page.inner_text("#response-theirs") == one_decimal(kpis["avg_response_hours_theirs"])
    assert page.inner_text("#emails-sent") == str(kpis["emails_sent_count"])
    assert page.inner_text("#emails-received") == str(kpis["emails_received_count"])
    ratio = kpis["emails_sent_to_received_ratio"]
    assert page.inner_text("#email-ratio") == ("—" if ratio is None else f"{ratio:,.2f}")

    # 7 the 90-day chart: one bar segment per day and measure of fct_relationship_activity_daily
    expected = {
        (day.isoformat(), measure): int(count)
        for day, measure, count in published_rows(
            tiny_run.published,
            "select activity_date, measure, sum(activity_count) from fct_relationship_activity_daily "
            "where record_type = 'opportunity' and record_id = ? and as_of_date = ? group by 1, 2",
            [record_id, ds],
        )
    }
    bars = page.locator("#panel-activity-chart rect[data-date]").evaluate_all(
        "rects => rects.map(r => [r.dataset.date, r.dataset.measure, Number(r.dataset.count)])"
    )
    assert expected and {(d, m): c for d, m, c in bars} == expected

    # most contacted / contacted by
    assert page.inner_text("#most-contacted") == (kpis["most_contacted_name"] or "—")
    assert page.inner_text("#most-contacted-by") == (kpis["most_contacted_by_name"] or "—")

    # score widget: score, grade, reasons, the month's chart
    (value, grade, reasons) = published_rows(
        tiny_run.published,
        "select msdyn_score, msdyn_grade, msdyn_scorereasons from fct_predictive_scores "
        "where msdyn_entitytype = 'opportunity' and msdyn_entityid = ? and msdyn_scoredon = ?",
        [record_id, ds],
    )[0]
    assert page.inner_text("#score-value") == str(value)
    assert page.inner_text("#score-grade") == "ABCD"[grade]
    import json

    raises = [r["text"] for r in json.loads(reasons) if r["effect"] == "raises"]
    lowers = [r["text"] for r in json.loads(reasons) if r["effect"] == "lowers"]
    assert page.locator("#score-raises li").all_inner_texts() == (raises or ["—"])
    assert page.locator("#score-lowers li").all_inner_texts() == (lowers or ["—"])
    assert page.locator("#score-chart circle[data-value]").count() >= 1

    # full activity history: the count of fct_record_activities
    (history,) = published_rows(
        tiny_run.published,
        "select count(*) from fct_record_activities where record_type = 'opportunity' and record_id = ?",
        [record_id],
    )[0]
    assert page.inner_text("#history-total") == str(history)
    assert page.locator("#panel-history tr.history-row").count() == min(history, 500)

    # who knows whom (the opportunity's contact) with an introduction draft
    knows = published_rows(
        tiny_run.published,
        "select w.colleague_name, w.strength from fct_who_knows_whom w join dim_opportunities d "
        "on w.person_key = 'contact:' || d.contact_id where d.opportunity_id = ? order by w.rank limit 5",
        [record_id],
    )
    shown = page.locator("#panel-who-knows tr.knows td:first-child").all_inner_texts()
    assert shown == [name for name, _ in knows]
    if knows:
        page.click("#introduction summary")
        assert knows[0][0].split(" ")[0] in page.inner_text("#introduction pre")
    page.set_viewport_size({"width": 1280, "height": 2200})  # the panels; the history goes on below
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, screenshots, "record", full_page=False)


def test_record_without_activity_reads_sensibly(tiny_run: TinyRun, pages: str, page) -> None:
    found = published_rows(
        tiny_run.published,
        "select contact_id from dim_contacts where coalesce(activity_count, 0) = 0 order by contact_id limit 1",
    )
    if not found:
        pytest.skip("every contact of the tiny run has activity")
    page.goto(f"{pages}/record/contacts/{found[0][0]}")
    assert "No activity yet." in page.inner_text("#panel-overview")
    assert page.inner_text("#history-total") == "0"
    assert "Scores are computed for leads and opportunities." in page.inner_text("#panel-score")


def test_focus_pipeline_and_run_pages(tiny_run: TinyRun, pages: str, page, screenshots) -> None:
    ds = ds_of(tiny_run)
    # where to spend my time: open opportunities by score x health
    ranked = published_rows(
        tiny_run.published,
        "select d.opportunity_id, round(coalesce(s.msdyn_score, 0) * coalesce(d.health_score, 0) / 100.0, 1) p "
        "from dim_opportunities d left join fct_predictive_scores s on s.msdyn_entitytype = 'opportunity' "
        "and s.msdyn_entityid = d.opportunity_id and s.msdyn_scoredon = ? where d.is_open "
        "order by p desc, s.msdyn_score desc nulls last, d.opportunity_id limit 5",
        [ds],
    )
    page.goto(f"{pages}/focus")
    ids = page.locator("#focus tbody tr").evaluate_all("rows => rows.slice(0, 5).map(r => r.dataset.id)")
    assert ids == [record_id for record_id, _ in ranked]
    assert page.locator("#focus tbody tr").first.locator(".priority").inner_text() == one_decimal(
        ranked[0][1]
    )
    shot(page, screenshots, "focus")

    # pipeline: one dot per open opportunity with a close date and a value, coloured by its band
    expected = published_rows(
        tiny_run.published,
        "select coalesce(health_band, 'none'), count(*) from dim_opportunities where is_open "
        "and estimated_close_date is not null and estimated_value is not null group by 1",
    )
    page.goto(f"{pages}/pipeline")
    bands = page.locator("#pipeline-chart circle[data-band]").evaluate_all(
        "cs => cs.map(c => c.dataset.band)"
    )
    assert {band: bands.count(band) for band in set(bands)} == dict(expected)
    shot(page, screenshots, "pipeline")

    # run page: quarantine counts per table and check, links to Airflow and MLflow
    quarantine = published_rows(
        tiny_run.published,
        "select table_name, check_name, count(*) from audit_quarantine where ds = ? group by 1, 2",
        [ds],
    )
    page.goto(f"{pages}/run")
    assert str(ds) in page.inner_text("#as-of")
    for table, check, count in quarantine:
        cell = page.locator(f"#run-quarantine tr[data-table='{table}'][data-check='{check}'] .qcount")
        assert cell.inner_text() == str(count)
    assert page.locator("#run-quarantine tr[data-table]").count() == len(quarantine)
    assert page.get_attribute("#airflow-link", "href").startswith("http")
    assert page.get_attribute("#mlflow-link", "href").startswith("http")
    shot(page, screenshots, "run")


def test_language_switch_to_chinese_and_back(pages: str, page, screenshots) -> None:
    page.goto(f"{pages}/list/leads")
    assert page.inner_text("h1") == "Leads"
    page.click("#lang-switch")
    assert page.inner_text("h1") == "潜在客户"
    shot(page, screenshots, "list_zh")
    page.goto(f"{pages}/pipeline")  # the choice is remembered
    assert page.inner_text("h1") == "关系渠道"
    page.click("#lang-switch")
    assert page.inner_text("h1") == "Relationship pipeline"


def test_pages_fetch_nothing_from_other_hosts(pages: str, page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for path in ("/focus", "/list/opportunities", "/pipeline", "/run"):
        page.goto(f"{pages}{path}")
    assert requested and all(url.startswith(pages) for url in requested)
