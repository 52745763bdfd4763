"""Benchmark: training time, scoring and reasons throughput of the scoring models.

Synthetic feature tables of a realistic width (default 40 feature columns: 30 numeric, 10
categorical) with N closed records to train on and N open records to score, at each scale.
Each scale runs in its own process so its peak memory (max RSS) is its own.

Figures per scale (median of --runs where stated):
  train           train_model on N closed records (leakage screen, early stopping, calibration, evaluation)
  predict         calibrated probabilities for N open records                          (records/s)
  shap            exact TreeSHAP contributions (pred_contribs=True) alone              (records/s)
  score+reasons   predict + TreeSHAP + per-field reasons, sentences and JSON in memory, in chunks of
                  ml.score.EXPLAIN_CHUNK records as scoring does (records/s)
  day 1 / day 2   ml.score.score_records end to end into DuckDB (history, reasons, insights):
                  day 1 explains every record, day 2 only the --changed share whose features moved

    .venv/bin/python bench/bench_scoring.py                       # 100k and 1M, 3 runs
    .venv/bin/python bench/bench_scoring.py --scales 20000 --runs 1  # quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 11, 27)


def _median_time(runs: int, work) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(scale: int, runs: int, changed: float, threads: int) -> dict[str, object]:
    """All figures of one scale (runs in a child process)."""
    import numpy as np
    import pandas as pd

    from rapport.config import load_config
    from rapport.ml.explain import explain_records
    from rapport.ml.features import training_window
    from rapport.ml.score import EXPLAIN_CHUNK, score_records
    from rapport.ml.synthetic import SyntheticOptions, make_feature_rows, synthetic_spec, write_feature_table
    from rapport.ml.tables import ensure_ml_tables
    from rapport.ml.targets import get_target
    from rapport.ml.train import TrainingParams, train_model
    from rapport.warehouse import connect

    config = load_config(ROOT / "rapport.toml").scoring
    target = get_target("lead")
    # 7 base columns (2 categorical, 5 numeric) + 23 numeric + 10 categorical = 40 feature columns.
    options = SyntheticOptions(closed=scale, open=scale, extra_numeric=23, extra_categorical=10, seed=3)
    spec = synthetic_spec("lead", options)
    frame = make_feature_rows(target, AS_OF, options)
    closed = frame[frame["label"].notna()].copy()
    closed["label"] = closed["label"].astype("int8")
    closed = closed.sort_values("closed_at").reset_index(drop=True)
    open_rows = frame[frame["label"].isna()].reset_index(drop=True)
    params = replace(TrainingParams.from_config(config), threads=threads)

    train_seconds, trained = _median_time(
        runs,
        lambda: train_model(closed, target, spec, config, window=training_window(AS_OF, 730), params=params),
    )
    peak_after_train = _peak_mb()
    bundle = trained.bundle  # type: ignore[attr-defined]
    bundle.booster.set_param({"nthread": threads})
    predict_seconds, _ = _median_time(runs, lambda: bundle.predict_proba(open_rows))
    shap_rows = open_rows.iloc[: min(scale, 200_000)]
    shap_matrix = bundle.matrix(shap_rows)
    shap_seconds, _ = _median_time(runs, lambda: bundle.contributions(shap_matrix))

    def score_and_explain() -> list[int]:
        """What scoring does in memory: probabilities, then reasons in chunks (as ml.score does)."""
        bundle.predict_proba(open_rows)
        lengths: list[int] = []
        for start in range(0, len(open_rows), EXPLAIN_CHUNK):
            chunk = open_rows.iloc[start : start + EXPLAIN_CHUNK]
            explained = explain_records(
                bundle, chunk, chunk[target.id_column], target, per_side=5, max_chars=2000
            )
            lengths.extend(len(text) for text in explained.reasons_json)
        return lengths

    reasons_seconds, lengths = _median_time(runs, score_and_explain)
    json_lengths = np.asarray(lengths)
    peak_after_reasons = _peak_mb()

    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as folder:
        warehouse = Path(folder) / "warehouse.duckdb"
        with connect(warehouse) as connection:
            ensure_ml_tables(connection)
            write_feature_table(connection, target, frame)
            peak_after_tables = _peak_mb()
            start = time.perf_counter()
            day1 = score_records(
                connection, target, AS_OF, bundle, "1", config, model_name=target.registered_model
            )
            day1_seconds = time.perf_counter() - start
            peak_after_day1 = _peak_mb()
            day2_date = AS_OF + timedelta(days=1)
            moved = open_rows.assign(as_of_date=day2_date.date(), feature_at=day2_date)
            picked = np.random.default_rng(0).random(len(moved)) < changed
            moved.loc[picked, "meetings_90d"] = moved.loc[picked, "meetings_90d"] + 1
            write_feature_table(connection, target, pd.concat([frame, moved]))
            start = time.perf_counter()
            day2 = score_records(
                connection, target, day2_date, bundle, "1", config, model_name=target.registered_model
            )
            day2_seconds = time.perf_counter() - start
            reason_rows = connection.execute(f"select count(*) from {target.reasons_table}").fetchone()[0]
            connection.execute("checkpoint")
            stored_mb = warehouse.stat().st_size / 1e6

    return {
        "scale": scale,
        "features": len(spec.columns),
        "runs": runs,
        "threads": threads,
        "train_seconds": train_seconds,
        "trees": trained.best_iteration + 1,  # type: ignore[attr-defined]
        "max_depth": params.max_depth,
        "test_auc": trained.evaluation.auc,  # type: ignore[attr-defined]
        "predict_per_second": scale / predict_seconds,
        "shap_per_second": len(shap_rows) / shap_seconds,
        "shap_rows": len(shap_rows),
        "reasons_per_second": scale / reasons_seconds,
        "reasons_seconds": reasons_seconds,
        "json_chars_median": float(np.median(json_lengths)),
        "json_chars_max": int(json_lengths.max()),
        "day1_seconds": day1_seconds,
        "day1_explained": day1.explained,
        "day2_seconds": day2_seconds,
        "day2_explained": day2.explained,
        "day2_reused": day2.reused,
        "reason_rows": reason_rows,
        "warehouse_mb": stored_mb,
        "peak_after_train_mb": peak_after_train,
        "peak_after_reasons_mb": peak_after_reasons,
        "peak_after_tables_mb": peak_after_tables,
        "peak_after_day1_mb": peak_after_day1,
        "peak_rss_mb": _peak_mb(),
    }


def report(figures: dict[str, object]) -> None:
    f = figures
    print(
        f"\n== {f['scale']:,} closed + {f['scale']:,} open records, {f['features']} features, "
        f"{f['threads']} threads, median of {f['runs']} run(s)"
    )
    print(
        f"  train                 {f['train_seconds']:8.1f} s   ({f['trees']} trees, depth {f['max_depth']}, test AUC {f['test_auc']:.3f})"
    )
    print(f"  predict               {f['predict_per_second']:10,.0f} records/s")
    print(
        f"  exact TreeSHAP alone  {f['shap_per_second']:10,.0f} records/s   (on {f['shap_rows']:,} records)"
    )
    print(
        f"  score + reasons       {f['reasons_per_second']:10,.0f} records/s   ({f['reasons_seconds']:.1f} s; "
        f"JSON median {f['json_chars_median']:.0f} chars, max {f['json_chars_max']})"
    )
    print(
        f"  day 1 score_records   {f['day1_seconds']:8.1f} s   ({f['scale'] / f['day1_seconds']:,.0f} records/s, "
        f"{f['day1_explained']:,} explained)"
    )
    print(
        f"  day 2 score_records   {f['day2_seconds']:8.1f} s   ({f['scale'] / f['day2_seconds']:,.0f} records/s, "
        f"{f['day2_explained']:,} explained, {f['day2_reused']:,} unchanged kept their reasons)"
    )
    print(
        f"  reason rows stored    {f['reason_rows']:10,}   (two days; warehouse file {f['warehouse_mb']:,.0f} MB)"
    )
    print(
        f"  peak memory (RSS)     {f['peak_rss_mb']:8.0f} MB   (after data + training {f['peak_after_train_mb']:,.0f} MB, "
        f"in-memory reasons {f['peak_after_reasons_mb']:,.0f} MB, features table written "
        f"{f['peak_after_tables_mb']:,.0f} MB, day 1 scoring {f['peak_after_day1_mb']:,.0f} MB)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="100000,1000000", help="comma-separated record counts")
    parser.add_argument("--runs", type=int, default=3, help="runs per timing (median reported)")
    parser.add_argument(
        "--changed", type=float, default=0.05, help="share of open records whose features move on day 2"
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(measure(args.child, args.runs, args.changed, args.threads)))
        return 0

    print(
        f"bench_scoring: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (shared machine: compare ratios)"
    )
    for scale in (int(value) for value in args.scales.split(",")):
        command = [
            sys.executable,
            __file__,
            "--child",
            str(scale),
            "--runs",
            str(args.runs),
            "--changed",
            str(args.changed),
            "--threads",
            str(args.threads),
        ]
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
        if done.returncode:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        report(json.loads(done.stdout.strip().splitlines()[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
