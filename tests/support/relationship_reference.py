"""An independent pandas implementation of Rapport's relationship rules, for tests and benchmarks.

Written from the rules in docs/relationship_analytics.md and docs/health.md, straight from the raw
contract tables (an export folder), without reading any dbt model: the tests compare it with the dbt
marts and with the dbt macros evaluated at per-record moments; ``bench/bench_relationships.py`` times it
as the pandas baseline. Not part of the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

TABLES = (
    "systemuser",
    "account",
    "contact",
    "lead",
    "opportunity",
    "connection",
    "connectionrole",
    "email",
    "phonecall",
    "appointment",
    "task",
    "activityparty",
)
MEASURES = {
    "emails_sent": ("email", "ours"),
    "emails_received": ("email", "theirs"),
    "meetings_sent": ("appointment", "ours"),
    "meetings_received": ("appointment", "theirs"),
    "calls_made": ("phonecall", "ours"),
    "calls_received": ("phonecall", "theirs"),
    "tasks": ("task", None),
}
TAKES_PART = {"email": {1, 2, 3}, "appointment": {5, 6, 7}, "phonecall": {1, 2}}
EPOCH = "1900-01-01"


@dataclass(frozen=True)
class ReferenceConfig:
    """The tunables the rules use (defaults = rapport.toml)."""

    recent_days: int = 90
    email_write_minutes: float = 5.0
    email_read_minutes: float = 2.5
    callback_window_days: float = 7
    cadence_days: float = 7
    activity_weights: tuple[tuple[str, float], ...] = (
        ("email", 1.0),
        ("appointment", 1.0),
        ("phonecall", 1.0),
        ("task", 1.0),
    )
    component_weights: tuple[tuple[str, float], ...] = (
        ("volume", 0.30),
        ("recency", 0.30),
        ("reciprocity", 0.20),
        ("responsiveness", 0.20),
    )


@dataclass(frozen=True)
class Prepared:
    """Everything the KPIs are computed from, independent of any moment."""

    records: pd.DataFrame  # record_type, record_id, created_at
    activities: pd.DataFrame  # one row per activity with initiator, counts, two-way flag
    participants: pd.DataFrame  # one row per party (and task owner)
    links: pd.DataFrame  # record_type, record_id, activity_id, linked_from_at
    pairs: pd.DataFrame  # reply pairs


def load_tables(export_dir: Path | str) -> dict[str, pd.DataFrame]:
    """The contract tables the rules need, from ``<table>.parquet`` files."""
    import pandas as pd

    return {name: pd.read_parquet(Path(export_dir) / f"{name}.parquet") for name in TABLES}


def _first(*series: pd.Series) -> pd.Series:
    result = series[0]
    for other in series[1:]:
        result = result.where(result.notna(), other)
    return result


def _minutes_between(start: pd.Series, end: pd.Series) -> pd.Series:
    # whole minute boundaries crossed, like date_diff('minute', ...)
    return (end.dt.floor("min") - start.dt.floor("min")).dt.total_seconds() / 60


def build_activities(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """E-mails, meetings, calls and tasks in one shape, with when they happened or are planned."""
    import pandas as pd

    frames = []
    email = tables["email"]
    frames.append(
        pd.DataFrame(
            {
                "activity_id": email.activityid,
                "activity_type": "email",
                "occurred_raw": _first(email.senton, email.actualend, email.actualstart, email.createdon),
                "planned_at": pd.Series(pd.NaT, index=email.index, dtype="datetime64[us]"),
                "duration_minutes": email.actualdurationminutes.astype("float64"),
                "is_outgoing": email.directioncode,
                "has_left_voicemail": False,
                "parent_email_id": email.parentactivityid,
                "message_id": email.messageid,
                "in_reply_to": email.inreplyto,
                "conversation_id": email.conversationindex,
                **_common(email),
            }
        )
    )
    appointment = tables["appointment"]
    frames.append(
        pd.DataFrame(
            {
                "activity_id": appointment.activityid,
                "activity_type": "appointment",
                "occurred_raw": _first(
                    appointment.actualstart,
                    appointment.scheduledstart,
                    appointment.actualend,
                    appointment.createdon,
                ),
                "planned_at": _first(appointment.scheduledstart, appointment.scheduledend),
                "duration_minutes": _first(
                    appointment.actualdurationminutes.astype("float64"),
                    _minutes_between(appointment.actualstart, appointment.actualend),
                    appointment.scheduleddurationminutes.astype("float64"),
                    _minutes_between(appointment.scheduledstart, appointment.scheduledend),
                ),
                "is_outgoing": None,
                "has_left_voicemail": False,
                **_common(appointment),
            }
        )
    )
    call = tables["phonecall"]
    frames.append(
        pd.DataFrame(
            {
                "activity_id": call.activityid,
                "activity_type": "phonecall",
                "occurred_raw": _first(call.actualstart, call.actualend, call.scheduledstart, call.createdon),
                "planned_at": _first(call.scheduledstart, call.scheduledend),
                "duration_minutes": _first(
                    call.actualdurationminutes.astype("float64"),
                    _minutes_between(call.actualstart, call.actualend),
                ).fillna(0.0),
                "is_outgoing": call.directioncode,
                "has_left_voicemail": call.leftvoicemail.fillna(False).astype(bool),
                **_common(call),
            }
        )
    )
    task = tables["task"]
    frames.append(
        pd.DataFrame(
            {
                "activity_id": task.activityid,
                "activity_type": "task",
                "occurred_raw": _first(task.actualend, task.actualstart, task.scheduledend, task.modifiedon),
                "planned_at": _first(task.scheduledend, task.scheduledstart),
                "duration_minutes": _first(
                    task.actualdurationminutes.astype("float64"),
                    _minutes_between(task.actualstart, task.actualend),
                    task.scheduleddurationminutes.astype("float64"),
                ),
                "is_outgoing": None,
                "has_left_voicemail": False,
                **_common(task),
            }
        )
    )
    activities = pd.concat(frames, ignore_index=True)
    activities["is_completed"] = activities.statecode == 1
    activities["is_canceled"] = activities.statecode == 2
    activities["occurred_at"] = activities.occurred_raw.where(activities.is_completed)
    activities["duration_minutes"] = activities.duration_minutes.fillna(0.0)
    return activities.drop(columns=["occurred_raw"])


def _common(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "regarding_id": frame.regardingobjectid,
        "regarding_type": frame.regardingobjecttypecode,
        "owner_id": frame.ownerid,
        "subject": frame.subject,
        "statecode": frame.statecode,
        "created_at": frame.createdon,
        "modified_at": frame.modifiedon,
    }


def _names(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    contact = tables["contact"]
    contact_name = contact.fullname.where(
        contact.fullname.notna(),
        (contact.firstname.fillna("") + " " + contact.lastname.fillna("")).str.strip(),
    )
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "person_key": "systemuser:" + tables["systemuser"].systemuserid,
                    "person_name": tables["systemuser"].fullname,
                }
            ),
            pd.DataFrame({"person_key": "contact:" + contact.contactid, "person_name": contact_name}),
            pd.DataFrame(
                {"person_key": "lead:" + tables["lead"].leadid, "person_name": tables["lead"].fullname}
            ),
            pd.DataFrame(
                {
                    "person_key": "account:" + tables["account"].accountid,
                    "person_name": tables["account"].name,
                }
            ),
        ],
        ignore_index=True,
    )


def build_participants(tables: dict[str, pd.DataFrame], activities: pd.DataFrame) -> pd.DataFrame:
    """Parties of e-mails, meetings and calls, and the owner of each task, with their side and role."""
    import pandas as pd

    kinds = activities[["activity_id", "activity_type"]]
    party = tables["activityparty"].merge(kinds, left_on="activityid", right_on="activity_id")
    party = party[party.activity_type != "task"]
    parties = pd.DataFrame(
        {
            "activity_id": party.activity_id,
            "activity_type": party.activity_type,
            "person_type": party.partyobjecttypecode,
            "person_id": party.partyid,
            "address_used": party.addressused.str.lower(),
            "mask": party.participationtypemask,
        }
    )
    tasks = activities[(activities.activity_type == "task") & activities.owner_id.notna()]
    owners = pd.DataFrame(
        {
            "activity_id": tasks.activity_id,
            "activity_type": "task",
            "person_type": "systemuser",
            "person_id": tasks.owner_id,
            "address_used": None,
            "mask": 9,
        }
    )
    people = pd.concat([parties, owners], ignore_index=True)
    people["person_key"] = (people.person_type + ":" + people.person_id).where(people.person_id.notna())
    people = people.merge(_names(tables), on="person_key", how="left")
    people["person_name"] = people.person_name.where(people.person_name.notna(), people.address_used)
    people["side"] = people.person_type.map(
        {"systemuser": "ours", "contact": "theirs", "lead": "theirs", "account": "theirs"}
    )
    kind, mask = people.activity_type, people["mask"]
    people["is_initiator"] = mask.isin([1, 7]) | ((kind == "task") & (mask == 9))
    people["is_recipient"] = ((kind == "email") & mask.isin([2, 3, 4])) | (
        (kind == "phonecall") & (mask == 2)
    )
    people["is_attendee"] = (kind == "appointment") & mask.isin([5, 6, 7])
    people["takes_part"] = (
        ((kind == "email") & mask.isin([1, 2, 3]))
        | ((kind == "appointment") & mask.isin([5, 6, 7]))
        | ((kind == "phonecall") & mask.isin([1, 2]))
        | ((kind == "task") & (mask == 9))
    )
    return people


def attribute(
    tables: dict[str, pd.DataFrame], activities: pd.DataFrame, people: pd.DataFrame
) -> pd.DataFrame:
    """Initiator side and name, people per side, two-way flag, per activity."""
    import numpy as np

    starters = people[people.is_initiator & people.side.notna()].copy()
    starters["side_order"] = np.where(starters.side == "ours", 0, 1)
    starters = starters.sort_values(["activity_id", "mask", "side_order", "person_key"], na_position="last")
    first = starters.drop_duplicates("activity_id")[
        ["activity_id", "side", "person_type", "person_id", "person_name"]
    ].rename(columns={"side": "starter_side"})
    out = activities.merge(first, on="activity_id", how="left")
    users = tables["systemuser"].set_index("systemuserid").fullname
    by_owner = out.activity_type.isin(["appointment", "task"]) | out.is_outgoing.eq(True)
    direction_side = np.where(
        out.is_outgoing.eq(True),
        "ours",
        np.where(out.is_outgoing.eq(False), "theirs", None),
    )
    fallback = np.where(out.activity_type.isin(["appointment", "task"]), "ours", None)
    out["initiator_side"] = out.starter_side.where(
        out.starter_side.notna(), _first(_series(direction_side, out), _series(fallback, out))
    )
    has_starter = out.starter_side.notna()
    out["initiator_person_key"] = np.where(
        has_starter,
        (out.person_type + ":" + out.person_id).where(out.person_id.notna()),
        np.where(by_owner, "systemuser:" + out.owner_id.fillna(""), None),
    )
    out["initiator_person_key"] = out.initiator_person_key.where(
        has_starter | (by_owner & out.owner_id.notna())
    )
    out["initiator_name"] = np.where(
        has_starter, out.person_name, np.where(by_owner, out.owner_id.map(users), None)
    )

    def distinct(mask, side):
        chosen = people[mask & (people.side == side)]
        return chosen.groupby("activity_id").person_key.nunique()

    counts = {
        "our_participant_count": distinct(people.takes_part, "ours"),
        "customer_participant_count": distinct(people.takes_part, "theirs"),
        "our_recipient_count": distinct(people.is_recipient & ~people.is_initiator, "ours"),
        "customer_recipient_count": distinct(people.is_recipient & ~people.is_initiator, "theirs"),
        "our_attendee_count": distinct(people.is_attendee, "ours"),
        "customer_attendee_count": distinct(people.is_attendee, "theirs"),
    }
    for name, values in counts.items():
        out[name] = out.activity_id.map(values).fillna(0).astype(int)
    out["is_connected_call"] = (
        (out.activity_type == "phonecall")
        & out.is_completed
        & (out.duration_minutes > 0)
        & ~out.has_left_voicemail.astype(bool)
    )
    out["is_two_way"] = out.is_completed & (
        (out.initiator_side == "theirs")
        | ((out.activity_type == "appointment") & (out.customer_attendee_count > 0))
        | (out.is_connected_call & (out.customer_participant_count > 0))
    )
    return out.drop(columns=["starter_side", "person_type", "person_id", "person_name"])


def _series(values, like: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.Series(values, index=like.index, dtype="object")


def contacts_of_interest(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """record_type, record_id, person_key, side, valid_from_at (connections only)."""
    import pandas as pd

    rows = []

    def add(record_type, record_id, person_type, person_id, valid_from=None):
        frame = pd.DataFrame(
            {
                "record_type": record_type,
                "record_id": record_id,
                "person_key": person_type + ":" + person_id.astype("object"),
                "valid_from_at": valid_from,
            }
        )
        rows.append(frame[person_id.notna().to_numpy()])

    lead, opp, account, contact = tables["lead"], tables["opportunity"], tables["account"], tables["contact"]
    add("lead", lead.leadid, "lead", lead.leadid)
    add("lead", lead.leadid, "contact", lead.parentcontactid)
    add("lead", lead.leadid, "systemuser", lead.ownerid)
    customer_contact = opp.parentcontactid.where(
        opp.parentcontactid.notna(), opp.customerid.where(opp.customeridtype == "contact")
    )
    add("opportunity", opp.opportunityid, "contact", customer_contact)
    primary = opp.parentaccountid.map(account.set_index("accountid").primarycontactid)
    add("opportunity", opp.opportunityid, "contact", primary)
    add("opportunity", opp.opportunityid, "systemuser", opp.ownerid)
    in_account = contact[contact.parentcustomeridtype == "account"]
    add("account", in_account.parentcustomerid, "contact", in_account.contactid)
    add("account", account.accountid, "contact", account.primarycontactid)
    add("contact", contact.contactid, "contact", contact.contactid)

    connection = tables["connection"]
    connection = connection[connection.statecode == 0]
    ends = pd.concat(
        [
            pd.DataFrame(
                {
                    "record_type": connection.record1idobjecttypecode,
                    "record_id": connection.record1id,
                    "person_type": connection.record2idobjecttypecode,
                    "person_id": connection.record2id,
                    "role_id": connection.record2roleid,
                    "created": connection.createdon,
                }
            ),
            pd.DataFrame(
                {
                    "record_type": connection.record2idobjecttypecode,
                    "record_id": connection.record2id,
                    "person_type": connection.record1idobjecttypecode,
                    "person_id": connection.record1id,
                    "role_id": connection.record1roleid,
                    "created": connection.createdon,
                }
            ),
        ],
        ignore_index=True,
    )
    categories = tables["connectionrole"].set_index("connectionroleid").category
    ends["category"] = ends.role_id.map(categories)
    ends = ends[
        ends.category.isin([1000, 1001])
        & ends.record_type.isin(["opportunity", "lead"])
        & ends.person_type.isin(["contact", "lead", "systemuser"])
        & ~((ends.record_type == "lead") & (ends.category == 1001))
    ]
    ends = ends.groupby(
        ["record_type", "record_id", "person_type", "person_id"], as_index=False
    ).created.min()
    rows.append(
        pd.DataFrame(
            {
                "record_type": ends.record_type,
                "record_id": ends.record_id,
                "person_key": ends.person_type + ":" + ends.person_id,
                "valid_from_at": ends.created,
            }
        )
    )
    out = pd.concat(rows, ignore_index=True)
    out["valid_from_at"] = pd.to_datetime(out.valid_from_at).astype("datetime64[us]")
    out["side"] = out.person_key.str.startswith("systemuser:").map({True: "ours", False: "theirs"})
    return out


def records_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """record_type, record_id, created_at of every lead, opportunity, contact and account."""
    import pandas as pd

    return pd.concat(
        [
            pd.DataFrame(
                {
                    "record_type": "lead",
                    "record_id": tables["lead"].leadid,
                    "created_at": tables["lead"].createdon,
                }
            ),
            pd.DataFrame(
                {
                    "record_type": "opportunity",
                    "record_id": tables["opportunity"].opportunityid,
                    "created_at": tables["opportunity"].createdon,
                }
            ),
            pd.DataFrame(
                {
                    "record_type": "contact",
                    "record_id": tables["contact"].contactid,
                    "created_at": tables["contact"].createdon,
                }
            ),
            pd.DataFrame(
                {
                    "record_type": "account",
                    "record_id": tables["account"].accountid,
                    "created_at": tables["account"].createdon,
                }
            ),
        ],
        ignore_index=True,
    )


def link(
    activities: pd.DataFrame, people: pd.DataFrame, interest: pd.DataFrame, records: pd.DataFrame
) -> pd.DataFrame:
    """Which activities count for which record, and from when the link holds."""
    import pandas as pd

    epoch = pd.Timestamp(EPOCH)
    regarding = activities[
        activities.regarding_type.isin(["lead", "opportunity", "account", "contact"])
        & activities.regarding_id.notna()
    ]
    regarding = pd.DataFrame(
        {
            "record_type": regarding.regarding_type,
            "record_id": regarding.regarding_id,
            "activity_id": regarding.activity_id,
        }
    )
    regarding["linked_from_at"] = pd.Series(pd.NaT, index=regarding.index, dtype="datetime64[us]")

    taking_part = people[people.takes_part & people.person_key.notna()]
    theirs = taking_part[taking_part.side == "theirs"][["activity_id", "person_key"]]
    customer = theirs.merge(interest[interest.side == "theirs"], on="person_key")
    customer = customer.merge(records, on=["record_type", "record_id"])
    when = activities.set_index("activity_id")
    moment = _first(when.occurred_at, when.planned_at, when.created_at)
    customer["activity_moment"] = customer.activity_id.map(moment)
    customer = customer[
        customer.record_type.isin(["account", "contact"]) | (customer.activity_moment >= customer.created_at)
    ]
    customer["valid_from_at"] = customer.valid_from_at.fillna(epoch)
    customer = customer.groupby(
        ["activity_id", "record_type", "record_id"], as_index=False
    ).valid_from_at.min()
    customer = customer.rename(columns={"valid_from_at": "customer_from"})

    ours = taking_part[taking_part.side == "ours"][["activity_id", "person_key"]]
    internal = customer[["activity_id", "record_type", "record_id"]].merge(ours, on="activity_id")
    internal = internal.merge(
        interest[interest.side == "ours"], on=["record_type", "record_id", "person_key"]
    )
    internal["valid_from_at"] = internal.valid_from_at.fillna(epoch)
    internal = internal.groupby(
        ["activity_id", "record_type", "record_id"], as_index=False
    ).valid_from_at.min()
    internal = internal.rename(columns={"valid_from_at": "internal_from"})

    both = customer.merge(internal, on=["activity_id", "record_type", "record_id"], how="left")
    both["our_participant_count"] = both.activity_id.map(when.our_participant_count)
    keep = both.internal_from.notna() | (
        both.record_type.isin(["account", "contact"]) & (both.our_participant_count > 0)
    )
    both = both[keep]
    both["linked_from_at"] = both[["customer_from", "internal_from"]].max(axis=1)
    both["linked_from_at"] = both.linked_from_at.where(both.linked_from_at > epoch)
    people_links = both[["record_type", "record_id", "activity_id", "linked_from_at"]]

    links = pd.concat(
        [regarding.assign(is_regarding=True), people_links.assign(is_regarding=False)], ignore_index=True
    )
    links = links.groupby(["record_type", "record_id", "activity_id"], as_index=False).agg(
        is_regarding=("is_regarding", "max"), linked_from_at=("linked_from_at", "min")
    )
    links["linked_from_at"] = links.linked_from_at.where(~links.is_regarding)
    return links


def _thread_key(conversation: pd.Series) -> pd.Series:
    is_index = conversation.str.fullmatch(r"([0-9A-Fa-f]{44})([0-9A-Fa-f]{10})*").fillna(False).astype(bool)
    return conversation.str.slice(0, 44).where(is_index, conversation)


def pair_replies(activities: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Each completed e-mail and call with the message it answers (if any) and whether it counts."""
    import numpy as np
    import pandas as pd

    messages = activities[
        activities.activity_type.isin(["email", "phonecall"]) & activities.occurred_at.notna()
    ].copy()
    emails = messages[messages.activity_type == "email"].copy()
    emails["thread"] = _thread_key(emails.conversation_id)
    emails = emails.sort_values(["thread", "occurred_at", "activity_id"])
    emails["previous"] = emails.groupby("thread", dropna=True).activity_id.shift(1)
    # the thread fallback only for an e-mail without any reply header (no parent id, no In-Reply-To)
    emails["previous"] = emails.previous.where(
        emails.thread.notna() & emails.parent_email_id.isna() & emails.in_reply_to.isna()
    )
    ids = set(emails.activity_id)
    by_parent = emails.parent_email_id.where(
        emails.parent_email_id.isin(ids) & (emails.parent_email_id != emails.activity_id)
    )
    firsts = (
        emails[emails.message_id.notna()]
        .sort_values(["occurred_at", "activity_id"])
        .drop_duplicates("message_id")
    )
    first_of = firsts.set_index("message_id").activity_id
    by_message = emails.in_reply_to.map(first_of)
    by_message = by_message.where(by_message != emails.activity_id)
    emails["answered"] = _first(by_parent, by_message, emails.previous)
    emails["method"] = np.select(
        [by_parent.notna(), by_message.notna(), emails.previous.notna()],
        ["parent e-mail", "in-reply-to", "previous in conversation"],
        None,
    )

    calls = messages[messages.activity_type == "phonecall"].copy()
    taking = people[people.takes_part & people.activity_id.isin(calls.activity_id)]
    our_person = taking[taking.side == "ours"].groupby("activity_id").person_key.min()
    their_person = taking[taking.side == "theirs"].groupby("activity_id").person_key.min()
    calls["pair"] = calls.activity_id.map(our_person) + "|" + calls.activity_id.map(their_person)
    calls = calls.sort_values(["pair", "occurred_at", "activity_id"])
    grouped = calls.groupby("pair", dropna=True)
    calls["previous"] = grouped.activity_id.shift(1)
    calls["previous_connected"] = grouped.is_connected_call.shift(1)
    missed = calls.pair.notna() & calls.previous.notna() & calls.previous_connected.eq(False)
    calls["answered"] = calls.previous.where(missed)
    calls["method"] = np.where(missed, "call-back", None)

    pairs = pd.concat([emails, calls], ignore_index=True)[
        [
            "activity_id",
            "activity_type",
            "answered",
            "method",
            "initiator_side",
            "initiator_person_key",
            "occurred_at",
        ]
    ].rename(
        columns={
            "activity_type": "channel",
            "initiator_side": "responder_side",
            "initiator_person_key": "responder_key",
            "occurred_at": "responded_at",
        }
    )
    source = messages.set_index("activity_id")
    pairs["answered_side"] = pairs.answered.map(source.initiator_side)
    pairs["answered_key"] = pairs.answered.map(source.initiator_person_key)
    pairs["answered_at"] = pairs.answered.map(source.occurred_at)
    pairs["response_hours"] = (pairs.responded_at - pairs.answered_at).dt.total_seconds() / 3600
    pairs["is_counted"] = (
        pairs.answered.notna()
        & pairs.responder_side.notna()
        & pairs.answered_side.notna()
        & (pairs.responder_side != pairs.answered_side)
        & (pairs.responder_key.fillna("") != pairs.answered_key.fillna("-"))
        & (pairs.responded_at >= pairs.answered_at)
    )
    return pairs


def prepare(tables: dict[str, pd.DataFrame]) -> Prepared:
    """Activities, participants, links and reply pairs from the raw tables."""
    activities = build_activities(tables)
    people = build_participants(tables, activities)
    activities = attribute(tables, activities, people)
    records = records_table(tables)
    links = link(activities, people, contacts_of_interest(tables), records)
    pairs = pair_replies(activities, people)
    return Prepared(records=records, activities=activities, participants=people, links=links, pairs=pairs)


def _at_moments(prepared: Prepared, moments: pd.DataFrame) -> pd.DataFrame:
    rows = moments.merge(prepared.links, on=["record_type", "record_id"])
    rows = rows[rows.linked_from_at.isna() | (rows.linked_from_at < rows.as_of_at)]
    rows = rows.merge(prepared.activities, on="activity_id")
    rows["is_done"] = rows.occurred_at < rows.as_of_at
    rows["is_upcoming"] = (
        ~rows.is_done
        & (rows.planned_at >= rows.as_of_at)
        & (rows.created_at < rows.as_of_at)
        & ~(rows.is_canceled & (rows.modified_at < rows.as_of_at))
    )
    return rows


def _minutes(rows: pd.DataFrame, config: ReferenceConfig) -> tuple[pd.Series, pd.Series]:
    import numpy as np

    kind, side = rows.activity_type, rows.initiator_side
    write, read = config.email_write_minutes, config.email_read_minutes
    ours = np.select(
        [kind == "email", kind == "appointment", kind.isin(["phonecall", "task"])],
        [
            np.where(side == "ours", write, 0.0) + read * rows.our_recipient_count,
            rows.duration_minutes * rows.our_attendee_count,
            rows.duration_minutes,
        ],
        0.0,
    )
    theirs = np.select(
        [kind == "email", kind == "appointment", kind == "phonecall"],
        [
            np.where(side == "theirs", write, np.where(rows.customer_recipient_count > 0, read, 0.0)),
            np.where(rows.customer_attendee_count > 0, rows.duration_minutes, 0.0),
            np.where(rows.customer_participant_count > 0, rows.duration_minutes, 0.0),
        ],
        0.0,
    )
    return ours, theirs


def compute_kpis(
    prepared: Prepared, moments: pd.DataFrame, config: ReferenceConfig = ReferenceConfig()
) -> pd.DataFrame:
    """The KPI set per (record_type, record_id, as_of_at) of ``moments``."""
    import pandas as pd

    keys = ["record_type", "record_id", "as_of_at"]
    out = moments[keys].drop_duplicates().set_index(keys)
    rows = _at_moments(prepared, moments)
    done = rows[rows.is_done].copy()
    year_start = done.as_of_at.dt.to_period("Y").dt.start_time
    recent_start = done.as_of_at - pd.Timedelta(days=config.recent_days)
    windows = {
        "": True,
        "_this_year": done.occurred_at >= year_start,
        "_previous_years": done.occurred_at < year_start,
        "_last_n_days": done.occurred_at >= recent_start,
    }
    grouped_columns = {}
    for name, (kind, side) in MEASURES.items():
        is_measure = done.activity_type == kind
        if side is not None:
            is_measure &= done.initiator_side == side
        for suffix, window in windows.items():
            grouped_columns[f"{name}{suffix}_count"] = (is_measure & window).astype(int)
    grouped_columns["activity_count"] = 1
    grouped_columns["customer_initiated_count"] = (done.initiator_side == "theirs").astype(int)
    minutes_ours, minutes_theirs = _minutes(done, config)
    grouped_columns["hours_ours"] = minutes_ours / 60.0
    grouped_columns["hours_theirs"] = minutes_theirs / 60.0
    sums = done[keys].assign(**grouped_columns).groupby(keys).sum()
    out = out.join(sums)
    count_columns = [c for c in out.columns if c.endswith("_count")]
    out[count_columns] = out[count_columns].fillna(0).astype(int)
    out[["hours_ours", "hours_theirs"]] = out[["hours_ours", "hours_theirs"]].fillna(0.0)
    out["first_activity_at"] = done.groupby(keys).occurred_at.min()

    for side in ("ours", "theirs"):
        last = (
            done[done.initiator_side == side]
            .sort_values(["occurred_at", "activity_id"])
            .groupby(keys)
            .tail(1)
        )
        last = last.set_index(keys)
        out[f"last_activity_{side}_at"] = last.occurred_at
        out[f"last_activity_{side}_type"] = last.activity_type
        out[f"last_activity_{side}_by"] = last.initiator_name
    upcoming = rows[rows.is_upcoming & (rows.initiator_side == "ours")]
    upcoming = upcoming.sort_values(["planned_at", "activity_id"]).groupby(keys).head(1).set_index(keys)
    out["next_activity_ours_at"] = upcoming.planned_at
    out["next_activity_ours_type"] = upcoming.activity_type

    pairs = prepared.pairs
    window_hours = 24.0 * config.callback_window_days
    responses = pairs[
        pairs.is_counted & ((pairs.channel == "email") | (pairs.response_hours <= window_hours))
    ]
    answered = done[[*keys, "activity_id"]].merge(responses, on="activity_id")
    for side in ("ours", "theirs"):
        mine = answered[answered.responder_side == side]
        out[f"avg_response_hours_{side}"] = mine.groupby(keys).response_hours.mean()
        out[f"avg_email_response_hours_{side}"] = (
            mine[mine.channel == "email"].groupby(keys).response_hours.mean()
        )

    replies = pairs[pairs.is_counted & (pairs.responder_side == "theirs") & (pairs.channel == "email")]
    first_reply = replies.groupby("answered").responded_at.min()
    our_emails = done[(done.activity_type == "email") & (done.initiator_side == "ours")].copy()
    our_emails["replied"] = our_emails.activity_id.map(first_reply) < our_emails.as_of_at
    rate = our_emails.groupby(keys).agg(sent=("activity_id", "size"), replied=("replied", "sum"))
    out["our_emails_replied_count"] = rate.replied.reindex(out.index).fillna(0).astype(int)
    out["customer_response_rate"] = rate.replied / rate.sent
    out["emails_sent_to_received_ratio"] = (out.emails_sent_count / out.emails_received_count).where(
        out.emails_received_count > 0
    )

    people = prepared.participants
    involved = done[[*keys, "activity_id"]].merge(
        people[people.takes_part & people.person_key.notna() & people.side.notna()][
            ["activity_id", "person_key", "person_name", "side"]
        ],
        on="activity_id",
    )
    involved = involved[involved.person_key != involved.record_type + ":" + involved.record_id]
    counts = involved.groupby([*keys, "side", "person_key"], as_index=False).agg(
        activities=("activity_id", "nunique")
    )
    names = people[people.person_key.notna()].groupby("person_key").person_name.max()
    counts["person_name"] = counts.person_key.map(names)
    counts["negative"] = -counts.activities
    counts = counts.sort_values(["negative", "person_name", "person_key"])
    top = counts.groupby([*keys, "side"]).head(1).set_index(keys)
    out["most_contacted_name"] = top[top.side == "theirs"].person_name
    out["most_contacted_by_name"] = top[top.side == "ours"].person_name
    return out.reset_index()


def compute_health(
    prepared: Prepared, moments: pd.DataFrame, config: ReferenceConfig = ReferenceConfig()
) -> pd.DataFrame:
    """Health components and score per (record_type, record_id, as_of_at) of ``moments`` (docs/health.md)."""
    import numpy as np
    import pandas as pd

    keys = ["record_type", "record_id", "as_of_at"]
    out = moments[keys].drop_duplicates().merge(prepared.records, on=["record_type", "record_id"], how="left")
    out = out.set_index(keys)
    days = config.recent_days
    age_days = (out.index.get_level_values("as_of_at") - out.created_at).dt.total_seconds() / 86400
    window_days = np.where(age_days < days, age_days, days)
    expected = np.maximum(window_days / config.cadence_days, 1.0)

    rows = _at_moments(prepared, moments)
    done = rows[rows.is_done].copy()
    recent = done[done.occurred_at >= done.as_of_at - pd.Timedelta(days=days)].copy()
    weights = dict(config.activity_weights)
    recent["weight"] = recent.activity_type.map(weights).fillna(1.0) * recent.is_two_way
    weighted = recent.groupby(keys).weight.sum().reindex(out.index).fillna(0.0)
    last_two_way = done[done.is_two_way].groupby(keys).occurred_at.max().reindex(out.index)
    silence = (out.index.get_level_values("as_of_at") - last_two_way).dt.total_seconds() / 86400
    conversations = recent[recent.activity_type != "task"]
    started_ours = (conversations.initiator_side == "ours").groupby([conversations[k] for k in keys]).sum()
    started_theirs = (
        (conversations.initiator_side == "theirs").groupby([conversations[k] for k in keys]).sum()
    )
    started_ours = started_ours.reindex(out.index).fillna(0)
    started_theirs = started_theirs.reindex(out.index).fillna(0)

    replies = prepared.pairs
    replies = replies[
        replies.is_counted & (replies.responder_side == "theirs") & (replies.channel == "email")
    ]
    ours = recent[(recent.activity_type == "email") & (recent.initiator_side == "ours")][
        [*keys, "activity_id"]
    ]
    ours = ours.merge(
        replies[["answered", "responded_at", "response_hours"]],
        left_on="activity_id",
        right_on="answered",
        how="left",
    )
    ours["first_reply_hours"] = ours.response_hours.where(ours.responded_at < ours.as_of_at)
    per_email = ours.groupby([*keys, "activity_id"]).first_reply_hours.min().reset_index()
    emails = (
        per_email.groupby(keys)
        .agg(
            sent=("activity_id", "size"),
            replied=("first_reply_hours", "count"),
            hours=("first_reply_hours", "mean"),
        )
        .reindex(out.index)
    )

    components = pd.DataFrame(index=out.index)
    components["volume"] = 1.0 - 0.5 ** (weighted / expected)
    components["recency"] = (0.5 ** (silence / config.cadence_days)).fillna(0.0)
    total = started_ours + started_theirs
    components["reciprocity"] = np.minimum(1.0, 2.0 * started_theirs / total).where(total > 0)
    rate = emails.replied / emails.sent
    speed = 0.5 ** (emails.hours / 24.0 / config.cadence_days)
    components["responsiveness"] = (rate * speed).where(emails.replied > 0, 0.0).where(emails.sent > 0)
    weights_by_component = dict(config.component_weights)
    numerator = sum(weights_by_component[c] * components[c].fillna(0.0) for c in components)
    denominator = sum(weights_by_component[c] * components[c].notna() for c in components)
    activity_count = done.groupby(keys).size().reindex(out.index).fillna(0)
    components["health_score"] = (100.0 * numerator / denominator).round(1).where(activity_count > 0)
    return components.reset_index()
