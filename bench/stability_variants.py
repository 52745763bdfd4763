"""Day-to-day stability of the scores under variants of the model's settings (docs/scoring.md, Day-to-day stability).

Reuses a state kept by ``bench/eval_scoring.py --keep DIR`` (its warehouse holds the features of the end
date and of the ``--stability-days`` days before it) and prints, per model, variant and seed, the share
of daily scores of open records without news that move more than 5 points (the counting of
eval_scoring.py's ``_stability``), with the test AUC and ECE of the model::

    .venv/bin/python bench/eval_scoring.py --keep /tmp/eval --prospective-days 0
    .venv/bin/python bench/stability_variants.py /tmp/eval [--seeds 42 7] [--stability-days 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))


def _eval_scoring() -> Any:
    spec = importlib.util.spec_from_file_location("eval_scoring", ROOT / "bench" / "eval_scoring.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("home", type=Path, help="the folder given to eval_scoring.py --keep")
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2025, 6, 1))
    parser.add_argument("--stability-days", type=int, default=7)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7])
    args = parser.parse_args()
    os.environ["RAPPORT_HOME"] = str(args.home / "var")
    os.environ.pop("RAPPORT_WAREHOUSE", None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)

    from rapport.ml.train import TrainingParams
    from rapport.run_context import make_run_context

    @dataclass(frozen=True)
    class LeafL2Params(TrainingParams):
        """TrainingParams with XGBoost's L2 penalty on leaf weights (``lambda``, 1 by default)."""

        leaf_l2: float = 1.0

        def xgboost_params(self) -> dict[str, Any]:
            return {**super().xgboost_params(), "lambda": self.leaf_l2}

    bench = _eval_scoring()
    run = make_run_context(args.end_date, {"source": f"files:{args.home / 'crm'}"})
    end = run.as_of.replace(tzinfo=None)
    scoring = run.config.scoring
    free = replace(scoring, monotone_decay=False)
    slow = replace(free, learning_rate=0.05)
    for seed in args.seeds:

        def params(config: Any, seed: int = seed, **changes: Any) -> TrainingParams:
            return replace(TrainingParams.from_config(config), seed=seed, **changes)

        base = params(free)
        variants = [
            ("any shape", free, base),
            ("monotone", replace(free, monotone_decay=True), params(free)),
            ("leaf L2 10", free, LeafL2Params(**vars(base), leaf_l2=10.0)),
            ("min_child_weight 5", free, params(free, min_child_weight=5.0)),
            ("learning_rate 0.05", slow, params(slow)),
            ("monotone + learning_rate 0.05", replace(slow, monotone_decay=True), params(slow)),
        ]
        print(f"\nseed {seed}")
        for model in bench.MODELS:
            bench._stability(run, model, end, args.stability_days, variants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
