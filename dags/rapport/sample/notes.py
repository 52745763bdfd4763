"""Notes (``annotation``) on leads, opportunities, accounts and contacts, in English and Chinese.

A note holds zero to two context sentences and, in about two notes of three, an actionable sentence
(a meeting with a date and time, a call back, a to-do with a due date, a new contact with e-mail and
phone, a content request or a complaint). One note in twenty is an attachment.
"""

from __future__ import annotations

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.compute as pc

from rapport.sample.activities import (
    INTENT_WEIGHTS_NOTES,
    World,
    _intent_categories,
    _labels,
    _part,
    _separator,
    _slots,
)
from rapport.sample.arrays import DAY, guids, sigmoid, take
from rapport.sample.episodes import People
from rapport.sample.records import NEVER
from rapport.sample.sentences import category_code, render_sentences
from rapport.sample.templating import join

ATTACHMENTS = (
    ("Proposal_v2.pdf", "application/pdf"),
    ("Pricing.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("Org_chart.png", "image/png"),
    ("Requirements.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("NDA_signed.pdf", "application/pdf"),
    ("Meeting_notes.txt", "text/plain"),
)
OBJECT_TYPES = ("lead", "opportunity", "account", "contact")


def generate_notes(rng: np.random.Generator, world: World) -> tuple[dict[str, object], pa.Table]:
    """All annotation rows and their text labels."""
    leads, opps, companies, contacts, org, timeline = (
        world.leads,
        world.opps,
        world.companies,
        world.contacts,
        world.org,
        world.timeline,
    )
    kind, record, created = _note_records(rng, world)
    company, owner, person = _note_people(rng, world, kind, record, created)
    n = len(kind)
    lang = np.where(rng.random(n) < 0.9, companies.lang[company], 1 - companies.lang[company])
    slots = _slots(rng, world, person, owner, company, person, owner, lang)
    intent = rng.choice(len(INTENT_WEIGHTS_NOTES), size=n, p=np.array(INTENT_WEIGHTS_NOTES))
    context_rows = np.flatnonzero((intent == 0) | (rng.random(n) < 0.5))
    context, _, _ = _part(rng, context_rows, np.full(n, category_code("plain")), lang, created, slots)
    second_rows = np.flatnonzero(rng.random(n) < 0.2)
    second, _, _ = _part(rng, second_rows, np.full(n, category_code("plain")), lang, created, slots)
    action, mentioned, has_time = _part(
        rng, np.flatnonzero(intent > 0), _intent_categories(intent), lang, created, slots
    )
    notetext = join([context, action, second], _separator(lang))
    subject = render_sentences(rng, np.full(n, category_code("subject_note")), lang, created, slots).text
    document = rng.random(n) < 0.05
    attachment = rng.integers(0, len(ATTACHMENTS), n)
    filenames = pa.array([a[0] for a in ATTACHMENTS])
    mimetypes = pa.array([a[1] for a in ATTACHMENTS])
    annotation_id = guids(rng, n)
    edited = rng.random(n) < 0.1
    modified = np.where(edited, np.minimum(created + rng.integers(1, 5 * DAY, n), timeline.end - 1), created)
    object_ids = pa.concat_arrays([leads.id, opps.id, companies.id, contacts.id])
    offsets = np.cumsum([0, len(leads.id), len(opps.id), len(companies.id)])
    columns: dict[str, object] = {
        "annotationid": annotation_id,
        "objectid": take(object_ids, offsets[kind] + record),
        "objecttypecode": take(pa.array(list(OBJECT_TYPES)), kind),
        "subject": pc.if_else(pa.array(document), take(filenames, attachment), subject),
        "notetext": notetext,
        "isdocument": document,
        "filename": pc.if_else(pa.array(document), take(filenames, attachment), pa.nulls(n, pa.string())),
        "mimetype": pc.if_else(pa.array(document), take(mimetypes, attachment), pa.nulls(n, pa.string())),
        "ownerid": take(org.user_id, owner),
        "owneridtype": pa.array(["systemuser"] * n),
        "createdon": created,
        "modifiedon": np.maximum(modified, created),
    }
    labels = _labels(
        "annotation", annotation_id, "notetext", lang, intent, np.zeros(n, np.int64), mentioned, has_time
    )
    return columns, labels


def _note_records(rng: np.random.Generator, world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kind (index into OBJECT_TYPES), record index and creation moment of every note.

    More notes on promising leads and opportunities; a note is written while its record is open.
    """
    leads, opps, companies, contacts, timeline = (
        world.leads,
        world.opps,
        world.companies,
        world.contacts,
        world.timeline,
    )
    accounts = np.flatnonzero(world.account_created < NEVER)
    lead_z = sigmoid(leads.attribute_logit + leads.latent_logit)
    opp_z = sigmoid(opps.attribute_logit + opps.latent_logit)
    counts = [
        rng.poisson(0.4 + 0.5 * lead_z),
        rng.poisson(1.0 + 1.0 * opp_z),
        rng.poisson(1.2, len(accounts)),
        rng.poisson(0.25, len(contacts)),
    ]
    kind = np.concatenate([np.full(int(c.sum()), k) for k, c in enumerate(counts)])
    record = np.concatenate(
        (
            np.repeat(np.arange(len(leads.company)), counts[0]),
            np.repeat(np.arange(len(opps)), counts[1]),
            np.repeat(accounts, counts[2]),
            np.repeat(np.arange(len(contacts)), counts[3]),
        )
    )
    start = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            leads.created[np.minimum(record, len(leads.company) - 1)],
            opps.created[np.minimum(record, len(opps) - 1)],
            world.account_created[np.minimum(record, len(companies) - 1)],
        ],
        contacts.created[np.minimum(record, len(contacts) - 1)],
    )
    stop = np.select(
        [kind == 0, kind == 1],
        [
            leads.close_at[np.minimum(record, len(leads.company) - 1)],
            opps.close_at[np.minimum(record, len(opps) - 1)],
        ],
        NEVER,
    )
    stop = np.minimum(stop, timeline.end - 1)
    created = (start + rng.random(len(kind)) * np.maximum(stop - start, 1)).astype(np.int64)
    created = np.clip(created, start, timeline.end - 1)
    return kind, record, created


def _note_people(
    rng: np.random.Generator, world: World, kind: np.ndarray, record: np.ndarray, created: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Company, owner (the record's, else a seller of the company's team) and person of every note."""
    leads, opps, companies, contacts, org = (
        world.leads,
        world.opps,
        world.companies,
        world.contacts,
        world.org,
    )
    company = np.select(
        [kind == 0, kind == 1, kind == 2],
        [
            leads.company[np.minimum(record, len(leads.company) - 1)],
            opps.company[np.minimum(record, len(opps) - 1)],
            record,
        ],
        contacts.company[np.minimum(record, len(contacts) - 1)],
    )
    owner_original = np.select(
        [kind == 0, kind == 1],
        [
            leads.owner[np.minimum(record, len(leads.company) - 1)],
            opps.owner[np.minimum(record, len(opps) - 1)],
        ],
        -1,
    )
    fallback = org.random_seller(rng, companies.team[company], created)
    owner = org.active(np.where(owner_original >= 0, owner_original, fallback), created)
    people: People = world.people
    person = np.select(
        [kind == 0, kind == 1, kind == 3],
        [
            np.where(
                leads.contact[np.minimum(record, len(leads.company) - 1)] >= 0,
                people.contact(np.maximum(leads.contact[np.minimum(record, len(leads.company) - 1)], 0)),
                people.lead(np.minimum(record, len(leads.company) - 1)),
            ),
            people.contact(opps.contact[np.minimum(record, len(opps) - 1)]),
            people.contact(np.minimum(record, len(contacts) - 1)),
        ],
        people.contact(
            contacts.company_order[np.minimum(contacts.company_offsets[company], len(contacts) - 1)]
        ),
    )
    return company, owner, person
