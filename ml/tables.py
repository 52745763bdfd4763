"""The ``ml`` schema of the warehouse: score history, reasons and attribute insights per model.

The tables are created with ``CREATE TABLE IF NOT EXISTS`` before anything reads them, so the dbt
source ``ml`` (``dbt_project/models/staging/ml/_ml__sources.yml``, read by the ``stg_ml__*`` views) exists even before the first
scoring. Grains:

* ``ml.<model>_score_history``: one row per open record per as-of date (re-running a date replaces it).
  ``reasons_as_of_date`` names the date whose scoring computed the record's reasons: reasons are stored
  once, when computed, and later unchanged rows point at them (``reasons_json`` is null there).
* ``ml.<model>_score_reasons``: one row per explained record per as-of date per direction per rank
  (only records explained that date; follow ``reasons_as_of_date`` from the history).
* ``ml.<model>_attribute_insights``: one row per value group of each feature column of the current
  champion (replaced whenever scoring runs with a champion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapport.ml.targets import TARGETS, ScoringTarget

if TYPE_CHECKING:
    import duckdb

HISTORY_COLUMNS = (
    "record_id",
    "as_of_date",
    "status",
    "status_reason",
    "probability",
    "score",
    "grade",
    "trend",
    "previous_score",
    "model_name",
    "model_version",
    "features_digest",
    "reasons_as_of_date",
    "reasons_json",
    "scored_at",
    "change_json",
)


def table_ddl(target: ScoringTarget) -> tuple[str, ...]:
    """``CREATE TABLE IF NOT EXISTS`` statements of one model's ``ml`` tables."""
    return (
        f"""
        create table if not exists {target.history_table} (
            record_id varchar not null,        -- the {target.model}'s id ({target.id_column})
            as_of_date date not null,          -- the run's logical date
            status varchar not null,           -- scored | not enough data
            status_reason varchar,             -- why not scored (the readiness gate's sentence)
            probability double,                -- calibrated probability of {target.positive_label}
            score integer,                     -- 0-100: round(probability * 100)
            grade varchar,                     -- A | B | C | D
            trend varchar not null,            -- improving | steady | declining | not enough info
            previous_score integer,            -- the record's previous score (trend base)
            model_name varchar,                -- MLflow registered model
            model_version varchar,             -- champion version that scored
            features_digest varchar,           -- hash of the feature values (reasons are reused when unchanged)
            reasons_as_of_date date,           -- the date whose scoring computed this record's current reasons
            reasons_json varchar,              -- msdyn_scorereasons-style JSON (<= reasons_json_max_chars),
                                               -- stored only on reasons_as_of_date (null when reused)
            scored_at timestamp not null,      -- wall-clock time of the scoring run (UTC)
            change_json varchar                -- why the score changed since the previous one (ml.change)
        )
        """,
        f"""
        create table if not exists {target.reasons_table} (
            record_id varchar not null,
            as_of_date date not null,
            direction varchar not null,        -- raises | lowers
            rank integer not null,             -- 1 = strongest within its direction
            field varchar not null,            -- source field (shares of its columns summed)
            column_name varchar not null,      -- the field's column whose value is quoted
            value_text varchar not null,       -- level or bin, e.g. Financial, 12 or more, unknown
            contribution double not null,      -- TreeSHAP share in log-odds (+ raises, - lowers)
            population_records bigint,         -- training records with that value
            population_rate double,            -- share of them that were positive
            sentence varchar not null,
            model_version varchar
        )
        """,
        f"""
        create table if not exists {target.insights_table} (
            model_name varchar not null,
            model_version varchar not null,
            trained_as_of date,
            field varchar not null,
            column_name varchar not null,
            value_text varchar not null,
            value_order integer not null,      -- display order of the values within a column
            records bigint not null,           -- training records with this value
            positives bigint not null,
            rate double not null,              -- positives / records
            overall_rate double not null,      -- positives / records over all training records
            lift double                        -- rate / overall_rate
        )
        """,
    )


def ensure_ml_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the ``ml`` schema and every model's tables if they do not exist yet."""
    connection.execute("create schema if not exists ml")
    for target in TARGETS.values():
        for statement in table_ddl(target):
            connection.execute(statement)
        # Added after the first release: older warehouses get the column (appended, so positions agree).
        connection.execute(f"alter table {target.history_table} add column if not exists change_json varchar")
