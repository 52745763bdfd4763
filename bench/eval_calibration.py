"""Calibration of both models on enough test records to decide "ECE <= 0.05": several independent samples pooled.

One small sample's test set (the most recent fifth of closed records: ~515 leads, ~281 opportunities) is too
small to show or refute ECE <= 0.05: a perfectly calibrated model already shows 0.04-0.06 on it. This script
generates the small sample CRM once per seed (``--seeds``, independent CRMs), ingests and validates it and
builds the scoring features as of the end date (the same functions as ``bench/eval_scoring.py``, one
subprocess per seed, kept under ``--home`` and reused when present), then per model and seed trains the
evaluation model (``rapport.ml.train.train_model``, as the DAG's, not logged) and prints:

- per seed: the test ECE with its 90 % bootstrap interval and noise floor (``ml.evaluate.ece_uncertainty``),
  mean score vs observed rate;
- pooled over the seeds' test sets: the same figures, judged against the goal; the mean of the per-seed ECEs
  against the mean per-seed noise floor and each seed's mean score - rate (pooling could let errors of
  opposite sign cancel); the reliability table
  (per score bin: records, mean score, observed rate, scores too high or too low), the test set in
  thirds by close date (drift of the conversion rate inside the test period), and the test records closed
  on the last day before the end date (a pile-up there is a source artefact: docs/scoring.md);
- ``--select``: the choice of ``scoring.calibration`` on older records only: per seed the test part is left
  out and ``train_model`` runs on the rest (its own test is the newest fifth of the older records), for
  every candidate method; the pooled inner-test ECE per method and model is the figure to choose on (never
  the test figures above).

    .venv/bin/python bench/eval_calibration.py [--seeds 42 7 11 23 99 3 5] [--scale small]
                                              [--end-date 2025-06-01] [--home DIR] [--select]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))
sys.path.insert(0, str(ROOT / "bench"))

MODELS = ("lead", "opportunity")
GOAL = 0.05
CANDIDATES = (
    ("out_of_fold", 1.0),
    ("recent_intercept", 0.25),
    ("recent", 0.5),
    ("validation", 1.0),
)


@dataclass(frozen=True)
class Scored:
    """One seed's test records of one model: outcome, calibrated score, close moment."""

    labels: np.ndarray
    scores: np.ndarray
    closed_at: np.ndarray


def prepare(seed: int, scale: str, end_date: date, home: Path) -> None:
    """Generate, ingest, validate and build the features of one seed into ``home`` (run in a subprocess)."""
    os.environ["RAPPORT_HOME"] = str(home / "var")
    os.environ.pop("RAPPORT_WAREHOUSE", None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    from eval_scoring import _build_features, _ingest

    from rapport.run_context import make_run_context
    from rapport.sample import generate

    crm = home / "crm"
    started = time.perf_counter()
    summary = generate(crm, scale=scale, seed=seed, end_date=end_date, progress=False)
    print(
        f"sample CRM: {scale}, seed {seed}, end {end_date}: {summary.total_rows:,} rows "
        f"({time.perf_counter() - started:.1f} s)"
    )
    run = make_run_context(end_date, {"source": f"files:{crm}"})
    seconds = _ingest(run, crm)
    seconds["dbt"] = _build_features(run, run.as_of.replace(tzinfo=None))
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    (home / "ready").write_text(f"{seed}\n")


def _settings(home: Path):  # type: ignore[no-untyped-def]
    from rapport.settings import Settings

    return Settings.from_env({"RAPPORT_HOME": str(home / "var")})


def _rows(home: Path, model: str, as_of: datetime, scoring):  # type: ignore[no-untyped-def]
    from rapport.ml.features import load_feature_spec, read_closed_rows, read_open_rows, training_window
    from rapport.ml.targets import get_target
    from rapport.warehouse import connect

    target = get_target(model)
    settings = _settings(home)
    with connect(settings.warehouse_path) as connection:
        spec = load_feature_spec(target, ROOT / "dbt_project")
        window = training_window(as_of, scoring.training_window_days)
        rows = read_closed_rows(connection, target, spec, window)
        open_rows = read_open_rows(connection, target, spec, as_of, scoring.scoring_window_days)
    return target, spec, window, rows, open_rows


def _older(rows, target, scoring):  # type: ignore[no-untyped-def]
    """The closed rows minus the test part (the most recent ``test_fraction`` of records by close)."""
    ordered = rows.sort_values("closed_at", kind="stable")
    records = ordered[target.id_column].drop_duplicates()
    kept = set(records.iloc[: len(records) - math.ceil(len(records) * scoring.test_fraction)])
    return ordered[ordered[target.id_column].isin(kept)].reset_index(drop=True)


def _describe(name: str, labels: np.ndarray, scores: np.ndarray) -> str:
    from rapport.ml.evaluate import ece_uncertainty

    measured = ece_uncertainty(labels, scores)
    verdict = (
        "below the goal"
        if measured.high <= GOAL
        else "above the goal"
        if measured.low > GOAL
        else "the interval straddles the goal"
    )
    return (
        f"  {name}: {measured.describe()}; ECE <= {GOAL}: {verdict}; mean score {scores.mean():.3f} vs rate "
        f"{labels.mean():.3f}"
    )


def _reliability(labels: np.ndarray, scores: np.ndarray) -> None:
    from rapport.ml.evaluate import CALIBRATION_BINS

    index = np.minimum((scores * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
    print("    score bin    records  mean score  observed  gap (observed - score)")
    for b in range(CALIBRATION_BINS):
        inside = index == b
        if not inside.any():
            continue
        gap = labels[inside].mean() - scores[inside].mean()
        print(
            f"    {b / CALIBRATION_BINS:.1f}-{(b + 1) / CALIBRATION_BINS:.1f}  {int(inside.sum()):9d}  "
            f"{scores[inside].mean():10.3f}  {labels[inside].mean():8.3f}  {gap:+.3f} "
            f"({'scores too low' if gap > 0 else 'scores too high'}"
            f"{', within noise' if abs(gap) < 2 * math.sqrt(max(scores[inside].mean() * (1 - scores[inside].mean()), 1e-9) / inside.sum()) else ''})"
        )


def _per_model(per_seed: list[Scored]) -> None:
    """Pooling can let one seed's over-confidence cancel another's under-confidence in a bin: the mean of
    the per-seed ECEs against the mean per-seed noise floor, and the sign of each seed's mean error."""
    from rapport.ml.evaluate import ece_noise_floor, expected_calibration_error

    eces = [expected_calibration_error(s.labels, s.scores) for s in per_seed]
    floors = [ece_noise_floor(s.scores) for s in per_seed]
    errors = [float(s.scores.mean() - s.labels.mean()) for s in per_seed]
    print(
        f"  per seed (each model on its own ~{int(np.mean([len(s.labels) for s in per_seed]))} test records): "
        f"mean ECE {np.mean(eces):.3f} against a mean noise floor {np.mean(floors):.3f} (excess "
        f"{np.mean(eces) - np.mean(floors):+.3f}); mean score - rate per seed "
        + ", ".join(f"{e:+.3f}" for e in errors)
        + f" ({sum(e < 0 for e in errors)} of {len(errors)} below the rate)"
    )


def evaluate(homes: dict[int, Path], end: datetime, select: bool) -> None:
    from rapport.config import load_config
    from rapport.ml.train import train_model

    settings = _settings(next(iter(homes.values())))
    scoring = load_config(settings.config_path).scoring
    evaluated = replace(scoring, refit_on_window=False)  # the evaluation model (as the DAG's test figures)
    for model in MODELS:
        print(f"\n{model} (scoring.calibration = {scoring.calibration!r})")
        per_seed: list[Scored] = []
        inner: dict[tuple[str, float], list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in CANDIDATES}
        for seed, home in homes.items():
            started = time.perf_counter()
            target, spec, window, rows, open_rows = _rows(home, model, end, scoring)
            trained = train_model(rows, target, spec, evaluated, window=window, open_rows=open_rows)
            labels = trained.test_labels.astype("float64")
            scores = np.asarray(trained.test_probabilities, dtype="float64")
            per_seed.append(Scored(labels, scores, trained.test_frame["closed_at"].to_numpy()))
            print(_describe(f"seed {seed} ({time.perf_counter() - started:.0f} s)", labels, scores))
            if select:
                older = _older(rows, target, scoring)
                for method, fraction in CANDIDATES:
                    config = replace(evaluated, calibration=method, calibration_recent_fraction=fraction)
                    inner_model = train_model(older, target, spec, config, window=window, open_rows=open_rows)
                    inner[(method, fraction)].append(
                        (inner_model.test_labels.astype("float64"), inner_model.test_probabilities)
                    )
        labels = np.concatenate([s.labels for s in per_seed])
        scores = np.concatenate([s.scores for s in per_seed])
        print(_describe(f"pooled over {len(per_seed)} seeds", labels, scores))
        _per_model(per_seed)
        _reliability(labels, scores)
        thirds = [
            np.array_split(np.argsort(s.closed_at, kind="stable"), 3) for s in per_seed
        ]  # each seed's test set in thirds by close moment
        for k, name in enumerate(("oldest", "middle", "newest")):
            y = np.concatenate([s.labels[t[k]] for s, t in zip(per_seed, thirds, strict=True)])
            p = np.concatenate([s.scores[t[k]] for s, t in zip(per_seed, thirds, strict=True)])
            print(
                f"    test third {name} by close: {len(y)} records, mean score {p.mean():.3f} vs rate {y.mean():.3f}"
            )
        # a pile-up of closes on the last day is a source artefact (records still running closed at the end)
        last = np.concatenate([s.closed_at >= np.datetime64(end - timedelta(days=1)) for s in per_seed])
        print(
            f"    closed on the last day before the end date: {int(last.sum())} of {len(last)} test records"
            + (
                f", mean score {scores[last].mean():.3f} vs rate {labels[last].mean():.3f}"
                if last.any()
                else ""
            )
        )
        if select:
            from rapport.ml.evaluate import ece_noise_floor, expected_calibration_error

            print("  choice on older records only (inner test = newest fifth of the older records), pooled:")
            for (method, fraction), parts in inner.items():
                y = np.concatenate([part[0] for part in parts])
                p = np.concatenate([np.asarray(part[1], dtype="float64") for part in parts])
                print(
                    f"    {method:16s} recent {fraction:4.2f}: inner-test ECE {expected_calibration_error(y, p):.4f} "
                    f"(floor {ece_noise_floor(p):.3f}), mean score {p.mean():.3f} vs rate {y.mean():.3f}, {len(y)} records"
                )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 11, 23, 99, 3, 5])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2025, 6, 1))
    parser.add_argument(
        "--home", type=Path, help="keep each seed's run state in DIR/seed-N and reuse it (default: temporary)"
    )
    parser.add_argument(
        "--select", action="store_true", help="also compare the calibration methods on older records only"
    )
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)  # internal: one seed, in a subprocess
    args = parser.parse_args()
    if args.prepare is not None:
        prepare(args.prepare, args.scale, args.end_date, args.home)
        return 0

    import shutil
    import tempfile

    base = args.home or Path(tempfile.mkdtemp(prefix="rapport-eval-calibration-"))
    homes = {seed: base / f"seed-{seed}" for seed in args.seeds}
    started = time.perf_counter()
    for seed, home in homes.items():
        if (home / "ready").exists():
            print(f"seed {seed}: reusing {home}")
            continue
        home.mkdir(parents=True, exist_ok=True)
        log = home / "prepare.log"
        with log.open("w") as out:
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--prepare",
                    str(seed),
                    "--scale",
                    args.scale,
                    "--end-date",
                    args.end_date.isoformat(),
                    "--home",
                    str(home),
                ],
                check=False,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if done.returncode:
            raise SystemExit(f"seed {seed}: preparing the sample failed (exit {done.returncode}); see {log}")
        # the figures of the preparation, without dbt's per-node lines (all of them in prepare.log)
        print("\n".join(line for line in log.read_text().splitlines() if not line.startswith("\x1b")))
    prepared = time.perf_counter() - started
    started = time.perf_counter()
    evaluate(homes, datetime(args.end_date.year, args.end_date.month, args.end_date.day), args.select)
    print(f"\nseconds: prepare {prepared:.1f}, train and evaluate {time.perf_counter() - started:.1f}")
    if not args.home:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
