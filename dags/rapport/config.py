"""Tunables: the one configuration file (``rapport.toml``) as typed, frozen sections.

The committed ``rapport.toml`` holds every default. A user file named by ``RAPPORT_CONFIG`` is merged
over it key by key, so it only needs the keys it changes. dbt receives the same values as vars through
:meth:`Config.dbt_vars`; ``ml/`` and the DAG read the typed sections.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rapport.errors import RapportInputError
from rapport.settings import PROJECT_ROOT

DEFAULTS_PATH = PROJECT_ROOT / "rapport.toml"


def _committed(section: str, key: str) -> Any:
    """A ``default_factory`` reading ``[section] key`` from the committed rapport.toml when first needed.

    For tables and long lists, so their values are written once (in rapport.toml); the scalar defaults
    below are checked against rapport.toml by tests/rapport/test_config_single_source.py.
    """

    def factory() -> Any:
        value = _read_toml(DEFAULTS_PATH)[section][key]
        return tuple(value) if isinstance(value, list) else value

    return factory


class ConfigError(RapportInputError, ValueError):
    """The configuration file is unreadable or holds a value of the wrong type or outside its allowed range.

    The message is one line naming the file, the ``[section] key``, the value and what is expected.
    """


@dataclass(frozen=True)
class SampleConfig:
    scale: str = "small"
    seed: int = 42
    history_days: int = 800
    format: str = "parquet"
    defect_rows: int = 2
    end_date: date = date(2026, 11, 27)
    lead_auto_disqualify_days: int = 0

    def validate(self) -> None:
        if self.lead_auto_disqualify_days < 0:
            raise ConfigError(
                f"[sample] lead_auto_disqualify_days must be 0 (off) or a number of days, not {self.lead_auto_disqualify_days}"
            )
        if self.defect_rows < 0:
            raise ConfigError(
                f"[sample] defect_rows must be 0 or more (bad rows of each kind planted), not {self.defect_rows}"
            )


@dataclass(frozen=True)
class ExtractConfig:
    postgres_schema: str = "public"
    postgres_connect_timeout_seconds: int = 10
    allow_empty_tables: tuple[str, ...] = ()
    duckdb_memory_limit: str = "4GB"
    mapped_chunk_rows: int = 50_000

    def validate(self) -> None:
        if self.mapped_chunk_rows < 1:
            raise ConfigError(
                f"extract.mapped_chunk_rows = {self.mapped_chunk_rows}: must be at least 1 (rows)"
            )
        if self.postgres_connect_timeout_seconds <= 0:
            raise ConfigError(
                f"extract.postgres_connect_timeout_seconds = {self.postgres_connect_timeout_seconds}: must be > 0"
            )


@dataclass(frozen=True)
class ValidationConfig:
    future_tolerance_hours: float = 24
    chunk_rows: int = 1_000_000
    earliest_date: str = "1970-01-01"  # ISO date; earlier dates and timestamps are quarantined as implausible
    data_docs: bool = True  # build Great Expectations Data Docs for every validation (var/gx/data_docs/)
    workers: int = 2  # processes running the GX suite; 0 = this machine's cores, 1 = the validating process
    parallel_min_rows: int = 100_000  # rows: a smaller table is checked in the validating process

    def validate(self) -> None:
        try:
            date.fromisoformat(str(self.earliest_date))
        except ValueError:
            raise ConfigError(
                f"validation.earliest_date = {self.earliest_date!r}: must be an ISO date such as 1970-01-01"
            ) from None
        if self.future_tolerance_hours < 0:
            raise ConfigError(
                f"validation.future_tolerance_hours = {self.future_tolerance_hours}: must be >= 0"
            )
        if self.chunk_rows < 1000:
            raise ConfigError(f"validation.chunk_rows = {self.chunk_rows}: must be at least 1000")
        if self.workers < 0:
            raise ConfigError(
                f"validation.workers = {self.workers}: must be 0 (this machine's cores) or a number of processes"
            )
        if self.parallel_min_rows < 0:
            raise ConfigError(f"validation.parallel_min_rows = {self.parallel_min_rows}: must be >= 0")


@dataclass(frozen=True)
class RelationshipConfig:
    recent_days: int = 90
    email_write_minutes: float = 5.0
    email_read_minutes: float = 2.5
    top_people: int = 3
    callback_window_days: float = 7


@dataclass(frozen=True)
class HealthConfig:
    cadence_days: float = 7
    good_from: float = 60
    fair_from: float = 40
    trend_lookback_days: int = 7
    trend_dead_band: float = 5
    activity_weights: dict[str, float] = field(default_factory=_committed("health", "activity_weights"))
    component_weights: dict[str, float] = field(default_factory=_committed("health", "component_weights"))

    ACTIVITY_TYPES = ("email", "appointment", "phonecall", "task")
    COMPONENTS = ("volume", "recency", "reciprocity", "responsiveness")

    def validate(self) -> None:
        unknown = set(self.activity_weights) - set(self.ACTIVITY_TYPES)
        if unknown:
            raise ConfigError(
                f"health.activity_weights: unknown activity type(s) {sorted(unknown)}; "
                f"known: {', '.join(self.ACTIVITY_TYPES)}"
            )
        unknown = set(self.component_weights) - set(self.COMPONENTS)
        if unknown:
            raise ConfigError(
                f"health.component_weights: unknown component(s) {sorted(unknown)}; "
                f"known: {', '.join(self.COMPONENTS)}"
            )
        for activity, weight in self.activity_weights.items():
            if not 0.5 <= weight <= 1.5:
                raise ConfigError(
                    f"health.activity_weights.{activity} = {weight}: weights may move at most +/- 50 % "
                    "from 1.0 (allowed 0.5 to 1.5)"
                )
        if not 0 <= self.fair_from < self.good_from <= 100:
            raise ConfigError(
                f"health bands: need 0 <= fair_from ({self.fair_from}) < good_from ({self.good_from}) <= 100"
            )
        if self.cadence_days <= 0:
            raise ConfigError(f"health.cadence_days = {self.cadence_days}: must be > 0")
        if any(w < 0 for w in self.component_weights.values()) or not sum(self.component_weights.values()):
            raise ConfigError("health.component_weights: weights must be >= 0 and not all zero")


@dataclass(frozen=True)
class ScoringConfig:
    training_window_days: int = 730
    min_positive: int = 40
    min_negative: int = 40
    retrain_after_days: int = 15
    decision_gap_days: int = 7
    test_fraction: float = 0.2
    leakage_feature_auc: float = 0.95
    suspect_model_auc: float = 0.97
    ready_auc: float = 0.75
    ok_auc: float = 0.65
    scoring_window_days: int = 730
    grade_a_from: float = 75
    grade_b_from: float = 50
    grade_c_from: float = 25
    trend_dead_band: float = 5
    reasons_per_side: int = 5
    reasons_json_max_chars: int = 2000
    validation_fraction: float = 0.2
    max_trees: int = 300
    max_depth: int = 3
    learning_rate: float = 0.2
    early_stopping_rounds: int = 30
    shift_feature_psi: float = 1.0
    snapshot_every_days: int = 30
    prospective_days: int = 90
    prospective_max_auc_drop: float = 0.10
    prospective_min_class: int = 10
    refit_on_window: bool = True
    empty_value_draws: int = 8
    calibration: str = "out_of_fold"
    calibration_recent_fraction: float = 0.25
    monotone_decay: bool = True
    # [scoring.lead.fields] / [scoring.opportunity.fields]: custom fields and built-ins turned off
    # (docs/bring_your_own_crm.md); read by ml.features.load_feature_spec and by dbt as vars.
    lead: dict[str, Any] = field(default_factory=dict)
    opportunity: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        if self.calibration not in ("out_of_fold", "recent_intercept", "recent", "validation"):
            raise ConfigError(
                f'scoring.calibration = "{self.calibration}": use "out_of_fold", "recent_intercept", '
                '"recent" or "validation"'
            )
        if not 0 < self.calibration_recent_fraction <= 1:
            raise ConfigError(
                f"scoring.calibration_recent_fraction = {self.calibration_recent_fraction}: a share of the "
                "older records, above 0 and at most 1"
            )
        if self.shift_feature_psi <= 0:
            raise ConfigError(
                f"scoring.shift_feature_psi = {self.shift_feature_psi}: must be above 0 (e.g. 1000 switches the screen off)"
            )
        if self.snapshot_every_days < 0 or self.prospective_days < 0 or self.prospective_min_class < 2:
            raise ConfigError(
                "scoring: snapshot_every_days and prospective_days must be >= 0 (0 switches off) "
                "and prospective_min_class >= 2"
            )
        if not 0 <= self.prospective_max_auc_drop <= 1:
            raise ConfigError(
                f"scoring.prospective_max_auc_drop = {self.prospective_max_auc_drop}: an AUC difference, 0 to 1"
            )
        if self.training_window_days < 90:
            raise ConfigError(
                f"scoring.training_window_days = {self.training_window_days}: the window must be at least 90 days"
            )
        if not 0 < self.test_fraction < 1:
            raise ConfigError(f"scoring.test_fraction = {self.test_fraction}: must be between 0 and 1")
        if not 0 <= self.grade_c_from < self.grade_b_from < self.grade_a_from <= 100:
            raise ConfigError(
                "scoring grade cut-offs: need 0 <= grade_c_from < grade_b_from < grade_a_from <= 100"
            )
        if not self.ok_auc <= self.ready_auc:
            raise ConfigError("scoring: ok_auc must be <= ready_auc")
        if not 0 < self.validation_fraction < 1:
            raise ConfigError(
                f"scoring.validation_fraction = {self.validation_fraction}: must be between 0 and 1"
            )
        if self.max_trees < 1 or not 1 <= self.max_depth <= 12:
            raise ConfigError(
                f"scoring: max_trees ({self.max_trees}) must be >= 1 and max_depth ({self.max_depth}) 1 to 12"
            )
        if self.empty_value_draws < 1:
            raise ConfigError(
                f"scoring.empty_value_draws = {self.empty_value_draws}: at least 1 value per empty record"
            )
        if self.reasons_per_side < 1 or self.reasons_json_max_chars < 2:
            raise ConfigError("scoring: reasons_per_side must be >= 1 and reasons_json_max_chars >= 2")


@dataclass(frozen=True)
class NotesConfig:
    languages: tuple[str, ...] = ("en", "zh")
    meeting_minutes: int = 60
    call_minutes: int = 30
    timezone: str = "UTC"
    sources: tuple[str, ...] = ("annotation", "phonecall", "appointment", "task")
    min_confidence: float = 0.4
    workers: int = 2
    learned_add_threshold: float = 0.9
    learned_drop_threshold: float = 0.0

    def validate(self) -> None:
        if not 0 <= self.min_confidence <= 1:
            raise ConfigError(f"notes.min_confidence = {self.min_confidence}: a share between 0 and 1")
        if self.learned_add_threshold < 0 or not 0 <= self.learned_drop_threshold <= 1:
            raise ConfigError(
                f"notes.learned_add_threshold = {self.learned_add_threshold}, notes.learned_drop_threshold = "
                f"{self.learned_drop_threshold}: probabilities 0-1 (add above 1 switches adding off)"
            )
        if self.workers < 1:
            raise ConfigError(f"notes.workers = {self.workers}: at least 1 process")

        known = {"annotation", "email", "phonecall", "appointment", "task"}
        if not set(self.sources) <= known:
            raise ConfigError(f"notes.sources = {list(self.sources)}: allowed tables are {sorted(known)}")

        if self.meeting_minutes <= 0 or self.call_minutes <= 0:
            raise ConfigError("notes.meeting_minutes and notes.call_minutes must be > 0 (minutes)")
        if not self.languages:
            raise ConfigError('notes.languages is empty: list at least one language code, e.g. ["en", "zh"]')
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ConfigError(
                f'notes.timezone = {self.timezone!r} is not an IANA time zone (e.g. "Asia/Shanghai")'
            ) from error


@dataclass(frozen=True)
class TalkingPointsConfig:
    categories: dict[str, bool] = field(default_factory=_committed("talking_points", "categories"))

    @property
    def enabled_categories(self) -> tuple[str, ...]:
        return tuple(name for name, on in self.categories.items() if on)


@dataclass(frozen=True)
class MailConfig:
    internal_domains: tuple[str, ...] = ()
    internal_addresses: tuple[str, ...] = ()
    default_owner: str = ""
    exclude_addresses: tuple[str, ...] = ()
    alias_min_senders: int = 10
    aliases_file: str = ""
    free_mail_domains: tuple[str, ...] = field(default_factory=_committed("mail", "free_mail_domains"))


@dataclass(frozen=True)
class WhoKnowsWhomConfig:
    """Who-knows-whom strength (formula: docs/who_knows_whom.md)."""

    half_life_days: float = 0
    half_life_share: float = 1.0
    two_way_bonus: float = 1.0
    threads_bonus: float = 1.0
    span_bonus: float = 1.0
    opt_out: tuple[str, ...] = ()
    strength_half_at: float = 10.0
    email_sent_weight: float = 1.0
    email_received_weight: float = 2.0
    meeting_weight: float = 3.0
    call_answered_weight: float = 3.0
    call_unanswered_weight: float = 0.5

    WEIGHTS = (
        "email_sent_weight",
        "email_received_weight",
        "meeting_weight",
        "call_answered_weight",
        "call_unanswered_weight",
    )

    def validate(self) -> None:
        if self.half_life_days < 0:
            raise ConfigError(
                f"who_knows_whom.half_life_days = {self.half_life_days}: must be a number of days >= 0 "
                "(0 = a share of the data's span, half_life_share)"
            )
        if self.half_life_share <= 0:
            raise ConfigError(
                f"who_knows_whom.half_life_share = {self.half_life_share}: must be positive (a share of the "
                "data's span, e.g. 1.0 = the whole span)"
            )
        for name in ("two_way_bonus", "threads_bonus", "span_bonus"):
            if getattr(self, name) < 0:
                raise ConfigError(f"who_knows_whom.{name} = {getattr(self, name)}: bonuses must be >= 0")
        if self.strength_half_at <= 0:
            raise ConfigError(
                f"who_knows_whom.strength_half_at = {self.strength_half_at}: must be positive (the weighted, "
                "decayed interaction total that gives strength 50)"
            )
        for name in self.WEIGHTS:
            if getattr(self, name) < 0:
                raise ConfigError(f"who_knows_whom.{name} = {getattr(self, name)}: weights must be >= 0")
        for entry in self.opt_out:
            if not isinstance(entry, str) or not entry.strip():
                raise ConfigError(
                    f"who_knows_whom.opt_out: {entry!r} is not an e-mail address or systemuser id; "
                    'list strings such as "anna@example.org"'
                )


@dataclass(frozen=True)
class InsightsConfig:
    """``rapport ui insights``: the read-only insight pages over the published copy (docs/insights.md)."""

    host: str = "127.0.0.1"
    port: int = 8050
    secret: str = ""
    page_size: int = 50
    history_rows: int = 500
    airflow_url: str = "http://localhost:8080"
    mlflow_url: str = "http://localhost:5000"

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"insights.port = {self.port}: must be a TCP port (1-65535)")
        if self.page_size <= 0 or self.history_rows <= 0:
            raise ConfigError("insights.page_size and insights.history_rows must be positive numbers of rows")


_MEMORY_UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def parse_memory(text: str) -> int:
    """Bytes of a memory size written with its unit ("6GB", "512MiB", "1.5 GB"); ConfigError otherwise."""
    cleaned = text.strip().upper().replace(" ", "")
    for unit in sorted(_MEMORY_UNITS, key=len, reverse=True):
        number = cleaned.removesuffix(unit)
        if number != cleaned:
            try:
                return int(float(number) * _MEMORY_UNITS[unit])
            except ValueError:
                break
    raise ConfigError(f'{text!r} is not a memory size: write a number and a unit, e.g. "6GB" or "512MB"')


@dataclass(frozen=True)
class TransformConfig:
    """DuckDB's resources while dbt builds the models (docs/relationship_analytics.md, Performance)."""

    duckdb_memory_limit: str = "auto"
    duckdb_memory_share: float = 0.5
    duckdb_threads: int = 0
    full_tests_every_days: int = 7  # days between dbt test runs over full tables; 0 = every run

    def validate(self) -> None:
        if self.full_tests_every_days < 0:
            raise ConfigError(
                f"transform.full_tests_every_days = {self.full_tests_every_days}: must be 0 (every run) or more days"
            )
        if self.duckdb_memory_limit != "auto":
            parse_memory(self.duckdb_memory_limit)
        if not 0 < self.duckdb_memory_share <= 0.9:
            raise ConfigError(
                f"transform.duckdb_memory_share = {self.duckdb_memory_share}: must be a share of the machine's "
                "memory above 0 and at most 0.9"
            )
        if self.duckdb_threads < 0:
            raise ConfigError(
                f"transform.duckdb_threads = {self.duckdb_threads}: must be 0 (the machine's cores) or more"
            )


_SECTIONS: dict[str, type] = {
    "sample": SampleConfig,
    "extract": ExtractConfig,
    "validation": ValidationConfig,
    "relationship": RelationshipConfig,
    "health": HealthConfig,
    "scoring": ScoringConfig,
    "notes": NotesConfig,
    "talking_points": TalkingPointsConfig,
    "mail": MailConfig,
    "who_knows_whom": WhoKnowsWhomConfig,
    "insights": InsightsConfig,
    "transform": TransformConfig,
}


@dataclass(frozen=True)
class Config:
    """All tunables of one installation."""

    sample: SampleConfig
    extract: ExtractConfig
    validation: ValidationConfig
    relationship: RelationshipConfig
    health: HealthConfig
    scoring: ScoringConfig
    notes: NotesConfig
    talking_points: TalkingPointsConfig
    mail: MailConfig
    who_knows_whom: WhoKnowsWhomConfig
    insights: InsightsConfig = field(default_factory=InsightsConfig)
    transform: TransformConfig = field(default_factory=TransformConfig)

    @classmethod
    def load(cls, path: Path | str | None = None) -> Config:
        """Read the defaults, merge the user file(s) ``path`` over them, and validate.

        ``path`` may name several files separated by ``os.pathsep`` (``a.toml:b.toml``); later files win.
        """
        merged = _read_toml(DEFAULTS_PATH)
        origins = _origins(merged, DEFAULTS_PATH)
        for item in str(path).split(os.pathsep) if path is not None else ():
            if item and Path(item).resolve() != DEFAULTS_PATH.resolve():
                layer = _read_toml(Path(item))
                merged = _deep_merge(merged, layer)
                origins.update(_origins(layer, Path(item)))
        try:
            return cls.from_dict(merged)
        except ConfigError as error:
            # name the file that set the offending section (the last one that touched it)
            section: str = getattr(error, "section", "")
            key: str | None = getattr(error, "key", None)
            file = origins.get((section, key)) or origins.get((section, None)) or DEFAULTS_PATH
            raise ConfigError(f"{file}: {error}") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        unknown = set(data) - set(_SECTIONS)
        if unknown:
            raise ConfigError(
                f"unknown configuration section(s) {sorted(unknown)}; known: {sorted(_SECTIONS)}"
            )
        sections = {
            name: _build_section(name, section_cls, data.get(name, {}))
            for name, section_cls in _SECTIONS.items()
        }
        config = cls(**sections)
        for name in _SECTIONS:
            section = getattr(config, name)
            if hasattr(section, "validate"):
                try:
                    section.validate()
                except ConfigError as error:
                    error.section = name  # type: ignore[attr-defined]
                    raise
        return config

    def dbt_vars(self) -> dict[str, Any]:
        """The tunables dbt models read with ``var()``, flattened as ``<section>_<key>``."""
        out: dict[str, Any] = {}
        for name in ("relationship", "health", "scoring", "talking_points", "mail", "who_knows_whom"):
            section = getattr(self, name)
            for item in fields(section):
                value = getattr(section, item.name)
                out[f"{name}_{item.name}"] = list(value) if isinstance(value, tuple) else value
        return out


# What each annotation means to a person editing TOML.
_EXPECTED = {
    "float": "a number",
    "int": "a whole number",
    "str": "a string in quotes",
    "bool": "true or false",
    "date": "a date, e.g. 2026-11-27 (no quotes)",
    "tuple[str, ...]": 'a list of strings, e.g. ["a", "b"]',
    "dict[str, float]": "a table of numbers",
    "dict[str, bool]": "a table of true/false values",
}


def _build_section(name: str, section_cls: type, values: dict[str, Any]) -> Any:
    """Check the types of one section's values with pydantic (strict: no "60" for 60) and build it."""
    from pydantic import TypeAdapter, ValidationError  # lazy: pydantic loads only when a config is read

    if not isinstance(values, dict):
        error = ConfigError(f"[{name}] = {values!r}: expected a table ([{name}] followed by its keys)")
        error.section = name  # type: ignore[attr-defined]
        raise error
    known = {item.name: item for item in fields(section_cls)}
    unknown = set(values) - set(known)
    if unknown:
        error = ConfigError(f"[{name}]: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        error.section = name  # type: ignore[attr-defined]
        raise error
    hints = get_type_hints(section_cls)
    kwargs = {}
    for key, value in values.items():
        given = tuple(value) if isinstance(value, list) else value
        try:
            kwargs[key] = TypeAdapter(hints[key]).validate_python(given, strict=True)
        except ValidationError as invalid:
            first = invalid.errors()[0]
            where = ".".join([key, *(str(part) for part in first["loc"])])
            annotation = str(known[key].type)
            expected = _EXPECTED.get(annotation, annotation)
            error = ConfigError(
                f"[{name}] {where} = {_toml(first['input'] if first['loc'] else value)}: expected {expected} "
                f"({annotation}); {first['msg']}"
            )
            error.section, error.key = name, key  # type: ignore[attr-defined]
            raise error from None
    return section_cls(**kwargs)


def _toml(value: Any) -> str:
    """A value as it reads in TOML (strings in double quotes, booleans lower case)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    return repr(value)


def _origins(data: dict[str, Any], path: Path) -> dict[tuple[str, str | None], Path]:
    """(section, key) -> the file that set it; (section, None) -> the file that touched the section."""
    origins: dict[tuple[str, str | None], Path] = {}
    for section, values in data.items():
        origins[(section, None)] = path
        for key in values if isinstance(values, dict) else ():
            origins[(section, key)] = path
    return origins


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(
            f"configuration file {path} does not exist; set RAPPORT_CONFIG to an existing file"
        ) from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"configuration file {path} is not valid TOML: {error}") from error


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path | str | None = None) -> Config:
    """The installation's configuration: ``path``, else ``RAPPORT_CONFIG``, merged over the defaults."""
    if path is None:
        path = os.environ.get("RAPPORT_CONFIG")
    return Config.load(path)
