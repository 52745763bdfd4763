"""Who-knows-whom for tests and the evaluation: an independent pandas reference and the ranking evaluation.

* :func:`reference_pairs` recomputes, straight from the raw contract tables of an export folder and the rules
  in docs/who_knows_whom.md (without reading any dbt model), the counts and the strength of every colleague
  and external person, so a test can compare it with ``marts.fct_who_knows_whom``.
* :func:`evaluate_ranking` compares the mart's ranking with the generator's ground truth
  (``_truth/who_knows_whom.parquet``) and with two baselines a CRM user has without this mart: the contact's
  record owner, and the colleague who e-mailed with the contact most recently.

Not part of the product; used by ``tests/dbt/test_who_knows_whom.py`` and ``bench/eval_who_knows_whom.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rapport.config import WhoKnowsWhomConfig
from tests.support.relationship_reference import build_activities, load_tables

if TYPE_CHECKING:
    import pandas as pd


def _parties(tables: dict[str, pd.DataFrame], activities: pd.DataFrame, config: WhoKnowsWhomConfig) -> tuple:
    """(ours, theirs, audience): per activity that happened, our colleagues, their people and the counts."""
    happened = activities[
        activities.occurred_at.notna() & activities.activity_type.isin(["email", "appointment", "phonecall"])
    ][["activity_id", "activity_type", "occurred_at", "has_left_voicemail", "duration_minutes"]]
    parties = (
        tables["activityparty"]
        .rename(columns={"activityid": "activity_id"})
        .merge(happened, on="activity_id")
    )
    users = tables["systemuser"]
    opted = {entry.strip().lower() for entry in config.opt_out}
    emails = users.internalemailaddress.str.lower()
    active = users[~users.isdisabled.fillna(False).astype(bool)]
    active = active[~active.systemuserid.str.lower().isin(opted) & ~emails.loc[active.index].isin(opted)]
    mask = parties.participationtypemask
    parties = parties.assign(
        sender=mask == 1,
        recipient=((parties.activity_type == "email") & mask.isin([2, 3, 4]))
        | ((parties.activity_type == "phonecall") & (mask == 2)),
        attendee=(parties.activity_type == "appointment") & mask.isin([5, 6, 7]),
    )
    internal = parties[parties.partyobjecttypecode == "systemuser"]
    address = parties.addressused.fillna("").str.strip().str.lower()
    unresolved = (
        parties.partyid.isna()
        & (parties.partyobjecttypecode.fillna("") != "systemuser")
        & address.str.contains("@")
        & ~address.isin(set(emails.dropna()))
    )
    external = parties[
        (parties.partyobjecttypecode.isin(["contact", "lead"]) & parties.partyid.notna()) | unresolved
    ]
    external = external.assign(
        person_key=(external.partyobjecttypecode + ":" + external.partyid).where(
            external.partyid.notna(), "address:" + address.loc[external.index]
        )
    )
    flags = {"sender": "max", "recipient": "max", "attendee": "max"}
    keys = ["activity_id", "activity_type", "occurred_at", "has_left_voicemail", "duration_minutes"]
    ours = (
        internal[internal.partyid.isin(set(active.systemuserid))]
        .groupby([*keys, "partyid"], as_index=False)
        .agg(flags)
        .rename(columns={"partyid": "colleague_id"})
    )
    theirs = external.groupby(["activity_id", "person_key"], as_index=False).agg(flags)
    audience = (
        external[external.recipient]
        .groupby("activity_id")
        .person_key.nunique()
        .rename("their_recipients")
        .to_frame()
        .join(
            external[external.attendee].groupby("activity_id").person_key.nunique().rename("their_attendees"),
            how="outer",
        )
        .join(
            internal[internal.recipient].groupby("activity_id").partyid.nunique().rename("our_recipients"),
            how="outer",
        )
        .reset_index()
    )
    return ours, theirs, audience


def reference_pairs(
    export_dir: Path | str, as_of: datetime, config: WhoKnowsWhomConfig | None = None
) -> pd.DataFrame:
    """Per colleague and external person: counts, weighted_interactions and strength as of ``as_of``."""
    import numpy as np
    import pandas as pd

    config = config or WhoKnowsWhomConfig()
    tables = load_tables(export_dir)
    activities = build_activities(tables)
    ours, theirs, audience = _parties(tables, activities, config)
    pairs = ours.merge(theirs, on="activity_id", suffixes=("_ours", "_theirs")).merge(
        audience, on="activity_id", how="left"
    )
    pairs = pairs[pairs.occurred_at < pd.Timestamp(as_of.replace(tzinfo=None))]
    email = pairs.activity_type == "email"
    call = pairs.activity_type == "phonecall"
    sent = email & pairs.sender_ours & pairs.recipient_theirs
    received = email & pairs.sender_theirs & pairs.recipient_ours
    meeting = (pairs.activity_type == "appointment") & pairs.attendee_ours & pairs.attendee_theirs
    called = call & (
        (pairs.sender_ours & pairs.recipient_theirs) | (pairs.sender_theirs & pairs.recipient_ours)
    )
    answered = called & ~pairs.has_left_voicemail.astype(bool) & (pairs.duration_minutes > 0)
    weight = np.select(
        [sent, received, meeting, answered, called],
        [
            config.email_sent_weight / pairs.their_recipients,
            config.email_received_weight / pairs.our_recipients,
            config.meeting_weight / pairs.their_attendees,
            config.call_answered_weight,
            config.call_unanswered_weight,
        ],
        default=np.nan,
    )
    moment = pd.Timestamp(as_of.replace(tzinfo=None))
    age_days = (moment - pairs.occurred_at).dt.total_seconds() / 86400
    counted = sent | received | meeting | called
    # the data's span: its first e-mail, meeting or call (whoever took part) to the as-of moment, at least a day
    dated = activities[activities.activity_type.isin(["email", "appointment", "phonecall"])].occurred_at
    span_days = max(1.0, (moment - dated[dated < moment].min()).total_seconds() / 86400)
    half_life = config.half_life_days or config.half_life_share * span_days
    threads = pairs.activity_id.map(activities.set_index("activity_id").conversation_id)
    pairs = pairs.assign(
        is_sent=sent,
        is_received=received,
        is_meeting=meeting,
        is_call=called,
        is_answered=answered,
        thread=threads.fillna(pairs.activity_id),
        decayed=weight * 0.5 ** (age_days / half_life),
    )[counted]
    result = pairs.groupby(["colleague_id", "person_key"], as_index=False).agg(
        emails_sent=("is_sent", "sum"),
        emails_received=("is_received", "sum"),
        meetings_together=("is_meeting", "sum"),
        calls=("is_call", "sum"),
        calls_answered=("is_answered", "sum"),
        threads_shared=("thread", "nunique"),
        first_interaction_at=("occurred_at", "min"),
        last_interaction_at=("occurred_at", "max"),
        weighted_interactions=("decayed", "sum"),
    )
    # knows_score, written out from docs/who_knows_whom.md
    two_way = result.meetings_together + result.calls_answered
    each_way = np.minimum(result.emails_sent, result.emails_received) + two_way
    every = result.emails_sent + result.emails_received + 2 * two_way
    balance = np.where(every > 0, 2.0 * each_way / every.where(every > 0, 1), 0.0)
    pair_span = (result.last_interaction_at - result.first_interaction_at).dt.total_seconds() / 86400
    result["knows_score"] = (
        result.weighted_interactions
        * (1 + config.two_way_bonus * balance)
        * (1 + config.threads_bonus * (1 - 1 / result.threads_shared))
        * (1 + config.span_bonus * np.minimum(1.0, pair_span / span_days))
    )
    doublings = np.log2(1 + result.knows_score / config.strength_half_at)
    strength = 100 * doublings / (doublings + 1)
    result["strength"] = strength.round(1).where(~((strength < 0.1) & (result.knows_score > 0)), 0.1)
    return result


@dataclass(frozen=True)
class RankingEvaluation:
    """How often the mart's first colleague is the true strongest, against baselines."""

    contacts: int  # contacts with a true tie and at least one interaction in the mart
    top1: float
    top3: float
    owner_top1: float  # baseline: the contact's record owner
    recent_emailer_top1: float  # baseline: the colleague who last e-mailed with the contact
    most_interactions_top1: float  # the mart's own counts, unweighted and undecayed
    busy_contacts: int  # of those, contacts with 20+ interactions
    busy_top1: float
    owner_wrong_contacts: int  # contacts whose true strongest colleague is not their record owner
    owner_wrong_top1: float  # top-1 among them (the owner baseline scores 0 there by construction)

    def render(self) -> str:
        return "\n".join(
            [
                f"contacts evaluated (a true tie and 1+ interaction): {self.contacts}",
                f"  strength rank 1 = true strongest (top-1)   {self.top1:6.1%}",
                f"  true strongest within the top 3 (top-3)    {self.top3:6.1%}",
                f"  baseline: record owner (top-1)             {self.owner_top1:6.1%}",
                f"  baseline: most recent e-mailer (top-1)     {self.recent_emailer_top1:6.1%}",
                f"  plain interaction count, no decay (top-1)  {self.most_interactions_top1:6.1%}",
                f"  contacts with 20+ interactions: {self.busy_contacts}, top-1 {self.busy_top1:6.1%}",
                f"  contacts whose strongest is not the owner: {self.owner_wrong_contacts}, "
                f"top-1 {self.owner_wrong_top1:6.1%} (owner baseline 0 %)",
            ]
        )


def evaluate_ranking(warehouse_path: Path | str, export_dir: Path | str) -> RankingEvaluation:
    """Compare ``marts.fct_who_knows_whom`` in ``warehouse_path`` with ``export_dir/_truth/``."""
    from rapport import warehouse

    export_dir = Path(export_dir)
    # the same configuration as dbt-duckdb's: a process that ran dbt cannot open the file differently
    with warehouse.connect(warehouse_path) as connection:
        connection.execute(
            f"create temp view truth as select * from '{export_dir / '_truth' / 'who_knows_whom.parquet'}'"
        )
        connection.execute(
            f"create temp view raw_contact as select * from '{export_dir / 'contact.parquet'}'"
        )
        row = connection.execute(
            """
            with mart as (select * from marts.fct_who_knows_whom where person_type = 'contact'),
            strongest as (select contactid, systemuserid from truth where rank = 1),
            evaluated as (
                select
                    strongest.contactid,
                    strongest.systemuserid as true_id,
                    max(case when mart.rank = 1 then mart.colleague_id end) as first_id,
                    max(case when mart.colleague_id = strongest.systemuserid then mart.rank end) as true_rank,
                    sum(mart.interaction_count) as interactions,
                    arg_max(mart.colleague_id, (mart.interaction_count, mart.last_interaction_at, mart.colleague_id)) as most_id
                from strongest
                inner join mart on mart.person_id = strongest.contactid
                group by strongest.contactid, strongest.systemuserid
            ),
            emailer as (
                select person_id as contactid, arg_max(colleague_id, (occurred_at, colleague_id)) as emailer_id
                from intermediate.int_colleague_interactions_paired
                where person_type = 'contact' and activity_type = 'email'
                    and occurred_at < (select max(as_of_at) from marts.fct_who_knows_whom)
                group by person_id
            )
            select
                count(*),
                avg(case when first_id = true_id then 1.0 else 0.0 end),
                avg(case when true_rank <= 3 then 1.0 else 0.0 end),
                avg(case when raw_contact.ownerid = true_id then 1.0 else 0.0 end),
                avg(case when emailer.emailer_id = true_id then 1.0 else 0.0 end),
                avg(case when most_id = true_id then 1.0 else 0.0 end),
                count(*) filter (where interactions >= 20),
                avg(case when first_id = true_id then 1.0 else 0.0 end) filter (where interactions >= 20),
                count(*) filter (where raw_contact.ownerid is distinct from true_id),
                avg(case when first_id = true_id then 1.0 else 0.0 end)
                    filter (where raw_contact.ownerid is distinct from true_id)
            from evaluated
            left join raw_contact on raw_contact.contactid = evaluated.contactid
            left join emailer on emailer.contactid = evaluated.contactid
            """
        ).fetchone()
    return RankingEvaluation(
        contacts=int(row[0]),
        top1=float(row[1]),
        top3=float(row[2]),
        owner_top1=float(row[3]),
        recent_emailer_top1=float(row[4]),
        most_interactions_top1=float(row[5]),
        busy_contacts=int(row[6]),
        busy_top1=float(row[7] or 0.0),
        owner_wrong_contacts=int(row[8]),
        owner_wrong_top1=float(row[9] or 0.0),
    )
