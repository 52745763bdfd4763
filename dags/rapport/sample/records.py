"""The CRM's records: sales teams and sellers, accounts and contacts, leads and opportunities.

Everything is built as whole numpy/pyarrow arrays. Times are int64 seconds (UTC). The outcome of
every lead and opportunity is decided here, from the latent model in :mod:`rapport.sample.model`;
activities (:mod:`rapport.sample.activities`) are then generated to be consistent with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.compute as pc

from rapport.sample import model, names
from rapport.sample.arrays import DAY, HOUR, business_time, guids, segment_choice, sigmoid, take, to_weekday
from rapport.sample.people import Names, emails, make_unique, person_names, phones
from rapport.sample.scales import Scale

NEVER = np.iinfo(np.int64).max // 4

SELLER, MANAGER, PRESALES, DIRECTOR, OPERATIONS = range(5)
LEAD_OPEN, LEAD_QUALIFIED, LEAD_DISQUALIFIED = 0, 1, 2
LEAD_STATUS_CANCELED = 7  # Dynamics lead status reason "Canceled": what a CRM's auto-disqualify rule sets
OPP_OPEN, OPP_WON, OPP_LOST = 0, 1, 2


@dataclass(frozen=True)
class Timeline:
    """The generated history: ``start`` (inclusive) to ``end`` (exclusive, the end date at 00:00 UTC)."""

    start: int
    end: int

    @property
    def span(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Org:
    """Business units (0 = the root, 1.. = sales teams) and users."""

    bu_id: pa.StringArray
    bu_name: tuple[str, ...]
    team_region: tuple[str, ...]
    team_countries: tuple[tuple[str, ...], ...]
    team_zh_share: np.ndarray
    user_id: pa.StringArray
    user_names: Names
    user_email: pa.StringArray
    user_title: pa.StringArray
    user_team: np.ndarray  # 0-based sales team, -1 for the root business unit
    user_role: np.ndarray
    user_parent: np.ndarray  # manager's user index, -1 for none
    user_until: np.ndarray  # the moment the user left (NEVER if active)
    user_successor: np.ndarray  # who took over after they left (themselves if active)
    user_lang: np.ndarray
    user_skill: np.ndarray  # effect on the outcome logit of records they own
    user_reply_hours: np.ndarray  # their median e-mail reply latency on an average deal
    user_created: np.ndarray
    seller_offsets: np.ndarray  # CSR over teams into seller_index
    seller_index: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.user_id)

    def active(self, user: np.ndarray, at: np.ndarray) -> np.ndarray:
        """The user who acts at ``at``: the user, or their successor once they have left."""
        return np.where(at >= self.user_until[user], self.user_successor[user], user)

    def random_seller(self, rng: np.random.Generator, team: np.ndarray, at: np.ndarray) -> np.ndarray:
        """A random seller of each team, active at ``at``."""
        counts = np.diff(self.seller_offsets)[team]
        pick = self.seller_index[
            self.seller_offsets[team] + (rng.random(len(team)) * counts).astype(np.int64)
        ]
        return self.active(pick, at)

    def team_member(self, team: np.ndarray, role: int) -> np.ndarray:
        """The first user with ``role`` in each team (manager or presales), -1 if none."""
        lookup = np.full(len(self.bu_name), -1, dtype=np.int64)
        members = np.flatnonzero(self.user_role == role)
        lookup[self.user_team[members][::-1] + 1] = members[::-1]
        return lookup[np.asarray(team) + 1]


@dataclass(frozen=True)
class Companies:
    """Customer companies: indices < ``n_base`` are existing accounts; the rest are prospects (one per new-company lead)."""

    n_base: int
    id: pa.StringArray
    name: pa.StringArray
    domain: pa.StringArray
    team: np.ndarray
    lang: np.ndarray
    country: pa.StringArray
    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    ownership: np.ndarray
    customertype: np.ndarray
    created: np.ndarray  # base accounts; prospects get theirs at conversion
    health: np.ndarray  # latent relationship health of the account, N(0, 1)
    phone: pa.StringArray
    owner: np.ndarray  # original owner of existing accounts (-1 for prospects)

    def __len__(self) -> int:
        return len(self.team)


@dataclass(frozen=True)
class Contacts:
    id: pa.StringArray
    names: Names
    email: pa.StringArray
    title: pa.StringArray
    seniority: np.ndarray
    decision_maker: np.ndarray
    phone: pa.StringArray
    mobile: pa.StringArray
    company: np.ndarray
    created: np.ndarray
    weight: np.ndarray  # how much of the account's conversation goes through this person
    lang: np.ndarray
    from_lead: np.ndarray  # lead index this contact was created from at qualification, -1 otherwise
    company_offsets: np.ndarray  # CSR: contacts of company c are company_order[offsets[c]:offsets[c+1]]
    company_order: np.ndarray

    def __len__(self) -> int:
        return len(self.company)


@dataclass(frozen=True)
class Leads:
    id: pa.StringArray
    company: np.ndarray
    existing: np.ndarray  # on an existing account
    contact: np.ndarray  # existing contact the lead is about, -1 for a new person
    names: Names
    email: pa.StringArray
    phone: pa.StringArray
    title: pa.StringArray
    lang: np.ndarray
    created: np.ndarray
    close_at: np.ndarray  # NEVER for open leads
    state: np.ndarray
    status: np.ndarray
    owner: np.ndarray
    source: np.ndarray  # -1 = not filled in (same for the picklists below)
    industry: np.ndarray
    revenue: np.ndarray  # NaN = not filled in
    employees: np.ndarray  # 0 = not filled in
    budget_status: np.ndarray
    budget_amount: np.ndarray
    timeframe: np.ndarray
    process: np.ndarray
    need: np.ndarray
    decision_maker: np.ndarray  # 1 yes, 0 no, -1 not filled in
    estimated_amount: np.ndarray
    estimated_close: np.ndarray
    rating: np.ndarray
    free_mail: np.ndarray
    implausible: np.ndarray
    attribute_logit: np.ndarray
    latent_logit: np.ndarray
    propensity: np.ndarray  # probability of qualification
    success: np.ndarray  # the drawn outcome (also for open leads: what would happen)
    opportunity: np.ndarray  # opportunity index for qualified leads, -1 otherwise


@dataclass(frozen=True)
class Opportunities:
    id: pa.StringArray
    lead: np.ndarray
    company: np.ndarray
    contact: np.ndarray
    owner: np.ndarray
    created: np.ndarray
    close_at: np.ndarray
    state: np.ndarray
    status: np.ndarray
    final_stage: np.ndarray
    stage: np.ndarray  # stage now (or at close)
    stage_started: np.ndarray  # when each stage started: shape (n, 4), NEVER for stages not reached
    estimated_value: np.ndarray
    actual_value: np.ndarray
    estimated_close: np.ndarray
    budget_status: np.ndarray
    budget_amount: np.ndarray
    timeframe: np.ndarray
    timeline: np.ndarray
    process: np.ndarray
    need: np.ndarray
    rating: np.ndarray
    close_probability: np.ndarray
    forecast: np.ndarray
    attribute_logit: np.ndarray
    latent_logit: np.ndarray
    propensity: np.ndarray
    success: np.ndarray

    def __len__(self) -> int:
        return len(self.company)


# --- helpers -----------------------------------------------------------------------------------------
def _csr(groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(groups, kind="stable")
    offsets = np.searchsorted(groups[order], np.arange(n_groups + 1), side="left")
    return offsets, order


def _uniform_between(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return (low + rng.random(len(low)) * np.maximum(high - low, 0)).astype(np.int64)


def _maybe(
    rng: np.random.Generator, values: np.ndarray, missing_share: float, fill: float = -1
) -> np.ndarray:
    return np.where(rng.random(len(values)) < missing_share, fill, values)


def _categorical(rng: np.random.Generator, n: int, weights: dict[int, float]) -> np.ndarray:
    codes = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=np.float64)
    return codes[rng.choice(len(codes), size=n, p=p / p.sum())]


def _in_business_hours(rng: np.random.Generator, moment: np.ndarray, timeline: Timeline) -> np.ndarray:
    day = to_weekday(moment - moment % DAY)
    return np.minimum(business_time(rng, day), timeline.end - 1)


# --- organisation ------------------------------------------------------------------------------------
def build_org(rng: np.random.Generator, scale: Scale, timeline: Timeline) -> Org:
    """Root business unit, one per sales team; a director, operations, and per team a manager, sellers, presales."""
    teams = []
    for k in range(scale.teams):
        team_name, team_region, team_countries, team_zh = names.TEAMS[k % len(names.TEAMS)]
        suffix = f" {k // len(names.TEAMS) + 1}" if k >= len(names.TEAMS) else ""
        teams.append((team_name + suffix, team_region, team_countries, team_zh))
    team_of: list[int] = [-1, -1]
    role_of: list[int] = [DIRECTOR, OPERATIONS]
    titles: list[str] = ["VP of Sales", "Sales Operations Analyst"]
    for k in range(scale.teams):
        members = [(MANAGER, "Sales Manager")]
        members += [
            (SELLER, names.SELLER_TITLES[i % len(names.SELLER_TITLES)]) for i in range(scale.sellers_per_team)
        ]
        members += [(PRESALES, "Solution Architect")] * max(1, scale.sellers_per_team // 6)
        for member_role, member_title in members:
            team_of.append(k)
            role_of.append(member_role)
            titles.append(member_title)
    n = len(team_of)
    team = np.array(team_of, dtype=np.int64)
    role = np.array(role_of, dtype=np.int64)
    zh_share = np.array([t[3] for t in teams])
    lang = np.where(team >= 0, (rng.random(n) < zh_share[np.maximum(team, 0)]).astype(np.int64), 0)
    user_names = person_names(rng, lang)
    email = emails(user_names.local_part, pa.array([names.INTERNAL_DOMAIN] * n))

    parent = np.full(n, -1, dtype=np.int64)
    manager_of_team = {int(team[i]): i for i in range(n) if role[i] == MANAGER}
    for i in range(n):
        if role[i] == MANAGER or role[i] == OPERATIONS:
            parent[i] = 0
        elif team[i] >= 0:
            parent[i] = manager_of_team[int(team[i])]

    # About one seller in eight left during the first two thirds of the history; a teammate took over.
    until = np.full(n, NEVER, dtype=np.int64)
    successor = np.arange(n, dtype=np.int64)
    for k in range(scale.teams):
        sellers = np.flatnonzero((team == k) & (role == SELLER))
        leavers = sellers[rng.random(len(sellers)) < 0.13][: max(0, len(sellers) - 2)]
        stayers = np.setdiff1d(sellers, leavers)
        for leaver in leavers:
            until[leaver] = timeline.start + int((0.15 + 0.5 * rng.random()) * timeline.span)
            successor[leaver] = stayers[rng.integers(0, len(stayers))]
    skill = np.where(role == SELLER, rng.normal(0, 0.3, n), 0.0)
    reply_hours = np.exp(rng.normal(np.log(3.0), 0.5, n))
    created = timeline.start + rng.integers(0, 3 * DAY, n)
    sellers = np.flatnonzero(role == SELLER)
    seller_offsets, order = _csr(team[sellers], scale.teams)
    return Org(
        bu_id=guids(rng, scale.teams + 1),
        bu_name=("Contoso Sales", *[t[0] for t in teams]),
        team_region=tuple(t[1] for t in teams),
        team_countries=tuple(t[2] for t in teams),
        team_zh_share=zh_share,
        user_id=guids(rng, n),
        user_names=user_names,
        user_email=email,
        user_title=pa.array(titles),
        user_team=team,
        user_role=role,
        user_parent=parent,
        user_until=until,
        user_successor=successor,
        user_lang=lang,
        user_skill=skill,
        user_reply_hours=reply_hours,
        user_created=created,
        seller_offsets=seller_offsets,
        seller_index=sellers[order],
    )


# --- companies ---------------------------------------------------------------------------------------
INDUSTRY_WEIGHTS = {code: 1.0 for code in range(1, 34)} | {
    6: 3.0,
    7: 2.5,
    12: 3.0,
    16: 3.0,
    20: 2.0,
    22: 2.0,
    30: 2.0,
    33: 2.0,
    2: 0.5,
    26: 0.5,
    29: 0.5,
}


def build_companies(
    rng: np.random.Generator, org: Org, n_base: int, n_prospects: int, timeline: Timeline
) -> Companies:
    """Existing accounts (created early in the history) and prospect companies (one per new-company lead)."""
    n = n_base + n_prospects
    n_teams = len(org.team_region)
    team = rng.integers(0, n_teams, n)
    lang = (rng.random(n) < org.team_zh_share[team]).astype(np.int64)
    # country: a random country of the team
    country_list = sorted({c for countries in org.team_countries for c in countries})
    country_idx = np.empty(n, dtype=np.int64)
    for k, countries in enumerate(org.team_countries):
        members = np.flatnonzero(team == k)
        options = np.array([country_list.index(c) for c in countries])
        country_idx[members] = options[rng.integers(0, len(options), len(members))]
    country = take(pa.array(country_list), country_idx)

    en_name = pc.binary_join_element_wise(
        take(pa.array(names.COMPANY_PREFIX_EN), rng.integers(0, len(names.COMPANY_PREFIX_EN), n)),
        take(pa.array(names.COMPANY_SUFFIX_EN), rng.integers(0, len(names.COMPANY_SUFFIX_EN), n)),
        " ",
    )
    en_stem = pc.replace_substring_regex(pc.utf8_lower(en_name), "[^a-z0-9]", "")
    place = rng.integers(0, len(names.COMPANY_PLACE_ZH), n)
    brand = rng.integers(0, len(names.COMPANY_BRAND_ZH), n)
    trade = rng.integers(0, len(names.COMPANY_INDUSTRY_ZH), n)
    hz = [
        pa.array([p[0] for p in names.COMPANY_PLACE_ZH]),
        pa.array([p[0] for p in names.COMPANY_BRAND_ZH]),
        pa.array([p[0] for p in names.COMPANY_INDUSTRY_ZH]),
    ]
    py = [
        pa.array([p[1] for p in names.COMPANY_BRAND_ZH]),
        pa.array([p[1] for p in names.COMPANY_INDUSTRY_ZH]),
    ]
    zh_name = pc.binary_join_element_wise(
        take(hz[0], place), take(hz[1], brand), take(hz[2], trade), pa.array(["有限公司"] * n), ""
    )
    zh_stem = pc.binary_join_element_wise(take(py[0], brand), take(py[1], trade), "")
    zh = pa.array(lang == 1)
    name = make_unique(pc.if_else(zh, zh_name, en_name), " ")
    stem = make_unique(pc.if_else(zh, zh_stem, en_stem))
    region = np.array([org.team_region[t] for t in range(n_teams)])[team]
    tld = np.empty(n, dtype=object)
    for key, endings in names.TLDS_BY_REGION.items():
        in_region = (region == key) & (lang == 0) if key != "china" else lang == 1
        tld[in_region] = np.array(endings, dtype=object)[rng.integers(0, len(endings), int(in_region.sum()))]
    tld[tld == None] = ".com"  # noqa: E711  (object array comparison)
    domain = pc.binary_join_element_wise(stem, pa.array(tld.astype(str)), "")

    industry = np.array(list(INDUSTRY_WEIGHTS))[
        rng.choice(33, size=n, p=np.array(list(INDUSTRY_WEIGHTS.values())) / sum(INDUSTRY_WEIGHTS.values()))
    ]
    employees = np.clip(np.exp(rng.normal(np.log(220), 1.5, n)), 3, 300_000).astype(np.int64)
    revenue = np.round(employees * np.exp(rng.normal(np.log(150_000), 0.5, n)), -3)
    base = np.arange(n) < n_base
    created = np.where(
        base, timeline.start + DAY + (rng.beta(0.6, 2.5, n) * 0.45 * timeline.span).astype(np.int64), NEVER
    )
    created = np.where(base, _in_business_hours(rng, created, timeline), NEVER)
    return Companies(
        n_base=n_base,
        id=guids(rng, n),
        name=name,
        domain=domain,
        team=team,
        lang=lang,
        country=country,
        industry=industry,
        employees=employees,
        revenue=revenue,
        ownership=_categorical(rng, n, {1: 0.25, 2: 0.6, 3: 0.1, 4: 0.05}),
        customertype=np.where(base, _categorical(rng, n, {3: 0.8, 5: 0.08, 9: 0.06, 2: 0.03, 12: 0.03}), 8),
        created=created,
        health=rng.normal(0, 1, n),
        phone=phones(rng, country),
        owner=np.where(base, org.random_seller(rng, team, np.where(base, created, timeline.start)), -1),
    )


# --- contacts ----------------------------------------------------------------------------------------
def _titles(rng: np.random.Generator, lang: np.ndarray, senior: np.ndarray | None = None):
    """Job titles with their seniority (0 staff .. 3 executive) and decision-maker flag."""
    n = len(lang)
    en, zh = names.CONTACT_TITLES_EN, names.CONTACT_TITLES_ZH
    pick_en = rng.integers(0, len(en), n)
    pick_zh = rng.integers(0, len(zh), n)
    if senior is not None:  # first contacts of an account lean senior
        senior_en = np.array([i for i, t in enumerate(en) if t[1] >= 2])
        senior_zh = np.array([i for i, t in enumerate(zh) if t[1] >= 2])
        pick_en = np.where(senior, senior_en[rng.integers(0, len(senior_en), n)], pick_en)
        pick_zh = np.where(senior, senior_zh[rng.integers(0, len(senior_zh), n)], pick_zh)
    is_zh = lang == 1
    title = pc.if_else(
        pa.array(is_zh),
        take(pa.array([t[0] for t in zh]), pick_zh),
        take(pa.array([t[0] for t in en]), pick_en),
    )
    seniority = np.where(is_zh, np.array([t[1] for t in zh])[pick_zh], np.array([t[1] for t in en])[pick_en])
    decision = np.where(is_zh, np.array([t[2] for t in zh])[pick_zh], np.array([t[2] for t in en])[pick_en])
    return title, seniority, decision


def _contacts(
    rng: np.random.Generator,
    companies: Companies,
    company: np.ndarray,
    created: np.ndarray,
    first: np.ndarray,
    from_lead: np.ndarray,
    leads: Leads | None,
) -> Contacts:
    n = len(company)
    lang = np.where(rng.random(n) < 0.9, companies.lang[company], 0)
    person = person_names(rng, lang)
    title, seniority, decision = _titles(rng, lang, senior=first & (rng.random(n) < 0.6))
    email = emails(person.local_part, take(companies.domain, company))
    copied = from_lead >= 0
    if copied.any() and leads is not None:
        # The person of a converted lead keeps the lead's names, e-mail and title.
        src = np.where(copied, from_lead, 0)
        mask = pa.array(copied)

        def merge(original: pa.Array, from_leads: pa.Array) -> pa.Array:
            return pc.if_else(mask, take(from_leads, src), original)

        person = Names(
            first=merge(person.first, leads.names.first),
            last=merge(person.last, leads.names.last),
            full=merge(person.full, leads.names.full),
            address=merge(person.address, leads.names.address),
            local_part=merge(person.local_part, leads.names.local_part),
        )
        title = merge(title, leads.title)
        email = merge(email, leads.email)
        lang = np.where(copied, leads.lang[src], lang)
    weight = rng.gamma(2.0, 0.5, n) * (1 + 0.5 * seniority) * np.where(first, 2.5, 1.0)
    offsets, order = _csr(company, len(companies))
    return Contacts(
        id=guids(rng, n),
        names=person,
        email=email,
        title=title,
        seniority=seniority,
        decision_maker=decision,
        phone=phones(rng, take(companies.country, company)),
        mobile=phones(rng, take(companies.country, company)),
        company=company,
        created=created,
        weight=weight,
        lang=lang,
        from_lead=from_lead,
        company_offsets=offsets,
        company_order=order,
    )


def build_contacts(rng: np.random.Generator, companies: Companies, timeline: Timeline) -> Contacts:
    """Contacts of existing accounts: the first one (the primary contact) is created with the account."""
    n_base = companies.n_base
    per_account = 2 + rng.poisson(np.clip(np.log10(companies.employees[:n_base]) * 2.0, 1, 9))
    company = np.repeat(np.arange(n_base), per_account)
    first = np.zeros(len(company), dtype=bool)
    first[np.concatenate(([0], np.cumsum(per_account)[:-1]))] = True
    acc_created = companies.created[company]
    later = _in_business_hours(
        rng, _uniform_between(rng, acc_created, acc_created + (timeline.end - acc_created) // 2), timeline
    )
    created = np.where(first, acc_created, np.maximum(later, acc_created))
    return _contacts(rng, companies, company, created, first, np.full(len(company), -1), None)


def add_converted_contacts(
    rng: np.random.Generator, contacts: Contacts, companies: Companies, leads: Leads, converted: np.ndarray
) -> tuple[Contacts, np.ndarray]:
    """Append, for each converted lead, its person (as the new account's first contact) and 0-2 colleagues.

    Returns the extended contacts and, per converted lead, the index of the contact made from its person.
    """
    at = leads.close_at[converted]
    extra = rng.integers(0, 3, len(converted))
    company = np.concatenate((leads.company[converted], np.repeat(leads.company[converted], extra)))
    created = np.concatenate((at, np.repeat(at, extra) + 60))
    first = np.concatenate((np.ones(len(converted), bool), np.zeros(int(extra.sum()), bool)))
    from_lead = np.concatenate((converted, np.full(int(extra.sum()), -1)))
    added = _contacts(rng, companies, company, created, first, from_lead, leads)
    n_old = len(contacts)

    def cat(a, b):
        return pa.concat_arrays([a, b]) if isinstance(a, pa.Array) else np.concatenate((a, b))

    merged_company = np.concatenate((contacts.company, added.company))
    offsets, order = _csr(merged_company, len(companies))
    merged = Contacts(
        id=cat(contacts.id, added.id),
        names=Names(
            *(
                cat(getattr(contacts.names, f), getattr(added.names, f))
                for f in ("first", "last", "full", "address", "local_part")
            )
        ),
        email=cat(contacts.email, added.email),
        title=cat(contacts.title, added.title),
        seniority=cat(contacts.seniority, added.seniority),
        decision_maker=cat(contacts.decision_maker, added.decision_maker),
        phone=cat(contacts.phone, added.phone),
        mobile=cat(contacts.mobile, added.mobile),
        company=merged_company,
        created=cat(contacts.created, added.created),
        weight=cat(contacts.weight, added.weight),
        lang=cat(contacts.lang, added.lang),
        from_lead=cat(contacts.from_lead, added.from_lead),
        company_offsets=offsets,
        company_order=order,
    )
    return merged, n_old + np.arange(len(converted))


def pick_contact(
    rng: np.random.Generator, contacts: Contacts, company: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """A contact of each company, weighted by how much they talk; falls back to the primary if not yet created."""
    ordered_weight = contacts.weight[contacts.company_order]
    position = contacts.company_order[segment_choice(rng, company, contacts.company_offsets, ordered_weight)]
    primary = contacts.company_order[contacts.company_offsets[company]]
    return np.where(contacts.created[position] <= at, position, primary)


# --- leads -------------------------------------------------------------------------------------------
EXISTING_SOURCE_WEIGHTS = {
    1: 0.04,
    2: 0.15,
    3: 0.10,
    4: 0.15,
    5: 0.03,
    6: 0.10,
    7: 0.10,
    8: 0.20,
    9: 0.10,
    10: 0.03,
}


def _implausible(rng: np.random.Generator, n: int) -> tuple[pa.Array, pa.Array, pa.Array]:
    pick = rng.integers(0, len(names.IMPLAUSIBLE_NAMES), n)
    first = take(pa.array([p[0] for p in names.IMPLAUSIBLE_NAMES]), pick)
    last = take(pa.array([p[1] for p in names.IMPLAUSIBLE_NAMES]), pick)
    local = pc.replace_substring(pc.binary_join_element_wise(first, last, "."), "测试", "ceshi")
    return first, last, local


def _lead_creation(
    rng: np.random.Generator, companies: Companies, contacts: Contacts, n: int, timeline: Timeline
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(company, is on an existing account, created, contact or -1) of each lead."""
    n_base = companies.n_base
    n_new = len(companies) - n_base
    n_existing = n - n_new
    existing = np.arange(n) < n_existing
    size_weight = np.log10(companies.employees[:n_base] + 10)
    company = np.concatenate(
        (rng.choice(n_base, size=n_existing, p=size_weight / size_weight.sum()), n_base + np.arange(n_new))
    )
    # creation time: after the account exists; new-company leads a little more frequent lately
    low = np.where(existing, companies.created[np.minimum(company, n_base - 1)] + DAY, timeline.start + DAY)
    u = np.where(existing, rng.random(n), rng.random(n) ** 0.85)
    created = (low + u * (timeline.end - 2 * HOUR - low)).astype(np.int64)
    created = np.where(rng.random(n) < 0.7, _in_business_hours(rng, created, timeline), created)
    contact = np.where(existing, pick_contact(rng, contacts, np.minimum(company, n_base - 1), created), -1)
    created = np.where(
        existing, np.maximum(created, contacts.created[np.maximum(contact, 0)] + HOUR), created
    )
    return company, existing, np.minimum(created, timeline.end - HOUR), contact


@dataclass(frozen=True)
class _LeadPerson:
    """Who a lead is: names, e-mail, title, seniority, language, and whether it looks like junk."""

    names: Names
    email: pa.Array
    title: pa.Array
    seniority: np.ndarray
    lang: np.ndarray
    implausible: np.ndarray
    free_mail: np.ndarray


def _lead_person(
    rng: np.random.Generator,
    companies: Companies,
    contacts: Contacts,
    company: np.ndarray,
    existing: np.ndarray,
    contact: np.ndarray,
    source: np.ndarray,
) -> _LeadPerson:
    """A new prospect's details (some implausible, some on free mail), or the existing contact's."""
    n = len(company)
    lang = companies.lang[company].copy()
    webby = np.isin(source, (1, 8))
    implausible = ~existing & (rng.random(n) < np.where(webby, 0.04, 0.008))
    free_mail = ~existing & (
        (rng.random(n) < np.where(webby, 0.2, 0.07)) | (implausible & (rng.random(n) < 0.85))
    )
    person = person_names(rng, lang)
    title, seniority, _ = _titles(rng, lang)
    odd_first, odd_last, odd_local = _implausible(rng, n)
    odd = pa.array(implausible)
    first = pc.if_else(odd, odd_first, person.first)
    last = pc.if_else(odd, odd_last, person.last)
    full = pc.if_else(odd, pc.binary_join_element_wise(odd_first, odd_last, " "), person.full)
    address = pc.if_else(odd, odd_first, person.address)
    local = pc.if_else(odd, odd_local, person.local_part)
    free_en, free_zh = names.FREE_MAIL_DOMAINS_EN, names.FREE_MAIL_DOMAINS_ZH
    free_domain = pc.if_else(
        pa.array(lang == 1),
        take(pa.array(free_zh), rng.integers(0, len(free_zh), n)),
        take(pa.array(free_en), rng.integers(0, len(free_en), n)),
    )
    domain = pc.if_else(pa.array(free_mail), free_domain, take(companies.domain, company))
    email = emails(local, domain)
    # Leads about existing contacts carry that contact's details.
    src = np.maximum(contact, 0)
    on_contact = pa.array(existing)
    return _LeadPerson(
        names=Names(
            first=pc.if_else(on_contact, take(contacts.names.first, src), first),
            last=pc.if_else(on_contact, take(contacts.names.last, src), last),
            full=pc.if_else(on_contact, take(contacts.names.full, src), full),
            address=pc.if_else(on_contact, take(contacts.names.address, src), address),
            local_part=pc.if_else(on_contact, take(contacts.names.local_part, src), local),
        ),
        email=pc.if_else(on_contact, take(contacts.email, src), email),
        title=pc.if_else(on_contact, take(contacts.title, src), title),
        seniority=np.where(existing, contacts.seniority[src], seniority),
        lang=np.where(existing, contacts.lang[src], lang),
        implausible=implausible,
        free_mail=free_mail,
    )


@dataclass(frozen=True)
class _LeadFields:
    """The qualifying fields a seller fills in (-1 / NaN / 0 = not filled in)."""

    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    budget_status: np.ndarray
    budget_amount: np.ndarray
    timeframe: np.ndarray
    process: np.ndarray
    need: np.ndarray
    decision_maker: np.ndarray
    estimated_amount: np.ndarray
    estimated_close: np.ndarray


def _lead_fields(
    rng: np.random.Generator,
    companies: Companies,
    company: np.ndarray,
    seniority: np.ndarray,
    created: np.ndarray,
) -> _LeadFields:
    n = len(company)
    industry = _maybe(rng, companies.industry[company], 0.12).astype(np.int64)
    employees = np.where(rng.random(n) < 0.3, 0, companies.employees[company])
    revenue = np.where(rng.random(n) < 0.35, np.nan, companies.revenue[company])
    budget_status = _maybe(rng, _categorical(rng, n, {0: 0.3, 1: 0.3, 2: 0.25, 3: 0.15}), 0.35).astype(
        np.int64
    )
    budget_amount = np.where(
        budget_status >= 1, np.round(np.exp(rng.normal(np.log(40_000), 0.9, n)), -2), np.nan
    )
    timeframe = _maybe(rng, _categorical(rng, n, {0: 0.1, 1: 0.25, 2: 0.25, 3: 0.25, 4: 0.15}), 0.3).astype(
        np.int64
    )
    process = _maybe(rng, _categorical(rng, n, {0: 0.35, 1: 0.45, 2: 0.2}), 0.4).astype(np.int64)
    need = _maybe(rng, _categorical(rng, n, {0: 0.25, 1: 0.35, 2: 0.3, 3: 0.1}), 0.35).astype(np.int64)
    is_dm = np.where(seniority >= 2, rng.random(n) < 0.85, rng.random(n) < 0.12).astype(np.int64)
    decision_maker = _maybe(rng, is_dm, 0.35).astype(np.int64)
    size = np.maximum(companies.employees[company], 5) / 200.0
    estimated_amount = np.where(
        rng.random(n) < 0.4, np.nan, np.round(np.exp(rng.normal(np.log(30_000), 0.8, n)) * size**0.3, -2)
    )
    estimated_close = np.where(rng.random(n) < 0.4, -1, created + rng.integers(30, 180, n) * DAY)
    return _LeadFields(
        industry=industry,
        employees=employees,
        revenue=revenue,
        budget_status=budget_status,
        budget_amount=budget_amount,
        timeframe=timeframe,
        process=process,
        need=need,
        decision_maker=decision_maker,
        estimated_amount=estimated_amount,
        estimated_close=estimated_close,
    )


def _lead_attribute_logit(
    source: np.ndarray, fields: _LeadFields, person: _LeadPerson, existing: np.ndarray, skill: np.ndarray
) -> np.ndarray:
    """The part of a lead's qualification log-odds its recorded attributes explain."""
    return (
        model.effect(source, model.LEAD_SOURCE, -0.1)
        + model.effect(fields.industry, model.INDUSTRY, 0.0)
        + model.employees_effect(fields.employees)
        + model.effect(fields.budget_status, model.BUDGET_STATUS)
        + model.effect(fields.timeframe, model.PURCHASE_TIMEFRAME)
        + model.effect(fields.need, model.NEED)
        + model.effect(fields.process, model.PURCHASE_PROCESS)
        + np.where(
            fields.decision_maker == 1, model.DECISION_MAKER, np.where(fields.decision_maker == 0, -0.1, 0.0)
        )
        + np.where(person.free_mail, model.FREE_MAIL, 0.0)
        + np.where(person.implausible, model.IMPLAUSIBLE_NAME, 0.0)
        + np.where(existing, model.EXISTING_ACCOUNT, 0.0)
        + skill
    )


def _lead_close(
    rng: np.random.Generator,
    success: np.ndarray,
    person: _LeadPerson,
    created: np.ndarray,
    timeline: Timeline,
    auto_disqualify_days: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(close moment or NEVER, state, status) of each lead: junk is closed sooner, some stay open.

    ``auto_disqualify_days`` > 0 is a CRM rule closing leads on a timer: a lead still open that many days
    after its creation is disqualified then (status Canceled), whatever it would have become. Sellers in
    such a CRM leave the leads going nowhere to the rule: only junk (implausible names, free mail) is
    still disqualified by hand, every other lead that does not qualify in time is closed by the timer.
    It only moves closes (no extra random draws), so the rest of the sample stays the same.
    """
    n = len(success)
    implausible = person.implausible
    junk = implausible | person.free_mail
    duration = np.where(
        success,
        10 * DAY + np.exp(rng.normal(np.log(18 * DAY), 0.6, n)),
        10 * DAY + np.exp(rng.normal(np.log(np.where(junk, 5 * DAY, 28 * DAY)), 0.7, n)),
    ).astype(np.int64)
    stale = ~success & (rng.random(n) < 0.07)
    close_at = _in_business_hours(rng, created + duration, timeline)
    close_at = np.maximum(close_at, created + 10 * DAY)
    timed_out = np.zeros(n, bool)
    if auto_disqualify_days > 0:
        deadline = created + auto_disqualify_days * DAY
        timed_out = stale | (close_at > deadline) | (~success & ~junk)
        close_at = np.where(timed_out, deadline, close_at)
        stale = stale & ~timed_out
    closed = ~stale & (close_at < timeline.end - HOUR)
    close_at = np.where(closed, close_at, NEVER)
    state = np.where(closed, np.where(success & ~timed_out, LEAD_QUALIFIED, LEAD_DISQUALIFIED), LEAD_OPEN)
    lost_reason = np.where(
        implausible,
        np.where(rng.random(n) < 0.6, 5, 7),
        _categorical(rng, n, {4: 0.35, 5: 0.2, 6: 0.35, 7: 0.1}),
    )
    fresh = created > timeline.end - 3 * DAY
    status = np.select(
        [state == LEAD_QUALIFIED, state == LEAD_DISQUALIFIED, fresh | (rng.random(n) < 0.2)],
        [3, lost_reason, 1],
        default=2,
    )
    status = np.where(timed_out & (state == LEAD_DISQUALIFIED), LEAD_STATUS_CANCELED, status)
    return close_at, state, status


def build_leads(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    n: int,
    timeline: Timeline,
    auto_disqualify_days: int = 0,
) -> Leads:
    """Leads on existing accounts (about 40 %, about a known contact) and from new companies (one prospect each).

    ``auto_disqualify_days`` > 0: open leads are disqualified that many days after creation (:func:`_lead_close`).
    """
    n_base = companies.n_base
    company, existing, created, contact = _lead_creation(rng, companies, contacts, n, timeline)
    source = np.where(
        existing,
        _categorical(rng, n, EXISTING_SOURCE_WEIGHTS),
        _categorical(rng, n, model.LEAD_SOURCE_WEIGHTS),
    )
    person = _lead_person(rng, companies, contacts, company, existing, contact, source)
    owner = np.where(
        existing,
        org.active(companies.owner[np.minimum(company, n_base - 1)], created),
        org.random_seller(rng, companies.team[company], created),
    )
    fields = _lead_fields(rng, companies, company, person.seniority, created)
    attribute = _lead_attribute_logit(source, fields, person, existing, org.user_skill[owner])
    latent = rng.normal(0, model.LATENT_SD, n)
    z = attribute + latent
    propensity = sigmoid(model.solve_base(z, model.TARGET_QUALIFICATION_RATE) + z)
    success = rng.random(n) < propensity
    rating_score = attribute + 0.5 * latent + rng.normal(0, 0.9, n)
    cut_hot, cut_warm = np.quantile(rating_score, [0.75, 0.30])
    rating = _maybe(
        rng, np.where(rating_score >= cut_hot, 1, np.where(rating_score >= cut_warm, 2, 3)), 0.2
    ).astype(np.int64)
    close_at, state, status = _lead_close(rng, success, person, created, timeline, auto_disqualify_days)
    success = success & (state != LEAD_DISQUALIFIED)
    qualified = state == LEAD_QUALIFIED
    opportunity = np.where(qualified, np.cumsum(qualified) - 1, -1)
    return Leads(
        id=guids(rng, n),
        company=company,
        existing=existing,
        contact=contact,
        names=person.names,
        email=person.email,
        phone=phones(rng, take(companies.country, company)),
        title=person.title,
        lang=person.lang,
        created=created,
        close_at=close_at,
        state=state,
        status=status,
        owner=owner,
        source=_maybe(rng, source, 0.05).astype(np.int64),
        industry=fields.industry,
        revenue=fields.revenue,
        employees=fields.employees,
        budget_status=fields.budget_status,
        budget_amount=fields.budget_amount,
        timeframe=fields.timeframe,
        process=fields.process,
        need=fields.need,
        decision_maker=fields.decision_maker,
        estimated_amount=fields.estimated_amount,
        estimated_close=fields.estimated_close,
        rating=rating,
        free_mail=person.free_mail,
        implausible=person.implausible,
        attribute_logit=attribute,
        latent_logit=latent,
        propensity=propensity,
        success=success,
        opportunity=opportunity,
    )


# --- opportunities -----------------------------------------------------------------------------------
def build_opportunities(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    leads: Leads,
    lead_contact: np.ndarray,
    n_direct: int,
    timeline: Timeline,
) -> Opportunities:
    """Opportunities qualified from leads (created at the qualification moment) and direct ones on accounts.

    ``lead_contact`` gives, per qualified lead (in opportunity order), the contact the opportunity is for.
    """
    from_lead = np.flatnonzero(leads.state == LEAD_QUALIFIED)
    lead = np.concatenate((from_lead, np.full(n_direct, -1)))
    company, created, contact, owner = _opportunity_origins(
        rng, org, companies, contacts, leads, from_lead, lead_contact, n_direct, timeline
    )
    n = len(lead)
    qualification = _qualification(rng, leads, lead)
    estimated_value, budget_amount = _opportunity_value(rng, companies, leads, company, lead, qualification)
    outcome = _opportunity_outcome(
        rng, org, companies, contacts, leads, lead, company, contact, owner, qualification, estimated_value
    )
    stages = _opportunity_stages(rng, outcome.success, created, timeline)
    state, status, close_probability, forecast = _opportunity_status(rng, stages, outcome)
    actual_value = np.where(
        state == OPP_WON, np.round(estimated_value * rng.uniform(0.85, 1.1, n), -2), np.nan
    )
    estimated_close = created + (stages.duration * rng.uniform(0.6, 1.3, n)).astype(np.int64)
    return Opportunities(
        id=guids(rng, n),
        lead=lead,
        company=company,
        contact=contact,
        owner=owner,
        created=created,
        close_at=stages.close_at,
        state=state,
        status=status,
        final_stage=stages.final_stage,
        stage=stages.stage,
        stage_started=stages.stage_started,
        estimated_value=estimated_value,
        actual_value=actual_value,
        estimated_close=estimated_close,
        budget_status=qualification.budget_status,
        budget_amount=budget_amount,
        timeframe=qualification.timeframe,
        timeline=qualification.timeline,
        process=qualification.process,
        need=qualification.need,
        rating=outcome.rating,
        close_probability=close_probability.astype(np.int64),
        forecast=forecast,
        attribute_logit=outcome.attribute,
        latent_logit=outcome.latent,
        propensity=outcome.propensity,
        success=outcome.success,
    )


def _opportunity_origins(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    leads: Leads,
    from_lead: np.ndarray,
    lead_contact: np.ndarray,
    n_direct: int,
    timeline: Timeline,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Company, creation moment, contact and owner: the lead's, else a base account picked by size and health."""
    n_lead = len(from_lead)
    n_base = companies.n_base
    size_weight = np.log10(companies.employees[:n_base] + 10) * np.exp(0.3 * companies.health[:n_base])
    direct_company = rng.choice(n_base, size=n_direct, p=size_weight / size_weight.sum())
    company = np.concatenate((leads.company[from_lead], direct_company))
    low = companies.created[direct_company] + 7 * DAY
    direct_created = _in_business_hours(
        rng, _uniform_between(rng, low, np.full(n_direct, timeline.end - DAY)), timeline
    )
    created = np.concatenate((leads.close_at[from_lead], np.maximum(direct_created, low)))
    created = np.minimum(created, timeline.end - HOUR)
    contact = np.concatenate((lead_contact, pick_contact(rng, contacts, direct_company, created[n_lead:])))
    owner = np.concatenate(
        (
            org.active(leads.owner[from_lead], created[:n_lead]),
            org.active(companies.owner[direct_company], created[n_lead:]),
        )
    )
    return company, created, contact, owner


@dataclass(frozen=True)
class _Qualification:
    """BANT-style qualification codes of each opportunity (-1: not given)."""

    budget_status: np.ndarray
    timeframe: np.ndarray
    process: np.ndarray
    need: np.ndarray
    timeline: np.ndarray


def _qualification(rng: np.random.Generator, leads: Leads, lead: np.ndarray) -> _Qualification:
    """Qualification inherited from the lead (its gaps half the time filled in) or drawn for direct ones."""
    n = len(lead)
    is_lead = lead >= 0
    src = np.maximum(lead, 0)

    def inherit(lead_values: np.ndarray, weights: dict[int, float], missing: float) -> np.ndarray:
        fresh = _maybe(rng, _categorical(rng, n, weights), missing).astype(np.int64)
        inherited = lead_values[src]
        # what the lead left empty is filled in during qualification half of the time
        inherited = np.where((inherited < 0) & (rng.random(n) < 0.5), fresh, inherited)
        return np.where(is_lead, inherited, fresh)

    budget_status = inherit(leads.budget_status, {0: 0.25, 1: 0.3, 2: 0.28, 3: 0.17}, 0.2)
    timeframe = inherit(leads.timeframe, {0: 0.12, 1: 0.3, 2: 0.25, 3: 0.23, 4: 0.1}, 0.2)
    process = inherit(leads.process, {0: 0.35, 1: 0.45, 2: 0.2}, 0.3)
    need = inherit(leads.need, {0: 0.3, 1: 0.35, 2: 0.28, 3: 0.07}, 0.2)
    timeline_code = np.where(
        timeframe >= 0, np.minimum(timeframe + (rng.random(n) < 0.15), 4), _maybe(rng, np.full(n, 4), 0.5)
    )
    return _Qualification(budget_status, timeframe, process, need, timeline_code)


def _opportunity_value(
    rng: np.random.Generator,
    companies: Companies,
    leads: Leads,
    company: np.ndarray,
    lead: np.ndarray,
    qualification: _Qualification,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimated value (the lead's estimate, else by company size) and the budget when one is known."""
    n = len(lead)
    is_lead = lead >= 0
    src = np.maximum(lead, 0)
    size = np.maximum(companies.employees[company], 5) / 200.0
    fresh_value = np.exp(rng.normal(np.log(40_000), 0.8, n)) * size**0.3
    lead_value = leads.estimated_amount[src] * np.exp(rng.normal(0.1, 0.2, n))
    estimated_value = np.round(np.where(is_lead & ~np.isnan(lead_value), lead_value, fresh_value), -2)
    budget_amount = np.where(
        qualification.budget_status >= 1,
        np.round(estimated_value * np.exp(rng.normal(0, 0.3, n)), -2),
        np.nan,
    )
    return estimated_value, budget_amount


@dataclass(frozen=True)
class _Outcome:
    """Whether each opportunity will be won, and the logits and rating that say so."""

    attribute: np.ndarray
    latent: np.ndarray
    propensity: np.ndarray
    success: np.ndarray
    rating: np.ndarray


def _opportunity_outcome(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    leads: Leads,
    lead: np.ndarray,
    company: np.ndarray,
    contact: np.ndarray,
    owner: np.ndarray,
    qualification: _Qualification,
    estimated_value: np.ndarray,
) -> _Outcome:
    """Win propensity from the attributes (model.py's effects) plus a latent part carried from the lead."""
    n = len(lead)
    is_lead = lead >= 0
    src = np.maximum(lead, 0)
    dm_contact = contacts.decision_maker[contact].astype(bool)
    base_account = company < companies.n_base
    attribute = (
        model.effect(qualification.budget_status, model.BUDGET_STATUS)
        + model.effect(qualification.timeframe, model.PURCHASE_TIMEFRAME)
        + model.effect(qualification.need, model.NEED)
        + model.effect(qualification.process, model.PURCHASE_PROCESS)
        + model.effect(companies.industry[company], model.INDUSTRY, 0.0)
        + model.employees_effect(companies.employees[company])
        + np.clip(np.log10(estimated_value / 50_000), -2, 2) * model.DEAL_SIZE_PER_DECADE
        + np.where(dm_contact, model.DECISION_MAKER, 0.0)
        + np.where(base_account, model.EXISTING_ACCOUNT + 0.3 * companies.health[company], 0.0)
        + np.where(is_lead, 0.3 * model.effect(leads.source[src], model.LEAD_SOURCE, 0.0), 0.0)
        + org.user_skill[owner]
    ) * model.OPPORTUNITY_ATTRIBUTE_WEIGHT
    fresh_latent = rng.normal(0, model.LATENT_SD, n)
    latent = np.where(
        is_lead, model.FROM_LEAD_CARRY * leads.latent_logit[src] + 0.8 * fresh_latent, fresh_latent
    )
    z = attribute + latent
    propensity = sigmoid(model.solve_base(z, model.TARGET_WIN_RATE) + z)
    success = rng.random(n) < propensity
    rating_score = attribute + 0.5 * latent + rng.normal(0, 0.9, n)
    cut_hot, cut_warm = np.quantile(rating_score, [0.7, 0.3])
    rating = _maybe(
        rng, np.where(rating_score >= cut_hot, 1, np.where(rating_score >= cut_warm, 2, 3)), 0.1
    ).astype(np.int64)
    return _Outcome(attribute, latent, propensity, success, rating)


@dataclass(frozen=True)
class _Stages:
    """How long each opportunity runs, when it closes (NEVER: open) and the sales stages it reached."""

    duration: np.ndarray
    close_at: np.ndarray
    closed: np.ndarray
    final_stage: np.ndarray
    stage: np.ndarray
    stage_started: np.ndarray


def _opportunity_stages(
    rng: np.random.Generator, success: np.ndarray, created: np.ndarray, timeline: Timeline
) -> _Stages:
    """Duration, close moment (some deals are left open and forgotten) and the stage path to it."""
    n = len(success)
    duration = np.where(
        success,
        14 * DAY + np.exp(rng.normal(np.log(55 * DAY), 0.6, n)),
        14 * DAY + np.exp(rng.normal(np.log(40 * DAY), 0.7, n)),
    ).astype(np.int64)
    stale = rng.random(n) < np.where(success, 0.03, 0.12)  # deals left open and forgotten
    close_at = np.maximum(_in_business_hours(rng, created + duration, timeline), created + 14 * DAY)
    # _in_business_hours clamps a moment past the end to end - 1 s: such a deal is still running, not closed
    # (comparing with the end itself closed every running deal on the last day, as leads already avoid)
    closed = ~stale & (close_at < timeline.end - HOUR)
    close_at = np.where(closed, close_at, NEVER)
    final_stage = np.where(success, 3, rng.choice(4, size=n, p=[0.25, 0.35, 0.3, 0.1]))
    k = np.arange(4)[None, :]
    fraction = k / (final_stage[:, None] + 1) * (0.8 + 0.4 * rng.random((n, 4)))
    stage_started = np.where(
        k <= final_stage[:, None], created[:, None] + (fraction * duration[:, None]).astype(np.int64), NEVER
    )
    stage_started[:, 0] = created
    reached = stage_started < np.where(closed, close_at + 1, timeline.end)[:, None]
    stage = np.where(closed, final_stage, reached.sum(axis=1) - 1)
    stage_started = np.where(k <= stage[:, None], stage_started, NEVER)
    return _Stages(duration, close_at, closed, final_stage, stage, stage_started)


def _opportunity_status(
    rng: np.random.Generator, stages: _Stages, outcome: _Outcome
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """State, status reason, the seller's close probability and forecast category of each opportunity."""
    n = len(outcome.success)
    closed, stage = stages.closed, stages.stage
    state = np.where(closed, np.where(outcome.success, OPP_WON, OPP_LOST), OPP_OPEN)
    status = np.select(
        [state == OPP_WON, state == OPP_LOST, rng.random(n) < 0.08],
        [3, np.where(rng.random(n) < 0.3, 4, 5), 2],
        default=1,
    )
    seller_view = (
        np.array([10, 30, 60, 80])[stage] + 6 * (2 - np.maximum(outcome.rating, 1)) + rng.normal(0, 8, n)
    )
    close_probability = np.select(
        [state == OPP_WON, state == OPP_LOST], [100, 0], default=np.clip(np.round(seller_view / 5) * 5, 5, 95)
    )
    open_forecast = np.select(
        [rng.random(n) < 0.05, stage == 0, stage == 1, stage == 2],
        [
            100000004,
            100000001,
            np.where(rng.random(n) < 0.6, 100000001, 100000002),
            np.where(rng.random(n) < 0.5, 100000002, 100000003),
        ],
        default=100000003,
    )
    forecast = np.select([state == OPP_WON, state == OPP_LOST], [100000005, 100000006], default=open_forecast)
    return state, status, close_probability, forecast
