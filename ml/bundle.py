"""The model bundle: everything scoring needs, travelling together as one MLflow model.

A bundle is the XGBoost booster plus a JSON document with the feature spec (after the leakage screen),
the categorical levels, the sigmoid calibrator, the training population figures and the training
metadata. It is logged as an MLflow pyfunc model (``ScoringModel``) whose artifacts are these two
files, so ``mlflow.pyfunc.load_model("models:/rapport_lead_scoring@champion")`` gives back the whole
bundle (``.unwrap_python_model().bundle``) and its ``predict`` returns calibrated probabilities and
0-100 scores for a features DataFrame.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from mlflow.pyfunc import PythonModel

from rapport.ml.calibration import PlattCalibrator
from rapport.ml.features import FeatureSpec, prepare_matrix
from rapport.ml.population import Population

if TYPE_CHECKING:
    import numpy as np
    import xgboost as xgb

BOOSTER_FILE = "booster.ubj"
BUNDLE_FILE = "bundle.json"
BUNDLE_FORMAT = 1


@dataclass(frozen=True)
class ModelBundle:
    """A trained, calibrated model with its feature spec, levels and population figures."""

    model: str
    booster: xgb.Booster
    spec: FeatureSpec
    levels: dict[str, dict[str, str]]
    calibrator: PlattCalibrator
    population: Population
    metadata: dict[str, Any] = field(default_factory=dict)

    def matrix(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The model matrix of a features frame (categoricals with this model's levels)."""
        return prepare_matrix(frame, self.spec, self.levels)

    def dmatrix(self, matrix: pd.DataFrame) -> xgb.DMatrix:
        import xgboost as xgb

        return xgb.DMatrix(matrix, enable_categorical=True, nthread=-1)

    def margin(self, matrix: pd.DataFrame) -> np.ndarray:
        """Raw log-odds of the booster."""
        return self.booster.predict(self.dmatrix(matrix), output_margin=True)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive outcome for each row of a features frame."""
        return self.calibrator.apply(self.margin(self.matrix(frame)))

    def contributions(self, matrix: pd.DataFrame) -> np.ndarray:
        """Exact TreeSHAP contributions in log-odds: (rows x (columns + 1)), the last column the bias."""
        return self.booster.predict(self.dmatrix(matrix), pred_contribs=True)

    def save(self, directory: Path) -> dict[str, str]:
        """Write the booster and the JSON document into ``directory``; return MLflow's artifact map."""
        directory.mkdir(parents=True, exist_ok=True)
        booster_path = directory / BOOSTER_FILE
        bundle_path = directory / BUNDLE_FILE
        self.booster.save_model(str(booster_path))
        document = {
            "format": BUNDLE_FORMAT,
            "model": self.model,
            "spec": self.spec.to_dict(),
            "levels": self.levels,
            "calibrator": self.calibrator.to_dict(),
            "population": self.population.to_dict(),
            "metadata": self.metadata,
        }
        bundle_path.write_text(json.dumps(document, indent=1, default=str))
        return {"booster": str(booster_path), "bundle": str(bundle_path)}

    @classmethod
    def load(cls, booster_path: Path | str, bundle_path: Path | str) -> ModelBundle:
        import xgboost as xgb

        document = json.loads(Path(bundle_path).read_text())
        if document.get("format") != BUNDLE_FORMAT:
            raise ValueError(
                f"{bundle_path}: bundle format {document.get('format')!r} is not {BUNDLE_FORMAT}; "
                "retrain the model with this version of Rapport"
            )
        booster = xgb.Booster()
        booster.load_model(str(booster_path))
        return cls(
            model=document["model"],
            booster=booster,
            spec=FeatureSpec.from_dict(document["spec"]),
            levels=document["levels"],
            calibrator=PlattCalibrator.from_dict(document["calibrator"]),
            population=Population.from_dict(document["population"]),
            metadata=document.get("metadata", {}),
        )


class ScoringModel(PythonModel):  # type: ignore[misc]
    """MLflow pyfunc wrapper of a :class:`ModelBundle` (see ``ml/scoring_model_code.py``)."""

    bundle: ModelBundle

    def load_context(self, context: Any) -> None:
        self.bundle = ModelBundle.load(context.artifacts["booster"], context.artifacts["bundle"])

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """``probability`` (calibrated) and ``score`` (0-100) for each row of a features DataFrame.

        The ``pd.DataFrame`` hint tells MLflow to pass the frame as is (no schema validation that would
        drop the category dtypes).
        """
        import numpy as np

        probability = self.bundle.predict_proba(pd.DataFrame(model_input))
        return pd.DataFrame(
            {"probability": probability, "score": np.rint(probability * 100).astype("int64")},
            index=getattr(model_input, "index", None),
        )
