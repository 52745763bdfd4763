"""Choose the calibration without touching the test set: a time-ordered cross-check within the older records.

Reads a warehouse kept by ``bench/eval_scoring.py --keep DIR``. Per model, at the end date and (when the
features exist there, as the prospective check builds them) at an earlier date: the closed rows of the window
lose their test part (the most recent ``scoring.test_fraction`` of records, never read here); on what is left
(the older records) ``train_model`` runs again, so its own "test" is the newest fifth of the older records
and its fit, early stopping and calibration use only records closed before them. Prints, for every
``scoring.calibration`` method and recent-slice size, the ECE and mean score vs observed rate on that
inner test slice, and the mean ECE over models and dates (the figure to choose on).

    .venv/bin/python bench/select_calibration.py --home DIR [--end-date 2025-06-01] [--earlier 2025-03-03]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))

MODELS = ("lead", "opportunity")
CANDIDATES = (
    ("out_of_fold", 1.0),
    ("recent_intercept", 0.5),
    ("recent_intercept", 0.25),
    ("recent_intercept", 0.1),
    ("recent", 0.5),
    ("recent", 0.25),
    ("validation", 1.0),
)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="the --keep folder of bench/eval_scoring.py")
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2025, 6, 1))
    parser.add_argument("--earlier", type=date.fromisoformat, default=date(2025, 3, 3))
    args = parser.parse_args()
    os.environ["RAPPORT_HOME"] = str(args.home / "var")
    os.environ.pop("RAPPORT_WAREHOUSE", None)

    from rapport.ml.evaluate import ece_noise_floor
    from rapport.ml.features import load_feature_spec, read_closed_rows, read_open_rows, training_window
    from rapport.ml.targets import get_target
    from rapport.ml.train import train_model
    from rapport.run_context import make_run_context
    from rapport.warehouse import connect

    run = make_run_context(args.end_date, {})
    scoring = replace(run.config.scoring, refit_on_window=False)
    totals: dict[tuple[str, float], list[float]] = {candidate: [] for candidate in CANDIDATES}
    for as_of_day in (args.end_date, args.earlier):
        as_of = datetime(as_of_day.year, as_of_day.month, as_of_day.day)
        for model in MODELS:
            target = get_target(model)
            with connect(run.settings.warehouse_path) as connection:
                spec = load_feature_spec(target, run.settings.dbt_project_dir)
                window = training_window(as_of, scoring.training_window_days)
                rows = read_closed_rows(connection, target, spec, window)
                open_rows = read_open_rows(connection, target, spec, as_of, scoring.scoring_window_days)
            if rows.empty:
                print(f"{model} as of {as_of_day}: no features built for this date, skipped")
                continue
            ordered = rows.sort_values("closed_at", kind="stable")
            records = ordered[target.id_column].drop_duplicates()
            kept = set(records.iloc[: len(records) - math.ceil(len(records) * scoring.test_fraction)])
            older = ordered[ordered[target.id_column].isin(kept)].reset_index(drop=True)
            print(f"\n{model} as of {as_of_day}: {len(kept)} older records (test part left out)")
            for method, fraction in CANDIDATES:
                config = replace(scoring, calibration=method, calibration_recent_fraction=fraction)
                trained = train_model(older, target, spec, config, window=window, open_rows=open_rows)
                p, y = trained.test_probabilities, trained.test_labels
                totals[(method, fraction)].append(trained.evaluation.ece)
                print(
                    f"  {method:16s} recent {fraction:4.2f}: inner-test ECE {trained.evaluation.ece:.3f} "
                    f"(floor {ece_noise_floor(p):.3f}), mean score {p.mean():.3f} vs rate {y.mean():.3f}, "
                    f"AUC {trained.evaluation.auc:.3f}, {len(y)} records"
                )
    print("\nmean inner-test ECE over models and dates:")
    for (method, fraction), values in totals.items():
        if values:
            print(
                f"  {method:16s} recent {fraction:4.2f}: {sum(values) / len(values):.4f} over {len(values)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
