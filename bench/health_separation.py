"""Does relationship health, measured some days before the close, separate won from lost opportunities?

Generates a sample CRM (default: small scale, seed 42), loads it into a temporary DuckDB warehouse, builds
the relationship models with dbt, then evaluates the health macro ``health_components`` at each closed
opportunity's close minus GAP days (nothing from after that moment is used) and prints the ROC AUC of the
score and of each component for won vs lost. Leads (qualified vs disqualified) are shown too, measured
before their last modification (the contract has no lead close date, so this is approximate).

    .venv/bin/python bench/health_separation.py [--scale small] [--gaps 7,14,30]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMPONENTS = ("volume", "recency", "reciprocity", "responsiveness")


def auc(labels, scores) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted half."""
    import pandas as pd

    frame = pd.DataFrame({"label": labels, "score": scores}).dropna()
    ranks = frame.score.rank(method="average")
    positives = int(frame.label.sum())
    negatives = len(frame) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    return float((ranks[frame.label == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def moments_sql(gap_days: int) -> str:
    """Closed opportunities at close - gap, and closed leads at their last change - gap."""
    return f"""
    moments as (
        select 'opportunity' as record_type, opportunity_id as record_id,
               {{{{ dbt.dateadd('day', -{gap_days}, dbt.cast('actual_close_date', dbt.type_timestamp())) }}}} as as_of_at,
               case when is_won then 1 else 0 end as outcome
        from {{{{ ref('stg_crm__opportunities') }}}}
        where not is_open and actual_close_date is not null
            and created_at < {{{{ dbt.dateadd('day', -{gap_days}, dbt.cast('actual_close_date', dbt.type_timestamp())) }}}}
        union all
        select 'lead', lead_id, {{{{ dbt.dateadd('day', -{gap_days}, 'modified_at') }}}},
               case when state_code = 1 then 1 else 0 end
        from {{{{ ref('stg_crm__leads') }}}}
        where not is_open and created_at < {{{{ dbt.dateadd('day', -{gap_days}, 'modified_at') }}}}
    )"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", default="2026-11-01")
    parser.add_argument("--gaps", default="7,14,30", help="days before the close, comma-separated")
    parser.add_argument("--work-dir", help="keep the export and warehouse here (default: a temporary folder)")
    args = parser.parse_args()

    from rapport.config import load_config
    from rapport.sample import generate
    from rapport.settings import Settings, apply_runtime_environment
    from rapport.transform import run_dbt
    from tests.support.dbt_inline import query_inline
    from tests.support.raw_loader import load_export

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="rapport-health-"))
    export_dir, warehouse = work / "export", work / "warehouse.duckdb"
    os.environ["RAPPORT_HOME"] = str(work / "var")
    os.environ["RAPPORT_WAREHOUSE"] = str(warehouse)
    apply_runtime_environment()
    settings, config = Settings.from_env(), load_config()
    end = date.fromisoformat(args.end_date)
    as_of = datetime(end.year, end.month, end.day, tzinfo=UTC)

    started = time.perf_counter()
    summary = generate(export_dir, scale=args.scale, seed=args.seed, end_date=end, progress=False)
    load_export(export_dir, warehouse)
    run_dbt(
        "build",
        settings=settings,
        config=config,
        as_of=as_of,
        select="+path:models/marts/relationships",
        extra=["--quiet"],
    )
    print(
        f"sample CRM: scale {args.scale}, seed {args.seed}, end {end}, {summary.activities:,} activities; "
        f"generated, loaded and built in {time.perf_counter() - started:.0f} s"
    )
    print(f"health config: cadence {config.health.cadence_days} d, weights {config.health.component_weights}")
    for gap in (int(item) for item in args.gaps.split(",")):
        sql = f"""
        with {moments_sql(gap)},
        health as ({{{{ health_components('moments') }}}})
        select health.*, moments.outcome
        from health
        inner join moments using (record_type, record_id, as_of_at)
        """
        frame = query_inline(sql, settings=settings, config=config, as_of=as_of)
        for record_type, label in (("opportunity", "won vs lost"), ("lead", "qualified vs disqualified")):
            part = frame[frame.record_type == record_type]
            scored = part[part.health_score.notna()]
            parts = ", ".join(
                f"{name} {auc(part.outcome, part[f'{name}_component']):.3f}" for name in COMPONENTS
            )
            print(
                f"{gap:>3} days before close, {record_type:<11} ({label}): n={len(part):>5} scored={len(scored):>5} "
                f"positive share {scored.outcome.mean():.2f}  AUC health {auc(scored.outcome, scored.health_score):.3f}"
                f"  | components: {parts}"
            )
    print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
