"""Latency of the insight pages (`rapport ui insights`) on a published copy: ms per page, median and p95.

    .venv/bin/python bench/bench_insights.py [--database var/published/marts.duckdb] [--repeats 20]

The app is served by uvicorn on a free loopback port in this process and every page is fetched over
HTTP (httpx), so a figure includes the request, the read-only connection opened for it, the queries and
the HTML/SVG rendering. Records of the record pages are the busiest of each type (most activities), the
worst case for the activity chart and the history. The first fetch of each page is a warm-up and is not
counted. The scale printed is the number of activities (e-mails, appointments, calls, tasks) the run
extracted, read from the copy's audit_extract_manifest. Target: < 300 ms per page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))

TARGET_MS = 300


def busiest(database: Path) -> dict[str, str]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        picks = {}
        for name, table, key in (
            ("opportunities", "dim_opportunities", "opportunity_id"),
            ("leads", "dim_leads", "lead_id"),
            ("contacts", "dim_contacts", "contact_id"),
            ("accounts", "dim_accounts", "account_id"),
        ):
            picks[name] = connection.execute(
                f"select {key} from {table} order by activity_count desc nulls last, {key} limit 1"
            ).fetchall()[0][0]
        return picks


def scale(database: Path) -> tuple[int, str]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        (activities,) = connection.execute(
            "select coalesce(sum(rows), 0) from audit_extract_manifest where ds = (select ds from _publication) "
            "and table_name in ('email', 'appointment', 'phonecall', 'task')"
        ).fetchall()[0]
        (records,) = connection.execute(
            "select (select count(*) from dim_leads) + (select count(*) from dim_opportunities) "
            "+ (select count(*) from dim_contacts) + (select count(*) from dim_accounts)"
        ).fetchall()[0]
    return int(activities), f"{int(records):,} records"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=ROOT / "var" / "published" / "marts.duckdb")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    import httpx

    from tests.insights.conftest import serving

    activities, records = scale(args.database)
    picks = busiest(args.database)
    pages = {
        "focus (where to spend my time)": "/focus",
        "list: leads": "/list/leads",
        "list: opportunities by score desc": "/list/opportunities?sort=score&desc=1",
        "list: opportunities, band good + search": "/list/opportunities?band=good&q=a",
        "list: contacts by health": "/list/contacts?sort=health&desc=1",
        "list: accounts, page 3": "/list/accounts?page=3",
        "pipeline chart": "/pipeline",
        "run page": "/run",
        **{
            f"record: busiest {name[:-1] if name != 'opportunities' else 'opportunity'}": f"/record/{name}/{rid}"
            for name, rid in picks.items()
        },
    }
    print(
        f"Insight pages on {args.database}: {activities:,} activities, {records}; {args.repeats} fetches per page"
    )
    print(f"{'page':44s} {'median ms':>10s} {'p95 ms':>8s} {'max ms':>8s}  {'kB':>6s}")
    worst = 0.0
    with serving(args.database) as url, httpx.Client(base_url=url, timeout=60) as client:
        for label, path in pages.items():
            answer = client.get(path)
            if answer.status_code != 200:
                print(f"{label}: HTTP {answer.status_code}", file=sys.stderr)
                return 1
            timings = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                answer = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
            worst = max(worst, p95)
            print(
                f"{label:44s} {statistics.median(timings):10.1f} {p95:8.1f} {timings[-1]:8.1f}  "
                f"{len(answer.content) / 1024:6.0f}"
            )
    print(f"worst p95 {worst:.0f} ms (target < {TARGET_MS} ms): {'met' if worst < TARGET_MS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
