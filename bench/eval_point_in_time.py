"""Point-in-time training rows and the prospective check on real data: the figures of docs/scoring.md.

Per case, a features history as daily runs would have written it (runs every 15 days), then, for
close - gap training rows (before) and snapshot rows (after, ``scoring.snapshot_every_days``), the
prospective check of ``rapport.ml.prospective``: a model trained as of the newest run 90 days before the end
(reported test AUC, test ECE) scores the records open then, against how they closed since (prospective
AUC, ECE, Brier, mean score vs rate). Screens off (``leakage_feature_auc`` 1.01, ``shift_feature_psi``
1000) and on (rapport.toml), so that what the training rows fix is told apart from what the screens catch.

Cases: X Education leads (real fields and outcomes) in a CRM that disqualifies leads 90 days after
creation, with every honest field and with three weak fields + lead age; Maven CRM opportunities
(real engage and close dates, deal age as the time-varying feature).

    .venv/bin/python bench/eval_point_in_time.py [--every-days 15]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))


def _connection(history, table: str):  # type: ignore[no-untyped-def]
    import duckdb

    connection = duckdb.connect()
    connection.execute("create schema marts")
    connection.register("history", history)
    connection.execute(f"create table marts.{table} as select * from history")
    return connection


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--every-days", type=int, default=15, help="days between the runs of the history")
    args = parser.parse_args()

    from rapport.config import load_config
    from rapport.ml.features import FeatureSpec
    from rapport.ml.prospective import check_prospectively
    from rapport.ml.targets import get_target
    from rapport.settings import PROJECT_ROOT
    from tests.ml.support import (
        AS_OF,
        MAVEN_END,
        MAVEN_SPEC,
        maven_history,
        x_education_timer_history,
    )

    scoring = load_config(PROJECT_ROOT / "rapport.toml").scoring
    history, spec = x_education_timer_history(every_days=args.every_days)
    weak = FeatureSpec(
        "lead",
        tuple(
            c for c in spec.columns if c.name in ("city", "country", "specialization", "days_since_created")
        ),
    )
    cases = [
        ("X Education, 90-day timer, all honest fields", get_target("lead"), spec, history, AS_OF),
        ("X Education, 90-day timer, 3 weak fields + lead age", get_target("lead"), weak, history, AS_OF),
        (
            "Maven CRM opportunities",
            get_target("opportunity"),
            MAVEN_SPEC,
            maven_history(args.every_days),
            MAVEN_END,
        ),
    ]
    for title, target, case_spec, case_history, end in cases:
        connection = _connection(case_history, target.features_table.split(".")[1])
        print(f"\n{title} ({len(case_history):,} history rows, end {end:%Y-%m-%d})")
        for rows, every in (("close - gap rows", 0), ("snapshot rows", scoring.snapshot_every_days)):
            for screens, config in (
                ("screens off", replace(scoring, leakage_feature_auc=1.01, shift_feature_psi=1000.0)),
                ("screens on", scoring),
            ):
                started = time.perf_counter()
                check = check_prospectively(
                    connection, target, case_spec, replace(config, snapshot_every_days=every), end
                )
                if check.auc is None:
                    print(f"  {rows}, {screens}: {check.reason}")
                    continue
                refusal = check.refusal(check.test_auc or 0.0, scoring.prospective_max_auc_drop)
                print(
                    f"  {rows:16s} {screens:11s}: reported test AUC {check.test_auc:.3f} vs prospective AUC "
                    f"{check.auc:.3f} (gap {(check.test_auc or 0) - check.auc:+.3f}); prospective ECE {check.ece:.3f}, "
                    f"Brier {check.brier:.3f}, mean score {check.mean_probability:.2f} vs rate "
                    f"{check.positives / check.records:.2f} ({check.records} open on {check.cut}); "
                    f"screened out: {', '.join(check.screened_out) or 'nothing'}; gate: "
                    f"{'refuses' if refusal else 'passes'} ({time.perf_counter() - started:.0f} s)"
                )
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
