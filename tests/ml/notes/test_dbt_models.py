"""The enrich sources and the two marts build and pass their data and unit tests on real pipeline output."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from rapport.config import NotesConfig
from rapport.ml.notes.pipeline import analyze_notes
from rapport.ml.notes.talking_points import detect_talking_points
from rapport.settings import PROJECT_ROOT


@pytest.mark.slow
def test_marts_build_on_pipeline_output(warehouse: Any, rows: Any, tmp_path: Path) -> None:
    rows(warehouse, "annotation", [
        {"annotationid": "n1", "objectid": "acc-1", "objecttypecode": "account", "ownerid": "u1",
         "notetext": "Call Priya tomorrow at 10am. Send her the case study by Friday. 客户投诉发票错误。",
         "createdon": "2026-05-06 15:20:00", "modifiedon": "2026-05-06 15:20:00"},
    ])  # fmt: skip
    rows(warehouse, "email", [
        {"activityid": "e1", "description": "My son loves football. 下个月去海边度假。", "directioncode": False, "statecode": 1,
         "ownerid": "u1", "senton": "2026-05-05 09:00:00", "createdon": "2026-05-05 09:00:00", "modifiedon": "2026-05-05 09:00:00"},
    ])  # fmt: skip
    rows(
        warehouse,
        "activityparty",
        [
            {
                "activitypartyid": "p1",
                "activityid": "e1",
                "partyid": "c1",
                "partyobjecttypecode": "contact",
                "participationtypemask": 1,
            }
        ],
    )
    analyze_notes(warehouse, date(2026, 5, 7), datetime(2026, 5, 7, 1), notes_config=NotesConfig())
    detect_talking_points(
        warehouse,
        date(2026, 5, 7),
        ("sports", "family", "vacation", "entertainment"),
        analysed_at=datetime(2026, 5, 7, 1),
    )
    database = warehouse.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()[0][0]
    warehouse.close()

    env = dict(
        os.environ,
        RAPPORT_WAREHOUSE=database,
        DBT_PROFILES_DIR=str(PROJECT_ROOT / "dbt_project"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
    )
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "build", "--select", "fct_note_suggestions", "fct_talking_points", "stg_enrich__note_suggestions",
         "stg_enrich__talking_point_mentions", "source:enrich",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:]
    assert "2 unit tests" in result.stdout

    import duckdb

    with duckdb.connect(
        database,
        read_only=True,
        config={"autoload_known_extensions": False, "autoinstall_known_extensions": False},
    ) as con:
        suggestions = con.execute(
            "SELECT suggestion_type, source_kind, suggested_start_at, suggested_due_at FROM marts.fct_note_suggestions ORDER BY span_start"
        ).fetchall()
        points = con.execute(
            "SELECT contact_id, category, last_email_id, mention_count FROM marts.fct_talking_points ORDER BY category"
        ).fetchall()
    assert suggestions == [
        ("phone_call", "note", datetime(2026, 5, 7, 10, 0), None),
        ("content_request", "note", None, datetime(2026, 5, 8, 17, 0)),
        ("issue", "note", None, None),
    ]
    assert points == [("c1", "family", "e1", 1), ("c1", "sports", "e1", 1), ("c1", "vacation", "e1", 1)]
