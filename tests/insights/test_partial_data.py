"""Partial published copies read sensibly: no model yet, no who-knows-whom, no history mart, no opportunities."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rapport.config import InsightsConfig
from rapport.insights.app import AppSettings, create_app
from tests.insights.conftest import TinyRun, published_rows

pytestmark = [pytest.mark.slow]


def test_a_copy_without_scores_or_opportunities_still_reads(tiny_run: TinyRun, tmp_path: Path) -> None:
    import duckdb

    copy = tmp_path / "partial.duckdb"
    shutil.copy(tiny_run.published, copy)
    (lead_id,) = published_rows(copy, "select lead_id from dim_leads order by activity_count desc limit 1")[0]
    with duckdb.connect(str(copy)) as connection:
        for table in (
            "fct_predictive_scores",
            "fct_who_knows_whom",
            "fct_record_activities",
            "fct_note_suggestions",
        ):
            connection.execute(f"drop table {table}")
        connection.execute("delete from dim_opportunities")  # as a mail-only run: no CRM opportunities
    client = TestClient(create_app(AppSettings(database=copy, insights=InsightsConfig())))

    lead = client.get(f"/record/leads/{lead_id}")
    assert lead.status_code == 200
    assert "No model yet" in lead.text
    assert 'id="history-total">0<' in lead.text
    assert 'id="panel-overview"' in lead.text and 'id="panel-activity-chart"' in lead.text
    for path in ("/focus", "/list/opportunities", "/pipeline"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert "Nothing matches." in answer.text or "—</text>" in answer.text, path
    listed = client.get("/list/leads?sort=score&desc=1")
    assert listed.status_code == 200 and 'class="score" data-score=""' in listed.text
    assert client.get("/record/leads/no-such-lead").status_code == 404
