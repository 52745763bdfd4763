"""Lead and opportunity scoring on the generated CRM: the figures of the closing note.

Generates the sample CRM (default: small scale, seed 42, end date 2025-06-01) into a temporary
RAPPORT_HOME and runs what the DAG runs up to training, through the same functions: extract and validate
every contract table (``rapport.pipeline``), dbt build of the scoring features and their ancestors (with
their data and unit tests), the readiness gate and ``rapport.ml.pipeline.train_and_publish`` for both models
(MLflow run, registered version, aliases). Then, per model, it prints the training window, class counts,
test-set AUC (with a bootstrap 95 % interval, recomputed from the registered model), PR-AUC, Brier score,
expected calibration error, F1 and its threshold, what the leakage screen dropped (and the columns closest
to the threshold), the MLflow run id, version and aliases, and the influence per source field; and the AUC
of relationship health a decision gap before the close.

Prospective check (``--prospective-days``, default 90): the features are also built as of an earlier date D,
a model is trained on what was closed by D (``rapport.ml.train.train_model``, not logged), and the records open at
D are scored and compared with how they closed by the end date. This is the deployment question the
time-ordered test set cannot answer: records scored mid-life, not a week before their close. It is done
twice, before (shift screen off) and after (shift screen on, ``scoring.shift_feature_psi``), printing
reported test AUC vs prospective AUC, ECE and Brier score of both.

``--timer-days N`` generates the sample with a CRM rule disqualifying leads N days after creation
(``[sample] lead_auto_disqualify_days``): lead age becomes a time artefact of the close - gap rows.

Calibration: the test ECE with ``scoring.calibration``, with its 90 % bootstrap interval (test records
resampled) and the ECE a perfectly calibrated model would show on the same test set (noise floor: the mean
and the 90 % quantile of outcomes drawn from the scores themselves), judged against the goal ECE <= 0.05;
and with the sigmoid fitted on the validation slice only (before),
and, for information, with ``"recent_intercept"`` (the method is chosen by ``bench/select_calibration.py``
on older records only, never on these figures).
One sample's test set is too small to decide ECE <= 0.05; ``bench/eval_calibration.py`` pools the test
sets of several sample seeds.

Day-to-day stability (skip with ``--no-stability``): the features are also built as of each of the
``--stability-days`` days (default 7) before the end date; one model scores the records open at the end
date as each daily run described them, and for each pair of consecutive days the share of records without
news (no activity, note or edit between the runs, read from the raw tables) whose score moves more than 5
points is printed before (issue 11's fixes off, monotone constraints included) and after, with the test AUC
and ECE of both models. Several pairs: one pair of a few hundred records moves by a few percent with the
seed alone.

    .venv/bin/python bench/eval_scoring.py [--scale small] [--seed 42] [--end-date 2025-06-01]
                                           [--prospective-days 90] [--no-stability] [--stability-days 7]
                                           [--timer-days 0]
                                           [--keep DIR]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))

MODELS = ("lead", "opportunity")
FEATURES_SELECTION = "+fct_lead_features +fct_opportunity_features assert_scoring_features_are_point_in_time"


def _auc(labels, scores) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def _bootstrap_auc(labels, scores, rounds: int = 1000, seed: int = 7) -> tuple[float, float]:
    """95 % percentile interval of the AUC over bootstrap resamples of the test set."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels, scores = np.asarray(labels), np.asarray(scores)
    values = []
    for _ in range(rounds):
        index = rng.integers(0, len(labels), len(labels))
        if labels[index].min() == labels[index].max():
            continue
        values.append(_auc(labels[index], scores[index]))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def _validation_order(tables: list[str]) -> list[str]:
    from rapport.validation import validation_dependencies

    done: list[str] = []
    pending = list(tables)
    while pending:
        ready = [t for t in pending if all(d in done or d not in tables for d in validation_dependencies(t))]
        if not ready:
            raise RuntimeError(f"validation dependencies form a cycle among {pending}")
        done += ready
        pending = [t for t in pending if t not in ready]
    return done


def _ingest(run, crm: Path) -> dict[str, float]:
    """Extract and validate every contract table, as the DAG's task bodies do."""
    from rapport import pipeline
    from rapport.contract import load_contract

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    source = pipeline.prepare_source(run)
    tables = list(load_contract().table_names)
    for table in tables:
        pipeline.extract_table(table, source, run)
    seconds["extract"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in _validation_order(tables):
        pipeline.validate_table(table, run)
    report = pipeline.reconcile_counts(run)
    seconds["validate"] = time.perf_counter() - started
    print(
        f"  ingest: source {crm}, {len(tables)} tables, reconciliation balanced: {all(table['is_balanced'] for table in report['tables'])}"
    )
    return seconds


def _build_features(run, as_of: datetime) -> float:
    from rapport.ml.tables import ensure_ml_tables
    from rapport.transform import run_dbt
    from rapport.warehouse import connect

    started = time.perf_counter()
    with connect(run.settings.warehouse_path) as connection:
        ensure_ml_tables(connection)
    summary = run_dbt(
        "build",
        settings=run.settings,
        config=run.config,
        as_of=as_of,
        select=FEATURES_SELECTION,
        extra=["--indirect-selection", "cautious"],
    )
    print(
        f"  dbt build as of {as_of:%Y-%m-%d}: {summary.models_built} models, {summary.tests_passed} tests passed "
        f"({summary.seconds:.1f} s)"
    )
    return time.perf_counter() - started


def _report_model(run, model: str, as_of: datetime) -> dict:
    """Gate, train and publish one model; print its figures."""
    from dataclasses import replace

    import mlflow

    from rapport.ml.evaluate import ece_uncertainty
    from rapport.ml.features import load_feature_spec, read_closed_rows, read_open_rows, training_window
    from rapport.ml.pipeline import train_and_publish
    from rapport.ml.readiness import check_readiness
    from rapport.ml.registry import load_bundle
    from rapport.ml.targets import get_target
    from rapport.ml.tracking import mlflow_store
    from rapport.ml.train import train_model
    from rapport.warehouse import connect

    target = get_target(model)
    scoring = run.config.scoring
    with connect(run.settings.warehouse_path) as connection:
        readiness = check_readiness(connection, model, as_of, scoring)
    started = time.perf_counter()
    result = train_and_publish(model, as_of, force=True, settings=run.settings, config=scoring)
    train_seconds = time.perf_counter() - started
    print(f"\n{model}")
    print(f"  gate: {readiness.reason}")
    if result.status != "trained":
        print(f"  not trained: {result.reason}")
        return {"model": model, "status": result.status}

    with mlflow_store(run.settings) as client:
        mlflow_run = client.get_run(result.run_id)
        metrics, tags = mlflow_run.data.metrics, mlflow_run.data.tags
        version = client.get_model_version(target.registered_model, result.version)
        aliases = sorted(version.aliases)
        folder = Path(tempfile.mkdtemp(prefix="rapport-eval-"))
        evaluation = Path(
            mlflow.artifacts.download_artifacts(
                run_id=result.run_id, artifact_path="evaluation", dst_path=str(folder)
            )
        )
        influence = json.loads((evaluation / "feature_influence.json").read_text())
        screen = json.loads((evaluation / "leakage_screen.json").read_text())
        bundle = load_bundle(target.registered_model, str(result.version))
        shutil.rmtree(folder, ignore_errors=True)

    with connect(run.settings.warehouse_path) as connection:
        spec = load_feature_spec(target, run.settings.dbt_project_dir)
        window = training_window(as_of, scoring.training_window_days)
        rows = read_closed_rows(connection, target, spec, window)
        open_rows = read_open_rows(connection, target, spec, as_of, scoring.scoring_window_days)
        health = connection.execute(
            f"select label, health_score from {target.features_table} "
            "where as_of_date = ? and label is not null and health_score is not null",
            [as_of.date()],
        ).df()
    # The registered model is refitted on every closed row (test set included), so the interval is taken
    # on the evaluation model (fit part only), re-made here with the same rows and seed.
    evaluated = replace(scoring, refit_on_window=False)
    trained = train_model(rows, target, spec, evaluated, window=window, open_rows=open_rows)
    test = trained.test_frame
    probabilities = trained.test_probabilities
    test_auc = _auc(test["label"], probabilities)
    low, high = _bootstrap_auc(test["label"].to_numpy(), probabilities)
    refit_on_test = _auc(test["label"], bundle.predict_proba(test))

    print(
        f"  training window {window.start:%Y-%m-%d} .. {window.end:%Y-%m-%d}: {len(rows)} closed records, "
        f"{int(rows.label.sum())} {target.positive_label} / {int((rows.label == 0).sum())} {target.negative_label}"
    )
    print(
        f"  split (by close moment): fit {int(metrics['fit_records'])} ({int(metrics['fit_positives'])} pos), "
        f"validation {int(metrics['validation_records'])} ({int(metrics['validation_positives'])} pos), "
        f"test {int(metrics['test_records'])} ({int(metrics['test_positives_count'])} pos), test from {tags['test_starts_at'][:10]}"
    )
    print(
        f"  test AUC {metrics['test_auc']:.3f} (evaluation model re-made: {test_auc:.3f}, bootstrap 95 % {low:.3f}-{high:.3f}; "
        f"the deployed model, refitted on these rows too, scores them {refit_on_test:.3f})"
        f"  PR-AUC {metrics['test_pr_auc']:.3f}  Brier {metrics['test_brier']:.3f}  ECE {metrics['test_ece']:.3f}"
    )
    calibration = ece_uncertainty(test["label"].to_numpy(), probabilities)
    old_calibration = train_model(
        rows, target, spec, replace(evaluated, calibration="validation"), window=window, open_rows=open_rows
    )
    recent_calibration = train_model(
        rows,
        target,
        spec,
        replace(evaluated, calibration="recent_intercept"),
        window=window,
        open_rows=open_rows,
    )
    goal = 0.05
    verdict = (
        "below the goal"
        if calibration.high <= goal
        else "above the goal"
        if calibration.low > goal
        else "the interval straddles the goal"
    )
    print(
        f"  calibration: test {calibration.describe()} with scoring.calibration = {scoring.calibration!r}: "
        f"ECE <= {goal}: {verdict}; within noise of perfect calibration: "
        f"{'yes' if calibration.ece <= calibration.noise_high else 'no'} (before, on the validation slice "
        f"only: ECE {old_calibration.evaluation.ece:.3f}); mean score {probabilities.mean():.3f} vs rate "
        f"{test['label'].mean():.3f}"
    )
    print(
        f"  for information (not chosen on it; bench/select_calibration.py chooses on older records): "
        f"'recent_intercept' on the newest {scoring.calibration_recent_fraction:.0%} of older records: test ECE "
        f"{recent_calibration.evaluation.ece:.3f}, mean score {recent_calibration.test_probabilities.mean():.3f}"
    )
    print(
        f"  F1 {metrics['test_f1']:.3f} at threshold {metrics['test_threshold']:.3f} "
        f"(precision {metrics['test_precision']:.3f}, recall {metrics['test_recall']:.3f}); "
        f"positive rate in test {metrics['test_conversion_rate']:.3f}"
    )
    print(
        f"  band {tags['band']}, suspect {tags['suspect']}, trees {int(metrics['best_iteration']) + 1}, "
        f"features used {int(metrics['features_used'])}"
    )
    print(f"  leakage screen dropped: {', '.join(result.dropped_features) or 'nothing'}")
    closest = sorted(screen, key=lambda r: -max(r["auc_all"], r["auc_present"] or 0))[:3]
    print(
        "  closest to the screen's threshold: "
        + "; ".join(f"{r['column']} {max(r['auc_all'], r['auc_present'] or 0):.3f}" for r in closest)
    )
    print(
        f"  MLflow run {result.run_id}, {target.registered_model} version {result.version} "
        f"aliases {','.join(aliases)}; {result.reason}"
    )
    top = list(influence.items())[:8]
    print(
        "  influence (mean |SHAP| per source field, test set): " + ", ".join(f"{k} {v:.3f}" for k, v in top)
    )
    health_auc = _auc(health.label, health.health_score)
    print(
        f"  relationship health {scoring.decision_gap_days} days before the close: AUC {health_auc:.3f} "
        f"({len(health)} closed records with a score)"
    )
    print(f"  train_and_publish {train_seconds:.1f} s")
    return {
        "model": model,
        "test_auc": metrics["test_auc"],
        "ece": metrics["test_ece"],
        "run_id": result.run_id,
    }


def _prospective(run, model: str, as_of: datetime, end: datetime) -> None:
    """Train on what was closed by ``as_of``, score the records open then, compare with their outcome by ``end``."""
    import numpy as np

    from rapport.ml.evaluate import expected_calibration_error
    from rapport.ml.features import load_feature_spec, read_closed_rows, read_open_rows, training_window
    from rapport.ml.targets import get_target
    from rapport.ml.train import train_model
    from rapport.warehouse import connect

    target = get_target(model)
    scoring = run.config.scoring
    with connect(run.settings.warehouse_path) as connection:
        spec = load_feature_spec(target, run.settings.dbt_project_dir)
        window = training_window(as_of, scoring.training_window_days)
        rows = read_closed_rows(connection, target, spec, window)
        open_rows = read_open_rows(connection, target, spec, as_of, scoring.scoring_window_days)
        outcome = connection.execute(
            f"select {target.id_column}, label as later_label from {target.features_table} "
            "where as_of_date = ? and label is not null",
            [end.date()],
        ).df()
    from dataclasses import replace

    from sklearn.metrics import brier_score_loss

    scored = open_rows.merge(outcome, on=target.id_column)
    y = scored.later_label.to_numpy()
    print(
        f"  {model}: {len(open_rows)} open on {as_of:%Y-%m-%d}, {len(scored)} closed by {end:%Y-%m-%d} ({int(y.sum())} {target.positive_label})"
    )
    for name, config in (
        ("before (no shift screen)", replace(scoring, shift_feature_psi=1000.0)),
        ("after (shift screen)", scoring),
    ):
        trained = train_model(rows, target, spec, config, window=window, open_rows=open_rows)
        p = trained.bundle.predict_proba(scored)
        prospective = _auc(y, p)
        print(
            f"    {name}: reported test AUC {trained.evaluation.auc:.3f} vs prospective AUC {prospective:.3f} "
            f"(gap {trained.evaluation.auc - prospective:+.3f}); test ECE {trained.evaluation.ece:.3f} / Brier "
            f"{trained.evaluation.brier:.3f}; prospective ECE {expected_calibration_error(y, p):.3f} / Brier "
            f"{brier_score_loss(y, p):.3f}, mean score {np.mean(p):.2f} vs rate {np.mean(y):.2f}; "
            f"shift screen dropped {', '.join(trained.shift.dropped) or 'nothing'}"
        )


def _touched_records(connection, target, since: datetime, until: datetime) -> set[str]:  # type: ignore[no-untyped-def]
    """Records with news between two runs: an activity regarding them or a note created, or the record edited."""
    record_table = "lead" if target.model == "lead" else "opportunity"
    record_key = f"{record_table}id"
    parts = [
        f"select regardingobjectid as id from raw.{table} where createdon > ? and createdon <= ?"
        for table in ("email", "phonecall", "appointment", "task")
    ]
    parts.append("select objectid as id from raw.annotation where createdon > ? and createdon <= ?")
    parts.append(
        f"select {record_key} as id from raw.{record_table} where modifiedon > ? and modifiedon <= ?"
    )
    sql = " union ".join(parts)
    found = connection.execute(sql, [since, until] * len(parts)).fetchall()
    return {row[0] for row in found if row[0] is not None}


def _stability(run, model: str, end: datetime, days: int, variants=None) -> None:  # type: ignore[no-untyped-def]
    """Share of open records without news whose score moves > 5 points from one daily run to the next.

    One model (trained as of ``end``, as a champion serves the days between two trainings) scores the
    records open at ``end`` as each of the ``days`` previous daily runs described them; each pair of
    consecutive days counts the records open on both without news (no activity, note or edit of the record
    between the runs: raw tables, read independently of the features). Before: issue 11's fixes switched
    off (no shift screen, sigmoid on the validation slice, no refit, no monotone constraints); after:
    rapport.toml. ``variants``: other (name, ScoringConfig, TrainingParams or None) to compare instead
    (bench/stability_variants.py).
    """
    from collections import Counter
    from dataclasses import replace

    import numpy as np

    from rapport.ml.change import describe_changes
    from rapport.ml.features import load_feature_spec, read_closed_rows, read_open_rows, training_window
    from rapport.ml.targets import get_target
    from rapport.ml.train import train_model
    from rapport.warehouse import connect

    target = get_target(model)
    key = target.id_column
    scoring = run.config.scoring
    dates = [end - timedelta(days=k) for k in range(days + 1)]
    with connect(run.settings.warehouse_path) as connection:
        spec = load_feature_spec(target, run.settings.dbt_project_dir)
        window = training_window(end, scoring.training_window_days)
        rows = read_closed_rows(connection, target, spec, window)
        described = {
            day: read_open_rows(connection, target, spec, day, scoring.scoring_window_days).set_index(key)
            for day in dates
        }
        pairs = []
        for later, earlier in itertools.pairwise(dates):
            open_both = (
                set(described[later].index) & set(described[earlier].index) & set(described[end].index)
            )
            quiet = sorted(open_both - _touched_records(connection, target, earlier, later))
            pairs.append(
                (
                    earlier,
                    described[earlier].loc[quiet].reset_index(),
                    described[later].loc[quiet].reset_index(),
                    len(open_both) - len(quiet),
                )
            )
    configs = variants or (
        (
            "before",
            replace(
                scoring,
                shift_feature_psi=1000.0,
                calibration="validation",
                refit_on_window=False,
                snapshot_every_days=0,
                monotone_decay=False,
            ),
            None,
        ),
        ("after", scoring, None),
    )
    for name, config, params in configs:
        trained = train_model(
            rows, target, spec, config, window=window, params=params, open_rows=described[end].reset_index()
        )
        moves, drivers, with_news = [], Counter(), 0
        for earlier, before_rows, today_rows, news in pairs:
            old = np.round(100 * trained.bundle.predict_proba(before_rows))
            new = np.round(100 * trained.bundle.predict_proba(today_rows))
            moved = np.abs(new - old) > 5
            moves.append(np.abs(new - old))
            with_news += news
            # What moved them: the field whose contribution moved most (ml.change, as stored per score).
            drivers.update(
                json.loads(text)["moved_by"][0]["field"]
                for text in describe_changes(
                    trained.bundle,
                    today_rows[moved].reset_index(drop=True),
                    before_rows[moved].reset_index(drop=True),
                    since=[f"{earlier:%Y-%m-%d}"] * int(moved.sum()),
                    previous_scores=old[moved],
                    scores=new[moved],
                    model_changed=np.zeros(int(moved.sum()), bool),
                )
                if json.loads(text)["moved_by"]
            )
        move = np.concatenate(moves)
        print(
            f"  {model} {name}: {int((move > 5).sum())} of {len(move)} daily scores of open records without news "
            f"moved > 5 points over {days} day pairs {dates[-1]:%Y-%m-%d} .. {end:%Y-%m-%d} "
            f"({(move > 5).mean():.1%}; mean move {move.mean():.2f} points, largest {int(move.max()) if len(move) else 0}; "
            f"{with_news} scores with news left out; test AUC {trained.evaluation.auc:.3f}, ECE "
            f"{trained.evaluation.ece:.3f}); moved most by: "
            + (", ".join(f"{field} {count}" for field, count in drivers.most_common(4)) or "-")
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2025, 6, 1))
    parser.add_argument("--prospective-days", type=int, default=90, help="0 skips the prospective check")
    parser.add_argument(
        "--timer-days",
        type=int,
        default=0,
        help="generate the sample with [sample] lead_auto_disqualify_days = N (a CRM timer closing leads); 0 = off",
    )
    parser.add_argument(
        "--no-stability", dest="stability", action="store_false", help="skip the day-to-day stability figure"
    )
    parser.add_argument(
        "--stability-days",
        type=int,
        default=7,
        help="daily runs before the end date whose consecutive pairs the stability figure counts (default 7)",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the run state in this folder (default: a temporary one)"
    )
    args = parser.parse_args()

    home = args.keep or Path(tempfile.mkdtemp(prefix="rapport-eval-scoring-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["RAPPORT_HOME"] = str(home / "var")
    os.environ.pop("RAPPORT_WAREHOUSE", None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    from rapport.run_context import make_run_context
    from rapport.sample import generate

    crm = home / "crm"
    started = time.perf_counter()
    summary = generate(
        crm,
        scale=args.scale,
        seed=args.seed,
        end_date=args.end_date,
        progress=False,
        lead_auto_disqualify_days=args.timer_days,
    )
    timer = f", leads disqualified {args.timer_days} days after creation" if args.timer_days else ""
    print(
        f"sample CRM: {args.scale}, seed {args.seed}, end {args.end_date}{timer}: {summary.total_rows:,} rows, "
        f"{summary.activities:,} activities ({time.perf_counter() - started:.1f} s) in {home}"
    )
    run = make_run_context(args.end_date, {"source": f"files:{crm}"})
    end = run.as_of.replace(tzinfo=None)
    seconds = _ingest(run, crm)
    seconds["dbt"] = _build_features(run, end)
    started = time.perf_counter()
    for model in MODELS:
        _report_model(run, model, end)
    seconds["gate + train + publish"] = time.perf_counter() - started
    if args.stability:
        print(
            f"\nday-to-day stability: features also as of the {args.stability_days} days before {end:%Y-%m-%d}"
        )
        started = time.perf_counter()
        for k in range(1, args.stability_days + 1):
            _build_features(run, end - timedelta(days=k))
        seconds["dbt (days before)"] = time.perf_counter() - started
        for model in MODELS:
            _stability(run, model, end, args.stability_days)
    if args.prospective_days:
        earlier = end - timedelta(days=args.prospective_days)
        print(f"\nprospective check: features as of {earlier:%Y-%m-%d}, outcomes by {end:%Y-%m-%d}")
        seconds["dbt (earlier date)"] = _build_features(run, earlier)
        for model in MODELS:
            _prospective(run, model, earlier, end)
    print("\nseconds: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
