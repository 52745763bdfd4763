"""The end-of-run summary: what was extracted, quarantined, built and scored, and where to look.

It reports the run that just finished only: rows written before ``since`` (an earlier run in the same home,
even for the same date) are not counted, and champions are named only when this run scored with them.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from rapport import warehouse
from rapport.config import ConfigError, load_config
from rapport.extract.mail.audit import excluded_counts
from rapport.extract.preparation import MAIL_SUMMARY_FILE
from rapport.extract.unused_columns import declared_fields, unused_column_notices
from rapport.ml.features import ignore_empty_declared
from rapport.ml.registry import SCORES_REFUSED, list_versions
from rapport.ml.targets import get_target
from rapport.ml.tracking import mlflow_store
from rapport.publish import published_database, published_parquet_dir, reader_command
from rapport.settings import Settings
from rapport.validation.data_docs import index_path


@dataclass(frozen=True)
class RunSummary:
    ds: date
    tables_extracted: int
    rows_extracted: int
    rows_clean: int
    rows_quarantined: int
    unbalanced_tables: tuple[str, ...]
    models_built: int
    tests_passed: int
    tests_warned: int
    scores: dict[str, int]  # records actually scored by a champion model
    champions: tuple[str, ...] = ()
    source: str = ""  # the source's description as audit.extract_manifest records it (never a password)
    as_of_note: str = ""  # how the as-of date was chosen, when not given (a mail run without --date)
    mail_excluded: int = 0  # addresses the mail import excluded (lists, aliases, robots) in this run
    mail_likely_aliases: int = 0
    notices: tuple[str, ...] = ()  # what was left out or kept as unknown (mapped source, training rows)
    not_scored: dict[str, int] = field(default_factory=dict)  # stored without a score ("not enough data")
    baseline: dict[str, int] = field(
        default_factory=dict
    )  # of not_scored: given a baseline score (ml.baseline)
    # current champions, when this run scored nothing because no lead or opportunity was open at the as-of date
    idle_champions: tuple[str, ...] = ()


def _fetch(connection, query: str, parameters: list) -> list[tuple]:
    try:
        return connection.execute(query, parameters).fetchall()
    except Exception:  # a table a failed or partial run never created
        return []


_PLURAL = {"lead": "leads", "opportunity": "opportunities"}


def _skipped_builds(connection, after_local: datetime | str) -> list[str]:  # type: ignore[no-untyped-def]
    """'relationship marts unchanged since …: skipped' when this run's dbt build left them out (issue 17):
    a dbt run finished in this run while the group's fingerprint was stored before it started."""
    rows = _fetch(
        connection,
        "select fingerprints.group_name, max(fingerprints.built_at) from audit.build_fingerprints as fingerprints "
        "where fingerprints.built_at < ?::timestamp "
        "and exists (select 1 from audit.dbt_runs as runs where runs.finished_at >= ?::timestamp) "
        "group by fingerprints.group_name order by 1",
        [after_local, after_local],
    )
    labels = {"relationships": "relationship marts"}
    return [
        f"{labels.get(group, group)} unchanged since {built_at:%Y-%m-%d %H:%M:%S}: skipped (nothing they read changed)"
        for group, built_at in rows
    ]


def _test_scopes(connection, ds: date, after_local: datetime | str) -> list[str]:  # type: ignore[no-untyped-def]
    """'dbt tests: full tables' or 'dbt tests: new batch since …' for this run's dbt builds (issue 17)."""
    rows = _fetch(
        connection,
        "select distinct message from audit.dbt_test_scopes where ds = ? and finished_at >= ?::timestamp order by 1",
        [ds, after_local],
    )
    return [str(row[0]) for row in rows]


def open_record_counts(connection, ds: date) -> dict[str, int] | None:  # type: ignore[no-untyped-def]
    """Per entity, the open records of the features mart's ``ds`` snapshot (what scoring reads); None when a
    features table is missing (the run never got that far)."""
    counts: dict[str, int] = {}
    for entity in ("lead", "opportunity"):
        rows = _fetch(
            connection,
            f"select count(*) from {get_target(entity).features_table} "
            "where as_of_date = ? and label is null and closed_at is null",
            [ds],
        )
        if not rows:
            return None
        counts[entity] = int(rows[0][0])
    return counts


def _champions(settings: Settings, used: set[tuple[str, str]] | None = None) -> tuple[str, ...]:
    """One line per model version that scored this run (``used``: (entity, version) pairs; None: every
    current champion): its version, training date, band and test AUC (empty when unreadable). A version
    that is not the current champion (a backfill scored by the champion of its date) says so."""
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return ()  # no model was ever trained here; do not create the store just to say so
    try:
        with mlflow_store(settings) as client:
            versions = list_versions(client)
    except Exception:  # no store yet (a run that failed before training): the summary says nothing of models
        return ()
    names = None if used is None else {(get_target(entity).registered_model, v) for entity, v in used}
    lines = []
    for version in versions:
        if names is None and "champion" not in version.aliases:
            continue
        if names is not None and (version.name, version.version) not in names:
            continue
        auc = "-" if version.test_auc is None else f"{version.test_auc:.3f}"
        then = "" if "champion" in version.aliases else ", the champion of this past date, not today's"
        lines.append(
            f"{version.name} v{version.version} (trained as of {version.as_of_date}, test AUC {auc}, "
            f"{version.band}{then})"
        )
    return tuple(lines)


@dataclass(frozen=True)
class _ScoringCounts:
    """Per entity: records scored, stored without a score and given a baseline; versions used; refusals."""

    scores: dict[str, int]
    not_scored: dict[str, int]
    baseline: dict[str, int]
    used: set[tuple[str, str]]
    refusals: tuple[str, ...]


def _scoring_counts(connection, ds: date, after: datetime) -> _ScoringCounts:  # type: ignore[no-untyped-def]
    """What this run's scoring wrote to ``ml.<entity>_score_history`` (zeros where it never got there)."""
    scores: dict[str, int] = {}
    not_scored: dict[str, int] = {}
    baseline: dict[str, int] = {}
    used: set[tuple[str, str]] = set()
    refusals: list[str] = []
    for entity in ("lead", "opportunity"):
        rows = _fetch(
            connection,
            f"select count(*) filter (where status = 'scored'), count(*) filter (where status <> 'scored'), "
            f"count(*) filter (where status = 'baseline') "
            f"from ml.{entity}_score_history where as_of_date = ? and scored_at >= ?",
            [ds, after],
        )
        scored, unscored, with_baseline = rows[0] if rows else (0, 0, 0)  # no table: never got to scoring
        scores[entity], not_scored[entity] = int(scored or 0), int(unscored or 0)
        baseline[entity] = int(with_baseline or 0)
        history = _fetch(
            connection,
            f"select distinct status, model_version, status_reason from ml.{entity}_score_history "
            "where as_of_date = ? and scored_at >= ?",
            [ds, after],
        )
        used |= {(entity, str(version)) for status, version, _ in history if status == "scored"}
        refusals += [f"{entity}: {reason}" for status, _, reason in history if SCORES_REFUSED in str(reason)]
    return _ScoringCounts(scores, not_scored, baseline, used, tuple(refusals))


def collect_summary(
    settings: Settings, ds: date, since: datetime | None = None, as_of_note: str = ""
) -> RunSummary:
    """Read the audit tables (and score history) of ``ds`` from the warehouse.

    ``since`` (naive UTC): the moment this run started; rows written before it belong to another run and
    are left out (``None``: every row of ``ds``).
    """
    after = since or datetime(1970, 1, 1)
    # reconciliation and dbt_runs are stamped by DuckDB's now() in the session's time zone: compare in it
    after_local = after.replace(tzinfo=UTC)
    with warehouse.connect(settings.warehouse_path) as connection:
        manifest = _fetch(
            connection,
            "select count(*), coalesce(sum(rows), 0) from audit.extract_manifest where ds = ? and extracted_at >= ?",
            [ds, after],
        )
        sources = _fetch(
            connection,
            "select string_agg(distinct source, ', ') from audit.extract_manifest where ds = ? and extracted_at >= ?",
            [ds, after],
        )
        reconciliation = _fetch(
            connection,
            "select table_name, raw_rows, clean_rows, quarantined_rows, is_balanced from audit.reconciliation "
            "where ds = ? and checked_at >= ?::timestamp",
            [ds, after_local],
        )
        dbt_runs = _fetch(
            connection,
            "select coalesce(sum(models_built), 0), coalesce(sum(tests_passed), 0), coalesce(sum(tests_warned), 0) "
            "from audit.dbt_runs where ds = ? and finished_at >= ?::timestamp",
            [ds, after_local],
        )
        scoring = _scoring_counts(connection, ds, after)
        scores, not_scored, baseline = scoring.scores, scoring.not_scored, scoring.baseline
        mail_excluded, mail_likely = excluded_counts(connection, ds)
        notices = (
            *_skipped_builds(connection, after_local),
            *_test_scopes(connection, ds, after_local),
            *_training_exclusions(connection),
        )
        nothing_open = (
            not any(scores.values())
            and not any(not_scored.values())
            and open_record_counts(connection, ds) == {"lead": 0, "opportunity": 0}
        )
    notices = (
        _mapping_notices(settings, ds)
        + scoring.refusals
        + _mail_notices(settings, ds, since)
        + _unused_column_notices(settings, ds, since)
        + _field_setting_notices()
        + notices
    )
    tables, extracted = manifest[0] if manifest else (0, 0)
    models, passed, warned = dbt_runs[0] if dbt_runs else (0, 0, 0)
    return RunSummary(
        ds=ds,
        tables_extracted=int(tables),
        rows_extracted=int(extracted),
        rows_clean=sum(int(row[2]) for row in reconciliation),
        rows_quarantined=sum(int(row[3]) for row in reconciliation),
        unbalanced_tables=tuple(row[0] for row in reconciliation if not row[4]),
        models_built=int(models),
        tests_passed=int(passed),
        tests_warned=int(warned),
        scores=scores,
        champions=_champions(settings, scoring.used) if any(scores.values()) else (),
        idle_champions=_champions(settings) if nothing_open else (),
        source=str(sources[0][0] or "") if sources else "",
        as_of_note=as_of_note,
        mail_excluded=mail_excluded,
        mail_likely_aliases=mail_likely,
        notices=notices,
        not_scored=not_scored,
        baseline=baseline,
    )


SAMPLE_SOURCE = "sample"


def _source_lines(source: str) -> list[str]:
    """The source line; a loud warning when the run read the generated sample."""
    if source == SAMPLE_SOURCE:
        return [
            "  source       SAMPLE — the GENERATED SAMPLE CRM, not yours: nothing was configured (no --source,",
            "               RAPPORT_SOURCE or Airflow connection rapport_source). Every table here is made up.",
        ]
    return [f"  source       {source}"] if source else []


def rapport_command(argv0: str | None = None, executable: str | None = None) -> str:
    """The command that starts rapport again the way this process was started, for the summary's hints.

    ``rapport`` when that name on PATH is this very script; else the script's path as it was typed
    (``.venv/bin/rapport`` in a checkout, ``/opt/venv/bin/rapport`` in an installed package); else,
    when not started through the script (``python -m rapport.cli``, tests), the ``rapport`` script
    beside the running interpreter, or ``<python> -m rapport.cli``.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    script = Path(argv0)
    if not (script.name == "rapport" and script.is_file()):
        script = Path(executable).parent / "rapport"
        if not script.is_file():
            return f"{shlex.quote(executable)} -m rapport.cli"
    on_path = shutil.which("rapport")
    if on_path and os.path.samefile(on_path, script):
        return "rapport"
    return shlex.quote(str(script))


def _idle(champions: tuple[str, ...]) -> str:
    return f"{'; '.join(champions)}: nothing to score in this run" if champions else "none used in this run"


def render_summary(summary: RunSummary, settings: Settings) -> str:
    """The text ``rapport run`` prints at the end of a run."""
    command = rapport_command()
    balance = (
        "nothing was validated"
        if not summary.tables_extracted
        else "counts reconcile (raw = clean + quarantined) for every table"
        if not summary.unbalanced_tables
        else f"counts DO NOT reconcile for {', '.join(summary.unbalanced_tables)}"
    )
    scored = (
        ", ".join(
            f"{count:,} {_PLURAL.get(entity, entity + 's')}"
            + (
                f" ({summary.not_scored[entity]:,} more stored unscored: not enough data"
                + (
                    f"; {summary.baseline[entity]:,} with a baseline score"
                    if summary.baseline.get(entity)
                    else ""
                )
                + ")"
                if summary.not_scored.get(entity)
                else ""
            )
            for entity, count in summary.scores.items()
        )
        if any(summary.scores.values())
        else "0 scored: no lead or opportunity is open at the as-of date (every record is closed), so the "
        "champions had nothing to score"
        if summary.idle_champions
        else "0 scored: no model (the readiness gate held training back, a trained model was refused by its "
        "band, or no champion exists; see the ml.check_*_readiness and ml.train_* task logs)"
        + "".join(
            f"; {count:,} {_PLURAL.get(entity, entity + 's')} stored unscored (not enough data)"
            + (
                f", {summary.baseline[entity]:,} of them with a baseline score (smoothed historical rates)"
                if summary.baseline.get(entity)
                else ""
            )
            for entity, count in summary.not_scored.items()
            if count
        )
    )
    lines = [
        f"Rapport run for {summary.ds.isoformat()}",
        *_source_lines(summary.source),
        *([f"  as of        {summary.as_of_note}"] if summary.as_of_note else []),
        f"  extracted    {summary.rows_extracted:,} rows from {summary.tables_extracted} tables",
        f"  validated    {summary.rows_clean:,} clean, {summary.rows_quarantined:,} quarantined "
        f"(see audit.quarantine); {balance}",
        f"  dbt          {summary.models_built} models built, {summary.tests_passed} tests passed"
        + (f", {summary.tests_warned} warned" if summary.tests_warned else ""),
        *(
            [
                f"  mail         {summary.mail_excluded} addresses excluded as lists, aliases or robots, "
                f"{summary.mail_likely_aliases} likely aliases reported (see audit.mail_addresses)"
            ]
            if summary.mail_excluded or summary.mail_likely_aliases
            else []
        ),
        f"  scored       {scored}",
        f"  champions    {'; '.join(summary.champions) or _idle(summary.idle_champions)}",
        *(f"  notice       {notice}" for notice in summary.notices),
        "",
        f"  warehouse    {settings.warehouse_path} (the DAG's; one writer at a time)",
        f"  read copy    {published_database(settings)}  and Parquet in {published_parquet_dir(settings)}/",
        f"               {reader_command(published_database(settings), 'select * from dim_opportunities limit 5')}",
        *_data_docs_lines(settings, command),
        f"  MLflow UI    {command} ui mlflow    then http://localhost:5000",
        f"  Airflow UI   {command} ui airflow   then http://localhost:8080 (airflow standalone)",
    ]
    return "\n".join(lines)


def _data_docs_lines(settings: Settings, command: str) -> list[str]:
    """Where the Great Expectations Data Docs of the validations are, once any were built."""
    index = index_path(settings.var_dir)
    if not index.is_file():
        return []
    return [f"  data docs    {index}  (Great Expectations; or {command} gx docs --serve)"]


def _unused_column_notices(settings: Settings, ds: date, since: datetime | None) -> tuple[str, ...]:
    """Source columns kept in raw that no model declares, and columns not landed (rapport.extract.unused_columns)."""
    try:
        scoring = load_config().scoring
    except ConfigError:  # reported by the run itself; the summary still prints
        return ()
    declared = declared_fields({"lead": scoring.lead, "opportunity": scoring.opportunity})
    return unused_column_notices(settings, ds, declared, since)


def _field_setting_notices() -> tuple[str, ...]:
    """Per-field model settings applied from rapport.toml ([scoring.<model>.fields]: ignore empty values)."""
    try:
        scoring = load_config().scoring
    except ConfigError:  # reported by the run itself; the summary still prints
        return ()
    notes = (ignore_empty_declared(model, getattr(scoring, model)) for model in ("lead", "opportunity"))
    return tuple(note for note in notes if note)


def _mail_notices(settings: Settings, ds: date, since: datetime | None) -> tuple[str, ...]:
    """A mail import's notes (duplicate Message-IDs, messages without one, ...), if this run converted mail."""
    path = settings.var_dir / "mail" / f"ds={ds.isoformat()}" / MAIL_SUMMARY_FILE
    if not path.is_file():
        return ()
    if since is not None and datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None) < since:
        return ()  # an earlier run's conversion
    notes = json.loads(path.read_text(encoding="utf-8")).get("notes", [])
    return tuple(f"mail: {note}" for note in notes)


def _mapping_notices(settings: Settings, ds: date) -> tuple[str, ...]:
    """A mapped source's conversion warnings (columns left out, unknown values kept), if this run had one."""
    path = settings.var_dir / "mapped" / f"ds={ds.isoformat()}" / "_mapping_summary.json"
    if not path.is_file():
        return ()
    return tuple(str(item) for item in json.loads(path.read_text(encoding="utf-8")).get("warnings", []))


def _training_exclusions(connection) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """Closed records left out of training, counted per model and reason (int_*_pinned_to_moments)."""
    out = []
    for entity, model in (
        ("lead", "int_leads_pinned_to_moments"),
        ("opportunity", "int_opportunities_pinned_to_moments"),
    ):
        rows = _fetch(
            connection,
            f"select exclusion_reason, count(*) from intermediate.{model} where exclusion_reason is not null "
            "group by exclusion_reason order by 2 desc",
            [],
        )
        out += [f"{count:,} closed {entity}(s) left out of training: {reason}" for reason, count in rows]
    return tuple(out)
