"""The features interface: which columns of ``marts.fct_<model>_features`` are features, and their rows.

The dbt models ``fct_lead_features`` / ``fct_opportunity_features`` hold one row per record per as-of
date with ``<id>``, ``as_of_date``, ``feature_at``, ``created_at``, ``closed_at``, ``label`` and the
feature columns. A column is a feature when its YAML ``meta`` says so::

    columns:
      - name: industry
        meta:
          feature: {field: "Industry", kind: categorical}
      - name: emails_received_90d
        meta:
          feature: {field: "E-mails", kind: numeric, label: "E-mails received in the last 90 days"}

``field`` is the human name of the source field (reasons are summed per field; several columns may
share one), ``kind`` is ``categorical`` or ``numeric``, and the optional ``label`` names the column in
sentences (default: the field). Dates and times enter only as derived durations (numeric). The optional
``monotone`` (``increasing`` / ``decreasing``, numeric columns) declares the direction of the column's effect:
with ``scoring.monotone_decay`` the model is constrained to it (docs/scoring.md, day-to-day stability).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from rapport.errors import RapportInputError
from rapport.ml.targets import ScoringTarget

if TYPE_CHECKING:
    import duckdb
    import numpy as np
    import pandas as pd

log = logging.getLogger(__name__)

FEATURE_KINDS = ("categorical", "numeric")
MONOTONE_DIRECTIONS = {"increasing": 1, "decreasing": -1}  # meta.feature.monotone
RECORD_COLUMNS = ("as_of_date", "feature_at", "created_at", "closed_at", "label")
# A categorical column keeps at most this many levels (the most frequent); the rest become OTHER_LEVEL.
MAX_LEVELS = 100
OTHER_LEVEL = "(other)"
# A categorical column with no value in training keeps this one level (XGBoost needs at least one).
NEVER_FILLED_KEY = "\x00never filled"
NEVER_FILLED_LEVEL = "(never filled)"


class FeatureSpecError(RapportInputError, ValueError):
    """The feature spec (YAML meta or a constructed spec) is missing, inconsistent or invalid."""


class FeaturesMissingError(LookupError):
    """The features table does not exist in the warehouse yet."""


class PointInTimeError(ValueError):
    """A features row describes a moment after its outcome or after the run's as-of moment."""


@dataclass(frozen=True)
class FeatureColumn:
    """One feature column: its table column name, source field, kind and sentence label."""

    name: str
    field: str
    kind: str
    label: str | None = None
    # D365's per-field "ignore empty values": an empty value says nothing (see expand_empty_values)
    ignore_empty: bool = False
    # +1: the score can only rise as the value rises, -1: only fall, 0: any shape (meta.feature.monotone
    # increasing / decreasing; applied when scoring.monotone_decay is on)
    monotone: int = 0

    def __post_init__(self) -> None:
        if self.monotone not in (-1, 0, 1) or (self.monotone and self.kind != "numeric"):
            raise FeatureSpecError(
                f"feature column {self.name!r}: monotone must be increasing or decreasing on a numeric column, "
                f"got {self.monotone!r} on a {self.kind} one"
            )
        if self.kind not in FEATURE_KINDS:
            raise FeatureSpecError(
                f"feature column {self.name!r}: kind {self.kind!r} is not one of {FEATURE_KINDS}; "
                "dates and times enter only as derived durations (kind numeric)"
            )
        if not self.name or not self.field:
            raise FeatureSpecError(
                f"feature column {self.name!r}: both a column name and a field are required"
            )

    @property
    def display(self) -> str:
        """How a sentence names this column: its label, else its field."""
        return self.label or self.field


@dataclass(frozen=True)
class FeatureSpec:
    """The feature columns of one model, in a fixed order."""

    model: str
    columns: tuple[FeatureColumn, ...]
    source: str = field(default="constructed", compare=False)

    def __post_init__(self) -> None:
        if not self.columns:
            raise FeatureSpecError(
                f"feature spec for {self.model!r} ({self.source}) lists no feature columns"
            )
        duplicates = [name for name, count in Counter(c.name for c in self.columns).items() if count > 1]
        if duplicates:
            raise FeatureSpecError(
                f"feature spec for {self.model!r} ({self.source}): duplicate columns {duplicates}"
            )
        clash = {c.name for c in self.columns} & set(RECORD_COLUMNS)
        if clash:
            raise FeatureSpecError(
                f"feature spec for {self.model!r}: {sorted(clash)} are record columns, not features; remove their meta"
            )

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def fields(self) -> list[str]:
        """Source fields in first-seen order."""
        return list(dict.fromkeys(column.field for column in self.columns))

    def column(self, name: str) -> FeatureColumn:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def without(self, names: set[str] | frozenset[str]) -> FeatureSpec:
        """The same spec minus the columns ``names`` (e.g. dropped by the leakage screen)."""
        kept = tuple(column for column in self.columns if column.name not in names)
        if not kept:
            raise FeatureSpecError(
                f"feature spec for {self.model!r}: every feature column was removed ({sorted(names)}); "
                "nothing is left to train on"
            )
        return FeatureSpec(model=self.model, columns=kept, source=self.source)

    @property
    def monotone_constraints(self) -> dict[str, int]:
        """Column name -> +1 / -1 for the columns whose effect has a declared direction (meta.feature.monotone)."""
        return {column.name: column.monotone for column in self.columns if column.monotone}

    @property
    def ignore_empty_names(self) -> list[str]:
        """The columns whose empty values are ignored (``ignore_empty = true``), in spec order."""
        return [column.name for column in self.columns if column.ignore_empty]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "source": self.source,
            "columns": [
                {
                    "name": c.name,
                    "field": c.field,
                    "kind": c.kind,
                    "label": c.label,
                    "ignore_empty": c.ignore_empty,
                    "monotone": c.monotone,
                }
                for c in self.columns
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        columns = tuple(
            FeatureColumn(
                name=c["name"],
                field=c["field"],
                kind=c["kind"],
                label=c.get("label"),
                ignore_empty=bool(c.get("ignore_empty", False)),
                monotone=int(c.get("monotone", 0)),
            )
            for c in data["columns"]
        )
        return cls(model=data["model"], columns=columns, source=data.get("source", "constructed"))


def feature_spec_path(target: ScoringTarget, project_dir: Path) -> Path:
    """Where the features model's YAML lives: ``models/marts/scoring/fct_<model>_features.yml``."""
    return project_dir / "models" / "marts" / "scoring" / f"{target.features_model}.yml"


CUSTOM_PREFIX = "custom_"  # a custom field's column in the features table: custom_<raw column>
FIELD_KEYS = frozenset({"kind", "display", "use", "after_outcome", "ignore_empty", "monotone"})


def declared_direction(where: str, entry: dict[str, Any], kind: str) -> int:
    """``monotone = "increasing" | "decreasing"`` of a field declaration as +1 / -1 (0 when absent).

    ``kind`` is the field's kind (declared, or the built-in column's): a direction on a categorical field
    has no meaning (its levels have no order) and is refused, as is any other word.
    """
    if "monotone" not in entry:
        return 0
    word = entry["monotone"]
    if word not in MONOTONE_DIRECTIONS:
        raise FeatureSpecError(
            f'{where}: monotone = {word!r} is not a direction; write monotone = "increasing" (the score can only '
            'rise as the value rises) or "decreasing" (only fall), or remove the key (any shape)'
        )
    if kind != "numeric":
        raise FeatureSpecError(
            f'{where}: monotone = "{word}" on a {kind} field: only a numeric field has a direction (its levels '
            'have no order); remove the key, or declare kind = "numeric" if the values are numbers'
        )
    return MONOTONE_DIRECTIONS[word]


def apply_field_declarations(
    spec: FeatureSpec, declared: dict[str, Any] | None
) -> tuple[FeatureSpec, tuple[str, ...]]:
    """The spec with the custom fields of ``[scoring.<model>.fields]`` added and built-ins turned off.

    An entry with ``kind`` is a custom field (raw column ``<name>``, feature column ``custom_<name>``); an
    entry naming a built-in feature column with ``use = false`` turns it off; ``after_outcome = true``
    refuses a field filled in after the outcome (leakage); ``ignore_empty = true`` (custom or built-in)
    makes the field's empty values say nothing (:func:`expand_empty_values`); ``monotone = "increasing" |
    "decreasing"`` (numeric custom or built-in fields) declares the direction of the field's effect, as
    ``meta.feature.monotone`` does in the features YAML (:func:`declared_direction`). Returns the spec and
    one sentence per field left out or set, for the run summary.
    """
    fields_section = (declared or {}).get("fields", {}) or {}
    unknown_sections = set(declared or {}) - {"fields"}
    if unknown_sections:
        raise FeatureSpecError(
            f"[scoring.{spec.model}]: unknown key(s) {sorted(unknown_sections)}; use [scoring.{spec.model}.fields.<column>]"
        )
    builtin = {column.name for column in spec.columns}
    removed: set[str] = set()
    ignoring: set[str] = set()
    directed: dict[str, int] = {}
    added: list[FeatureColumn] = []
    notes: list[str] = []
    for name, entry in sorted(fields_section.items()):
        where = f"[scoring.{spec.model}.fields.{name}]"
        if not isinstance(entry, dict) or set(entry) - FIELD_KEYS:
            raise FeatureSpecError(
                f"{where}: keys {sorted(set(entry) - FIELD_KEYS) if isinstance(entry, dict) else entry!r} not "
                f"understood; use {', '.join(sorted(FIELD_KEYS))}"
            )
        use = bool(entry.get("use", True))
        ignore_empty = entry.get("ignore_empty", False)
        if not isinstance(ignore_empty, bool):
            raise FeatureSpecError(f"{where}: ignore_empty = {ignore_empty!r}; write true or false")
        if "kind" not in entry:
            if name not in builtin:
                raise FeatureSpecError(
                    f"{where}: {name!r} is not a built-in feature of {spec.model} (known: {', '.join(sorted(builtin))}); "
                    'a custom field needs kind = "categorical" or "numeric"'
                )
            direction = declared_direction(where, entry, spec.column(name).kind)
            if not use:
                removed.add(name)
                notes.append(f"{spec.model} feature {name} turned off in rapport.toml")
                continue
            if ignore_empty:
                ignoring.add(name)
            if direction:
                directed[name] = direction
            continue
        kind = str(entry["kind"])
        if kind not in FEATURE_KINDS:
            raise FeatureSpecError(
                f'{where}: kind {kind!r} is not one of {FEATURE_KINDS}; write kind = "categorical" or '
                '"numeric" (dates enter only as derived durations)'
            )
        column = FeatureColumn(
            name=f"{CUSTOM_PREFIX}{name.lower()}",
            field=str(entry.get("display") or name.replace("_", " ").capitalize()),
            kind=kind,
            ignore_empty=ignore_empty,
            monotone=declared_direction(where, entry, kind),
        )
        if entry.get("after_outcome"):
            notes.append(
                f"{spec.model} field {column.field} ({name}) refused: declared after_outcome (filled in after "
                "the outcome, it would leak the label)"
            )
        elif use:
            added.append(column)
    kept = tuple(
        replace(
            column,
            ignore_empty=column.ignore_empty or column.name in ignoring,
            monotone=directed.get(column.name, column.monotone),
        )
        for column in spec.columns
        if column.name not in removed
    )
    out = FeatureSpec(model=spec.model, columns=(*kept, *added), source=spec.source)
    ignored = ignore_empty_note(out)
    directions = [
        f"{out.column(name).display} {'increasing' if out.column(name).monotone > 0 else 'decreasing'}"
        for name in [*directed, *(c.name for c in added if c.monotone)]
    ]
    if directions:
        notes.append(
            f"{spec.model}: direction declared in rapport.toml on {len(directions)} field(s): "
            f"{', '.join(directions)} (applied with scoring.monotone_decay)"
        )
    return out, (*notes, *([ignored] if ignored else []))


def ignore_empty_note(spec: FeatureSpec) -> str | None:
    """One sentence naming the fields whose empty values are ignored, or None (run summary, readiness)."""
    return _ignore_empty_sentence(spec.model, [spec.column(name).display for name in spec.ignore_empty_names])


def ignore_empty_declared(model: str, declared: dict[str, Any] | None) -> str | None:
    """The same sentence from a ``[scoring.<model>]`` section alone (no feature spec needed), or None."""
    fields_section = (declared or {}).get("fields", {}) or {}
    names = [
        str(entry.get("display") or name) if "kind" in entry else name
        for name, entry in sorted(fields_section.items())
        if isinstance(entry, dict)
        and entry.get("ignore_empty") is True
        and entry.get("use", True)
        and not entry.get("after_outcome")
    ]
    return _ignore_empty_sentence(model, names)


def _ignore_empty_sentence(model: str, names: list[str]) -> str | None:
    if not names:
        return None
    return (
        f"{model}: ignore empty values on {len(names)} field(s): {', '.join(names)} (an empty value neither "
        "raises nor lowers a score and is never a reason)"
    )


def load_feature_spec(
    target: ScoringTarget, project_dir: Path, declared: dict[str, Any] | None = None
) -> FeatureSpec:
    """Read the feature spec from the dbt model's column ``meta.feature`` (or ``config.meta.feature``).

    ``declared`` is the model's ``[scoring.<model>]`` section (custom fields, built-ins off):
    :func:`apply_field_declarations`.
    """
    if declared:
        spec, notes = apply_field_declarations(load_feature_spec(target, project_dir), declared)
        for note in notes:
            log.warning("%s", note)
        return spec
    path = feature_spec_path(target, project_dir)
    if not path.exists():
        raise FeatureSpecError(
            f"feature spec {path} does not exist: the dbt model {target.features_model} must declare its "
            "feature columns with meta: {feature: {field: ..., kind: categorical|numeric}}"
        )
    document = yaml.safe_load(path.read_text()) or {}
    for model in document.get("models", []):
        if model.get("name") != target.features_model:
            continue
        columns = []
        for column in model.get("columns", []):
            meta = column.get("meta") or (column.get("config") or {}).get("meta") or {}
            feature = meta.get("feature")
            if not feature:
                continue
            if not isinstance(feature, dict) or "field" not in feature or "kind" not in feature:
                raise FeatureSpecError(
                    f"{path}: column {column.get('name')!r} meta.feature must be a mapping with field and kind, "
                    f"got {feature!r}"
                )
            monotone = feature.get("monotone")
            if monotone not in (None, *MONOTONE_DIRECTIONS):
                raise FeatureSpecError(
                    f"{path}: column {column.get('name')!r} meta.feature.monotone = {monotone!r}: use "
                    f"{' or '.join(MONOTONE_DIRECTIONS)}, or leave it out (any shape)"
                )
            columns.append(
                FeatureColumn(
                    name=column["name"],
                    field=str(feature["field"]),
                    kind=feature["kind"],
                    label=feature.get("label"),
                    monotone=MONOTONE_DIRECTIONS[monotone] if monotone else 0,
                )
            )
        return FeatureSpec(model=target.model, columns=tuple(columns), source=str(path))
    raise FeatureSpecError(f"{path} does not describe the model {target.features_model}")


# Reading rows --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end)."""

    start: datetime
    end: datetime


def training_window(as_of: datetime, days: int) -> Window:
    """The training window: the ``days`` days before the as-of moment."""
    return Window(start=as_of - timedelta(days=days), end=as_of)


def table_exists(connection: duckdb.DuckDBPyConnection, qualified_name: str) -> bool:
    schema, name = qualified_name.split(".", 1)
    row = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def _table_columns(connection: duckdb.DuckDBPyConnection, qualified_name: str) -> set[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        qualified_name.split(".", 1),
    ).fetchall()
    return {row[0] for row in rows}


def _check_table(
    connection: duckdb.DuckDBPyConnection, target: ScoringTarget, spec: FeatureSpec | None
) -> None:
    if not table_exists(connection, target.features_table):
        raise FeaturesMissingError(
            f"{target.features_table} does not exist yet: build the dbt model {target.features_model} "
            "(dbt build) before checking readiness, training or scoring"
        )
    present = _table_columns(connection, target.features_table)
    needed = [target.id_column, *RECORD_COLUMNS, *(spec.names if spec else [])]
    missing = [name for name in needed if name not in present]
    if missing:
        raise FeatureSpecError(
            f"{target.features_table} lacks the columns {missing}; the feature spec ({spec.source if spec else '-'}) "
            "and the table must agree: rebuild the dbt model or fix its YAML meta"
        )


def _latest_snapshots_sql(target: ScoringTarget, columns: list[str] | None) -> str:
    """Each record's newest row at or before the as-of date (closed records' features never change).

    ``columns`` None selects every column of the table.
    """
    selected = (
        "*"
        if columns is None
        else ", ".join(f'"{name}"' for name in [target.id_column, *RECORD_COLUMNS, *columns])
    )
    return f"""
        with snapshots as (
            select {selected},
                   row_number() over (partition by "{target.id_column}" order by as_of_date desc) as snapshot_rank
            from {target.features_table}
            where as_of_date <= ?
        )
        select * exclude (snapshot_rank) from snapshots where snapshot_rank = 1
    """


def count_closed(
    connection: duckdb.DuckDBPyConnection, target: ScoringTarget, window: Window
) -> tuple[int, int]:
    """(positives, negatives) among records created and closed in ``window`` (as of its end)."""
    _check_table(connection, target, None)
    row = connection.execute(
        f"""
        select count(*) filter (where label = 1), count(*) filter (where label = 0)
        from ({_latest_snapshots_sql(target, [])})
        where label is not null and closed_at is not null
          and created_at >= ? and closed_at >= ? and closed_at < ?
        """,
        [window.end.date(), window.start, window.start, window.end],
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def read_closed_rows(
    connection: duckdb.DuckDBPyConnection, target: ScoringTarget, spec: FeatureSpec, window: Window
) -> pd.DataFrame:
    """Closed records created and closed in ``window``: the training rows, ordered by close moment.

    Every column of the table is returned (``spec`` is checked to be present): the champion is
    re-scored on these rows with its own, possibly different, feature columns. Only ``feature_at`` and
    ``closed_at`` decide which rows are used; a row whose features describe a moment after its close or
    after the as-of moment raises :class:`PointInTimeError`.
    """
    _check_table(connection, target, spec)
    frame = connection.execute(
        f"""
        select * from ({_latest_snapshots_sql(target, None)})
        where label is not null and closed_at is not null
          and created_at >= ? and closed_at >= ? and closed_at < ?
        order by closed_at, "{target.id_column}"
        """,
        [window.end.date(), window.start, window.start, window.end],
    ).df()
    late = frame[(frame["feature_at"] > frame["closed_at"]) | (frame["feature_at"] >= window.end)]
    if len(late):
        example = late.iloc[0]
        raise PointInTimeError(
            f"{target.features_table}: {len(late)} closed record(s) have feature_at after their close or after "
            f"the as-of moment {window.end:%Y-%m-%d %H:%M} (e.g. {example[target.id_column]}: feature_at "
            f"{example['feature_at']}, closed_at {example['closed_at']}); features must describe the moment "
            "close minus scoring.decision_gap_days: fix the features model"
        )
    bad_labels = set(frame["label"].unique()) - {0, 1}
    if bad_labels:
        raise FeatureSpecError(
            f"{target.features_table}: label holds {sorted(bad_labels)}; only 0, 1 or null"
        )
    frame["label"] = frame["label"].astype("int8")
    return frame


def read_open_rows(
    connection: duckdb.DuckDBPyConnection,
    target: ScoringTarget,
    spec: FeatureSpec | None,
    as_of: datetime,
    scoring_window_days: int,
) -> pd.DataFrame:
    """Open records created in the scoring window, from the run's own as-of date snapshot.

    With ``spec`` None only the id and record columns are read (to mark records not scored). A spec
    column the table no longer has (a champion older than a features change) is read as missing,
    with a warning: retraining fixes it.
    """
    _check_table(connection, target, None)
    present = _table_columns(connection, target.features_table)
    names = [name for name in (spec.names if spec else []) if name in present]
    absent = [name for name in (spec.names if spec else []) if name not in present]
    if absent:
        log.warning(
            "%s lacks the champion's feature columns %s; they are scored as missing until the model is retrained",
            target.features_table,
            absent,
        )
    selected = ", ".join(f'"{name}"' for name in [target.id_column, *RECORD_COLUMNS, *names])
    frame = connection.execute(
        f"""
        select {selected} from {target.features_table}
        where as_of_date = ? and label is null and closed_at is null
          and created_at >= ? and created_at < ?
        order by "{target.id_column}"
        """,
        [as_of.date(), as_of - timedelta(days=scoring_window_days), as_of],
    ).df()
    late = frame[frame["feature_at"] > as_of]
    if len(late):
        raise PointInTimeError(
            f"{target.features_table}: {len(late)} open record(s) of as_of_date {as_of:%Y-%m-%d} have feature_at "
            f"after the as-of moment {as_of:%Y-%m-%d %H:%M}; fix the features model"
        )
    return frame


# Model matrix -------------------------------------------------------------------------------------


def _canonical_strings(series: pd.Series) -> pd.Series:
    """Categorical values as stripped strings; empty strings become missing."""
    import pandas as pd

    text = series.astype("string").str.strip()
    return text.mask(text == "", pd.NA)


def build_levels(frame: pd.DataFrame, spec: FeatureSpec) -> dict[str, dict[str, str]]:
    """For each categorical column: casefolded value -> display level (its most frequent spelling).

    Values that differ only in case or surrounding spaces are one level (``Google`` / ``google``).
    At most :data:`MAX_LEVELS` levels are kept per column, the most frequent; the others map to
    :data:`OTHER_LEVEL`.
    """
    levels: dict[str, dict[str, str]] = {}
    for column in spec.columns:
        if column.kind != "categorical":
            continue
        text = _canonical_strings(frame[column.name]).dropna()
        spellings = text.value_counts()
        by_key: dict[str, tuple[int, str]] = {}
        totals: Counter[str] = Counter()
        for spelling, count in spellings.items():
            key = str(spelling).casefold()
            totals[key] += int(count)
            if key not in by_key or count > by_key[key][0]:
                by_key[key] = (int(count), str(spelling))
        kept = [key for key, _ in totals.most_common(MAX_LEVELS)]
        mapping = {key: by_key[key][1] for key in kept}
        for key in totals:
            if key not in mapping:
                mapping[key] = OTHER_LEVEL
        if not mapping:  # never filled in (a built-in field the CRM lacks): one level no value maps to
            mapping = {NEVER_FILLED_KEY: NEVER_FILLED_LEVEL}
        levels[column.name] = mapping
    return levels


def level_names(levels: dict[str, str]) -> list[str]:
    """The distinct display levels of one column, in a stable order."""
    return sorted(set(levels.values()))


def categorical_values(series: pd.Series, levels: dict[str, str]) -> pd.Series:
    """Display levels of ``series`` (unseen values become missing)."""
    return _canonical_strings(series).str.casefold().map(levels)


def unseen_mask(series: pd.Series, levels: dict[str, str]) -> pd.Series:
    """True where a categorical value is filled in but was never seen in training."""
    text = _canonical_strings(series)
    return (text.notna() & text.str.casefold().map(levels).isna()).fillna(False).astype(bool)


def prepare_matrix(frame: pd.DataFrame, spec: FeatureSpec, levels: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The model matrix: categoricals as pandas ``category`` with the training levels, numerics as float.

    A spec column absent from ``frame`` (an old champion scoring newer features) is all missing.
    """
    import numpy as np
    import pandas as pd

    out: dict[str, Any] = {}
    for column in spec.columns:
        if column.name not in frame.columns:
            if column.kind == "categorical":
                out[column.name] = pd.Categorical(
                    [None] * len(frame), categories=level_names(levels[column.name])
                )
            else:
                out[column.name] = np.full(len(frame), np.nan)
            continue
        series = frame[column.name]
        if pd.api.types.is_datetime64_any_dtype(series):
            raise FeatureSpecError(
                f"feature column {column.name!r} is a date/time; dates enter only as derived durations "
                "(e.g. days since created): change the features model"
            )
        if column.kind == "categorical":
            values = categorical_values(series, levels[column.name])
            out[column.name] = pd.Categorical(
                values.astype(object), categories=level_names(levels[column.name])
            )
        else:
            try:
                out[column.name] = pd.to_numeric(series, errors="raise").astype("float64").to_numpy()
            except (TypeError, ValueError) as error:
                raise FeatureSpecError(
                    f"numeric feature column {column.name!r} holds non-numeric values ({error}); "
                    "declare it kind: categorical or cast it in the features model"
                ) from error
    return pd.DataFrame(out, index=frame.index)


# Ignore empty values -------------------------------------------------------------------------------
#
# Dynamics 365's per-field "Ignore empty values" (configure-predictive-lead-scoring): by default an empty
# value is a value like any other ("Blank" has its own rate); turned on, the score is computed "after
# excluding blank values". Rapport reads it as: an empty value of such a field carries no information.
# XGBoost's native missing-value handling would not do that: every split learns a default direction for
# missing values, so emptiness still moves the score. Instead, a record whose field is empty stands for
# ``draws`` copies of itself, the field set in each copy to one of ``draws`` representative filled values
# of the training rows (evenly spaced quantiles of the filled values: their distribution), each copy
# weighing 1/draws. The booster never sees the field empty, so no split can learn emptiness; in training
# the copies carry the row's label with the field's usual values (the row still informs every other
# field); in scoring the record's margin and TreeSHAP shares are the weighted means over its copies (the
# field's effect averaged over its usual values), and reasons leave the field out for that record.


@dataclass(frozen=True)
class ExpandedMatrix:
    """A model matrix with every row needing it replaced by weighted copies (:func:`expand_empty_values`)."""

    matrix: pd.DataFrame
    owner: np.ndarray  # for each row of ``matrix``, the position of the row of the original matrix
    weight: np.ndarray  # each row's weight; the weights of one original row sum to 1
    rows: int  # rows of the original matrix

    def mean_by_owner(self, values: np.ndarray) -> np.ndarray:
        """The weighted mean of ``values`` (one per row of ``matrix``, or rows x columns) per original row."""
        import numpy as np

        if len(self.owner) == self.rows:  # nothing was expanded: the rows are the original ones
            return values
        if values.ndim == 1:
            return np.bincount(self.owner, weights=values * self.weight, minlength=self.rows)
        return np.stack(
            [
                np.bincount(self.owner, weights=values[:, j] * self.weight, minlength=self.rows)
                for j in range(values.shape[1])
            ],
            axis=1,
        )


def empty_value_fills(matrix: pd.DataFrame, spec: FeatureSpec, draws: int) -> dict[str, list[Any]]:
    """For each ``ignore_empty`` column of a training ``matrix``: ``draws`` representative filled values.

    They are the filled values at the evenly spaced quantiles (i + 0.5) / draws (categoricals: of the
    values sorted by level, so each level appears about as often as in training), shuffled with a fixed
    seed per column so that two fields empty together are not paired by rank. A column never filled in
    gets no entry (it stays empty: such a column is dropped before training as uninformative).
    """
    import numpy as np

    if draws < 1:
        raise FeatureSpecError(f"scoring.empty_value_draws = {draws}: at least 1 value per empty record")
    fills: dict[str, list[Any]] = {}
    for position, column in enumerate(spec.columns):
        if not column.ignore_empty or column.name not in matrix.columns:
            continue
        series = matrix[column.name]
        if column.kind == "categorical":
            categories = list(series.cat.categories)
            codes = np.sort(series.cat.codes.to_numpy()[series.cat.codes.to_numpy() >= 0])
            filled: list[Any] = [categories[int(code)] for code in codes]
        else:
            filled = np.sort(series.dropna().to_numpy(dtype="float64")).tolist()
        if not filled:
            continue
        picks = [filled[min(len(filled) - 1, int((i + 0.5) / draws * len(filled)))] for i in range(draws)]
        order = np.random.default_rng(position).permutation(draws)
        fills[column.name] = [picks[int(i)] for i in order]
    return fills


def ignored_empty_mask(matrix: pd.DataFrame, spec: FeatureSpec, fills: dict[str, list[Any]]) -> np.ndarray:
    """(rows x spec columns) True where an ``ignore_empty`` column with fills is empty."""
    import numpy as np

    mask = np.zeros((len(matrix), len(spec.columns)), dtype=bool)
    for j, column in enumerate(spec.columns):
        if column.name in fills and column.name in matrix.columns:
            mask[:, j] = matrix[column.name].isna().to_numpy()
    return mask


def expand_empty_values(
    matrix: pd.DataFrame, spec: FeatureSpec, fills: dict[str, list[Any]]
) -> ExpandedMatrix:
    """``matrix`` with each row whose ``ignore_empty`` column is empty replaced by weighted copies.

    Copy i of such a row holds the i-th fill of every such empty column (:func:`empty_value_fills`) and
    weighs 1 / (number of fills); rows with nothing to ignore are kept once with weight 1. Without fills
    the matrix is returned as is. Rows keep their order (a row's copies are consecutive).
    """
    import numpy as np
    import pandas as pd

    n = len(matrix)
    mask = ignored_empty_mask(matrix, spec, fills)
    needs = mask.any(axis=1)
    if not fills or not needs.any():
        return ExpandedMatrix(matrix, np.arange(n), np.ones(n), n)
    draws = len(next(iter(fills.values())))
    repeats = np.where(needs, draws, 1)
    owner = np.repeat(np.arange(n), repeats)
    copy_index = np.arange(len(owner)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    out = matrix.iloc[owner].reset_index(drop=True)
    for j, column in enumerate(spec.columns):
        if column.name not in fills:
            continue
        empty = mask[owner, j]
        values = np.asarray(fills[column.name], dtype=object)[copy_index]
        if column.kind == "categorical":
            filled = out[column.name].astype(object).where(~empty, values)
            out[column.name] = pd.Categorical(filled, categories=matrix[column.name].cat.categories)
        else:
            out[column.name] = np.where(empty, values.astype("float64"), out[column.name].to_numpy())
    weight = np.where(needs, 1.0 / draws, 1.0)[owner]
    return ExpandedMatrix(out, owner, weight, n)
