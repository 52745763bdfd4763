"""The whole DAG, run as a user runs it: ``rapport run`` (Airflow's ``dag.test``) in a fresh RAPPORT_HOME.

Each run is a child process, so Airflow, dbt and MLflow read their configuration from that home and not
from the test session's. The generated sample CRM (tiny scale) is the source; the scores are written back
to a real PostgreSQL database. The module checks, in order:

1. a first run succeeds and leaves what every later stage needs: reconciled counts, marts, a champion
   model in MLflow, scores 0-100 with grades and reasons, the same scores in PostgreSQL, a published
   read-only copy;
2. re-running the same date changes nothing (same rows, same champion), and a reader of the published copy
   keeps reading while the run writes the warehouse;
3. a run that fails leaves the previous scores, the written-back rows, the champion and the published copy
   as they were;
4. the next day's run then succeeds, and on the record pages (Debian's chromium driven by Playwright) a
   score that moved says why: each field whose contribution moved, with its direction and size, exactly as
   ``fct_predictive_scores.score_change_json`` (read here independently) stores them; a first score or one
   that did not move says nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from rapport.config import load_config
from rapport.contract import load_contract
from tests.insights.conftest import published_rows, serving

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
RAPPORT = Path(sys.executable).parent / "rapport"
DS = date(2026, 3, 2)
NEXT_DAY = DS + timedelta(days=1)
LISTS = {"lead": "leads", "opportunity": "opportunities"}

# The tiny sample keeps the run short; the gate thresholds are lowered so that tiny still trains both models
# (the defaults, 40 and 40, are for real CRMs; the gate itself is tested in tests/ml/test_readiness.py).
TEST_CONFIG = """
[sample]
scale = "tiny"

[scoring]
min_positive = 15
min_negative = 15
"""


@dataclass(frozen=True)
class Installation:
    home: Path
    env: dict[str, str]

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.home / "published" / "marts.duckdb"


def _environment(home: Path, config: Path, writeback_uri: str | None) -> dict[str, str]:
    """The session's environment without the per-session paths conftest exported, pointed at ``home``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW", "RAPPORT_", "MLFLOW_", "DBT_"))
    }
    env["RAPPORT_HOME"] = str(home)
    env["RAPPORT_CONFIG"] = f"{ROOT / 'rapport.toml'}{os.pathsep}{config}"
    if writeback_uri:
        env["RAPPORT_WRITEBACK_URI"] = writeback_uri
    return env


def rapport(installation: Installation, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RAPPORT), *args],
        env=installation.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _fail_with_output(result: subprocess.CompletedProcess) -> None:
    pytest.fail(
        f"rapport exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )


def _query(database: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def _postgres_rows(uri: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(uri) as connection:
        return connection.execute(
            "select msdyn_entitytype, msdyn_entityid, msdyn_score, msdyn_grade, msdyn_scoredon, rapport_model_version "
            "from msdyn_predictivescore order by 1, 2"
        ).fetchall()


def _champions(home: Path) -> dict[str, str]:
    from mlflow import MlflowClient

    uri = f"sqlite:///{home / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    return {
        model.name: str(model.aliases["champion"])
        for model in client.search_registered_models()
        if "champion" in (model.aliases or {})
    }


def _score_state(installation: Installation) -> dict[str, list[tuple]]:
    return {
        entity: _query(
            installation.warehouse,
            f"select record_id, as_of_date, score, grade, model_version from ml.{entity}_score_history "
            "order by record_id, as_of_date",
        )
        for entity in ("lead", "opportunity")
    }


@pytest.fixture(scope="module")
def installation(tmp_path_factory, postgres_server) -> Installation:
    home = tmp_path_factory.mktemp("e2e") / "var"
    config = home.parent / "test.toml"
    config.write_text(TEST_CONFIG)
    writeback_uri = postgres_server.create_database()
    return Installation(home=home, env=_environment(home, config, writeback_uri))


@pytest.fixture(scope="module")
def first_run(installation: Installation) -> subprocess.CompletedProcess:
    result = rapport(installation, "run", "--date", DS.isoformat())
    if result.returncode != 0:
        _fail_with_output(result)
    return result


def test_first_run_succeeds_and_says_what_it_did(first_run):
    summary = first_run.stdout
    # the progress reached every task of the DAG ("[N/N]"), then the run ended
    finished = re.findall(r"\[\s*(\d+)/(\d+)\]", summary)
    assert finished and finished[-1][0] == finished[-1][1], finished[-3:]
    assert re.search(r"^Done in \d+ s\.$", summary, re.MULTILINE)
    assert f"Rapport run for {DS.isoformat()}" in summary
    assert "counts reconcile (raw = clean + quarantined) for every table" in summary
    assert "champions    rapport_lead_scoring v1" in summary
    assert "FAILED" not in summary


def test_the_run_has_offline_data_docs_and_a_real_duration(installation, first_run):
    index = installation.home / "gx" / "data_docs" / "index.html"
    assert f"data docs    {index}" in first_run.stdout
    tables = _query(installation.warehouse, "select count(*) from audit.reconciliation where raw_rows > 0")
    assert index.read_text().count('<td class="') == tables[0][0]  # one row per validated table
    rows = _query_sqlite(
        installation.home / "airflow" / "airflow.db",
        "select start_date, end_date from dag_run where dag_id = 'sales_insights'",
    )
    (start, end), *_ = rows
    assert not start.startswith(DS.isoformat())  # not the logical date: the moment it started
    assert start < end


def _query_sqlite(database: Path, sql: str) -> list[tuple]:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


def test_every_contract_table_reconciles(installation, first_run):
    rows = _query(
        installation.warehouse,
        "select table_name, raw_rows, clean_rows, quarantined_rows from audit.reconciliation where ds = ?",
        [DS],
    )
    assert {row[0] for row in rows} == set(load_contract().table_names)
    for table, raw, clean, quarantined in rows:
        assert raw == clean + quarantined, table
        assert raw > 0, f"the tiny sample has rows in every table, {table} has none"
    planted = (
        load_config().sample.defect_rows
    )  # bad rows the sample carries on purpose (rapport.sample.defects)
    assert {table: quarantined for table, _, _, quarantined in rows if quarantined} == {
        "account": planted,
        "task": planted,
        "activityparty": planted,
    }


def test_marts_are_built_and_published(installation, first_run):
    for mart in ("fct_relationship_kpis", "fct_relationship_health_daily", "fct_relationship_activity_daily"):
        built = _query(installation.warehouse, f"select count(*) from marts.{mart}")[0][0]
        published = _query(installation.published, f"select count(*) from {mart}")[0][0]
        assert built > 0, mart
        assert published == built, f"the published copy of {mart} differs from the warehouse"
    parquet = installation.home / "published" / "parquet"
    assert any(parquet.rglob("*.parquet"))


def test_both_models_have_a_champion_and_every_open_record_a_score(installation, first_run):
    champions = _champions(installation.home)
    assert set(champions) == {"rapport_lead_scoring", "rapport_opportunity_scoring"}
    for entity in ("lead", "opportunity"):
        rows = _query(
            installation.warehouse,
            f"select status, score, grade, reasons_json from ml.{entity}_score_history where as_of_date = ?",
            [DS],
        )
        scored = [row for row in rows if row[0] == "scored"]
        assert scored, f"no {entity} scored"
        assert all(0 <= row[1] <= 100 and row[2] in {"A", "B", "C", "D"} for row in scored)
        assert all(row[3] and row[3].startswith("[") for row in scored), "every scored record has reasons"


def test_scores_are_written_back_to_postgres(installation, first_run):
    rows = _postgres_rows(installation.env["RAPPORT_WRITEBACK_URI"])
    expected = sum(
        _query(
            installation.warehouse,
            f"select count(*) from ml.{entity}_score_history where as_of_date = ? and status = 'scored'",
            [DS],
        )[0][0]
        for entity in ("lead", "opportunity")
    )
    scored = [row for row in rows if row[2] is not None]
    assert len(scored) == expected
    assert {row[4] for row in rows} == {DS}


def test_rerun_of_the_same_date_changes_nothing_and_readers_keep_reading(installation, first_run):
    scores_before = _score_state(installation)
    postgres_before = _postgres_rows(installation.env["RAPPORT_WRITEBACK_URI"])
    champions_before = _champions(installation.home)
    quarantine_before = _query(installation.warehouse, "select count(*) from audit.quarantine")[0][0]

    reads: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_published_marts() -> None:
        while not stop.is_set():
            try:
                reads.append(
                    _query(installation.published, "select count(*) from fct_relationship_kpis")[0][0]
                )
            except BaseException as error:
                errors.append(error)
            time.sleep(0.2)

    reader = threading.Thread(target=read_published_marts, daemon=True)
    reader.start()
    try:
        result = rapport(installation, "run", "--date", DS.isoformat())
    finally:
        stop.set()
        reader.join(timeout=10)
    if result.returncode != 0:
        _fail_with_output(result)

    assert not errors, f"a reader of the published copy was locked out: {errors[:3]}"
    assert len(reads) > 10 and len(set(reads)) == 1
    assert _score_state(installation) == scores_before
    assert _postgres_rows(installation.env["RAPPORT_WRITEBACK_URI"]) == postgres_before
    assert _champions(installation.home) == champions_before
    assert _query(installation.warehouse, "select count(*) from audit.quarantine")[0][0] == quarantine_before
    assert _query(installation.warehouse, "select count(*) from audit.reconciliation where ds = ?", [DS]) == [
        (len(load_contract().table_names),)
    ]


def test_a_failed_run_leaves_scores_champion_and_published_copy_intact(installation, first_run, tmp_path):
    scores_before = _score_state(installation)
    postgres_before = _postgres_rows(installation.env["RAPPORT_WRITEBACK_URI"])
    champions_before = _champions(installation.home)
    published_before = _query(installation.published, "select count(*) from fct_relationship_kpis")

    broken = tmp_path / "export"
    shutil.copytree(installation.home / "sample", broken, ignore=shutil.ignore_patterns("_truth"))
    for path in broken.glob("opportunity.*"):
        path.unlink()

    result = rapport(installation, "run", "--date", "2026-03-03", "--source", f"files:{broken}")

    assert result.returncode != 0
    assert "opportunity" in result.stderr and "extract" in result.stderr, result.stderr
    assert _score_state(installation) == scores_before
    assert _postgres_rows(installation.env["RAPPORT_WRITEBACK_URI"]) == postgres_before
    assert _champions(installation.home) == champions_before
    assert _query(installation.published, "select count(*) from fct_relationship_kpis") == published_before


def test_without_a_previous_score_no_record_page_says_why_it_changed(
    installation: Installation, first_run, page
):
    rows = _latest(installation.published, DS)
    assert rows and all(row[3] is None and row[4] is None for row in rows)
    with serving(installation.published) as url:
        for entity_type, list_name in LISTS.items():
            record_id = next(row[1] for row in rows if row[0] == entity_type)
            page.goto(f"{url}/record/{list_name}/{record_id}")
            assert page.locator("#score-value").count() == 1  # scored ...
            assert page.locator("#score-change").count() == 0  # ... but never before


@pytest.fixture(scope="module")
def next_day_run(installation: Installation, first_run) -> subprocess.CompletedProcess:
    result = rapport(installation, "run", "--date", NEXT_DAY.isoformat())
    if result.returncode != 0:
        _fail_with_output(result)
    return result


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


def test_after_the_failed_run_the_next_day_succeeds_and_a_moved_score_says_why_in_the_browser(
    installation: Installation, next_day_run: subprocess.CompletedProcess, page
) -> None:
    rows = _latest(installation.published, NEXT_DAY)
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
    with serving(installation.published) as url:
        _check_why_it_changed(page, url, chosen)


def _check_why_it_changed(page, url: str, chosen: dict[tuple[str, str], tuple]) -> None:  # type: ignore[no-untyped-def]
    for (entity_type, record_id), (_, _, score, previous, text) in chosen.items():
        stored = json.loads(text)
        page.goto(f"{url}/record/{LISTS[entity_type]}/{record_id}")
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


def test_a_rescored_record_whose_score_did_not_move_says_nothing(
    installation: Installation, next_day_run, page
):
    rows = [row for row in _latest(installation.published, NEXT_DAY) if row[3] is not None]
    unmoved = [row for row in rows if row[2] == row[3]]
    assert rows, "no record was scored on both days"
    if unmoved:
        with serving(installation.published) as url:
            entity_type, record_id = unmoved[0][:2]
            page.goto(f"{url}/record/{LISTS[entity_type]}/{record_id}")
            assert page.locator("#score-change").count() == 0
