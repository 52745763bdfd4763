"""Extracting one contract table for one date into the landing zone: the function the DAG calls per table."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rapport.config import Config, load_config
from rapport.contract import ACTIVITY_TABLES, Table, load_contract
from rapport.contract_casting import cast_sql
from rapport.duckdb_session import open_scratch_duckdb, open_warehouse, sql_string
from rapport.errors import EmptyTableError, ExportNotFoundError, ExportReadError
from rapport.extract.export_folder import land_export_table, write_empty_table
from rapport.extract.landing import (
    DATA_FILE,
    MANIFEST_FILE,
    QUARANTINE_FILE,
    LandingManifest,
    as_date,
    iso,
    landing_folder,
    previous_watermark,
    publish_landing,
    record_manifest,
    staged_landing,
)
from rapport.extract.postgres import land_postgres_table, schema_of
from rapport.extract.source import Source
from rapport.results import to_jsonable
from rapport.settings import Settings

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

CONVERTER_QUARANTINE_FILE = "_quarantine.parquet"
CONVERTER_QUARANTINE_COLUMNS = ("table_name", "record_key", "check_name", "reason", "source_row")


@dataclass(frozen=True)
class ExtractResult:
    """What :func:`extract_table` landed."""

    table: str
    ds: date
    source: str  # the source's description (never a password)
    load_type: str  # full | incremental
    rows: int  # rows landed
    bytes: int
    path: str  # the landed data.parquet
    missing_columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    superseded_rows: int
    deleted_rows: int
    converter_quarantined_rows: int
    previous_watermark: datetime | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (dates as ISO text), e.g. for an XCom return value."""
        return to_jsonable(self)


def extract_table(
    table: str, ds: date | str, source: Source, settings: Settings, *, config: Config | None = None
) -> ExtractResult:
    """Land ``table`` from ``source`` as ``var/landing/<table>/ds=<ds>/`` and record it in the manifest.

    Re-running a date replaces that date's landing and manifest row. Files, sample and mail sources are full
    extractions; a PostgreSQL source is incremental after its first validated extraction. Sample and mail
    sources must have been prepared (:func:`rapport.extract.prepare_source`).
    """
    started = time.perf_counter()
    ds = as_date(ds)
    config = config or load_config(settings.config_path)
    spec = load_contract().table(table)
    final = landing_folder(settings, table, ds)
    scratch = open_scratch_duckdb(settings, config)
    try:
        with staged_landing(settings, table, ds) as staging:
            out_file = staging / DATA_FILE
            if source.kind == "postgres":
                manifest = _land_postgres(spec, ds, source, settings, config, scratch, out_file)
            else:
                manifest = _land_export(spec, ds, source, config, scratch, out_file)
            rows, max_modified = _landed_stats(scratch, spec, out_file)
            if rows == 0 and manifest.load_type == "full":
                _check_empty_allowed(spec, source, config, manifest)
            manifest = replace(
                manifest,
                rows=rows,
                bytes=out_file.stat().st_size,
                landed_max_modifiedon=iso(max_modified),
                source_rows=manifest.source_rows if source.kind != "postgres" else rows,
            )
            (staging / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
            publish_landing(staging, final)
    finally:
        scratch.close()
    with open_warehouse(settings, config) as warehouse:
        record_manifest(warehouse, manifest, final / DATA_FILE)
    result = ExtractResult(
        table=table,
        ds=ds,
        source=source.description,
        load_type=manifest.load_type,
        rows=manifest.rows,
        bytes=manifest.bytes,
        path=str(final / DATA_FILE),
        missing_columns=manifest.missing_columns,
        ignored_columns=manifest.ignored_columns,
        superseded_rows=manifest.superseded_rows,
        deleted_rows=manifest.deleted_rows,
        converter_quarantined_rows=manifest.converter_quarantined_rows,
        previous_watermark=datetime.fromisoformat(manifest.previous_watermark)
        if manifest.previous_watermark
        else None,
        seconds=round(time.perf_counter() - started, 3),
    )
    log.info(
        "extracted %s for %s from %s: %d rows (%s)%s",
        table, ds, source.description, result.rows, result.load_type,
        f", {result.converter_quarantined_rows} unconvertible rows" if result.converter_quarantined_rows else "",
    )  # fmt: skip
    return result


def export_dir_of(source: Source) -> Path:
    """The export folder a files, sample or mail source reads; raises when it does not exist."""
    if source.kind in ("mail", "mapped") and not source.export_dir:
        raise ExportNotFoundError(
            f"the {source.kind} source {source.description} has not been converted yet: call "
            "rapport.extract.prepare_source(source, settings, config) first (the DAG's prepare task does)"
        )
    folder = Path(source.export_dir or source.location)
    if not folder.is_dir():
        if source.kind == "sample":
            raise ExportNotFoundError(
                f"the sample export {folder} does not exist yet: call rapport.extract.prepare_source first (the "
                "DAG's prepare task generates it)"
            )
        raise ExportNotFoundError(
            f"export folder {folder} does not exist ({'not a folder' if folder.exists() else 'no such path'}): check "
            "the path given as files:DIR in RAPPORT_SOURCE, the DAG conf 'source' or the Airflow connection "
            "'rapport_source'"
        )
    return folder


def _base_manifest(table: Table, ds: date, source: Source, load_type: str) -> LandingManifest:
    return LandingManifest(
        table=table.name,
        ds=ds.isoformat(),
        source=source.description,
        source_kind=source.kind,
        load_type=load_type,
        rows=0,
        bytes=0,
        columns=(),
        missing_columns=table.column_names,
        ignored_columns=(),
        files=(),
        format="none",
        csv_header=None,
        model_json=None,
        source_rows=0,
        superseded_rows=0,
        deleted_rows=0,
        converter_quarantined_rows=0,
        previous_watermark=None,
        landed_max_modifiedon=None,
        extracted_at=datetime.now(UTC).replace(tzinfo=None).isoformat(),
    )


def _land_export(
    table: Table, ds: date, source: Source, config: Config, scratch: duckdb.DuckDBPyConnection, out_file: Path
) -> LandingManifest:
    export_dir = export_dir_of(source)
    landed = land_export_table(
        table, export_dir, scratch, out_file, allow_missing=_may_be_missing(table, source)
    )
    converter_rows = _land_converter_quarantine(
        table, export_dir, scratch, out_file.with_name(QUARANTINE_FILE)
    )
    manifest = _base_manifest(table, ds, source, "full")
    if landed.files is None:
        log.info("%s: table absent from %s; landed empty with the contract's columns", table.name, export_dir)
        return replace(
            manifest,
            columns=table.column_names,
            missing_columns=(),
            converter_quarantined_rows=converter_rows,
        )
    assert landed.mapping is not None
    return replace(
        manifest,
        columns=tuple(name for _, name in landed.mapping.selected),
        missing_columns=landed.mapping.missing,
        ignored_columns=landed.mapping.ignored,
        files=tuple(str(path) for path in landed.files.paths),
        format=landed.files.format,
        csv_header=landed.layout.header if landed.layout else None,
        model_json=str(landed.layout.model_json) if landed.layout and landed.layout.model_json else None,
        source_rows=landed.source_rows,
        superseded_rows=landed.superseded_rows,
        deleted_rows=landed.deleted_rows,
        converter_quarantined_rows=converter_rows,
    )


def _land_postgres(
    table: Table,
    ds: date,
    source: Source,
    settings: Settings,
    config: Config,
    scratch: duckdb.DuckDBPyConnection,
    out_file: Path,
) -> LandingManifest:
    needed = (table.name, *ACTIVITY_TABLES) if table.kind == "party" else (table.name,)
    with open_warehouse(settings, config) as warehouse:
        watermarks = {name: previous_watermark(warehouse, name, source.description, ds) for name in needed}
    landed = land_postgres_table(
        table, source, config, scratch, out_file, watermarks=watermarks, allow_missing=not table.required
    )
    manifest = _base_manifest(table, ds, source, landed.load_type)
    if landed.table is None:
        write_empty_table(table, scratch, out_file)
        return replace(manifest, columns=table.column_names, missing_columns=())
    assert landed.mapping is not None
    return replace(
        manifest,
        columns=tuple(name for _, name in landed.mapping.selected),
        missing_columns=landed.mapping.missing,
        ignored_columns=landed.mapping.ignored,
        files=(f"{schema_of(source, config)}.{landed.table.name}",),
        format="postgres",
        previous_watermark=iso(landed.previous_watermark),
    )


def _may_be_missing(table: Table, source: Source) -> bool:
    """Optional tables may be absent; a mail archive or a mapping yields only what it holds, so any may be."""
    return not table.required or source.kind in ("mail", "mapped")


def _check_empty_allowed(table: Table, source: Source, config: Config, manifest: LandingManifest) -> None:
    if (
        not table.required
        or source.kind in ("mail", "mapped")
        or table.name in config.extract.allow_empty_tables
    ):
        return
    where = ", ".join(manifest.files) if manifest.files else source.description
    if manifest.superseded_rows or manifest.deleted_rows:
        detail = f" (all {manifest.source_rows} rows read were older versions or deleted keys)"
    else:
        detail = ""
    raise EmptyTableError(
        f"required table {table.name} has no rows in {where}{detail}: a full export needs them. Export the table "
        f'again; if your CRM truly has no {table.name} rows, add "{table.name}" to allow_empty_tables in the '
        "[extract] section of your RAPPORT_CONFIG file"
    )


def _landed_stats(
    scratch: duckdb.DuckDBPyConnection, table: Table, out_file: Path
) -> tuple[int, datetime | None]:
    """Rows landed and their latest ``modifiedon`` (NULL when absent or not a timestamp)."""
    path = sql_string(str(out_file))
    described = dict(
        (row[0], row[1]) for row in scratch.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
    )
    if table.watermark and table.watermark in described:
        expression = cast_sql(f'"{table.watermark}"', described[table.watermark], "datetime")
        rows, latest = scratch.execute(
            f"SELECT count(*), max({expression}) FROM read_parquet({path})"
        ).fetchall()[0]
    else:
        rows, latest = scratch.execute(f"SELECT count(*), NULL FROM read_parquet({path})").fetchall()[0]
    return int(rows), latest


def _land_converter_quarantine(
    table: Table, export_dir: Path, scratch: duckdb.DuckDBPyConnection, out_file: Path
) -> int:
    """Copy the converter's quarantined rows of ``table`` (``DIR/_quarantine.parquet``) into the landing."""
    import duckdb

    source_file = export_dir / CONVERTER_QUARANTINE_FILE
    if not source_file.is_file():
        return 0
    path = sql_string(str(source_file))
    try:
        columns = {
            row[0] for row in scratch.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
        }
        missing = [name for name in CONVERTER_QUARANTINE_COLUMNS if name not in columns]
        if missing:
            raise ExportReadError(
                f"{source_file} lacks the column(s) {', '.join(missing)}: a converter's quarantine file needs "
                f"{', '.join(CONVERTER_QUARANTINE_COLUMNS)}"
            )
        selected = ", ".join(f"CAST({name} AS VARCHAR) AS {name}" for name in CONVERTER_QUARANTINE_COLUMNS)
        scratch.execute(
            f"COPY (SELECT {selected} FROM read_parquet({path}) WHERE table_name = {sql_string(table.name)}) "
            f"TO {sql_string(str(out_file))} (FORMAT parquet)"
        )
        rows = scratch.execute(f"SELECT count(*) FROM read_parquet({sql_string(str(out_file))})").fetchall()[
            0
        ][0]
    except duckdb.Error as error:
        raise ExportReadError(
            f"cannot read the converter's quarantine file {source_file}: {error}"
        ) from error
    if rows == 0:
        out_file.unlink()
    return int(rows)
