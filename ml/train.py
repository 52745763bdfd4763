"""Training: a time-ordered, leakage-screened, calibrated XGBoost model from the closed records.

Protocol (docs/scoring.md has the why):

1. The rows are the records created and closed in the training window, sorted by close moment.
2. The most recent ``scoring.test_fraction`` of them is the **test set**; it is only used to evaluate.
3. The most recent ``validation_fraction`` of the older part is the **validation slice**: early stopping
   watches its log-loss. The rest is the **fit part**. The sigmoid calibrator is fitted on out-of-fold
   predictions over every older record (``scoring.calibration = "out_of_fold"``, the default), with its
   intercept or whole fit taken from the most recent of them (``"recent_intercept"`` / ``"recent"``), or on
   the validation slice's predictions (``"validation"``).
4. The **leakage screen** scores every feature alone on the older part (fit + validation) and drops any
   reaching ``scoring.leakage_feature_auc``.
5. XGBoost (hist, native categoricals) trains on the fit part; the booster is cut at the best iteration.
6. The calibrated model is evaluated on the test set; a test AUC >= ``scoring.suspect_model_auc`` marks
   the model *suspect* (too good to be true: look for leakage).

This module does no MLflow or warehouse I/O: :func:`train_model` takes a DataFrame and returns a
:class:`TrainedModel`. ``rapport.ml.pipeline`` wires it to the warehouse and MLflow.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rapport.ml.bundle import ModelBundle
from rapport.ml.calibration import PlattCalibrator, fit_platt, fit_platt_recent
from rapport.ml.evaluate import Evaluation, EvaluationError, evaluate_predictions
from rapport.ml.explain import field_contributions
from rapport.ml.features import (
    FeatureSpec,
    Window,
    build_levels,
    categorical_values,
    empty_value_fills,
    expand_empty_values,
    prepare_matrix,
)
from rapport.ml.leakage import LeakageReport, ShiftReport, screen_features, screen_shift
from rapport.ml.population import compute_population
from rapport.ml.targets import ScoringTarget

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from rapport.config import ScoringConfig
    from rapport.ml.features import ExpandedMatrix

log = logging.getLogger(__name__)

INFLUENCE_ROWS = 5_000  # test rows explained for the feature influence plot


class TrainingError(RuntimeError):
    """Training could not produce a model (too few rows in a split, every feature leaked, ...)."""


@dataclass(frozen=True)
class DroppedFeature:
    """A feature column left out before training, and why (empty, one value only, ...)."""

    column: str
    field: str
    reason: str

    def describe(self) -> str:
        return f"{self.column} ({self.field}): {self.reason}"


def uninformative_features(frame: pd.DataFrame, spec: FeatureSpec) -> tuple[DroppedFeature, ...]:
    """Columns that cannot inform a model on ``frame``: never filled in, or a single value throughout.

    Categoricals are compared after the same canonicalisation the model uses (case and spaces), so a
    column holding only ``Google`` and ``google `` is one level. A column missing from ``frame`` is empty.
    """
    import pandas as pd

    dropped = []
    for column in spec.columns:
        if column.name not in frame.columns:
            dropped.append(DroppedFeature(column.name, column.field, "absent from the training rows"))
            continue
        series = frame[column.name]
        if column.kind == "categorical":
            levels = build_levels(frame[[column.name]], FeatureSpec(spec.model, (column,)))[column.name]
            values = categorical_values(series, levels)
        else:
            values = pd.to_numeric(series, errors="coerce")
        filled = values.dropna()
        if filled.empty:
            reason = "never filled in on the training rows"
        elif filled.nunique() == 1 and len(filled) == len(values):
            reason = f"the same value ({filled.iloc[0]}) on every training row"
        elif filled.nunique() == 1 and column.ignore_empty:
            reason = f"one value only ({filled.iloc[0]}) once its empty values are ignored (ignore_empty)"
        else:
            continue
        dropped.append(DroppedFeature(column.name, column.field, reason))
    return tuple(dropped)


@dataclass(frozen=True)
class TrainingParams:
    """XGBoost settings. Sized for exact TreeSHAP: cost grows with trees x leaves x depth^2."""

    max_trees: int = 300
    max_depth: int = 3
    learning_rate: float = 0.2
    early_stopping_rounds: int = 30
    validation_fraction: float = 0.2
    min_child_weight: float = 1.0
    subsample: float = 0.9
    colsample_bytree: float = 0.9
    seed: int = 42
    threads: int = 0  # 0: all cores
    empty_value_draws: int = 8  # copies standing for a record with an ignored empty value
    # (column, +1 / -1): XGBoost monotone constraints (scoring.monotone_decay; the spec's declared directions)
    monotone: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_config(cls, config: ScoringConfig) -> TrainingParams:
        return cls(
            max_trees=config.max_trees,
            max_depth=config.max_depth,
            learning_rate=config.learning_rate,
            early_stopping_rounds=config.early_stopping_rounds,
            validation_fraction=config.validation_fraction,
            empty_value_draws=config.empty_value_draws,
        )

    def xgboost_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "objective": "binary:logistic",
            "eval_metric": "logloss",
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "seed": self.seed,
        }
        if self.threads:
            params["nthread"] = self.threads
        if self.monotone:
            params["monotone_constraints"] = dict(self.monotone)
        return params


@dataclass(frozen=True)
class SplitSizes:
    """How many records each time-ordered part holds, and where the test set starts."""

    fit: int
    validation: int
    test: int
    test_starts_at: datetime
    fit_positives: int
    validation_positives: int
    test_positives: int


@dataclass(frozen=True)
class TrainedModel:
    """The outcome of :func:`train_model`: the bundle and everything measured while making it."""

    bundle: ModelBundle  # the deployed model: refitted on every closed row when scoring.refit_on_window
    evaluation: Evaluation  # of ``evaluated`` on the held-out test set
    leakage: LeakageReport
    uninformative: tuple[DroppedFeature, ...]
    shift: ShiftReport
    influence: dict[str, float]
    split: SplitSizes
    data_digest: str
    best_iteration: int
    is_suspect: bool
    params: TrainingParams
    test_frame: pd.DataFrame = field(repr=False)
    test_probabilities: np.ndarray = field(repr=False)
    evaluated: ModelBundle | None = field(default=None, repr=False)  # the evaluation model, when refitted

    @property
    def evaluation_bundle(self) -> ModelBundle:
        """The model the test figures describe (trained on the fit part only)."""
        return self.evaluated or self.bundle

    @property
    def is_refitted(self) -> bool:
        return self.evaluated is not None

    @property
    def test_labels(self) -> np.ndarray:
        return self.test_frame["label"].to_numpy()


def data_digest(frame: pd.DataFrame, target: ScoringTarget, spec: FeatureSpec) -> str:
    """SHA-256 of the training rows (id, times, label and feature values, in close order)."""
    import pandas as pd

    columns = [target.id_column, "created_at", "closed_at", "feature_at", "label", *spec.names]
    hashed = pd.util.hash_pandas_object(frame[columns].astype(str), index=False)
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()


def split_by_close(
    frame: pd.DataFrame, test_fraction: float, validation_fraction: float, id_column: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(fit, validation, test) of ``frame``, sorted by ``closed_at``: the most recent records are tested.

    With ``id_column``, a record described at several moments (snapshots) keeps all its rows in one part,
    the part of its close; the fractions count records.
    """
    ordered = frame.sort_values(["closed_at"], kind="stable").reset_index(drop=True)
    keys = ordered[id_column] if id_column else ordered.index.to_series()
    records = keys.drop_duplicates()
    n_test = math.ceil(len(records) * test_fraction)
    n_validation = math.ceil((len(records) - n_test) * validation_fraction)
    fit_keys = set(records.iloc[: len(records) - n_test - n_validation])
    test_keys = set(records.iloc[len(records) - n_test :])
    fit = ordered[keys.isin(fit_keys)]
    test = ordered[keys.isin(test_keys)]
    validation = ordered[~keys.isin(fit_keys | test_keys)]
    for name, part in (("fit", fit), ("validation", validation), ("test", test)):
        if part.empty:
            raise TrainingError(
                f"the {name} part of {len(records)} closed records is empty; more closed records are needed"
            )
    return fit, validation, test


def refit_on_window(
    evaluated: ModelBundle,
    frame: pd.DataFrame,
    test: pd.DataFrame,
    params: TrainingParams,
    rounds: int,
) -> ModelBundle:
    """The evaluated model's settings refitted on every closed row of the window (recent ones included).

    Same features, levels and number of trees (``rounds``, the early-stopping choice). Its sigmoid is
    fitted on the most recent slice (the test part) with the evaluated booster's margins there, the only
    recent margins not seen in fitting; the refitted booster has the same size and settings, so it is
    applied to the refitted booster's margins as is. The test figures stay those of ``evaluated``.
    """
    import xgboost as xgb

    expanded = expand_empty_values(evaluated.matrix(frame), evaluated.spec, evaluated.empty_fills)
    booster = xgb.train(
        params.xgboost_params(),
        _weighted_dmatrix(expanded, frame["label"].to_numpy()),
        num_boost_round=rounds,
        verbose_eval=False,
    )
    calibrator = fit_platt(evaluated.margin(evaluated.matrix(test)), test["label"].to_numpy())
    metadata = {**evaluated.metadata, "refitted_on_rows": len(frame), "refit_rounds": rounds}
    return replace(evaluated, booster=booster, calibrator=calibrator, metadata=metadata)


def _weighted_dmatrix(expanded: ExpandedMatrix, labels: np.ndarray) -> Any:
    """A training DMatrix of an expanded matrix: each copy carries its row's label and its weight."""
    import xgboost as xgb

    return xgb.DMatrix(
        expanded.matrix, label=labels[expanded.owner], weight=expanded.weight, enable_categorical=True
    )


CALIBRATION_FOLDS = 5  # folds of the older records whose out-of-fold margins the sigmoid is fitted on


def out_of_fold_margins(
    older: pd.DataFrame,
    expanded: ExpandedMatrix,
    params: TrainingParams,
    rounds: int,
    id_column: str,
    folds: int = CALIBRATION_FOLDS,
) -> np.ndarray:
    """Log-odds of every older row from a booster that did not see its record (``folds`` folds by record).

    Each fold's booster has the evaluated booster's settings and size (``rounds`` trees) and is trained on
    the other folds: (folds - 1) / folds of the older rows, the size of the fit part at the default fractions,
    so its margins are on the evaluated booster's scale. The sigmoid fitted on them sees every older record
    instead of the validation slice only (a fifth of them): its two parameters vary far less from one slice
    to the next (on the generated sample's opportunities the validation slice's rate was 0.41 against 0.45
    before and after it, and its sigmoid pulled every score down).
    """
    import numpy as np
    import xgboost as xgb

    records = older[id_column].drop_duplicates().to_numpy()
    order = np.random.default_rng(params.seed).permutation(len(records))
    fold_of = dict(zip(records[order], np.arange(len(records)) % folds, strict=True))
    # one fold per copy of the expanded matrix (ignore_empty copies stay with their record)
    fold = older[id_column].map(fold_of).to_numpy()[expanded.owner]
    labels = older["label"].to_numpy()[expanded.owner]
    matrix = expanded.matrix
    margins = np.zeros(len(matrix))
    for k in range(folds):
        held = fold == k
        if not held.any() or held.all():
            continue
        booster = xgb.train(
            params.xgboost_params(),
            xgb.DMatrix(
                matrix[~held], label=labels[~held], weight=expanded.weight[~held], enable_categorical=True
            ),
            num_boost_round=rounds,
            verbose_eval=False,
        )
        margins[held] = booster.predict(
            xgb.DMatrix(matrix[held], enable_categorical=True), output_margin=True
        )
    return expanded.mean_by_owner(margins)


OUT_OF_FOLD_CALIBRATIONS = ("out_of_fold", "recent_intercept", "recent")


def recent_records(older: pd.DataFrame, fraction: float, id_column: str) -> np.ndarray:
    """Mask of the rows of the most recent ``fraction`` of the records in ``older`` (by close moment).

    A record described at several moments (snapshots) is in or out with all its rows; at least one record.
    """
    import numpy as np

    ordered = older.sort_values("closed_at", kind="stable")
    records = ordered[id_column].drop_duplicates()
    n_recent = max(1, math.ceil(len(records) * fraction))
    recent = set(records.iloc[len(records) - n_recent :])
    return np.asarray(older[id_column].isin(recent).to_numpy(), dtype=bool)


def _fit_booster(
    fit: ExpandedMatrix,
    fit_labels: np.ndarray,
    validation: ExpandedMatrix,
    validation_labels: np.ndarray,
    params: TrainingParams,
) -> Any:
    import xgboost as xgb

    train_matrix = _weighted_dmatrix(fit, fit_labels)
    validation_matrix = _weighted_dmatrix(validation, validation_labels)
    booster = xgb.train(
        params.xgboost_params(),
        train_matrix,
        num_boost_round=params.max_trees,
        evals=[(validation_matrix, "validation")],
        early_stopping_rounds=params.early_stopping_rounds,
        verbose_eval=False,
    )
    best = int(getattr(booster, "best_iteration", params.max_trees - 1))
    return booster[: best + 1], best


def _drop_uninformative(
    older: pd.DataFrame, spec: FeatureSpec, target: ScoringTarget
) -> tuple[FeatureSpec, tuple[DroppedFeature, ...]]:
    """``spec`` without the columns empty or constant on the training rows (an error when none is left)."""
    uninformative = uninformative_features(older, spec)
    for dropped_feature in uninformative:
        log.warning("%s: feature dropped before training: %s", target.model, dropped_feature.describe())
    if len(uninformative) == len(spec.columns):
        raise TrainingError(
            f"{target.model}: every feature column is empty or constant on the training rows "
            f"({'; '.join(d.describe() for d in uninformative)}); check the features model and its source"
        )
    return (spec.without({d.column for d in uninformative}) if uninformative else spec), uninformative


@dataclass(frozen=True)
class _Screened:
    """The features kept by the leakage and shift screens, their category levels and both reports."""

    spec: FeatureSpec
    levels: dict[str, dict[str, str]]
    leakage: LeakageReport
    shift: ShiftReport


def _screen(
    frame: pd.DataFrame,
    older: pd.DataFrame,
    open_rows: pd.DataFrame | None,
    spec: FeatureSpec,
    config: ScoringConfig,
    target: ScoringTarget,
) -> _Screened:
    levels = build_levels(older, spec)
    leakage = screen_features(
        prepare_matrix(older, spec, levels), older["label"].to_numpy(), spec, config.leakage_feature_auc
    )
    if leakage.dropped:
        log.warning("%s leakage screen: %s", target.model, leakage.summary())
    shift = screen_shift(
        prepare_matrix(frame, spec, levels),
        prepare_matrix(open_rows if open_rows is not None else frame.iloc[:0], spec, levels),
        spec,
        config.shift_feature_psi,
    )
    if shift.dropped:
        log.warning("%s shift screen: %s", target.model, shift.summary())
    screened = spec.without(set(leakage.dropped) | set(shift.dropped))
    levels = {name: mapping for name, mapping in levels.items() if name in screened.names}
    return _Screened(spec=screened, levels=levels, leakage=leakage, shift=shift)


def _calibrate(
    booster: Any,
    older: pd.DataFrame,
    validation_expanded: ExpandedMatrix,
    validation_labels: np.ndarray,
    screened: _Screened,
    fills: dict[str, list[Any]],
    params: TrainingParams,
    best_iteration: int,
    config: ScoringConfig,
    target: ScoringTarget,
) -> PlattCalibrator:
    """The sigmoid calibrator, on out-of-fold margins of the older rows or on the validation slice."""
    import xgboost as xgb

    if config.calibration in OUT_OF_FOLD_CALIBRATIONS:
        older_margins = out_of_fold_margins(
            older,
            expand_empty_values(prepare_matrix(older, screened.spec, screened.levels), screened.spec, fills),
            params,
            best_iteration + 1,
            target.id_column,
        )
        older_labels = older["label"].to_numpy()
        if config.calibration == "out_of_fold":
            return fit_platt(older_margins, older_labels)
        return fit_platt_recent(
            older_margins,
            older_labels,
            recent_records(older, config.calibration_recent_fraction, target.id_column),
            refit="intercept" if config.calibration == "recent_intercept" else "full",
        )
    validation_margin = validation_expanded.mean_by_owner(
        booster.predict(xgb.DMatrix(validation_expanded.matrix, enable_categorical=True), output_margin=True)
    )
    return fit_platt(validation_margin, validation_labels)


def _split_sizes(fit: pd.DataFrame, validation: pd.DataFrame, test: pd.DataFrame) -> SplitSizes:
    return SplitSizes(
        fit=len(fit),
        validation=len(validation),
        test=len(test),
        test_starts_at=test["closed_at"].iloc[0].to_pydatetime(),
        fit_positives=int(fit["label"].to_numpy().sum()),
        validation_positives=int(validation["label"].to_numpy().sum()),
        test_positives=int(test["label"].sum()),
    )


def _influence(
    bundle: ModelBundle, test: pd.DataFrame, spec: FeatureSpec, evaluation: Evaluation, config: ScoringConfig
) -> tuple[dict[str, float], bool]:
    """Mean absolute share of each field on test rows, and whether the test AUC makes the model suspect."""
    import numpy as np

    sample = bundle.matrix(test).iloc[:INFLUENCE_ROWS]
    per_field = field_contributions(bundle.reason_contributions(sample), spec)
    influence = {name: float(np.abs(per_field[:, i]).mean()) for i, name in enumerate(spec.fields)}
    is_suspect = evaluation.auc >= config.suspect_model_auc
    if is_suspect:
        log.warning(
            "%s model is suspect: test AUC %.3f >= %.2f; look for a field filled after the outcome (top fields: %s)",
            bundle.model,
            evaluation.auc,
            config.suspect_model_auc,
            ", ".join(sorted(influence, key=lambda name: -influence[name])[:3]),
        )
    return influence, is_suspect


def _bundle_metadata(
    window: Window,
    digest: str,
    best_iteration: int,
    params: TrainingParams,
    split: SplitSizes,
    screened: _Screened,
    uninformative: tuple[DroppedFeature, ...],
    ignore_empty: list[str],
    spec_source: str,
) -> dict[str, Any]:
    """What the bundle records of its training (window, data, parameters, split, features left out)."""
    return {
        "as_of": window.end.isoformat(),
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "data_digest": digest,
        "best_iteration": best_iteration,
        "params": asdict(params),
        "split": {k: str(v) if isinstance(v, datetime) else v for k, v in asdict(split).items()},
        "dropped_features": list(screened.leakage.dropped),
        "uninformative_features": [d.describe() for d in uninformative],
        "shift_dropped": list(screened.shift.dropped),
        "ignore_empty": ignore_empty,
        "features_spec_source": spec_source,
    }


def _evaluate(bundle: ModelBundle, test: pd.DataFrame) -> tuple[np.ndarray, Evaluation]:
    """Calibrated probabilities of the test rows and their evaluation (a TrainingError when impossible)."""
    test_probabilities = bundle.calibrator.apply(bundle.margin(bundle.matrix(test)))
    try:
        return test_probabilities, evaluate_predictions(test["label"].to_numpy(), test_probabilities)
    except EvaluationError as error:
        raise TrainingError(f"{bundle.model}: {error}") from error


def _fit_and_calibrate(
    fit: pd.DataFrame,
    validation: pd.DataFrame,
    older: pd.DataFrame,
    screened: _Screened,
    params: TrainingParams,
    config: ScoringConfig,
    target: ScoringTarget,
) -> tuple[Any, int, dict[str, list[Any]], PlattCalibrator]:
    """The booster cut at its best iteration, the empty-value fills, and the calibrator."""
    validation_labels = validation["label"].to_numpy()
    fit_matrix = prepare_matrix(fit, screened.spec, screened.levels)
    fills = empty_value_fills(fit_matrix, screened.spec, params.empty_value_draws)
    if fills:
        log.info("%s: ignore empty values on %s", target.model, ", ".join(fills))
    validation_expanded = expand_empty_values(
        prepare_matrix(validation, screened.spec, screened.levels), screened.spec, fills
    )
    booster, best_iteration = _fit_booster(
        expand_empty_values(fit_matrix, screened.spec, fills),
        fit["label"].to_numpy(),
        validation_expanded,
        validation_labels,
        params,
    )
    calibrator = _calibrate(
        booster,
        older,
        validation_expanded,
        validation_labels,
        screened,
        fills,
        params,
        best_iteration,
        config,
        target,
    )
    return booster, best_iteration, fills, calibrator


def train_model(
    frame: pd.DataFrame,
    target: ScoringTarget,
    spec: FeatureSpec,
    config: ScoringConfig,
    *,
    window: Window,
    params: TrainingParams | None = None,
    open_rows: pd.DataFrame | None = None,
) -> TrainedModel:
    """Train, screen, calibrate and evaluate one model on closed rows (see the module docstring)."""
    import pandas as pd

    params = params or TrainingParams.from_config(config)
    fit, validation, test = split_by_close(
        frame, config.test_fraction, params.validation_fraction, target.id_column
    )
    older = pd.concat([fit, validation])

    declared = spec
    spec, uninformative = _drop_uninformative(older, spec, target)
    screened = _screen(frame, older, open_rows, spec, config, target)
    leakage, shift, levels = screened.leakage, screened.shift, screened.levels
    if config.monotone_decay and not params.monotone:
        params = replace(params, monotone=tuple(screened.spec.monotone_constraints.items()))

    booster, best_iteration, fills, calibrator = _fit_and_calibrate(
        fit, validation, older, screened, params, config, target
    )
    population = compute_population(
        prepare_matrix(frame, screened.spec, levels), frame["label"].to_numpy(), screened.spec
    )
    split = _split_sizes(fit, validation, test)
    digest = data_digest(frame, target, declared)
    bundle = ModelBundle(
        model=target.model,
        booster=booster,
        spec=screened.spec,
        levels=levels,
        calibrator=calibrator,
        population=population,
        metadata=_bundle_metadata(
            window, digest, best_iteration, params, split, screened, uninformative, list(fills), spec.source
        ),
        empty_fills=fills,
    )

    test_probabilities, evaluation = _evaluate(bundle, test)
    evaluated = None
    if config.refit_on_window:
        evaluated = bundle
        bundle = refit_on_window(evaluated, frame, test, params, best_iteration + 1)
        log.info("%s: refitted on all %d closed rows after evaluation", target.model, len(frame))
    influence, is_suspect = _influence(bundle, test, screened.spec, evaluation, config)
    return TrainedModel(
        bundle=bundle,
        evaluation=evaluation,
        leakage=leakage,
        uninformative=uninformative,
        shift=shift,
        influence=influence,
        split=split,
        data_digest=digest,
        best_iteration=best_iteration,
        is_suspect=is_suspect,
        params=params,
        test_frame=test.reset_index(drop=True),
        test_probabilities=test_probabilities,
        evaluated=evaluated,
    )
