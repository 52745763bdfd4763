"""Record tables in contract shape: business units, users, accounts, contacts, leads, opportunities,
sales-process instances, connection roles and connections.

Each function returns a mapping of contract column -> array for :class:`rapport.sample.writer.TableWriter`
(numpy times are seconds since the epoch). Planted leakage (fields only filled in after the outcome) is
listed in docs/sample_data.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.compute as pc

from rapport.sample import names
from rapport.sample.arrays import DAY, HOUR, dates, guids, masked, take, timestamps
from rapport.sample.episodes import SALES_TEAM_ROLES, STAKEHOLDER_ROLES, Stakeholders
from rapport.sample.records import (
    LEAD_QUALIFIED,
    NEVER,
    OPP_OPEN,
    OPP_WON,
    Companies,
    Contacts,
    Leads,
    Opportunities,
    Org,
    Timeline,
)
from rapport.sample.sentences import category_code, render_sentences

Columns = dict[str, Any]


def _owner_columns(org: Org, owner: np.ndarray) -> Columns:
    return {"ownerid": take(org.user_id, owner), "owneridtype": pa.array(["systemuser"] * len(owner))}


def _modified(
    rng: np.random.Generator, created: np.ndarray, timeline: Timeline, share: float = 0.6
) -> np.ndarray:
    """Some rows were edited after creation (never after the end)."""
    later = created + (rng.random(len(created)) * (timeline.end - 1 - created)).astype(np.int64)
    return np.where(rng.random(len(created)) < share, np.maximum(later, created), created)


def businessunits(org: Org, timeline: Timeline) -> Columns:
    n = len(org.bu_name)
    created = np.full(n, timeline.start)
    return {
        "businessunitid": org.bu_id,
        "name": pa.array(list(org.bu_name)),
        "parentbusinessunitid": pc.if_else(
            pa.array(np.arange(n) > 0), take(org.bu_id, np.zeros(n, np.int64)), pa.nulls(n, pa.string())
        ),
        "createdon": created,
        "modifiedon": created,
    }


def systemusers(org: Org, timeline: Timeline) -> Columns:
    n = org.n_users
    disabled = org.user_until < NEVER
    has_parent = org.user_parent >= 0
    return {
        "systemuserid": org.user_id,
        "fullname": org.user_names.full,
        "firstname": org.user_names.first,
        "lastname": org.user_names.last,
        "internalemailaddress": org.user_email,
        "domainname": org.user_email,
        "jobtitle": org.user_title,
        "businessunitid": take(org.bu_id, org.user_team + 1),
        "parentsystemuserid": pc.if_else(
            pa.array(has_parent), take(org.user_id, np.maximum(org.user_parent, 0)), pa.nulls(n, pa.string())
        ),
        "isdisabled": disabled,
        "createdon": org.user_created,
        "modifiedon": np.where(disabled, np.minimum(org.user_until, timeline.end - 1), org.user_created),
    }


def accounts(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    account_created: np.ndarray,
    account_owner: np.ndarray,
    customer_now: np.ndarray,
    timeline: Timeline,
) -> Columns:
    rows = np.flatnonzero(account_created < NEVER)
    n = len(rows)
    created = account_created[rows]
    primary = contacts.company_order[contacts.company_offsets[rows]]
    base = rows < companies.n_base
    parent = np.where(base & (rng.random(n) < 0.05), rng.integers(0, companies.n_base, n), -1)
    parent = np.where(parent == rows, -1, parent)
    inactive = rng.random(n) < 0.03
    customertype = np.where(customer_now[rows], 3, companies.customertype[rows])
    return {
        "accountid": take(companies.id, rows),
        "name": take(companies.name, rows),
        "industrycode": masked(companies.industry[rows], rng.random(n) > 0.05, pa.int32()),
        "revenue": masked(companies.revenue[rows], rng.random(n) > 0.15, pa.float64()),
        "numberofemployees": masked(companies.employees[rows], rng.random(n) > 0.1, pa.int64()),
        "address1_country": take(companies.country, rows),
        "emailaddress1": pc.binary_join_element_wise(
            pa.array(["info"] * n), take(companies.domain, rows), "@"
        ),
        "websiteurl": pc.binary_join_element_wise(
            pa.array(["https://www"] * n), take(companies.domain, rows), "."
        ),
        "telephone1": take(companies.phone, rows),
        "primarycontactid": take(contacts.id, primary),
        "parentaccountid": pc.if_else(
            pa.array(parent >= 0), take(companies.id, np.maximum(parent, 0)), pa.nulls(n, pa.string())
        ),
        "customertypecode": customertype.astype(np.int32),
        "ownershipcode": companies.ownership[rows].astype(np.int32),
        **_owner_columns(org, account_owner[rows]),
        "statecode": inactive.astype(np.int32),
        "statuscode": np.where(inactive, 2, 1).astype(np.int32),
        "createdon": created,
        "modifiedon": _modified(rng, created, timeline),
    }


def contact_rows(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    account_owner: np.ndarray,
    timeline: Timeline,
) -> Columns:
    n = len(contacts)
    inactive = rng.random(n) < 0.04
    return {
        "contactid": contacts.id,
        "fullname": contacts.names.full,
        "firstname": contacts.names.first,
        "lastname": contacts.names.last,
        "emailaddress1": contacts.email,
        "jobtitle": contacts.title,
        "parentcustomerid": take(companies.id, contacts.company),
        "parentcustomeridtype": pa.array(["account"] * n),
        "telephone1": contacts.phone,
        "mobilephone": pc.if_else(pa.array(rng.random(n) < 0.6), contacts.mobile, pa.nulls(n, pa.string())),
        "address1_country": take(companies.country, contacts.company),
        "preferredcontactmethodcode": masked(
            rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15]), rng.random(n) < 0.7, pa.int32()
        ),
        "donotemail": rng.random(n) < 0.03,
        "donotphone": rng.random(n) < 0.05,
        **_owner_columns(org, account_owner[contacts.company]),
        "statecode": inactive.astype(np.int32),
        "statuscode": np.where(inactive, 2, 1).astype(np.int32),
        "createdon": contacts.created,
        "modifiedon": _modified(rng, contacts.created, timeline, 0.4),
    }


def lead_rows(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    leads: Leads,
    opps: Opportunities,
    timeline: Timeline,
) -> Columns:
    n = len(leads.company)
    closed = leads.close_at < NEVER
    owner_now = org.active(leads.owner, np.where(closed, leads.close_at, timeline.end - 1))
    subject = _lead_subjects(rng, companies, leads)
    open_modified = leads.created + (rng.random(n) * (timeline.end - 1 - leads.created)).astype(np.int64)
    qualified = leads.state == LEAD_QUALIFIED
    on_account = leads.company < companies.n_base
    business_mail = ~leads.free_mail
    company_name = pc.if_else(
        pa.array(leads.implausible & (rng.random(n) < 0.5)),
        pa.nulls(n, pa.string()),
        take(companies.name, leads.company),
    )
    return {
        "leadid": leads.id,
        "subject": subject,
        "firstname": leads.names.first,
        "lastname": leads.names.last,
        "fullname": leads.names.full,
        "companyname": company_name,
        "jobtitle": pc.if_else(pa.array(rng.random(n) < 0.8), leads.title, pa.nulls(n, pa.string())),
        "emailaddress1": leads.email,
        "telephone1": pc.if_else(pa.array(rng.random(n) < 0.7), leads.phone, pa.nulls(n, pa.string())),
        "websiteurl": pc.if_else(
            pa.array(business_mail & (rng.random(n) < 0.6)),
            pc.binary_join_element_wise(
                pa.array(["https://www"] * n), take(companies.domain, leads.company), "."
            ),
            pa.nulls(n, pa.string()),
        ),
        "address1_country": pc.if_else(
            pa.array(rng.random(n) < 0.85), take(companies.country, leads.company), pa.nulls(n, pa.string())
        ),
        "industrycode": masked(leads.industry, leads.industry > 0, pa.int32()),
        "revenue": masked(np.nan_to_num(leads.revenue), ~np.isnan(leads.revenue), pa.float64()),
        "numberofemployees": masked(leads.employees, leads.employees > 0, pa.int64()),
        "leadsourcecode": masked(leads.source, leads.source > 0, pa.int32()),
        "leadqualitycode": masked(leads.rating, leads.rating > 0, pa.int32()),
        "budgetamount": masked(
            np.nan_to_num(leads.budget_amount), ~np.isnan(leads.budget_amount), pa.float64()
        ),
        "budgetstatus": masked(leads.budget_status, leads.budget_status >= 0, pa.int32()),
        "purchasetimeframe": masked(leads.timeframe, leads.timeframe >= 0, pa.int32()),
        "purchaseprocess": masked(leads.process, leads.process >= 0, pa.int32()),
        "need": masked(leads.need, leads.need >= 0, pa.int32()),
        "decisionmaker": masked(leads.decision_maker == 1, leads.decision_maker >= 0, pa.bool_()),
        "estimatedamount": masked(
            np.nan_to_num(leads.estimated_amount), ~np.isnan(leads.estimated_amount), pa.float64()
        ),
        "estimatedclosedate": _date_column(leads.estimated_close, leads.estimated_close >= 0),
        "parentaccountid": pc.if_else(
            pa.array(on_account),
            take(companies.id, np.where(on_account, leads.company, 0)),
            pa.nulls(n, pa.string()),
        ),
        "parentcontactid": pc.if_else(
            pa.array(leads.contact >= 0),
            take(contacts.id, np.maximum(leads.contact, 0)),
            pa.nulls(n, pa.string()),
        ),
        "qualifyingopportunityid": pc.if_else(
            pa.array(qualified), take(opps.id, np.maximum(leads.opportunity, 0)), pa.nulls(n, pa.string())
        ),
        **_owner_columns(org, owner_now),
        "statecode": leads.state.astype(np.int32),
        "statuscode": leads.status.astype(np.int32),
        "createdon": leads.created,
        # a closed lead was last modified when it was closed
        "modifiedon": np.where(closed, leads.close_at, np.maximum(open_modified, leads.created)),
    }


def _lead_subjects(rng: np.random.Generator, companies: Companies, leads: Leads) -> pa.Array:
    """The topic line of each lead, in its language."""
    return render_sentences(
        rng,
        np.full(len(leads.company), category_code("subject_lead")),
        leads.lang,
        leads.created,
        {
            "person": leads.names.full,
            "seller": leads.names.full,
            "company": take(companies.name, leads.company),
            "to_first": leads.names.address,
            "from_first": leads.names.address,
            "new_name": leads.names.full,
            "new_title": leads.title,
            "new_email": leads.email,
            "new_phone": leads.phone,
        },
    ).text


def _date_column(seconds: np.ndarray, valid: np.ndarray) -> pa.Array:
    return dates(np.where(valid, seconds, 0), valid)


def opportunity_rows(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    leads: Leads,
    opps: Opportunities,
    timeline: Timeline,
) -> Columns:
    n = len(opps)
    closed = opps.state != OPP_OPEN
    owner_now = org.active(opps.owner, np.where(closed, opps.close_at, timeline.end - 1))
    subject = render_sentences(
        rng,
        np.full(n, category_code("subject_opportunity")),
        companies.lang[opps.company],
        opps.created,
        {
            "person": take(contacts.names.full, opps.contact),
            "seller": take(contacts.names.full, opps.contact),
            "company": take(companies.name, opps.company),
            "to_first": take(contacts.names.address, opps.contact),
            "from_first": take(contacts.names.address, opps.contact),
            "new_name": take(contacts.names.full, opps.contact),
            "new_title": take(contacts.title, opps.contact),
            "new_email": take(contacts.email, opps.contact),
            "new_phone": take(contacts.phone, opps.contact),
        },
    ).text
    close_modified = np.minimum(opps.close_at + rng.integers(0, 2 * DAY, n), timeline.end - 1)
    open_modified = np.maximum(
        opps.stage_started.max(axis=1, where=opps.stage_started < NEVER, initial=0), opps.created
    )
    open_modified = np.minimum(open_modified + rng.integers(0, 3 * DAY, n), timeline.end - 1)
    account_id = take(companies.id, opps.company)
    from_lead = opps.lead >= 0
    return {
        "opportunityid": opps.id,
        "name": subject,
        "customerid": account_id,
        "customeridtype": pa.array(["account"] * n),
        "parentaccountid": account_id,
        "parentcontactid": take(contacts.id, opps.contact),
        "originatingleadid": pc.if_else(
            pa.array(from_lead), take(leads.id, np.maximum(opps.lead, 0)), pa.nulls(n, pa.string())
        ),
        "estimatedvalue": opps.estimated_value,
        "estimatedclosedate": _date_column(opps.estimated_close, np.ones(n, bool)),
        # planted leakage: only known once the outcome is
        "actualvalue": masked(np.nan_to_num(opps.actual_value), opps.state == OPP_WON, pa.float64()),
        "actualclosedate": _date_column(np.where(closed, opps.close_at, 0), closed),
        "closeprobability": opps.close_probability,
        "stepname": take(pa.array(list(names.STEP_NAMES)), opps.stage),
        "salesstage": opps.stage.astype(np.int32),
        "opportunityratingcode": masked(opps.rating, opps.rating > 0, pa.int32()),
        "budgetamount": masked(
            np.nan_to_num(opps.budget_amount), ~np.isnan(opps.budget_amount), pa.float64()
        ),
        "budgetstatus": masked(opps.budget_status, opps.budget_status >= 0, pa.int32()),
        "purchasetimeframe": masked(opps.timeframe, opps.timeframe >= 0, pa.int32()),
        "purchaseprocess": masked(opps.process, opps.process >= 0, pa.int32()),
        "need": masked(opps.need, opps.need >= 0, pa.int32()),
        "timeline": masked(opps.timeline, opps.timeline >= 0, pa.int32()),
        "msdyn_forecastcategory": opps.forecast.astype(np.int32),
        **_owner_columns(org, owner_now),
        "statecode": opps.state.astype(np.int32),
        "statuscode": opps.status.astype(np.int32),
        "createdon": opps.created,
        # a closed opportunity is modified at (or just after) its close
        "modifiedon": np.where(closed, np.maximum(close_modified, opps.close_at), open_modified),
    }


def sales_process_rows(
    rng: np.random.Generator, opps: Opportunities, stage_ids: pa.Array, timeline: Timeline
) -> Columns:
    n = len(opps)
    closed = opps.state != OPP_OPEN
    stage_now = opps.stage
    started = opps.stage_started[np.arange(n), stage_now]
    started = np.minimum(started, timeline.end - 1)
    ids = stage_ids.to_pylist()
    traversed = take(pa.array([",".join(ids[: k + 1]) for k in range(4)]), stage_now)
    modified = np.where(closed, np.minimum(opps.close_at, timeline.end - 1), started)
    return {
        "businessprocessflowinstanceid": guids(rng, n),
        "opportunityid": opps.id,
        "name": pa.array(["Opportunity Sales Process"] * n),
        "activestageid": take(stage_ids, stage_now),
        "activestagename": take(pa.array(list(names.STAGE_NAMES)), stage_now),
        "activestagestartedon": started,
        "completedon": timestamps(np.where(closed, opps.close_at, 0), closed),
        "traversedpath": traversed,
        "statecode": closed.astype(np.int32),
        "statuscode": np.select([opps.state == OPP_WON, closed], [2, 3], 1).astype(np.int32),
        "createdon": opps.created,
        "modifiedon": np.maximum(modified, opps.created),
    }


ROLE_CATEGORIES = (
    [(name, 1000) for name in STAKEHOLDER_ROLES]
    + [(name, 1001) for name in SALES_TEAM_ROLES]
    + [("Colleague", 1), ("Referral Partner", 4), ("Former Employee", 5)]
)


def connection_role_rows(role_ids: pa.Array, timeline: Timeline) -> Columns:
    n = len(ROLE_CATEGORIES)
    return {
        "connectionroleid": role_ids,
        "name": pa.array([r[0] for r in ROLE_CATEGORIES]),
        "category": np.array([r[1] for r in ROLE_CATEGORIES], dtype=np.int32),
        "statecode": np.zeros(n, np.int32),
        "createdon": np.full(n, timeline.start),
        "modifiedon": np.full(n, timeline.start),
    }


def connection_rows(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    opps: Opportunities,
    stakeholders: Stakeholders,
    role_ids: pa.Array,
    account_created: np.ndarray,
    account_owner: np.ndarray,
    timeline: Timeline,
) -> Columns:
    """Stakeholders (1000) and sales-team members (1001) of opportunities and of some accounts, stored twice
    (the master row from the opportunity or account, and its reciprocal) as Dataverse does."""
    opp_of = np.repeat(np.arange(len(opps)), np.diff(stakeholders.offsets))
    n_stake = len(opp_of)
    n_team = len(stakeholders.team_opportunity)
    team_offset = len(STAKEHOLDER_ROLES)
    # from the opportunity
    record1_opp = np.concatenate((opp_of, stakeholders.team_opportunity))
    other_id = pa.concat_arrays(
        [take(contacts.id, stakeholders.contact), take(org.user_id, stakeholders.team_user)]
    )
    other_type = pa.array(["contact"] * n_stake + ["systemuser"] * n_team)
    role = np.concatenate((stakeholders.role, team_offset + stakeholders.team_role))
    opp_created = opps.created[record1_opp]
    contact_created = np.concatenate((contacts.created[stakeholders.contact], np.zeros(n_team, np.int64)))
    first_day = np.maximum(opp_created, contact_created)
    stop = np.minimum(opps.close_at[record1_opp], timeline.end - 1)
    created = np.minimum(
        first_day + (rng.random(len(role)) * np.minimum(stop - first_day, 10 * DAY)).astype(np.int64),
        timeline.end - 1,
    )
    closed = opps.close_at[record1_opp] < NEVER
    from_id = take(opps.id, record1_opp)
    from_type = pa.array(["opportunity"] * len(role))
    # some accounts have an account team and known stakeholders too
    acc_from, acc_other, acc_other_type, acc_role, acc_created = _account_connections(
        rng, org, companies, contacts, account_created, account_owner, timeline
    )

    master_from = pa.concat_arrays([from_id, acc_from])
    master_from_type = pa.concat_arrays([from_type, pa.array(["account"] * len(acc_role))])
    master_to = pa.concat_arrays([other_id, acc_other])
    master_to_type = pa.concat_arrays([other_type, acc_other_type])
    all_role = np.concatenate((role, acc_role))
    all_created = np.concatenate((created, acc_created))
    all_start = np.concatenate((first_day, acc_created))
    all_end = np.concatenate(
        (np.where(closed, opps.close_at[record1_opp], 0), np.zeros(len(acc_role), np.int64))
    )
    all_closed = np.concatenate((closed, np.zeros(len(acc_role), bool)))
    m = len(all_role)
    role_id = take(role_ids, all_role)
    none = pa.nulls(m, pa.string())

    def half(rec1, rec1_type, rec1_role, rec2, rec2_type, rec2_role, master: bool) -> Columns:
        return {
            "connectionid": guids(rng, m),
            "record1id": rec1,
            "record1idobjecttypecode": rec1_type,
            "record1roleid": rec1_role,
            "record2id": rec2,
            "record2idobjecttypecode": rec2_type,
            "record2roleid": rec2_role,
            "ismaster": np.full(m, master),
            "effectivestart": dates(all_start),
            "effectiveend": dates(all_end, all_closed),
            "statecode": np.zeros(m, np.int32),
            "statuscode": np.ones(m, np.int32),
            "createdon": all_created,
            "modifiedon": all_created,
        }

    master = half(master_from, master_from_type, none, master_to, master_to_type, role_id, True)
    reciprocal = half(master_to, master_to_type, role_id, master_from, master_from_type, none, False)
    return _concat_columns(master, reciprocal)


def _account_connections(
    rng: np.random.Generator,
    org: Org,
    companies: Companies,
    contacts: Contacts,
    account_created: np.ndarray,
    account_owner: np.ndarray,
    timeline: Timeline,
) -> tuple[pa.Array, pa.Array, pa.Array, np.ndarray, np.ndarray]:
    """Some accounts (40 %) have a known stakeholder (their first contact) and an account team (the owner).

    Returns from id, other id, other type, role index and creation moment of each master row.
    """
    team_offset = len(STAKEHOLDER_ROLES)
    acc = np.flatnonzero((account_created < NEVER) & (rng.random(len(companies)) < 0.4))
    acc_contact = contacts.company_order[contacts.company_offsets[acc]]
    acc_from = take(companies.id, np.concatenate((acc, acc)))
    acc_other = pa.concat_arrays([take(contacts.id, acc_contact), take(org.user_id, account_owner[acc])])
    acc_other_type = pa.array(["contact"] * len(acc) + ["systemuser"] * len(acc))
    acc_role = np.concatenate((np.full(len(acc), 1), np.full(len(acc), team_offset + 3)))
    acc_created = np.minimum(
        np.concatenate((account_created[acc], account_created[acc])) + HOUR, timeline.end - 1
    )
    return acc_from, acc_other, acc_other_type, acc_role, acc_created


def _concat_columns(first: Columns, second: Columns) -> Columns:
    """The rows of ``first`` then those of ``second`` (same keys; Arrow or NumPy columns)."""
    return {
        key: (
            pa.concat_arrays([first[key], second[key]])
            if isinstance(first[key], pa.Array)
            else np.concatenate((first[key], second[key]))
        )
        for key in first
    }
