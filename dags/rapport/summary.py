"""The end-of-run summary: what was extracted, quarantined, built and scored, and where to look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rapport import warehouse
from rapport.publish import published_database, published_parquet_dir
from rapport.settings import Settings


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
    scores: dict[str, int]


def _fetch(connection, query: str, parameters: list) -> list[tuple]:
    try:
        return connection.execute(query, parameters).fetchall()
    except Exception:  # a table a failed or partial run never created
        return []


def collect_summary(settings: Settings, ds: date) -> RunSummary:
    """Read the audit tables (and score history) of ``ds`` from the warehouse."""
    with warehouse.connect(settings.warehouse_path) as connection:
        manifest = _fetch(
            connection,
            "select count(*), coalesce(sum(rows), 0) from audit.extract_manifest where ds = ?",
            [ds],
        )
        reconciliation = _fetch(
            connection,
            "select table_name, raw_rows, clean_rows, quarantined_rows, is_balanced from audit.reconciliation where ds = ?",
            [ds],
        )
        dbt_runs = _fetch(
            connection,
            "select coalesce(sum(models_built), 0), coalesce(sum(tests_passed), 0), coalesce(sum(tests_warned), 0) "
            "from audit.dbt_runs where ds = ?",
            [ds],
        )
        scores = {}
        for entity in ("lead", "opportunity"):
            rows = _fetch(
                connection, f"select count(*) from ml.{entity}_score_history where as_of_date = ?", [ds]
            )
            if rows:
                scores[entity] = int(rows[0][0])
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
    )


def render_summary(summary: RunSummary, settings: Settings) -> str:
    """The text ``rapport run`` prints at the end of a run."""
    balance = (
        "counts reconcile (raw = clean + quarantined) for every table"
        if not summary.unbalanced_tables
        else f"counts DO NOT reconcile for {', '.join(summary.unbalanced_tables)}"
    )
    scored = ", ".join(f"{count:,} {entity}s" for entity, count in summary.scores.items()) or "nothing"
    lines = [
        f"Rapport run for {summary.ds.isoformat()}",
        f"  extracted    {summary.rows_extracted:,} rows from {summary.tables_extracted} tables",
        f"  validated    {summary.rows_clean:,} clean, {summary.rows_quarantined:,} quarantined "
        f"(see audit.quarantine); {balance}",
        f"  dbt          {summary.models_built} models built, {summary.tests_passed} tests passed"
        + (f", {summary.tests_warned} warned" if summary.tests_warned else ""),
        f"  scored       {scored}",
        "",
        f"  warehouse    {settings.warehouse_path} (the DAG's; one writer at a time)",
        f"  read copy    {published_database(settings)}  and Parquet in {published_parquet_dir(settings)}/",
        f"               duckdb -readonly {published_database(settings)}  or",
        f"               python -c \"import duckdb; print(duckdb.connect('{published_database(settings)}', "
        "read_only=True).sql('select * from dim_opportunities limit 5'))\"",
        "  MLflow UI    .venv/bin/rapport ui mlflow    then http://localhost:5000",
        "  Airflow UI   .venv/bin/rapport ui airflow   then http://localhost:8080 (airflow standalone)",
    ]
    return "\n".join(lines)
