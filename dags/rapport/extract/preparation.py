"""Preparing a source once per run, before the per-table extract tasks.

* ``sample``: generate the sample export into ``Settings.sample_dir`` when it does not exist yet.
* ``mail``: convert the archive into an export folder under ``var/mail/`` (per run date).
* ``files``: check that the folder exists.
* ``mapped``: check the mapping against the contract and the files, and convert the files into an export
  folder under ``var/mapped/`` (per run date); the conversion's warnings are kept beside it for the summary.
* ``postgres``: check that the database answers (so a wrong URI fails once, clearly, not once per table).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from datetime import date
from pathlib import Path

from rapport.config import Config
from rapport.errors import ExportNotFoundError
from rapport.extract.extraction import export_dir_of
from rapport.extract.landing import as_date
from rapport.extract.mail import convert_archive
from rapport.extract.mail.importer import load_aliases_file
from rapport.extract.mapped import (
    MAPPING_SUMMARY_FILE,
    convert_mapped_source,
    load_mapping,
    parse_mapped_spec,
)
from rapport.extract.postgres import connect
from rapport.extract.source import Source
from rapport.sample import generate
from rapport.settings import Settings

log = logging.getLogger(__name__)
MAIL_SUMMARY_FILE = "_mail_summary.json"  # beside a run's converted mail export: its counts and notes


def prepare_source(
    source: Source, settings: Settings, config: Config, *, ds: date | str | None = None
) -> Source:
    """Make ``source`` ready to extract and return it with ``export_dir`` set for folder-based kinds.

    ``ds`` names the run date for the mail conversion folder (``var/mail/ds=<ds>/``); without it the folder
    is ``var/mail/latest/``.
    """
    if source.kind == "sample":
        return source.with_export_dir(_ensure_sample(settings, config))
    if source.kind == "files":
        return source.with_export_dir(export_dir_of(source))
    if source.kind == "mail":
        return source.with_export_dir(_convert_mail(source, settings, config, as_date(ds) if ds else None))
    if source.kind == "mapped":
        return source.with_export_dir(_convert_mapped(source, settings, config, as_date(ds) if ds else None))
    if source.kind == "postgres":
        with connect(source, config) as connection:
            connection.execute("SELECT 1")
        return source
    raise ValueError(f"unknown source kind {source.kind!r}")


def _ensure_sample(settings: Settings, config: Config) -> Path:
    """The sample export folder, generated (into a temporary folder, then renamed) when absent."""
    target = settings.sample_dir
    if target.is_dir() and any(target.iterdir()):
        return target

    staging = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    log.info(
        "generating the sample CRM export (scale %s, seed %s) into %s",
        config.sample.scale,
        config.sample.seed,
        target,
    )
    try:
        generate(
            staging,
            scale=config.sample.scale,
            seed=config.sample.seed,
            fmt=config.sample.format,
            progress=True,
            defects=config.sample.defect_rows,
        )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert_mail(source: Source, settings: Settings, config: Config, ds: date | None) -> Path:
    """Convert the archive into ``var/mail/ds=<ds>/export`` (replacing an earlier conversion of that run)."""
    archive = Path(source.location)
    if not archive.exists():
        raise ExportNotFoundError(
            f"mail archive {archive} does not exist: give mail:PATH with an mbox file, a maildir folder or a "
            "folder of .eml files"
        )
    run_folder = settings.var_dir / "mail" / (f"ds={ds.isoformat()}" if ds else "latest")
    staging = run_folder.parent / f".{run_folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    export_dir = staging / "export"
    export_dir.mkdir(parents=True)
    try:
        summary = convert_archive(
            archive,
            export_dir,
            internal_domains=config.mail.internal_domains,
            internal_addresses=config.mail.internal_addresses,
            default_owner=config.mail.default_owner or None,
            progress=False,
            exclude_addresses=config.mail.exclude_addresses,
            alias_min_senders=config.mail.alias_min_senders,
            aliases=_aliases(config.mail.aliases_file),
            free_mail_domains=config.mail.free_mail_domains,
        )
        if (export_dir / "_address_audit.parquet").exists():  # lists, aliases, robots: audit.mail_addresses
            from rapport.extract.mail.audit import record_address_audit  # lazy: loads pyarrow

            record_address_audit(settings, ds, export_dir)
        log.info("converted mail archive %s: %s", archive, summary)
        (staging / MAIL_SUMMARY_FILE).write_text(json.dumps(summary.to_dict(), indent=1), encoding="utf-8")
        if run_folder.exists():
            shutil.rmtree(run_folder)
        staging.rename(run_folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run_folder / "export"


def _aliases(aliases_file: str) -> dict[str, list[str]] | None:
    """The ``[mail] aliases_file`` mapping (person -> other addresses), None when not configured."""
    if not aliases_file:
        return None
    return load_aliases_file(Path(aliases_file))


def _convert_mapped(source: Source, settings: Settings, config: Config, ds: date | None) -> Path:
    """Convert the mapped files into ``var/mapped/ds=<ds>/export`` (replacing an earlier conversion)."""

    mapping = load_mapping(*parse_mapped_spec(source.location))
    run_folder = settings.var_dir / "mapped" / (f"ds={ds.isoformat()}" if ds else "latest")
    staging = run_folder.parent / f".{run_folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    export_dir = staging / "export"
    try:
        summary = convert_mapped_source(mapping, export_dir, chunk_rows=config.extract.mapped_chunk_rows)
        (staging / MAPPING_SUMMARY_FILE).write_text(
            json.dumps({"mapping": str(mapping.path), "warnings": list(summary.warnings())}, indent=1),
            encoding="utf-8",
        )
        log.info("converted %s with mapping %s: %s", mapping.data_dir, mapping.path, dict(summary.tables))
        if run_folder.exists():
            shutil.rmtree(run_folder)
        staging.rename(run_folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run_folder / "export"
