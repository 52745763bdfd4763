"""MLflow "models from code" entry point of Rapport's scoring model.

MLflow copies this file into each logged model and runs it when the model is loaded; it names the
pyfunc class, whose ``load_context`` reads the booster and the bundle document from the model's
artifacts. Loading therefore needs the ``ml`` package installed (the Rapport project), nothing else
from the training run. Not meant to be imported by other code.
"""

from mlflow.models import set_model

from rapport.ml.bundle import ScoringModel

set_model(ScoringModel())
