"""Orchestrates one generation run: records, notes, activities (in chunks), ground truth, manifest.

Determinism: every part draws from its own random stream ``default_rng([seed, stream, ...])``, so the
same seed, scale, end date and format always give byte-identical files; the format only changes how
the same values are written.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.parquet as pq

from rapport.contract import load_contract
from rapport.sample import activities, episodes, notes, records, tables, truth
from rapport.sample.arrays import DAY, guids
from rapport.sample.scales import GenerationError, GenerationSummary, Scale, resolve_scale
from rapport.sample.writer import FORMATS, ExportWriter

GENERATOR_VERSION = 1
_STREAMS = {
    "org": 1,
    "companies": 2,
    "contacts": 3,
    "leads": 4,
    "converted": 5,
    "opportunities": 6,
    "stakeholders": 7,
    "ties": 8,
    "episodes": 9,
    "tables": 10,
    "notes": 11,
    "ids": 12,
    "activities": 13,
}


def _rng(seed: int, stream: str, *more: int) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[stream], *more])


def clear_export(out_dir: Path) -> None:
    """Remove what a previous generation wrote here (contract table files and ``_truth/``), nothing else."""
    for table in load_contract().table_names:
        for fmt in FORMATS:
            (out_dir / f"{table}.{fmt}").unlink(missing_ok=True)
    shutil.rmtree(out_dir / truth.TRUTH_DIR, ignore_errors=True)


def run(
    out_dir: Path,
    *,
    scale: str,
    seed: int,
    end_date: date | None,
    fmt: str,
    progress: bool,
    activities_target: int | None,
    history_days: int,
    lead_auto_disqualify_days: int = 0,
) -> GenerationSummary:
    """Generate the sample CRM into ``out_dir``; see :func:`rapport.sample.generate`."""
    started = time.perf_counter()
    if fmt not in FORMATS:
        raise GenerationError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    if history_days < 120:
        raise GenerationError(
            f"[sample] history_days = {history_days}: the sample needs at least 120 days of history"
        )
    if lead_auto_disqualify_days < 0 or 0 < lead_auto_disqualify_days <= 10:
        raise GenerationError(
            f"[sample] lead_auto_disqualify_days = {lead_auto_disqualify_days}: use 0 (off) or more than 10 days "
            "(the sample's leads take at least 10 days to close)"
        )
    sizes = resolve_scale(scale).with_activities(activities_target)
    end = end_date or datetime.now(UTC).date()
    end_ts = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp())
    timeline = records.Timeline(start=end_ts - history_days * DAY, end=end_ts)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clear_export(out_dir)

    built = _build_records(seed, sizes, timeline, lead_auto_disqualify_days)
    writer = ExportWriter(out_dir, load_contract(), fmt)
    note_labels = _write_record_tables(writer, seed, built)
    truth_dir = out_dir / truth.TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)
    _write_activities(writer, seed, built.world, truth_dir, note_labels, progress)
    rows = writer.close()
    _write_ground_truth(
        truth_dir,
        built.world,
        {
            "generator_version": GENERATOR_VERSION,
            "scale": sizes.name,
            "seed": seed,
            "end_date": end.isoformat(),
            "history_days": history_days,
            "lead_auto_disqualify_days": lead_auto_disqualify_days,
            "format": fmt,
            "activities_target": sizes.activities,
            "rows": rows,
        },
    )
    return GenerationSummary(
        out_dir=out_dir,
        scale=sizes.name,
        seed=seed,
        end_date=end.isoformat(),
        fmt=fmt,
        rows=rows,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class _Records:
    """The generated world and the account facts the record tables need besides it."""

    world: activities.World
    stakeholders: episodes.Stakeholders
    account_owner: np.ndarray  # seller index owning each company's account now (-1: none)
    customer_now: np.ndarray  # bool per company: has a won opportunity


def _build_records(
    seed: int, sizes: Scale, timeline: records.Timeline, lead_auto_disqualify_days: int = 0
) -> _Records:
    """Organisation, companies, contacts, leads (some converted), opportunities, ties and episodes."""
    org = records.build_org(_rng(seed, "org"), sizes, timeline)
    n_new_leads = sizes.leads - round(0.4 * sizes.leads)
    companies = records.build_companies(_rng(seed, "companies"), org, sizes.accounts, n_new_leads, timeline)
    contacts = records.build_contacts(_rng(seed, "contacts"), companies, timeline)
    leads = records.build_leads(
        _rng(seed, "leads"), org, companies, contacts, sizes.leads, timeline, lead_auto_disqualify_days
    )
    qualified = np.flatnonzero(leads.state == records.LEAD_QUALIFIED)
    converted = qualified[leads.company[qualified] >= companies.n_base]
    contacts, converted_contact = records.add_converted_contacts(
        _rng(seed, "converted"), contacts, companies, leads, converted
    )
    account_created = companies.created.copy()
    account_created[leads.company[converted]] = leads.close_at[converted]
    contact_of_lead = leads.contact.copy()
    contact_of_lead[converted] = converted_contact
    opps = records.build_opportunities(
        _rng(seed, "opportunities"),
        org,
        companies,
        contacts,
        leads,
        contact_of_lead[qualified],
        sizes.direct_opportunities,
        timeline,
    )
    original_owner = companies.owner.copy()
    original_owner[leads.company[converted]] = leads.owner[converted]
    account_owner = np.where(
        original_owner >= 0,
        org.active(np.maximum(original_owner, 0), np.full(len(companies), timeline.end)),
        -1,
    )
    customer_now = np.zeros(len(companies), bool)
    customer_now[opps.company[opps.state == records.OPP_WON]] = True

    stakeholders = episodes.build_stakeholders(_rng(seed, "stakeholders"), org, companies, contacts, opps)
    ties = episodes.build_ties(
        _rng(seed, "ties"), org, companies, contacts, leads, opps, stakeholders, np.maximum(original_owner, 0)
    )
    people = episodes.build_people(org, contacts, leads)
    eps = episodes.build_episodes(
        _rng(seed, "episodes"),
        org,
        companies,
        contacts,
        leads,
        opps,
        stakeholders,
        people,
        account_created,
        sizes.activities,
        timeline,
    )
    world = activities.World(
        org, companies, contacts, leads, opps, people, ties, eps, timeline, account_created
    )
    return _Records(world, stakeholders, account_owner, customer_now)


def _write_record_tables(writer: ExportWriter, seed: int, built: _Records) -> pa.Table:
    """Write every table but the activities; return the notes' text labels (for ``_truth/``)."""
    world = built.world
    org, companies, contacts, timeline = world.org, world.companies, world.contacts, world.timeline
    leads, opps, account_created, account_owner = (
        world.leads,
        world.opps,
        world.account_created,
        built.account_owner,
    )
    rng = _rng(seed, "tables")
    ids = _rng(seed, "ids")
    stage_ids = guids(ids, 4)
    role_ids = guids(ids, len(tables.ROLE_CATEGORIES))
    writer.write("businessunit", tables.businessunits(org, timeline))
    writer.write("systemuser", tables.systemusers(org, timeline))
    writer.write(
        "account",
        tables.accounts(
            rng, org, companies, contacts, account_created, account_owner, built.customer_now, timeline
        ),
    )
    writer.write("contact", tables.contact_rows(rng, org, companies, contacts, account_owner, timeline))
    writer.write("lead", tables.lead_rows(rng, org, companies, contacts, leads, opps, timeline))
    writer.write("opportunity", tables.opportunity_rows(rng, org, companies, contacts, leads, opps, timeline))
    writer.write("opportunitysalesprocess", tables.sales_process_rows(rng, opps, stage_ids, timeline))
    writer.write("connectionrole", tables.connection_role_rows(role_ids, timeline))
    writer.write(
        "connection",
        tables.connection_rows(
            rng,
            org,
            companies,
            contacts,
            opps,
            built.stakeholders,
            role_ids,
            account_created,
            account_owner,
            timeline,
        ),
    )
    note_columns, note_labels = notes.generate_notes(_rng(seed, "notes"), world)
    writer.write("annotation", note_columns)
    return note_labels


def _write_activities(
    writer: ExportWriter,
    seed: int,
    world: activities.World,
    truth_dir: Path,
    note_labels: pa.Table,
    progress: bool,
) -> None:
    """Write the activities chunk by chunk, and every text label (notes' first) to ``_truth/``."""
    label_writer = pq.ParquetWriter(
        truth_dir / "text_labels.parquet",
        activities.TEXT_LABEL_SCHEMA,
        compression="zstd",
        compression_level=1,
    )
    label_writer.write_table(note_labels)
    expected = world.episodes.expected
    chunks = activities.plan_chunks(expected)
    from tqdm import tqdm

    with tqdm(
        total=round(float(expected.sum())),
        unit="act",
        unit_scale=True,
        desc="activities",
        file=sys.stderr,
        disable=not progress,
        mininterval=0.5,
    ) as bar:
        for number, chunk in enumerate(chunks):
            counts, labels = activities.generate_chunk(
                _rng(seed, "activities", number), world, chunk, writer.write
            )
            label_writer.write_table(labels)
            bar.update(round(float(expected[chunk].sum())))
            bar.set_postfix(written=f"{counts.total:,}", refresh=False)
    label_writer.close()


def _write_ground_truth(truth_dir: Path, world: activities.World, manifest: dict[str, Any]) -> None:
    """The answers the tests check the pipeline against, and the generation's manifest."""
    truth.write_truth(
        truth_dir,
        {
            "who_knows_whom": truth.who_knows_whom(world.org, world.contacts, world.ties, world.timeline),
            "lead_propensity": truth.lead_propensity(world.leads, world.episodes),
            "opportunity_propensity": truth.opportunity_propensity(
                world.opps, world.episodes, len(world.leads.company)
            ),
            "sellers": truth.sellers(world.org),
        },
    )
    truth.write_manifest(truth_dir, manifest)
