"""Who talks to whom, and the engagement episodes activities are generated from.

* **Stakeholders**: the contacts involved in each opportunity (its contact plus colleagues; more of them
  on deals that go well) and the sales-team members (presales, manager) helping the owner.
* **Ties**: per contact, the colleagues who talk to them and how strongly (a weight). Every activity
  with a contact picks our side from the contact's ties, so the ties are the ground truth of
  who-knows-whom. The account owner and the owners of the contact's leads and opportunities get strong
  ties; some contacts have a hidden strong tie to another colleague (a presales engineer, a manager).
* **Episodes**: a lead's life, an opportunity's life, an account's background relationship, and the
  onboarding after a win. Each carries the engagement driver ``drive`` (standardised propensity plus
  a smaller push from the outcome) that sets how often and how fast both sides interact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa

from rapport.sample import model
from rapport.sample.arrays import DAY, sigmoid
from rapport.sample.records import (
    LEAD_OPEN,
    MANAGER,
    NEVER,
    OPP_OPEN,
    OPP_WON,
    PRESALES,
    SELLER,
    Companies,
    Contacts,
    Leads,
    Opportunities,
    Org,
    Timeline,
)

LEAD, OPPORTUNITY, ACCOUNT, ONBOARDING = range(4)
EPISODE_KINDS = ("lead", "opportunity", "account", "onboarding")

STAKEHOLDER_ROLES = ("Stakeholder", "Decision Maker", "Influencer", "Economic Buyer", "Technical Evaluator")
SALES_TEAM_ROLES = ("Sales Professional", "Technical Sales Professional", "Sales Manager", "Account Manager")


@dataclass(frozen=True)
class People:
    """One index space over every party: users, then contacts, then leads."""

    n_users: int
    n_contacts: int
    id: pa.StringArray
    type_code: np.ndarray  # 0 systemuser, 1 contact, 2 lead
    email: pa.StringArray
    full: pa.StringArray
    address: pa.StringArray
    phone: pa.StringArray
    lang: np.ndarray

    TYPE_NAMES = ("systemuser", "contact", "lead")

    def contact(self, index: np.ndarray) -> np.ndarray:
        return self.n_users + index

    def lead(self, index: np.ndarray) -> np.ndarray:
        return self.n_users + self.n_contacts + index


def build_people(org: Org, contacts: Contacts, leads: Leads) -> People:
    n_users, n_contacts, n_leads = org.n_users, len(contacts), len(leads.company)
    user_phone = pa.array(["+1 425 555 0100"] * n_users)
    return People(
        n_users=n_users,
        n_contacts=n_contacts,
        id=pa.concat_arrays([org.user_id, contacts.id, leads.id]),
        type_code=np.concatenate(
            (np.zeros(n_users, np.int8), np.ones(n_contacts, np.int8), np.full(n_leads, 2, np.int8))
        ),
        email=pa.concat_arrays([org.user_email, contacts.email, leads.email]),
        full=pa.concat_arrays([org.user_names.full, contacts.names.full, leads.names.full]),
        address=pa.concat_arrays([org.user_names.address, contacts.names.address, leads.names.address]),
        phone=pa.concat_arrays([user_phone, contacts.phone, leads.phone]),
        lang=np.concatenate((org.user_lang, contacts.lang, leads.lang)),
    )


@dataclass(frozen=True)
class Stakeholders:
    """Contacts per opportunity (CSR) with their role, and sales-team members per opportunity."""

    offsets: np.ndarray
    contact: np.ndarray
    role: np.ndarray  # index into STAKEHOLDER_ROLES
    team_opportunity: np.ndarray
    team_user: np.ndarray
    team_role: np.ndarray  # index into SALES_TEAM_ROLES


def build_stakeholders(
    rng: np.random.Generator, org: Org, companies: Companies, contacts: Contacts, opps: Opportunities
) -> Stakeholders:
    n = len(opps)
    drive = model.standardise(opps.attribute_logit + opps.latent_logit)
    sizes = np.diff(contacts.company_offsets)[opps.company]
    extra = np.minimum(rng.poisson(0.4 + 1.2 * sigmoid(drive)), np.maximum(sizes - 1, 0))
    counts = 1 + extra
    opp_of = np.repeat(np.arange(n), counts)
    first = np.zeros(len(opp_of), bool)
    first[np.concatenate(([0], np.cumsum(counts)[:-1]))] = True
    random_pick = contacts.company_order[
        contacts.company_offsets[opps.company[opp_of]]
        + (rng.random(len(opp_of)) * sizes[opp_of]).astype(np.int64)
    ]
    contact = np.where(first, opps.contact[opp_of], random_pick)
    # drop repeats of the same contact on one opportunity
    key = opp_of * (len(contacts) + 1) + contact
    _, keep = np.unique(key, return_index=True)
    keep = np.sort(keep)
    opp_of, contact, first = opp_of[keep], contact[keep], first[keep]
    role = np.where(
        contacts.decision_maker[contact].astype(bool) & (rng.random(len(contact)) < 0.7),
        1,
        rng.choice([0, 2, 3, 4], size=len(contact), p=[0.4, 0.3, 0.1, 0.2]),
    )
    offsets = np.searchsorted(opp_of, np.arange(n + 1), side="left")

    team = companies.team[opps.company]
    presales = org.team_member(team, PRESALES)
    manager = org.team_member(team, MANAGER)
    with_presales = (presales >= 0) & (rng.random(n) < 0.25 + 0.4 * sigmoid(drive))
    with_manager = (manager >= 0) & (rng.random(n) < 0.2)
    team_opportunity = np.concatenate(
        (np.arange(n), np.flatnonzero(with_presales), np.flatnonzero(with_manager))
    )
    team_user = np.concatenate((opps.owner, presales[with_presales], manager[with_manager]))
    team_role = np.concatenate(
        (
            np.zeros(n, np.int64),
            np.ones(int(with_presales.sum()), np.int64),
            np.full(int(with_manager.sum()), 2, np.int64),
        )
    )
    return Stakeholders(offsets, contact, role, team_opportunity, team_user, team_role)


@dataclass(frozen=True)
class Ties:
    """Per contact (CSR over contacts), the colleagues who interact with them and the weights."""

    offsets: np.ndarray
    user: np.ndarray
    weight: np.ndarray


def build_ties(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    leads: Leads,
    opps: Opportunities,
    stakeholders: Stakeholders,
    account_owner: np.ndarray,
) -> Ties:
    """Latent tie strengths between contacts and colleagues (see the module docstring)."""
    n_contacts = len(contacts)
    parts_contact: list[np.ndarray] = []
    parts_user: list[np.ndarray] = []
    parts_weight: list[np.ndarray] = []

    def add(contact: np.ndarray, user: np.ndarray, weight: np.ndarray | float) -> None:
        ok = (contact >= 0) & (user >= 0)
        parts_contact.append(contact[ok])
        parts_user.append(user[ok])
        parts_weight.append(
            np.asarray(weight, dtype=np.float64)[ok]
            if np.ndim(weight)
            else np.full(int(ok.sum()), float(weight))
        )

    all_contacts = np.arange(n_contacts)
    add(all_contacts, account_owner[contacts.company], rng.gamma(4.0, 0.5, n_contacts))
    with_contact = leads.contact >= 0
    add(leads.contact[with_contact], leads.owner[with_contact], 1.0)
    add(opps.contact, opps.owner, 2.0)
    opp_of_stakeholder = np.repeat(np.arange(len(opps)), np.diff(stakeholders.offsets))
    add(stakeholders.contact, opps.owner[opp_of_stakeholder], 1.0)
    presales = stakeholders.team_role == 1
    add(opps.contact[stakeholders.team_opportunity[presales]], stakeholders.team_user[presales], 0.8)

    team = companies.team[contacts.company]
    members_by_team = [
        np.flatnonzero((org.user_team == k) & np.isin(org.user_role, (SELLER, MANAGER, PRESALES)))
        for k in range(len(org.team_region))
    ]
    sizes = np.array([len(m) for m in members_by_team])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    flat_members = np.concatenate(members_by_team)
    n_extra = rng.poisson(1.0, n_contacts)
    extra_contact = np.repeat(all_contacts, n_extra)
    extra_user = flat_members[
        starts[team[extra_contact]]
        + (rng.random(len(extra_contact)) * sizes[team[extra_contact]]).astype(np.int64)
    ]
    add(extra_contact, extra_user, rng.gamma(1.5, 0.5, len(extra_contact)))
    hidden = np.flatnonzero(rng.random(n_contacts) < HIDDEN_TIE_SHARE)
    hidden_user = flat_members[
        starts[team[hidden]] + (rng.random(len(hidden)) * sizes[team[hidden]]).astype(np.int64)
    ]
    add(hidden, hidden_user, rng.uniform(4.0, 9.0, len(hidden)))

    contact = np.concatenate(parts_contact)
    user = np.concatenate(parts_user)
    weight = np.concatenate(parts_weight)
    key = contact * org.n_users + user
    unique_key, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=weight)
    contact_u = unique_key // org.n_users
    offsets = np.searchsorted(contact_u, np.arange(n_contacts + 1), side="left")
    return Ties(offsets=offsets, user=unique_key % org.n_users, weight=summed)


@dataclass(frozen=True)
class Episodes:
    """Engagement episodes; customer-side candidates per episode in CSR form (people indices, weights)."""

    kind: np.ndarray
    record: np.ndarray
    company: np.ndarray
    start: np.ndarray
    end: np.ndarray  # close moment, or the timeline end when still open
    quiet_from: np.ndarray  # the customer stops answering from here (NEVER if not)
    closed: np.ndarray
    open_at_end: np.ndarray
    drive: np.ndarray
    owner: np.ndarray
    lang: np.ndarray
    account_exists_from: np.ndarray  # the company is an account from this moment (NEVER for prospects)
    expected: np.ndarray  # expected number of activities
    reply_customer: np.ndarray
    reply_ours: np.ndarray
    latency_customer_hours: np.ndarray
    latency_ours_hours: np.ndarray
    customer_initiates: np.ndarray
    meeting_share: np.ndarray
    cand_offsets: np.ndarray
    cand_people: np.ndarray
    cand_weight: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)


NUDGE_OURS = 0.3
NUDGE_CUSTOMER = 0.06
MAX_THREAD = 10
REPLY_DECAY = 0.8
THREAD_RATE, CALL_RATE, TASK_RATE = 0.22, 0.15, 0.14  # per activity unit; meetings: Episodes.meeting_share
TIME_CAP_LOSS = 1.03  # threads cut short by the end of the window or a close: measured, compensated
HIDDEN_TIE_SHARE = 0.2  # contacts whose strongest colleague may be someone other than the account owner
KIND_RATE = np.array([1.0, 1.6, 0.09, 0.5])  # activities per active day, before the scale factor


def reply_probability(base: np.ndarray, depth: np.ndarray | int) -> np.ndarray:
    """Replies get rarer deeper into a thread (conversations wind down)."""
    return base * REPLY_DECAY ** np.asarray(depth)


def expected_thread_length(
    reply_customer: np.ndarray, reply_ours: np.ndarray, customer_initiates: np.ndarray
) -> np.ndarray:
    """Expected messages per thread under the reply/nudge process, ignoring time caps (exact up to MAX_THREAD)."""
    alive_ours = 1 - customer_initiates  # probability the message at this depth exists and is ours
    alive_customer = customer_initiates.copy()
    total = np.zeros_like(reply_customer)
    for depth in range(MAX_THREAD):
        total += alive_ours + alive_customer
        to_customer = reply_probability(reply_customer, depth)
        to_ours = reply_probability(reply_ours, depth)
        next_customer = alive_ours * to_customer + alive_customer * (1 - to_ours) * NUDGE_CUSTOMER
        next_ours = alive_customer * to_ours + alive_ours * (1 - to_customer) * NUDGE_OURS
        alive_ours, alive_customer = next_ours, next_customer
    return total


def activities_per_unit(thread_length: np.ndarray, meeting_share: np.ndarray) -> np.ndarray:
    """Activities one unit of engagement yields: e-mail messages, calls, meetings and tasks."""
    return THREAD_RATE * thread_length / TIME_CAP_LOSS + CALL_RATE + TASK_RATE + meeting_share


def _effective_days(seconds: np.ndarray, kind: np.ndarray) -> np.ndarray:
    days = np.maximum(seconds, 0) / DAY
    return np.where(kind <= OPPORTUNITY, 120 * (1 - np.exp(-days / 120)), days)


def build_episodes(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    leads: Leads,
    opps: Opportunities,
    stakeholders: Stakeholders,
    people: People,
    account_created: np.ndarray,
    target_activities: int,
    timeline: Timeline,
) -> Episodes:
    """All episodes with their engagement parameters, scaled so the expected total is ``target_activities``."""
    accounts = np.flatnonzero(account_created < NEVER)
    won = np.flatnonzero(opps.state == OPP_WON)
    kind, record, company, start, end = _episode_spans(leads, opps, accounts, won, account_created, timeline)
    closed, open_at_end = _episode_states(leads, opps, len(accounts), len(won))
    success = np.concatenate((leads.success, opps.success))
    drive = _episode_drive(companies, leads, opps, success, accounts, won)
    quiet_from = _quiet_from(rng, leads, opps, success, len(accounts) + len(won), timeline)
    owner = np.concatenate(
        (
            leads.owner,
            opps.owner,
            _account_owner(org, companies, leads, accounts, account_created),
            opps.owner[won],
        )
    )
    lang = np.concatenate(
        (
            leads.lang,
            companies.lang[opps.company],
            companies.lang[accounts],
            companies.lang[opps.company[won]],
        )
    )

    reply_customer = np.clip(sigmoid(0.1 + 0.9 * drive), 0.05, 0.9)
    reply_ours = np.clip(sigmoid(1.4 + 0.5 * drive), 0.3, 0.97)
    latency_customer = 8.0 * np.exp(-0.55 * drive + rng.normal(0, 0.35, len(drive)))
    latency_ours = org.user_reply_hours[owner] * np.exp(-0.35 * drive)
    customer_initiates = sigmoid(-0.9 + 0.6 * drive)
    meeting_share = np.where(kind == LEAD, 0.04, 0.09) * np.exp(0.4 * drive)

    active_seconds = np.minimum(end, quiet_from) - start
    rate = KIND_RATE[kind] * np.exp(0.35 * drive)
    raw = rate * _effective_days(active_seconds, kind)
    per_unit = activities_per_unit(
        expected_thread_length(reply_customer, reply_ours, customer_initiates), meeting_share
    )
    expected = raw * per_unit * target_activities / max(float((raw * per_unit).sum()), 1e-9)

    cand_offsets, cand_people, cand_weight = _candidates(
        kind, record, company, leads, opps, contacts, stakeholders, people
    )
    return Episodes(
        kind=kind,
        record=record,
        company=company,
        start=start,
        end=end,
        quiet_from=quiet_from,
        closed=closed,
        open_at_end=open_at_end,
        drive=drive,
        owner=owner,
        lang=lang,
        account_exists_from=account_created[company],
        expected=expected,
        reply_customer=reply_customer,
        reply_ours=reply_ours,
        latency_customer_hours=latency_customer,
        latency_ours_hours=latency_ours,
        customer_initiates=customer_initiates,
        meeting_share=meeting_share,
        cand_offsets=cand_offsets,
        cand_people=cand_people,
        cand_weight=cand_weight,
    )


def _episode_spans(
    leads: Leads,
    opps: Opportunities,
    accounts: np.ndarray,
    won: np.ndarray,
    account_created: np.ndarray,
    timeline: Timeline,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kind, record, company, start and end of every episode: leads, opportunities, accounts, onboardings."""
    n_leads, n_opps = len(leads.company), len(opps)
    kind = np.concatenate(
        (
            np.full(n_leads, LEAD),
            np.full(n_opps, OPPORTUNITY),
            np.full(len(accounts), ACCOUNT),
            np.full(len(won), ONBOARDING),
        )
    )
    record = np.concatenate((np.arange(n_leads), np.arange(n_opps), accounts, won))
    company = np.concatenate((leads.company, opps.company, accounts, opps.company[won]))
    start = np.concatenate((leads.created, opps.created, account_created[accounts], opps.close_at[won]))
    lead_end = np.minimum(leads.close_at, timeline.end)
    opp_end = np.minimum(opps.close_at, timeline.end)
    end = np.concatenate(
        (
            lead_end,
            opp_end,
            np.full(len(accounts), timeline.end),
            np.minimum(opps.close_at[won] + 60 * DAY, timeline.end),
        )
    )
    return kind, record, company, start, end


def _episode_states(
    leads: Leads, opps: Opportunities, n_accounts: int, n_won: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per episode: closed (its record was closed) and open at the end of the timeline."""
    closed = np.concatenate(
        (leads.state != LEAD_OPEN, opps.state != OPP_OPEN, np.zeros(n_accounts + n_won, bool))
    )
    open_at_end = np.concatenate(
        (leads.state == LEAD_OPEN, opps.state == OPP_OPEN, np.ones(n_accounts, bool), np.zeros(n_won, bool))
    )
    return closed, open_at_end


def _episode_drive(
    companies: Companies,
    leads: Leads,
    opps: Opportunities,
    success: np.ndarray,
    accounts: np.ndarray,
    won: np.ndarray,
) -> np.ndarray:
    """How engaged each episode is: the record's propensity and outcome, else the account's health."""
    sign = np.where(success, 1.0, -1.0)
    lead_z = model.standardise(leads.attribute_logit + leads.latent_logit)
    opp_z = model.standardise(opps.attribute_logit + opps.latent_logit)
    record_drive = 0.8 * np.concatenate((lead_z, opp_z)) + 0.25 * sign
    return np.concatenate(
        (record_drive, 0.8 * companies.health[accounts], 0.5 + 0.5 * companies.health[opps.company[won]])
    )


def _quiet_from(
    rng: np.random.Generator,
    leads: Leads,
    opps: Opportunities,
    success: np.ndarray,
    n_other: int,
    timeline: Timeline,
) -> np.ndarray:
    """When each episode goes quiet (NEVER: it does not; ``n_other`` account and onboarding episodes never do).

    Deals that will fail often go quiet before they are closed: the customer stops answering.
    """
    would_close = np.concatenate((leads.close_at, opps.close_at))
    planned_end = np.where(would_close < NEVER, would_close, timeline.end)
    quiet = ~success & (rng.random(len(success)) < 0.5)
    quiet_at = np.concatenate((leads.created, opps.created)) + (
        (planned_end - np.concatenate((leads.created, opps.created))) * rng.uniform(0.6, 1.0, len(success))
    ).astype(np.int64)
    return np.concatenate((np.where(quiet, quiet_at, NEVER), np.full(n_other, NEVER)))


def _account_owner(
    org: Org, companies: Companies, leads: Leads, accounts: np.ndarray, account_created: np.ndarray
) -> np.ndarray:
    """Owner of each account episode: the original owner, or for converted prospects the lead's owner."""
    converted_owner = np.full(len(companies), -1, dtype=np.int64)
    converted_owner[leads.company[::-1]] = leads.owner[::-1]
    original = np.where(companies.owner[accounts] >= 0, companies.owner[accounts], converted_owner[accounts])
    return org.active(original, account_created[accounts])


def _candidates(
    kind: np.ndarray,
    record: np.ndarray,
    company: np.ndarray,
    leads: Leads,
    opps: Opportunities,
    contacts: Contacts,
    stakeholders: Stakeholders,
    people: People,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer-side people per episode: the lead (and its contact), the stakeholders, or the account's contacts."""
    per_episode_people: list[np.ndarray] = []
    per_episode_weight: list[np.ndarray] = []
    per_episode_count: list[np.ndarray] = []

    # leads: the lead itself, plus its contact when it is about an existing one
    lead_idx = record[kind == LEAD]
    has_contact = leads.contact[lead_idx] >= 0
    counts = 1 + has_contact.astype(np.int64)
    people_l = np.empty(int(counts.sum()), np.int64)
    weight_l = np.empty(int(counts.sum()), np.float64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    people_l[starts] = np.where(
        has_contact, people.contact(np.maximum(leads.contact[lead_idx], 0)), people.lead(lead_idx)
    )
    weight_l[starts] = np.where(has_contact, 4.0, 1.0)
    second = starts[has_contact] + 1
    people_l[second] = people.lead(lead_idx[has_contact])
    weight_l[second] = 1.0
    per_episode_people.append(people_l)
    per_episode_weight.append(weight_l)
    per_episode_count.append(counts)

    # opportunities: stakeholders, the opportunity's own contact weighted up
    opp_idx = record[kind == OPPORTUNITY]
    counts = np.diff(stakeholders.offsets)[opp_idx]
    # every opportunity is one episode, in order: its stakeholder rows are the whole CSR in order
    rows = np.arange(stakeholders.offsets[-1])
    sh_contact = stakeholders.contact[rows]
    is_main = sh_contact == np.repeat(opps.contact[opp_idx], counts)
    per_episode_people.append(people.contact(sh_contact))
    per_episode_weight.append(np.where(is_main, 3.0, 1.0) * contacts.weight[sh_contact])
    per_episode_count.append(counts)

    # accounts and onboarding: every contact of the company, by weight
    for k in (ACCOUNT, ONBOARDING):
        comp = company[kind == k]
        counts = np.diff(contacts.company_offsets)[comp]
        starts_c = contacts.company_offsets[comp]
        flat = np.repeat(starts_c, counts) + (
            np.arange(int(counts.sum())) - np.repeat(np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        )
        members = contacts.company_order[flat]
        per_episode_people.append(people.contact(members))
        per_episode_weight.append(contacts.weight[members])
        per_episode_count.append(counts)

    counts = np.concatenate(per_episode_count)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    return offsets, np.concatenate(per_episode_people), np.concatenate(per_episode_weight)
