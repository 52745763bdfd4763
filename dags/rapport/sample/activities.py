"""Activities (e-mail threads, phone calls, meetings, tasks) and their parties, chunk by chunk.

Episodes are cut into chunks of about :data:`CHUNK_ACTIVITIES` expected activities; each chunk has its
own seeded random stream, is generated with whole-array operations (e-mail threads grow one reply
level at a time over all threads at once) and is written before the next one starts, so memory stays
bounded whatever the scale.

How engagement carries the signal (parameters per episode come from :mod:`rapport.sample.episodes`):
who initiates (customers write first on good deals), how often and how fast each side answers, when
activity happens in the episode's life (it fades on deals heading for a loss, and customers on many of
them go quiet some time before the close while we keep chasing), meetings held or cancelled, and
future activities scheduled on records that are still open.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.compute as pc

from rapport.sample import names, text
from rapport.sample.arrays import (
    DAY,
    HOUR,
    MINUTE,
    business_time,
    guids,
    hex_tokens,
    masked,
    segment_choice,
    sigmoid,
    take,
    timestamps,
    to_weekday,
)
from rapport.sample.episodes import (
    ACCOUNT,
    CALL_RATE,
    LEAD,
    MAX_THREAD,
    NUDGE_CUSTOMER,
    NUDGE_OURS,
    ONBOARDING,
    OPPORTUNITY,
    TASK_RATE,
    THREAD_RATE,
    Episodes,
    People,
    Ties,
    activities_per_unit,
    expected_thread_length,
    reply_probability,
)
from rapport.sample.people import person_names, phones
from rapport.sample.records import (
    MANAGER,
    PRESALES,
    Companies,
    Contacts,
    Leads,
    Opportunities,
    Org,
    Timeline,
)
from rapport.sample.sentences import category_code, render_sentences
from rapport.sample.templating import join

CHUNK_ACTIVITIES = 400_000
OURS, CUSTOMER = 1, 0
REGARDING_NAMES = ("", "lead", "opportunity", "account", "contact")
R_NONE, R_LEAD, R_OPPORTUNITY, R_ACCOUNT, R_CONTACT = range(5)
# regarding mix per episode kind: none, lead, opportunity, account, contact
REGARDING_MIX = np.array(
    [
        [0.15, 0.80, 0.00, 0.00, 0.05],
        [0.10, 0.00, 0.70, 0.12, 0.08],
        [0.15, 0.00, 0.00, 0.55, 0.30],
        [0.10, 0.00, 0.00, 0.70, 0.20],
    ]
)
INTENT_WEIGHTS_NOTES = (0.35, 0.15, 0.10, 0.15, 0.07, 0.08, 0.10)
TEXT_LABEL_SCHEMA = pa.schema(
    [
        ("table_name", pa.string()),
        ("record_id", pa.string()),
        ("column_name", pa.string()),
        ("language", pa.string()),
        ("intent", pa.string()),
        ("topic", pa.string()),
        ("mentioned_at", pa.timestamp("us")),
        ("has_time", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class World:
    """Everything activities and notes are generated from."""

    org: Org
    companies: Companies
    contacts: Contacts
    leads: Leads
    opps: Opportunities
    people: People
    ties: Ties
    episodes: Episodes
    timeline: Timeline
    account_created: np.ndarray


Sink = Callable[[str, dict[str, Any]], None]


def plan_chunks(expected: np.ndarray, chunk: int = CHUNK_ACTIVITIES) -> list[np.ndarray]:
    """Consecutive episode ranges of about ``chunk`` expected activities each."""
    cumulative = np.cumsum(expected)
    bounds = np.searchsorted(cumulative, np.arange(chunk, cumulative[-1] if len(cumulative) else 0, chunk))
    edges = np.unique(np.concatenate(([0], bounds, [len(expected)])))
    return [np.arange(lo, hi) for lo, hi in itertools.pairwise(edges) if hi > lo]


# --- shared helpers ------------------------------------------------------------------------------------
def _scatter(values: pa.Array, rows: np.ndarray, n: int) -> pa.Array:
    """Full-length array with ``values`` at ``rows`` and nulls elsewhere."""
    index = np.full(n, len(values), dtype=np.int64)
    index[rows] = np.arange(len(rows))
    return pa.concat_arrays([values, pa.nulls(1, values.type)]).take(pa.array(index))


def _times_in(rng: np.random.Generator, low: np.ndarray, high: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Business-hour moments in [low, high) with density ~ t**shape over the window."""
    u = rng.random(len(low)) ** (1.0 / (1.0 + shape))
    raw = (low + u * np.maximum(high - low, 1)).astype(np.int64)
    day = to_weekday(raw - raw % DAY)
    moment = business_time(rng, day)
    return np.clip(moment, low, np.maximum(high - 10 * MINUTE, low))


def _shape(ep: Episodes, index: np.ndarray) -> np.ndarray:
    kind = ep.kind[index]
    return np.select(
        [kind <= OPPORTUNITY, kind == ONBOARDING], [np.clip(0.6 * ep.drive[index], -0.75, 2.0), -0.5], 0.0
    )


def _customer(rng: np.random.Generator, world: World, episode: np.ndarray, at: np.ndarray) -> np.ndarray:
    """A customer-side person (people index) of each episode, existing at ``at``."""
    ep, people = world.episodes, world.people
    position = segment_choice(rng, episode, ep.cand_offsets, ep.cand_weight)
    person = ep.cand_people[position]
    first = ep.cand_people[ep.cand_offsets[episode]]
    is_contact = people.type_code[person] == 1
    contact_index = np.where(is_contact, person - people.n_users, 0)
    too_new = is_contact & (world.contacts.created[contact_index] > at)
    return np.where(too_new, first, person)


def _ours(
    rng: np.random.Generator, world: World, episode: np.ndarray, customer: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """Our colleague on each interaction: drawn from the contact's ties, the episode owner for leads."""
    people, ties = world.people, world.ties
    is_contact = people.type_code[customer] == 1
    contact = np.where(is_contact, customer - people.n_users, 0)
    has_ties = is_contact & (np.diff(ties.offsets)[contact] > 0)
    user = world.episodes.owner[episode].copy()
    if has_ties.any():
        rows = np.flatnonzero(has_ties)
        user[rows] = ties.user[segment_choice(rng, contact[rows], ties.offsets, ties.weight)]
    return world.org.active(user, at)


def _regarding(
    rng: np.random.Generator,
    world: World,
    episode: np.ndarray,
    customer: np.ndarray,
    at: np.ndarray,
    allow_none: bool = True,
) -> tuple[pa.Array, pa.Array]:
    """Regarding id and logical name per activity, mixed per episode kind (some without regarding)."""
    ep, people = world.episodes, world.people
    kind = ep.kind[episode]
    mix = REGARDING_MIX[kind]
    choice = (rng.random(len(episode))[:, None] > np.cumsum(mix, axis=1)).sum(axis=1)
    record = ep.record[episode]
    company = ep.company[episode]
    is_contact = people.type_code[customer] == 1
    account_ok = ep.account_exists_from[episode] <= at
    natural = np.select([kind == LEAD, kind == OPPORTUNITY], [R_LEAD, R_OPPORTUNITY], R_ACCOUNT)
    choice = np.where((choice == R_CONTACT) & ~is_contact, natural, choice)
    choice = np.where((choice == R_ACCOUNT) & ~account_ok, natural, choice)
    if not allow_none:
        choice = np.where(choice == R_NONE, natural, choice)
    world_ids = pa.concat_arrays([world.leads.id, world.opps.id, world.companies.id, world.people.id])
    n_leads, n_opps, n_comp = len(world.leads.id), len(world.opps.id), len(world.companies.id)
    index = np.select(
        [choice == R_LEAD, choice == R_OPPORTUNITY, choice == R_ACCOUNT, choice == R_CONTACT],
        [record, n_leads + record, n_leads + n_opps + company, n_leads + n_opps + n_comp + customer],
        0,
    )
    ids = _scatter(take(world_ids, index[choice != R_NONE]), np.flatnonzero(choice != R_NONE), len(episode))
    type_names = pa.array(list(REGARDING_NAMES))
    types = _scatter(
        take(type_names, choice[choice != R_NONE]), np.flatnonzero(choice != R_NONE), len(episode)
    )
    return ids, types


def _slots(
    rng: np.random.Generator,
    world: World,
    customer: np.ndarray,
    ours: np.ndarray,
    company: np.ndarray,
    to_person: np.ndarray,
    from_person: np.ndarray,
    lang: np.ndarray,
) -> dict[str, pa.Array]:
    """Row values for the sentence templates."""
    people, org = world.people, world.org
    n = len(customer)
    colleague = rng.integers(0, org.n_users, n)
    new = person_names(rng, lang)
    titles_en = pa.array([t[0] for t in names.CONTACT_TITLES_EN])
    titles_zh = pa.array([t[0] for t in names.CONTACT_TITLES_ZH])
    new_title = pc.if_else(
        pa.array(lang == 1),
        take(titles_zh, rng.integers(0, len(titles_zh), n)),
        take(titles_en, rng.integers(0, len(titles_en), n)),
    )
    domain = take(world.companies.domain, company)
    return {
        "person": take(people.full, customer),
        "seller": take(org.user_names.full, colleague),
        "company": take(world.companies.name, company),
        "to_first": take(people.address, to_person),
        "from_first": take(people.address, from_person),
        "new_name": new.full,
        "new_title": new_title,
        "new_email": pc.binary_join_element_wise(new.local_part, domain, "@"),
        "new_phone": phones(rng, take(world.companies.country, company)),
    }


def _part(
    rng: np.random.Generator,
    rows: np.ndarray,
    category: np.ndarray,
    lang: np.ndarray,
    written: np.ndarray,
    slots: dict[str, pa.Array],
):
    """Render one sentence for the selected ``rows``; returns full-length text (null elsewhere) and mentions."""
    n = len(lang)
    rendered = render_sentences(
        rng, category[rows], lang[rows], written[rows], {k: take(v, rows) for k, v in slots.items()}
    )
    mentioned = np.full(n, -1, dtype=np.int64)
    has_time = np.zeros(n, dtype=bool)
    mentioned[rows] = rendered.mentioned_at
    has_time[rows] = rendered.has_time
    return _scatter(rendered.text, rows, n), mentioned, has_time


def _intent_categories(intent: np.ndarray) -> np.ndarray:
    codes = np.array([category_code(c) for c in text.INTENT_CATEGORIES])
    return codes[intent]


def _separator(lang: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(lang == 1), pa.scalar(""), pa.scalar(" "))


def _labels(
    table: str,
    ids: pa.Array,
    column: str,
    lang: np.ndarray,
    intent: np.ndarray,
    topic: np.ndarray,
    mentioned: np.ndarray,
    has_time: np.ndarray,
) -> pa.Table:
    """Truth rows for texts that contain an intent or a personal topic."""
    keep = np.flatnonzero((intent > 0) | (topic > 0))
    return pa.table(
        {
            "table_name": pa.array([table] * len(keep), pa.string()),
            "record_id": take(ids, keep),
            "column_name": pa.array([column] * len(keep), pa.string()),
            "language": take(pa.array(list(text.LANGUAGES)), lang[keep]),
            "intent": take(pa.array(list(text.INTENTS)), intent[keep]),
            "topic": take(pa.array(list(text.TOPICS)), topic[keep]),
            "mentioned_at": timestamps(mentioned[keep], mentioned[keep] >= 0),
            "has_time": pa.array(has_time[keep]),
        },
        schema=TEXT_LABEL_SCHEMA,
    )


def _language(rng: np.random.Generator, lang: np.ndarray) -> np.ndarray:
    """The episode's language, with one text in twenty in the other language."""
    return np.where(rng.random(len(lang)) < 0.95, lang, 1 - lang)


def _parties(
    activity_ids: pa.Array,
    rows: np.ndarray,
    person: np.ndarray,
    mask: int,
    world: World,
    rng: np.random.Generator,
) -> dict[str, Any]:
    people = world.people
    n = len(rows)
    return {
        "activitypartyid": guids(rng, n),
        "activityid": take(activity_ids, rows),
        "partyid": take(people.id, person),
        "partyobjecttypecode": take(pa.array(list(People.TYPE_NAMES)), people.type_code[person]),
        "participationtypemask": np.full(n, mask, dtype=np.int32),
        "addressused": take(people.email, person),
        "ispartydeleted": np.zeros(n, dtype=bool),
    }


def _concat_parties(parts: list[dict[str, Any]]) -> dict[str, Any]:
    keys = parts[0].keys()
    out: dict[str, Any] = {}
    for key in keys:
        values = [p[key] for p in parts]
        out[key] = pa.concat_arrays(values) if isinstance(values[0], pa.Array) else np.concatenate(values)
    return out


def _clock(moment: np.ndarray, timeline: Timeline) -> np.ndarray:
    return np.minimum(moment, timeline.end - 1)


# --- e-mail threads -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ThreadStarts:
    """Per thread: when it starts, who writes on each side, who is copied and when each side stops."""

    start: np.ndarray
    customer: np.ndarray
    ours: np.ndarray
    initiator: np.ndarray
    cap_ours: np.ndarray
    cap_customer: np.ndarray
    cc_customer: np.ndarray
    cc_ours: np.ndarray


@dataclass(frozen=True)
class _Messages:
    """Every message of every thread, ordered thread by thread (``parent`` indexes these rows, -1 = none)."""

    thread: np.ndarray
    depth: np.ndarray
    side: np.ndarray
    sent: np.ndarray
    parent: np.ndarray
    is_self: np.ndarray


def _thread_starts(rng: np.random.Generator, world: World, e: np.ndarray) -> _ThreadStarts:
    ep, timeline = world.episodes, world.timeline
    n_threads = len(e)
    quiet = ep.quiet_from[e]
    window_end = np.minimum(ep.end[e], quiet)
    chase = (quiet < ep.end[e]) & (rng.random(n_threads) < 0.2)
    low = np.where(chase, np.minimum(quiet, ep.end[e] - HOUR), ep.start[e])
    high = np.where(chase, ep.end[e], window_end)
    start = _times_in(rng, low, high, np.where(chase, 0.0, _shape(ep, e)))
    customer = _customer(rng, world, e, start)
    ours = _ours(rng, world, e, customer, start)
    initiator = np.where((rng.random(n_threads) < ep.customer_initiates[e]) & (start < quiet), CUSTOMER, OURS)
    cap_ours = np.minimum(np.where(ep.closed[e], ep.end[e] + 2 * DAY, timeline.end), timeline.end)
    cap_customer = np.minimum(cap_ours, quiet)
    cc_customer = np.where(rng.random(n_threads) < 0.2, _customer(rng, world, e, start), -1)
    cc_customer = np.where(cc_customer == customer, -1, cc_customer)
    manager = world.org.user_parent[ours]
    cc_ours = np.where((rng.random(n_threads) < 0.1) & (manager >= 0), manager, -1)
    return _ThreadStarts(start, customer, ours, initiator, cap_ours, cap_customer, cc_customer, cc_ours)


def _grow_threads(rng: np.random.Generator, ep: Any, e: np.ndarray, starts: _ThreadStarts) -> _Messages:
    """Grow all threads one level at a time (replies and nudges), then order the messages thread by thread."""
    thread_parts, depth_parts, side_parts, time_parts, parent_parts, self_parts = [], [], [], [], [], []
    alive = np.arange(len(e))
    side = starts.initiator.copy()
    moment = starts.start.copy()
    parent = np.full(len(e), -1, dtype=np.int64)
    is_self = np.zeros(len(e), dtype=bool)
    emitted = 0
    for level in range(MAX_THREAD):
        if len(alive) == 0:
            break
        thread_parts.append(alive)
        depth_parts.append(np.full(len(alive), level))
        side_parts.append(side)
        time_parts.append(moment)
        parent_parts.append(parent)
        self_parts.append(is_self)
        index = emitted + np.arange(len(alive))
        emitted += len(alive)
        ae = e[alive]
        other = 1 - side
        reply_p = reply_probability(
            np.where(other == CUSTOMER, ep.reply_customer[ae], ep.reply_ours[ae]), level
        )
        reply = rng.random(len(alive)) < reply_p
        nudge_p = np.where(side == OURS, NUDGE_OURS, NUDGE_CUSTOMER)
        nudge = ~reply & (rng.random(len(alive)) < nudge_p)
        next_side = np.where(reply, other, side)
        median = (
            np.where(next_side == CUSTOMER, ep.latency_customer_hours[ae], ep.latency_ours_hours[ae]) * HOUR
        )
        reply_latency = median * np.exp(rng.normal(0, 0.9, len(alive)))
        nudge_latency = rng.uniform(2, 6, len(alive)) * DAY
        next_time = moment + np.maximum(np.where(reply, reply_latency, nudge_latency), 3 * MINUTE).astype(
            np.int64
        )
        cap = np.where(next_side == CUSTOMER, starts.cap_customer[alive], starts.cap_ours[alive])
        go_on = (reply | nudge) & (next_time < cap)
        alive, side, moment = alive[go_on], next_side[go_on], next_time[go_on]
        parent, is_self = index[go_on], nudge[go_on]

    thread = np.concatenate(thread_parts)
    depth = np.concatenate(depth_parts)
    all_parents = np.concatenate(parent_parts)
    order = np.lexsort((depth, thread))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return _Messages(
        thread=thread[order],
        depth=depth[order],
        side=np.concatenate(side_parts)[order],
        sent=np.concatenate(time_parts)[order],
        parent=np.where(all_parents[order] >= 0, rank[np.maximum(all_parents[order], 0)], -1),
        is_self=np.concatenate(self_parts)[order],
    )


def _conversation_index(
    rng: np.random.Generator, messages: _Messages, n_threads: int, thread_start: np.ndarray
) -> pa.Array:
    """conversationindex: a 22-byte header per thread + one 5-byte block per reply level (hex)."""
    n, thread = len(messages.thread), messages.thread
    header = hex_tokens(rng, n_threads, 22, upper=True)
    block = hex_tokens(rng, n, 5, upper=True)
    pieces_per_message = messages.depth + 1
    flat_message = np.repeat(np.arange(n), pieces_per_message)
    flat_position = np.arange(len(flat_message)) - np.repeat(
        np.cumsum(pieces_per_message) - pieces_per_message, pieces_per_message
    )
    flat_index = np.where(
        flat_position == 0,
        thread[flat_message],
        n_threads + thread_start[thread[flat_message]] + flat_position,
    )
    pieces = pa.concat_arrays([header, block]).take(pa.array(flat_index))
    offsets = np.concatenate(([0], np.cumsum(pieces_per_message))).astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), pieces), "")


def _email_subjects(
    rng: np.random.Generator,
    messages: _Messages,
    thread_start: np.ndarray,
    thread_lang: np.ndarray,
    slots: dict[str, Any],
) -> pa.Array:
    """One rendered subject per thread, ``RE: `` on every reply."""
    n_threads, n = len(thread_start), len(messages.thread)
    subject_thread = render_sentences(
        rng,
        np.full(n_threads, category_code("subject_email")),
        thread_lang,
        messages.sent[thread_start],
        {k: take(v, thread_start) for k, v in slots.items()},
    ).text
    subject = take(subject_thread, messages.thread)
    return pc.if_else(
        pa.array(messages.depth > 0),
        pc.binary_join_element_wise(pa.array(["RE: "] * n), subject, ""),
        subject,
    )


def _email_bodies(
    rng: np.random.Generator,
    drive: np.ndarray,
    messages: _Messages,
    lang: np.ndarray,
    slots: dict[str, Any],
    activity_id: pa.Array,
    labels: list[pa.Table],
) -> pa.Array:
    """Greeting, small talk, the core sentence, actionable sentences and sign-off; their labels."""
    n, depth, is_self, sent = len(messages.thread), messages.depth, messages.is_self, messages.sent
    outgoing = messages.side == OURS
    positive = sigmoid(1.2 * drive)
    mood = rng.random(n)
    customer_reply = np.where(
        mood < positive * 0.8,
        category_code("reply_positive"),
        np.where(
            mood < positive * 0.8 + 0.3, category_code("reply_neutral"), category_code("reply_negative")
        ),
    )
    core = np.select(
        [is_self, (depth == 0) & outgoing, depth == 0, outgoing],
        [
            category_code("nudge"),
            category_code("open_ours"),
            category_code("open_customer"),
            category_code("reply_ours"),
        ],
        customer_reply,
    )
    all_rows = np.arange(n)
    greeting, _, _ = _part(rng, all_rows, np.full(n, category_code("greeting")), lang, sent, slots)
    body, _, _ = _part(rng, all_rows, core, lang, sent, slots)
    signoff, _, _ = _part(rng, all_rows, np.full(n, category_code("signoff")), lang, sent, slots)
    # personal small talk in a minority of inbound e-mails
    topic = np.where(
        ~outgoing & ~is_self & (rng.random(n) < 0.05 + 0.04 * (drive > 0)), rng.integers(1, 5, n), 0
    )
    topic_codes = np.array([0] + [category_code(c) for c in text.TOPIC_CATEGORIES[1:]])
    personal, _, _ = _part(rng, np.flatnonzero(topic > 0), topic_codes[topic], lang, sent, slots)
    # actionable sentences
    ours_intent = rng.choice([1, 3, 5, 2], size=n, p=[0.35, 0.35, 0.15, 0.15])
    their_intent = rng.choice([1, 2, 4, 5, 6, 3], size=n, p=[0.25, 0.15, 0.12, 0.2, 0.18, 0.1])
    intent = np.where(
        rng.random(n) < np.where(outgoing, 0.15, 0.2), np.where(outgoing, ours_intent, their_intent), 0
    )
    intent = np.where(is_self, 0, intent)
    action, mentioned, has_time = _part(
        rng, np.flatnonzero(intent > 0), _intent_categories(intent), lang, sent, slots
    )
    labels.append(_labels("email", activity_id, "description", lang, intent, topic, mentioned, has_time))
    return join([greeting, personal, body, action, signoff], _separator(lang))


def _emails(
    rng: np.random.Generator, world: World, episode_of_thread: np.ndarray, sink: Sink, labels: list[pa.Table]
) -> int:
    ep, timeline, people = world.episodes, world.timeline, world.people
    n_threads = len(episode_of_thread)
    if n_threads == 0:
        return 0
    e = episode_of_thread
    starts = _thread_starts(rng, world, e)
    customer, ours = starts.customer, starts.ours
    messages = _grow_threads(rng, ep, e, starts)
    thread, sent, parent = messages.thread, messages.sent, messages.parent
    n = len(thread)
    te = e[thread]
    outgoing = messages.side == OURS
    sender = np.where(outgoing, ours[thread], customer[thread])
    recipient = np.where(outgoing, customer[thread], ours[thread])

    activity_id = guids(rng, n)
    sender_email = take(people.email, sender)
    domain = pc.replace_substring_regex(sender_email, "^[^@]*@", "")
    message_id = pc.binary_join_element_wise(
        pa.array(["<"] * n), hex_tokens(rng, n, 12), pa.array(["@"] * n), domain, pa.array([">"] * n), ""
    )
    has_parent = parent >= 0
    in_reply_to = _scatter(take(message_id, parent[has_parent]), np.flatnonzero(has_parent), n)
    parent_activity = _scatter(take(activity_id, parent[has_parent]), np.flatnonzero(has_parent), n)
    thread_start = np.searchsorted(thread, np.arange(n_threads))
    conversation_index = _conversation_index(rng, messages, n_threads, thread_start)

    # texts
    thread_lang = _language(rng, ep.lang[e])  # one language per thread
    lang = thread_lang[thread]
    slots = _slots(rng, world, customer[thread], ours[thread], ep.company[te], recipient, sender, lang)
    subject = _email_subjects(rng, messages, thread_start, thread_lang, slots)
    description = _email_bodies(rng, ep.drive[te], messages, lang, slots, activity_id, labels)

    regarding_id, regarding_type = _regarding(rng, world, e, customer, starts.start)
    created = np.where(
        outgoing,
        np.clip(sent - rng.integers(1, 15, n) * MINUTE, np.minimum(ep.start[te], sent), sent),
        _clock(sent + rng.integers(5, 120, n), timeline),
    )
    modified = np.maximum(created, _clock(sent + rng.integers(1, 30, n), timeline))
    sink(
        "email",
        {
            "activityid": activity_id,
            "subject": subject,
            "description": description,
            "regardingobjectid": take(regarding_id, thread),
            "regardingobjecttypecode": take(regarding_type, thread),
            "statecode": np.ones(n, np.int32),
            "statuscode": np.where(outgoing, 3, 4).astype(np.int32),
            "prioritycode": np.where(rng.random(n) < 0.05, 2, 1).astype(np.int32),
            "directioncode": outgoing,
            "sender": sender_email,
            "torecipients": take(people.email, recipient),
            "senton": timestamps(sent),
            "messageid": message_id,
            "inreplyto": in_reply_to,
            "conversationindex": conversation_index,
            "parentactivityid": parent_activity,
            "actualend": timestamps(sent),
            "ownerid": take(world.org.user_id, ours[thread]),
            "owneridtype": pa.array(["systemuser"] * n),
            "createdon": timestamps(created),
            "modifiedon": timestamps(modified),
        },
    )
    sink("activityparty", _email_parties(rng, world, activity_id, sender, recipient, starts, thread))
    return n


def _email_parties(
    rng: np.random.Generator,
    world: World,
    activity_id: pa.StringArray,
    sender: np.ndarray,
    recipient: np.ndarray,
    starts: _ThreadStarts,
    thread: np.ndarray,
) -> dict[str, Any]:
    """Party rows of each e-mail: sender, recipient and the thread's cc on either side."""
    all_rows = np.arange(len(thread))
    parts = [
        _parties(activity_id, all_rows, sender, 1, world, rng),
        _parties(activity_id, all_rows, recipient, 2, world, rng),
    ]
    cc_c = starts.cc_customer[thread]
    rows = np.flatnonzero(cc_c >= 0)
    parts.append(_parties(activity_id, rows, cc_c[rows], 3, world, rng))
    cc_o = starts.cc_ours[thread]
    rows = np.flatnonzero(cc_o >= 0)
    parts.append(_parties(activity_id, rows, cc_o[rows], 3, world, rng))
    return _concat_parties(parts)


# --- phone calls -------------------------------------------------------------------------------------------
def _calls(
    rng: np.random.Generator,
    world: World,
    e: np.ndarray,
    future: np.ndarray,
    sink: Sink,
    labels: list[pa.Table],
) -> int:
    ep, timeline, people = world.episodes, world.timeline, world.people
    n = len(e)
    if n == 0:
        return 0
    quiet = ep.quiet_from[e]
    past_time = _times_in(rng, ep.start[e], ep.end[e], _shape(ep, e))
    future_time = _future_moment(rng, n, timeline)
    at = np.where(future, future_time, past_time)
    customer = _customer(rng, world, e, np.minimum(at, timeline.end - 1))
    ours = _ours(rng, world, e, customer, np.minimum(at, timeline.end - 1))
    drive = ep.drive[e]
    speaking = at < quiet
    incoming = ~future & speaking & (rng.random(n) < 0.7 * ep.customer_initiates[e])
    answered = incoming | (speaking & (rng.random(n) < sigmoid(0.3 + 0.8 * drive)))
    answered &= ~future
    voicemail = ~future & ~answered & (rng.random(n) < 0.6)
    minutes = np.where(
        answered,
        np.clip(np.exp(rng.normal(np.log(9) + 0.2 * drive, 0.6, n)), 1, 90).astype(np.int64),
        np.where(voicemail, 1, 0),
    )
    lang = _language(rng, ep.lang[e])
    company = ep.company[e]
    caller = np.where(incoming, customer, ours)
    callee = np.where(incoming, ours, customer)
    slots = _slots(rng, world, customer, ours, company, callee, caller, lang)
    activity_id = guids(rng, n)
    subject, description = _call_texts(rng, activity_id, answered, future, lang, at, slots, labels)
    regarding_id, regarding_type = _regarding(rng, world, e, customer, np.minimum(at, timeline.end - 1))

    done = ~future
    end = at + minutes * MINUTE
    created = np.where(future, _created_before(rng, ep.start[e], timeline), _clock(end, timeline))
    modified = np.where(future, created, _clock(end + rng.integers(0, 600, n), timeline))
    scheduled = future | (rng.random(n) < 0.3)
    sink(
        "phonecall",
        {
            "activityid": activity_id,
            "subject": subject,
            "description": description,
            "regardingobjectid": regarding_id,
            "regardingobjecttypecode": regarding_type,
            "statecode": np.where(future, 0, 1).astype(np.int32),
            "statuscode": np.select([future, incoming], [1, 4], 2).astype(np.int32),
            "prioritycode": np.ones(n, np.int32),
            "directioncode": ~incoming,
            "phonenumber": take(people.phone, customer),
            "leftvoicemail": voicemail,
            "actualstart": timestamps(at, done),
            "actualend": timestamps(end, done),
            "actualdurationminutes": masked(minutes, done, pa.int64()),
            "scheduledstart": timestamps(at, scheduled),
            "scheduledend": timestamps(at + 30 * MINUTE, scheduled),
            "scheduleddurationminutes": masked(np.full(n, 30), scheduled, pa.int64()),
            "ownerid": take(world.org.user_id, ours),
            "owneridtype": pa.array(["systemuser"] * n),
            "createdon": timestamps(created),
            "modifiedon": timestamps(np.maximum(modified, created)),
        },
    )
    rows = np.arange(n)
    sink(
        "activityparty",
        _concat_parties(
            [
                _parties(activity_id, rows, caller, 1, world, rng),
                _parties(activity_id, rows, callee, 2, world, rng),
            ]
        ),
    )
    return n


def _call_texts(
    rng: np.random.Generator,
    activity_id: pa.StringArray,
    answered: np.ndarray,
    future: np.ndarray,
    lang: np.ndarray,
    at: np.ndarray,
    slots: dict[str, pa.Array],
    labels: list[pa.Table],
) -> tuple[pa.Array, pa.StringArray]:
    """Subject and description of each call (a summary when answered or planned); labels go to ``labels``."""
    n = len(lang)
    subject = render_sentences(rng, np.full(n, category_code("subject_call")), lang, at, slots).text
    intent = np.where(
        answered & (rng.random(n) < 0.45),
        rng.choice(np.arange(1, 7), size=n, p=[0.25, 0.25, 0.2, 0.08, 0.12, 0.1]),
        0,
    )
    summary_rows = np.flatnonzero(answered | future)
    plain, _, _ = _part(rng, summary_rows, np.full(n, category_code("plain")), lang, at, slots)
    action, mentioned, has_time = _part(
        rng, np.flatnonzero(intent > 0), _intent_categories(intent), lang, at, slots
    )
    description = join([plain, action], _separator(lang))
    labels.append(
        _labels(
            "phonecall", activity_id, "description", lang, intent, np.zeros(n, np.int64), mentioned, has_time
        )
    )
    return subject, description


def _future_moment(rng: np.random.Generator, n: int, timeline: Timeline) -> np.ndarray:
    """Business-hour moments in the weeks after the end date."""
    day = timeline.end + (rng.exponential(7.0, n).astype(np.int64) + 1) * DAY
    moment = business_time(rng, to_weekday(day))
    return moment - moment % (30 * MINUTE)


def _created_before(rng: np.random.Generator, not_before: np.ndarray, timeline: Timeline) -> np.ndarray:
    """When a future activity was put in the calendar: within the last ten days before the end date."""
    created = timeline.end - rng.integers(HOUR, 10 * DAY, len(not_before))
    return np.clip(created, np.minimum(not_before, timeline.end - 1), timeline.end - 1)


# --- meetings ----------------------------------------------------------------------------------------------
def _meetings(
    rng: np.random.Generator,
    world: World,
    e: np.ndarray,
    future: np.ndarray,
    sink: Sink,
    labels: list[pa.Table],
) -> int:
    ep, timeline = world.episodes, world.timeline
    n = len(e)
    if n == 0:
        return 0
    duration = rng.choice([30, 45, 60, 60, 90, 120], size=n)
    past_end = np.minimum(ep.end[e], timeline.end - duration * MINUTE - HOUR)
    past = _times_in(rng, ep.start[e], np.maximum(past_end, ep.start[e] + HOUR), _shape(ep, e))
    past = past + (-past) % (30 * MINUTE)  # on the half hour, not before the episode starts
    at = np.where(future, _future_moment(rng, n, timeline), past)
    clock = np.minimum(at, timeline.end - 1)
    customer = _customer(rng, world, e, clock)
    ours = _ours(rng, world, e, customer, clock)
    drive = ep.drive[e]
    cancel_p = 0.04 + 0.12 * sigmoid(-drive)
    canceled = ~future & ((rng.random(n) < cancel_p) | (at >= ep.quiet_from[e]))
    completed = ~future & ~canceled
    lang = _language(rng, ep.lang[e])
    company = ep.company[e]
    slots = _slots(rng, world, customer, ours, company, customer, ours, lang)
    activity_id = guids(rng, n)
    subject, description = _meeting_texts(rng, activity_id, lang, clock, slots, labels)
    regarding_id, regarding_type = _regarding(rng, world, e, customer, clock)
    locations = pc.if_else(
        pa.array(lang == 1),
        take(pa.array(names.MEETING_LOCATIONS_ZH), rng.integers(0, len(names.MEETING_LOCATIONS_ZH), n)),
        take(pa.array(names.MEETING_LOCATIONS_EN), rng.integers(0, len(names.MEETING_LOCATIONS_EN), n)),
    )
    end = at + duration * MINUTE
    slip = rng.integers(-5, 10, n) * MINUTE
    actual_start = at + np.maximum(slip, 0)
    actual_end = np.maximum(end + slip, actual_start + 10 * MINUTE)
    booked = at - rng.integers(1, 10, n) * DAY - rng.integers(0, 8 * HOUR, n)
    created = np.where(
        future,
        _created_before(rng, ep.start[e], timeline),
        np.minimum(np.maximum(booked, np.minimum(ep.start[e], at)), at),
    )
    modified = np.select(
        [completed, canceled],
        [
            _clock(actual_end + rng.integers(0, HOUR, n), timeline),
            created + ((clock - created) * rng.random(n)).astype(np.int64),
        ],
        created,
    )
    sink(
        "appointment",
        {
            "activityid": activity_id,
            "subject": subject,
            "description": description,
            "regardingobjectid": regarding_id,
            "regardingobjecttypecode": regarding_type,
            "statecode": np.select([future, canceled], [3, 2], 1).astype(np.int32),
            "statuscode": np.select([future, canceled], [5, 4], 3).astype(np.int32),
            "prioritycode": np.ones(n, np.int32),
            "location": locations,
            "actualstart": timestamps(actual_start, completed),
            "actualend": timestamps(actual_end, completed),
            "actualdurationminutes": masked((actual_end - actual_start) // MINUTE, completed, pa.int64()),
            "scheduledstart": timestamps(at),
            "scheduledend": timestamps(end),
            "scheduleddurationminutes": duration.astype(np.int64),
            "ownerid": take(world.org.user_id, ours),
            "owneridtype": pa.array(["systemuser"] * n),
            "createdon": timestamps(created),
            "modifiedon": timestamps(np.maximum(modified, created)),
        },
    )
    sink("activityparty", _meeting_attendees(rng, world, e, activity_id, ours, customer, clock))
    return n


def _meeting_texts(
    rng: np.random.Generator,
    activity_id: pa.StringArray,
    lang: np.ndarray,
    clock: np.ndarray,
    slots: dict[str, pa.Array],
    labels: list[pa.Table],
) -> tuple[pa.Array, pa.StringArray]:
    """Subject and description of each meeting; their text labels are appended to ``labels``."""
    n = len(lang)
    subject = render_sentences(rng, np.full(n, category_code("subject_meeting")), lang, clock, slots).text
    intent = np.where(
        rng.random(n) < 0.5, rng.choice(np.arange(1, 7), size=n, p=[0.2, 0.1, 0.3, 0.12, 0.18, 0.1]), 0
    )
    plain, _, _ = _part(
        rng, np.flatnonzero(rng.random(n) < 0.6), np.full(n, category_code("plain")), lang, clock, slots
    )
    action, mentioned, has_time = _part(
        rng, np.flatnonzero(intent > 0), _intent_categories(intent), lang, clock, slots
    )
    description = join([plain, action], _separator(lang))
    labels.append(
        _labels(
            "appointment",
            activity_id,
            "description",
            lang,
            intent,
            np.zeros(n, np.int64),
            mentioned,
            has_time,
        )
    )
    return subject, description


def _meeting_attendees(
    rng: np.random.Generator,
    world: World,
    e: np.ndarray,
    activity_id: pa.StringArray,
    ours: np.ndarray,
    customer: np.ndarray,
    clock: np.ndarray,
) -> dict[str, Any]:
    """Party rows: our organizer; the customer contact plus colleagues (required); presales, managers,
    others (optional)."""
    n = len(e)
    drive = world.episodes.drive[e]
    rows = np.arange(n)
    parts = [
        _parties(activity_id, rows, ours, 7, world, rng),
        _parties(activity_id, rows, customer, 5, world, rng),
    ]
    extra = rng.poisson(0.4 + 0.6 * (drive > 0), n)
    extra_rows = np.repeat(rows, extra)
    extra_people = _customer(rng, world, e[extra_rows], clock[extra_rows])
    keep = extra_people != customer[extra_rows]
    extra_rows, extra_people = extra_rows[keep], extra_people[keep]
    # one row per person and meeting
    _, first = np.unique(extra_rows * world.people.id.__len__() + extra_people, return_index=True)
    first = np.sort(first)
    optional = rng.random(len(first)) < 0.3
    parts.append(
        _parties(activity_id, extra_rows[first][~optional], extra_people[first][~optional], 5, world, rng)
    )
    parts.append(
        _parties(activity_id, extra_rows[first][optional], extra_people[first][optional], 6, world, rng)
    )
    team = world.companies.team[world.episodes.company[e]]
    presales = world.org.team_member(team, PRESALES)
    with_presales = np.flatnonzero((presales >= 0) & (presales != ours) & (rng.random(n) < 0.3))
    parts.append(_parties(activity_id, with_presales, presales[with_presales], 5, world, rng))
    manager = world.org.team_member(team, MANAGER)
    with_manager = np.flatnonzero((manager >= 0) & (manager != ours) & (rng.random(n) < 0.15))
    parts.append(_parties(activity_id, with_manager, manager[with_manager], 6, world, rng))
    return _concat_parties(parts)


# --- tasks ---------------------------------------------------------------------------------------------------
def _tasks(
    rng: np.random.Generator,
    world: World,
    e: np.ndarray,
    future: np.ndarray,
    sink: Sink,
    labels: list[pa.Table],
) -> int:
    ep, timeline = world.episodes, world.timeline
    n = len(e)
    if n == 0:
        return 0
    created_past = _times_in(rng, ep.start[e], ep.end[e], _shape(ep, e))
    created = np.where(future, _created_before(rng, ep.start[e], timeline), created_past)
    due_day = to_weekday(created - created % DAY + rng.integers(1, 10, n) * DAY)
    due = np.where(future, _future_moment(rng, n, timeline), business_time(rng, due_day))
    customer = _customer(rng, world, e, created)
    ours = _ours(rng, world, e, customer, created)
    drive = ep.drive[e]
    done_at = due + (rng.normal(-0.5, 1.5, n) * DAY).astype(np.int64)
    done_at = np.maximum(done_at, created + HOUR)
    canceled = ~future & (rng.random(n) < 0.04)
    completed = ~future & ~canceled & (rng.random(n) < sigmoid(1.4 + 0.3 * drive)) & (done_at < timeline.end)
    open_ = ~completed & ~canceled
    minutes = rng.choice([15, 30, 30, 45, 60, 90, 120], size=n)
    lang = _language(rng, ep.lang[e])
    company = ep.company[e]
    slots = _slots(rng, world, customer, ours, company, customer, ours, lang)
    activity_id = guids(rng, n)
    subject = render_sentences(rng, np.full(n, category_code("subject_task")), lang, created, slots).text
    intent = np.where(rng.random(n) < 0.5, rng.choice([3, 1, 2, 5], size=n, p=[0.6, 0.15, 0.15, 0.1]), 0)
    action, mentioned, has_time = _part(
        rng, np.flatnonzero(intent > 0), _intent_categories(intent), lang, created, slots
    )
    labels.append(
        _labels("task", activity_id, "description", lang, intent, np.zeros(n, np.int64), mentioned, has_time)
    )
    regarding_id, regarding_type = _regarding(rng, world, e, customer, created, allow_none=False)
    open_status = rng.choice([2, 3, 4, 7], size=n, p=[0.5, 0.3, 0.12, 0.08])
    modified = np.select(
        [completed, canceled],
        [_clock(done_at, timeline), _clock(created + (due - created) // 2, timeline)],
        _clock(created + ((timeline.end - created) * rng.random(n) * 0.2).astype(np.int64), timeline),
    )
    sink(
        "task",
        {
            "activityid": activity_id,
            "subject": subject,
            "description": action,
            "regardingobjectid": regarding_id,
            "regardingobjecttypecode": regarding_type,
            "statecode": np.select([completed, canceled], [1, 2], 0).astype(np.int32),
            "statuscode": np.select([completed, canceled], [5, 6], open_status).astype(np.int32),
            "prioritycode": rng.choice([0, 1, 2], size=n, p=[0.15, 0.7, 0.15]).astype(np.int32),
            "percentcomplete": np.select([completed, open_ & (open_status == 3)], [100, 50], 0).astype(
                np.int64
            ),
            "actualstart": timestamps(done_at - minutes * MINUTE, completed),
            "actualend": timestamps(done_at, completed),
            "actualdurationminutes": masked(minutes, completed, pa.int64()),
            # a future task starts on its due day; a past one when it was created
            "scheduledstart": timestamps(
                np.where(future, np.maximum(due - due % DAY + 8 * HOUR, timeline.end), created)
            ),
            "scheduledend": timestamps(due),
            "ownerid": take(world.org.user_id, ours),
            "owneridtype": pa.array(["systemuser"] * n),
            "createdon": timestamps(created),
            "modifiedon": timestamps(np.maximum(modified, created)),
        },
    )
    return n


# --- one chunk -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkCounts:
    email: int
    phonecall: int
    appointment: int
    task: int

    @property
    def total(self) -> int:
        return self.email + self.phonecall + self.appointment + self.task


def generate_chunk(
    rng: np.random.Generator, world: World, episodes: np.ndarray, sink: Sink
) -> tuple[ChunkCounts, pa.Table]:
    """Generate and hand to ``sink`` every activity of the given episodes; returns counts and text labels."""
    ep = world.episodes
    thread_length = expected_thread_length(
        ep.reply_customer[episodes], ep.reply_ours[episodes], ep.customer_initiates[episodes]
    )
    units = ep.expected[episodes] / activities_per_unit(thread_length, ep.meeting_share[episodes])
    threads = rng.poisson(units * THREAD_RATE)
    calls = rng.poisson(units * CALL_RATE)
    meetings = rng.poisson(units * ep.meeting_share[episodes])
    tasks = rng.poisson(units * TASK_RATE)
    hopeful = ep.open_at_end[episodes] & (ep.quiet_from[episodes] >= world.timeline.end)
    future_rate = np.where(ep.kind[episodes] == ACCOUNT, 0.08, 0.25 + 1.2 * sigmoid(ep.drive[episodes]))
    future_n = np.where(hopeful, rng.poisson(future_rate), 0)
    future_kind = rng.choice(3, size=int(future_n.sum()), p=[0.35, 0.4, 0.25])  # call, meeting, task
    future_episode = np.repeat(episodes, future_n)

    def with_future(counts: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        past = np.repeat(episodes, counts)
        fut = future_episode[future_kind == k]
        return np.concatenate((past, fut)), np.concatenate(
            (np.zeros(len(past), bool), np.ones(len(fut), bool))
        )

    labels: list[pa.Table] = []
    n_email = _emails(rng, world, np.repeat(episodes, threads), sink, labels)
    n_call = _calls(rng, world, *with_future(calls, 0), sink, labels)
    n_meeting = _meetings(rng, world, *with_future(meetings, 1), sink, labels)
    n_task = _tasks(rng, world, *with_future(tasks, 2), sink, labels)
    table = pa.concat_tables(labels) if labels else TEXT_LABEL_SCHEMA.empty_table()
    return ChunkCounts(n_email, n_call, n_meeting, n_task), table
