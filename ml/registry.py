"""The model registry: challenger and champion aliases, bands, promotion and retraining rules.

Every trained model is registered (one registered model per target, named like its experiment) and
gets the alias ``challenger``. It becomes ``champion`` when

* there is no champion yet, or the challenger's test AUC is at least the champion's AUC **on the
  same test set** (the champion is re-scored on the challenger's test set), and
* its band allows it: ``ready`` (AUC >= ``scoring.ready_auc``) or ``ok`` (>= ``scoring.ok_auc``);
  a ``not ready`` model is never promoted.

Scoring loads ``models:/<name>@champion`` — unless the run's as-of date is older than the date the
champion was trained as of (a backfill): then it loads the **champion of that date** (see
:func:`model_for_date`), or scores nothing and says why. A model never scores a date before the data it
was trained on. A model trained for such a past date (no champion existed then) never replaces the newer
champion: it is tagged ``backfill_champion`` and serves that past only.

A failed training raises before registration, so it never touches either alias. Versions are tagged with
band, metrics, as-of date and the decision.
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.ml.as_of import AsOf, to_as_of
from rapport.ml.targets import get_target
from rapport.ml.tracking import mlflow_store
from rapport.settings import Settings

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

    from rapport.config import ScoringConfig
    from rapport.ml.bundle import ModelBundle

log = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
BAND_READY = "ready"
BAND_OK = "ok"
BAND_NOT_READY = "not ready"
SCORES_REFUSED = "scores refused for"  # in the reason of a date only later models could score
BACKFILL_CHAMPION_TAG = "backfill_champion"  # "true": the champion of its (past) as-of date only


def band_for(auc: float, config: ScoringConfig) -> str:
    """``ready`` from ``ready_auc``, ``ok`` from ``ok_auc``, else ``not ready``."""
    if auc >= config.ready_auc:
        return BAND_READY
    if auc >= config.ok_auc:
        return BAND_OK
    return BAND_NOT_READY


@dataclass(frozen=True)
class Decision:
    """Whether to retrain now, and why."""

    retrain: bool
    reason: str
    champion_version: str | None = None
    champion_as_of: date | None = None
    champion_age_days: int | None = None


@dataclass(frozen=True)
class PromotionDecision:
    """The outcome of comparing a challenger with the champion."""

    promoted: bool
    reason: str
    band: str
    challenger_version: str
    challenger_auc: float
    champion_version: str | None = None
    champion_auc: float | None = None  # the champion re-scored on the challenger's test set


def get_version_by_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version of ``name`` holding ``alias``, or None (also when the model is not registered)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def version_as_of(version: ModelVersion) -> date | None:
    value = (version.tags or {}).get("as_of_date")
    return date.fromisoformat(value) if value else None


def _versions(client: MlflowClient, name: str) -> list[ModelVersion]:
    from mlflow.exceptions import MlflowException

    try:
        return list(client.search_model_versions(f"name = '{name}'"))
    except MlflowException:
        return []


def _was_champion(version: ModelVersion) -> bool:
    tags = version.tags or {}
    return tags.get("promotion") == "champion" or tags.get(BACKFILL_CHAMPION_TAG) == "true"


@dataclass(frozen=True)
class ModelForDate:
    """The registered version that may score an as-of date, or None with the reason (never a later model)."""

    version: ModelVersion | None
    reason: str
    is_current_champion: bool = False
    has_champion: bool = True  # False: nothing was ever promoted (the readiness gate explains why)


def model_for_date(client: MlflowClient, name: str, day: date) -> ModelForDate:
    """The version that scores ``day``: the current champion when it was trained as of ``day`` or before;
    otherwise (a backfill) the **champion of then**: the newest version trained as of ``day`` or before
    that was champion (promoted, or trained for a backfill in band 'ok' or better). None when no such
    version exists, or when there is no champion at all; the reason says which.
    """
    champion = get_version_by_alias(client, name, CHAMPION)
    if champion is None:
        return ModelForDate(None, f"no champion model yet for {name}", has_champion=False)
    champion_day = version_as_of(champion)
    if champion_day is None or champion_day <= day:
        return ModelForDate(champion, f"{name} champion version {champion.version}", True)
    earlier = [
        version
        for version in _versions(client, name)
        if _was_champion(version) and (version_as_of(version) or date.max) <= day
    ]
    later = (
        f"the current champion version {champion.version} was trained as of {champion_day}, "
        f"after {day}, and would score it with knowledge of the future"
    )
    if not earlier:
        return ModelForDate(
            None,
            f"{name}: no model trained with data up to {day}: {later}; {SCORES_REFUSED} {day} "
            "(a run of that date trains one when its readiness gate allows; see decide_*_retraining)",
        )
    chosen = max(earlier, key=lambda version: (version_as_of(version) or date.min, int(version.version)))
    return ModelForDate(
        chosen,
        f"{name} version {chosen.version}, the champion of {day} (trained as of {version_as_of(chosen)}); {later}",
    )


def should_retrain(
    model: str,
    as_of: AsOf,
    config: ScoringConfig,
    force: bool = False,
    *,
    client: MlflowClient | None = None,
    settings: Settings | None = None,
) -> Decision:
    """Retrain when forced, when there is no champion, or when the champion is older than
    ``scoring.retrain_after_days`` (age = as-of date minus the champion's training as-of date).

    A run for an as-of date that already produced a model does not train again unless forced
    (re-running a day is idempotent). Without ``client`` the installation's store is opened.
    """
    if client is None:
        with mlflow_store(settings or Settings.from_env()) as store_client:
            return should_retrain(model, as_of, config, force, client=store_client)
    target = get_target(model)
    day = to_as_of(as_of).date()
    champion = get_version_by_alias(client, target.registered_model, CHAMPION)
    if force:
        return _decision(True, f"{model}: retraining forced (force_retrain)", champion, day)
    if champion is None:
        return Decision(True, f"{model}: no champion yet for {target.registered_model}; training one")
    trained_today = [v for v in _versions(client, target.registered_model) if version_as_of(v) == day]
    if trained_today:
        return _decision(
            False,
            f"{model}: version {trained_today[0].version} was already trained as of {day}; not retraining "
            "(pass force_retrain to train again)",
            champion,
            day,
        )
    champion_day = version_as_of(champion)
    if champion_day is not None and champion_day > day:
        return _backfill_decision(client, model, target.registered_model, champion, day)
    if champion_day is None:
        return _decision(
            True,
            f"{model}: champion version {champion.version} has no as_of_date tag; retraining",
            champion,
            day,
        )
    age = (day - champion_day).days
    if age > config.retrain_after_days:
        reason = f"{model}: champion version {champion.version} is {age} days old (> {config.retrain_after_days}); retraining"
        return _decision(True, reason, champion, day)
    reason = (
        f"{model}: champion version {champion.version} is {age} days old "
        f"(retrain after {config.retrain_after_days}); keeping it"
    )
    return _decision(False, reason, champion, day)


def _backfill_decision(
    client: MlflowClient, model: str, name: str, champion: ModelVersion, day: date
) -> Decision:
    """A past as-of date (the champion was trained later): keep the champion of then, or train one for it."""
    then = model_for_date(client, name, day)
    if then.version is not None:
        return _decision(
            False, f"{model}: backfill of {day}: scoring with {then.reason}; not retraining", champion, day
        )
    return _decision(
        True,
        f"{model}: backfill of {day}: no model trained with data up to {day} (champion version "
        f"{champion.version} was trained as of {version_as_of(champion)}); training one as of {day}, "
        "which serves that date only and never replaces the newer champion",
        champion,
        day,
    )


def _decision(retrain: bool, reason: str, champion: ModelVersion | None, day: date) -> Decision:
    if champion is None:
        return Decision(retrain, reason)
    champion_day = version_as_of(champion)
    age = (day - champion_day).days if champion_day else None
    return Decision(retrain, reason, str(champion.version), champion_day, age)


def load_bundle(name: str, reference: str) -> ModelBundle:
    """Load a model bundle from ``models:/<name>@<alias>`` or ``models:/<name>/<version>``.

    Call inside :func:`rapport.ml.tracking.mlflow_store`.
    """
    import mlflow.pyfunc

    separator = "/" if reference.isdigit() else "@"
    model = mlflow.pyfunc.load_model(f"models:/{name}{separator}{reference}")
    return model.unwrap_python_model().bundle  # type: ignore[no-any-return,attr-defined]


def _auc(labels: Any, probabilities: Any) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, probabilities))


def decide_promotion(
    *,
    challenger_version: str,
    challenger_auc: float,
    band: str,
    champion_version: str | None,
    champion_auc: float | None,
    test_records: int,
    refusal: str | None = None,
) -> PromotionDecision:
    """The promotion rule, without I/O (see the module docstring)."""
    if refusal is not None:
        reason = f"version {challenger_version} is not promoted: {refusal}"
        return PromotionDecision(
            False, reason, band, challenger_version, challenger_auc, champion_version, champion_auc
        )
    if band == BAND_NOT_READY:
        reason = (
            f"version {challenger_version} is not promoted: band 'not ready' (test AUC {challenger_auc:.3f})"
        )
        return PromotionDecision(
            False, reason, band, challenger_version, challenger_auc, champion_version, champion_auc
        )
    if champion_version is None or champion_auc is None:
        reason = f"version {challenger_version} becomes champion: no champion yet; band '{band}' (test AUC {challenger_auc:.3f})"
        return PromotionDecision(True, reason, band, challenger_version, challenger_auc, None, None)
    comparison = (
        f"test AUC {challenger_auc:.3f} vs champion version {champion_version} {champion_auc:.3f} "
        f"on the same {test_records} most recent closed records"
    )
    if challenger_auc >= champion_auc:
        reason = f"version {challenger_version} becomes champion: {comparison}; band '{band}'"
        return PromotionDecision(
            True, reason, band, challenger_version, challenger_auc, champion_version, champion_auc
        )
    reason = f"version {challenger_version} stays challenger: {comparison}"
    return PromotionDecision(
        False, reason, band, challenger_version, challenger_auc, champion_version, champion_auc
    )


def promote_if_better(
    client: MlflowClient,
    name: str,
    challenger_version: str,
    challenger_auc: float,
    test_frame: pd.DataFrame,
    config: ScoringConfig,
    refusal: str | None = None,
) -> PromotionDecision:
    """Re-score the champion on the challenger's test set and move ``champion`` if the rule allows.

    ``refusal`` (e.g. the prospective check's) keeps the challenger from promotion whatever its AUC.
    """
    band = band_for(challenger_auc, config)
    champion = get_version_by_alias(client, name, CHAMPION)
    if champion is not None:
        backfill = _backfill_promotion(client, name, challenger_version, challenger_auc, band, champion)
        if backfill is not None:
            return backfill
    champion_auc = None
    if champion is not None and band != BAND_NOT_READY and refusal is None:
        bundle = load_bundle(name, str(champion.version))
        champion_auc = _auc(test_frame["label"].to_numpy(), bundle.predict_proba(test_frame))
    decision = decide_promotion(
        challenger_version=challenger_version,
        challenger_auc=challenger_auc,
        band=band,
        champion_version=None if champion is None else str(champion.version),
        champion_auc=champion_auc,
        test_records=len(test_frame),
        refusal=refusal,
    )
    if decision.promoted:
        client.set_registered_model_alias(name, CHAMPION, challenger_version)
        client.set_model_version_tag(
            name, challenger_version, "promoted_at", datetime.now().isoformat(timespec="seconds")
        )
    client.set_model_version_tag(
        name, challenger_version, "promotion", "champion" if decision.promoted else "challenger"
    )
    client.set_model_version_tag(name, challenger_version, "promotion_reason", decision.reason)
    if champion_auc is not None:
        client.set_model_version_tag(
            name, challenger_version, "champion_auc_on_same_test", f"{champion_auc:.4f}"
        )
    log.info("%s: %s", name, decision.reason)
    return decision


def _backfill_promotion(
    client: MlflowClient,
    name: str,
    challenger_version: str,
    challenger_auc: float,
    band: str,
    champion: ModelVersion,
) -> PromotionDecision | None:
    """A challenger trained as of a date before the champion's never takes the alias; in band 'ok' or
    better it becomes the champion of its past date (tag ``backfill_champion``). None: not a backfill."""
    challenger_day = version_as_of(client.get_model_version(name, challenger_version))
    champion_day = version_as_of(champion)
    if challenger_day is None or champion_day is None or challenger_day >= champion_day:
        return None
    serves = band != BAND_NOT_READY
    reason = (
        f"version {challenger_version} was trained as of {challenger_day}, before champion version "
        f"{champion.version} ({champion_day}): it never replaces it; "
        + (
            f"it scores {challenger_day} (backfill champion; band '{band}', test AUC {challenger_auc:.3f})"
            if serves
            else f"band 'not ready' (test AUC {challenger_auc:.3f}): it scores nothing"
        )
    )
    client.set_model_version_tag(name, challenger_version, BACKFILL_CHAMPION_TAG, str(serves).lower())
    client.set_model_version_tag(
        name, challenger_version, "promotion", "backfill" if serves else "challenger"
    )
    client.set_model_version_tag(name, challenger_version, "promotion_reason", reason)
    log.info("%s: %s", name, reason)
    return PromotionDecision(
        False, reason, band, challenger_version, challenger_auc, str(champion.version), None
    )


class PromotionRefused(ValueError):
    """A manual promotion the safety rule does not allow."""


def promote_version(
    client: MlflowClient, name: str, version: str, config: ScoringConfig
) -> PromotionDecision:
    """Manual promotion (``rapport models promote``): same band rule; the champion comparison uses the
    recorded test AUCs, which come from different test sets, and is reported, not enforced."""
    from mlflow.exceptions import MlflowException

    try:
        candidate = client.get_model_version(name, version)
    except MlflowException as error:
        raise PromotionRefused(f"{name} has no version {version}: {error.message}") from None
    tags = candidate.tags or {}
    if "test_auc" not in tags:
        raise PromotionRefused(f"{name} version {version} has no test_auc tag: it was not trained by Rapport")
    auc = float(tags["test_auc"])
    band = band_for(auc, config)
    if band == BAND_NOT_READY:
        raise PromotionRefused(
            f"{name} version {version} is in band 'not ready' (test AUC {auc:.3f} < ok_auc {config.ok_auc}); "
            "Rapport never promotes such a model"
        )
    champion = get_version_by_alias(client, name, CHAMPION)
    champion_auc = float((champion.tags or {}).get("test_auc", "nan")) if champion is not None else None
    if champion is not None and str(champion.version) == str(version):
        raise PromotionRefused(f"{name} version {version} is already the champion")
    note = ""
    if champion is not None and champion_auc is not None and auc < champion_auc:
        note = (
            f"; warning: its test AUC {auc:.3f} is below champion version {champion.version}'s {champion_auc:.3f} "
            "(measured on different test sets)"
        )
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "promotion", "champion")
    client.set_model_version_tag(name, version, "promoted_at", datetime.now().isoformat(timespec="seconds"))
    reason = f"version {version} promoted by hand; band '{band}' (test AUC {auc:.3f}){note}"
    client.set_model_version_tag(name, version, "promotion_reason", reason)
    return PromotionDecision(
        True,
        reason,
        band,
        str(version),
        auc,
        None if champion is None else str(champion.version),
        champion_auc,
    )


@dataclass(frozen=True)
class VersionSummary:
    """One registered version, for ``rapport models list``."""

    name: str
    version: str
    aliases: tuple[str, ...]
    band: str
    test_auc: float | None
    as_of_date: str
    is_suspect: bool
    created_at: datetime
    run_id: str | None


def _summary(
    name: str, version: str, aliases: list[str], tags: dict[str, str], created_ms: int, run_id: str | None
) -> VersionSummary:
    return VersionSummary(
        name=name,
        version=version,
        aliases=tuple(sorted(aliases)),
        band=tags.get("band", "-"),
        test_auc=float(tags["test_auc"]) if "test_auc" in tags else None,
        as_of_date=tags.get("as_of_date", "-"),
        is_suspect=tags.get("suspect") == "true",
        created_at=datetime.fromtimestamp(created_ms / 1000),
        run_id=run_id,
    )


def list_versions(client: MlflowClient) -> list[VersionSummary]:
    """Every version of every registered model, newest first within a model."""
    out = []
    for registered in client.search_registered_models():
        aliases_of: dict[str, list[str]] = {}
        for alias, version in (registered.aliases or {}).items():
            aliases_of.setdefault(str(version), []).append(alias)
        for version in sorted(_versions(client, registered.name), key=lambda v: -int(v.version)):
            out.append(
                _summary(
                    registered.name,
                    str(version.version),
                    aliases_of.get(str(version.version), []),
                    version.tags or {},
                    version.creation_timestamp,
                    version.run_id,
                )
            )
    return out


def list_versions_from_sqlite(path: Path) -> list[VersionSummary]:
    """:func:`list_versions` read straight from MLflow's SQLite store, read-only, without importing MLflow
    (which alone takes seconds, 20 s on a busy machine). Raises ``sqlite3.DatabaseError`` when the store's
    tables are not the ones expected (the caller falls back to MLflow's client)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        versions = connection.execute(
            "select name, version, creation_time, run_id from model_versions "
            "where coalesce(current_stage, '') <> 'Deleted_Internal' order by name, version desc"
        ).fetchall()
        aliases: dict[tuple[str, str], list[str]] = {}
        for name, version, alias in connection.execute(
            "select name, version, alias from registered_model_aliases"
        ):
            aliases.setdefault((name, str(version)), []).append(alias)
        tags: dict[tuple[str, str], dict[str, str]] = {}
        for name, version, key, value in connection.execute(
            "select name, version, key, value from model_version_tags"
        ):
            tags.setdefault((name, str(version)), {})[key] = value
    return [
        _summary(
            name,
            str(version),
            aliases.get((name, str(version)), []),
            tags.get((name, str(version)), {}),
            int(created or 0),
            run_id,
        )
        for name, version, created, run_id in versions
    ]
