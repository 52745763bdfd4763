"""X Education through its shipped mapping: Rapport's lead model against an independent baseline.

Runs the whole DAG (``rapport run``) on ``mapped:mappings/examples/x_education.toml@<data>`` with the fields
of ``mappings/examples/x_education.rapport.toml`` in a temporary RAPPORT_HOME (or ``--home``), then prints
Rapport's test-set figures (the most recent 20 % of leads by close moment = by Lead Number: the mapping
derives the moments from it) from the MLflow run, and computes independently with scikit-learn a logistic
regression on the same split with the same honest columns (one-hot categoricals with "Select" as missing,
numerics median-imputed and standardised). It also prints the single-column AUC of the columns the config
refuses as filled in after the outcome, computed on the training part.

    .venv/bin/python bench/eval_mapped_sources.py [--data ../shared/data/leads_x_education] [--home DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "dags"))

MAPPING = ROOT / "mappings" / "examples" / "x_education.toml"
FIELDS = ROOT / "mappings" / "examples" / "x_education.rapport.toml"
RUN_DATE = "2025-02-01"
TEST_FRACTION = 0.2


def run_rapport(data: Path, home: Path) -> float:
    env = dict(os.environ, RAPPORT_HOME=str(home), RAPPORT_CONFIG=f"{ROOT / 'rapport.toml'}:{FIELDS}")
    started = time.perf_counter()
    completed = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "rapport"), "run", "--date", RUN_DATE, "--force-retrain",
         "--source", f"mapped:{MAPPING}@{data}"],
        env=env, cwd=ROOT, text=True, capture_output=True, check=False,
    )  # fmt: skip
    print(completed.stdout[-3000:])
    if completed.returncode:
        print(completed.stderr[-3000:])
        raise SystemExit(f"rapport run failed ({completed.returncode})")
    return time.perf_counter() - started


def rapport_metrics(home: Path) -> dict[str, float]:
    from rapport.ml.tracking import mlflow_store
    from rapport.settings import Settings

    os.environ["RAPPORT_HOME"] = str(home)
    settings = Settings.from_env()
    with mlflow_store(settings) as client:
        experiment = client.get_experiment_by_name("rapport_lead_scoring")
        assert experiment is not None, "no lead experiment: the lead model was not trained"
        (run,) = client.search_runs([experiment.experiment_id], order_by=["start_time DESC"], max_results=1)
        return {key: value for key, value in run.data.metrics.items() if key.startswith(("test_", "n_"))}


def baseline(data: Path) -> tuple[float, dict[str, float], int, int]:
    import numpy as np
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    mapping = tomllib.loads(MAPPING.read_text())["tables"]["lead"]["custom"]
    fields = tomllib.loads(FIELDS.read_text())["scoring"]["lead"]["fields"]
    frame = pd.read_csv(data / "Leads.csv").sort_values("Lead Number").reset_index(drop=True)
    frame = frame.replace({"Select": np.nan})
    source = {name: (spec if isinstance(spec, str) else spec["from"]) for name, spec in mapping.items()}
    honest = {name: spec for name, spec in fields.items() if "kind" in spec and not spec.get("after_outcome")}
    leaking = {name: spec for name, spec in fields.items() if spec.get("after_outcome")}
    categorical = [source[name] for name, spec in honest.items() if spec["kind"] == "categorical"]
    numeric = [source[name] for name, spec in honest.items() if spec["kind"] == "numeric"]
    for column in categorical:
        frame[column] = frame[column].str.strip().str.casefold()
    cut = round(len(frame) * (1 - TEST_FRACTION))
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    model = make_pipeline(
        ColumnTransformer(
            [
                ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                      OneHotEncoder(handle_unknown="ignore")), categorical),
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ]
        ),
        LogisticRegression(max_iter=2000),
    )  # fmt: skip
    model.fit(train[categorical + numeric], train["Converted"])
    auc = float(roc_auc_score(test["Converted"], model.predict_proba(test[categorical + numeric])[:, 1]))
    single = {}
    for name in leaking:
        column = train[source[name]]
        if not pd.api.types.is_numeric_dtype(column):
            rates = train.groupby(column.fillna("missing"))["Converted"].mean()
            scores = column.fillna("missing").map(rates)
        else:
            scores = column.fillna(column.median())
        single[source[name]] = float(roc_auc_score(train["Converted"], scores))
    return auc, single, len(train), len(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "leads_x_education")
    parser.add_argument("--home", type=Path, help="RAPPORT_HOME to use (default: a temporary folder)")
    parser.add_argument(
        "--skip-run", action="store_true", help="read the figures of an earlier run in --home"
    )
    args = parser.parse_args()
    data = args.data.resolve()
    if not data.is_dir():
        data = Path("/work/shared/data/leads_x_education")
    home = args.home or Path(tempfile.mkdtemp(prefix="rapport-xedu-"))
    if not args.skip_run:
        seconds = run_rapport(data, home)
        print(f"rapport run (9,240 leads, mapped source, whole DAG): {seconds:.0f} s wall")
    metrics = rapport_metrics(home)
    auc, single, n_train, n_test = baseline(data)
    print(f"X Education, test = most recent {TEST_FRACTION:.0%} of leads by Lead Number")
    print(f"  Rapport lead model: test AUC {metrics.get('test_auc', float('nan')):.3f}, "
          f"ECE {metrics.get('test_ece', float('nan')):.3f}")  # fmt: skip
    print(
        f"  Logistic regression (scikit-learn, same honest fields, {n_train} train / {n_test} test): AUC {auc:.3f}"
    )
    print("  Refused as filled in after the outcome (single-column AUC on the training part):")
    for column, value in sorted(single.items(), key=lambda item: -item[1]):
        print(f"    {column:<32} {value:.3f}")
    print("  all MLflow test metrics:", {key: round(value, 4) for key, value in sorted(metrics.items())})


if __name__ == "__main__":
    main()
