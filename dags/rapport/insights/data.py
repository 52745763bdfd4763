"""Reading the published copy for the insight pages: short-lived read-only connections, bound parameters.

Every page opens ``var/published/marts.duckdb`` read-only for the time of one request and closes it, so
a newer run's copy (swapped in atomically by :mod:`rapport.publish`) is seen by the next request and the
DAG's warehouse is never touched. User input never becomes SQL text: values are bound parameters, and
sort keys and entity names are looked up in fixed tables below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rapport.errors import RapportInputError

GRADES = {0: "A", 1: "B", 2: "C", 3: "D"}
SCORE_TRENDS = {0: "improving", 1: "steady", 2: "declining", 3: "not enough info"}


class PublishedCopyMissing(RapportInputError):
    """There is no published copy yet (no successful run)."""


class UnknownRecord(RapportInputError):
    """A page asked for an entity or a record the published copy does not have."""


@dataclass(frozen=True)
class Entity:
    """One list view: its dim table, key and name columns, and the score entity type if it is scored."""

    name: str  # leads, opportunities, contacts, accounts
    record_type: str  # lead, opportunity, contact, account
    table: str
    key: str
    title: str  # the column that names a row
    scored: bool
    has_health: bool
    has_stage: bool


ENTITIES = {
    "leads": Entity("leads", "lead", "dim_leads", "lead_id", "full_name", True, True, False),
    "opportunities": Entity(
        "opportunities",
        "opportunity",
        "dim_opportunities",
        "opportunity_id",
        "opportunity_name",
        True,
        True,
        True,
    ),
    "contacts": Entity("contacts", "contact", "dim_contacts", "contact_id", "full_name", False, True, False),
    "accounts": Entity(
        "accounts", "account", "dim_accounts", "account_id", "account_name", False, False, False
    ),
}

# sort key -> SQL expression over the list query's columns (never user text)
SORTS = {
    "name": "lower(title)",
    "owner": "lower(owner_name)",
    "health": "health_score",
    "score": "score",
    "last_ours": "last_activity_ours_at",
    "next_ours": "next_activity_ours_at",
    "last_theirs": "last_activity_theirs_at",
    "stage": "sales_stage",
    "activities": "activity_count",
}


def entity(name: str) -> Entity:
    try:
        return ENTITIES[name]
    except KeyError:
        raise UnknownRecord(f"no list view named {name!r}; use one of {sorted(ENTITIES)}") from None


@contextmanager
def read_only(database: Path) -> Iterator[Any]:
    """A read-only connection to the published copy for the time of one request."""
    import duckdb

    if not database.exists():
        raise PublishedCopyMissing(
            f"no published copy at {database}: run the DAG once (`rapport run`) — a successful run "
            "publishes its marts there"
        )
    connection = duckdb.connect(
        str(database),
        read_only=True,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    try:
        yield connection
    finally:
        connection.close()


def rows(connection: Any, sql: str, parameters: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = connection.execute(sql, parameters or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def one(connection: Any, sql: str, parameters: list[Any] | None = None) -> dict[str, Any] | None:
    found = rows(connection, sql, parameters)
    return found[0] if found else None


def tables(connection: Any) -> set[str]:
    return {
        row[0] for row in connection.execute("select table_name from information_schema.tables").fetchall()
    }


def publication(connection: Any) -> dict[str, Any]:
    """The published run's date and time (``_publication``)."""
    found = one(connection, "select ds, published_at from _publication limit 1")
    if found is None:
        raise PublishedCopyMissing("the published copy has no _publication row: it was not written by a run")
    return found


# List views ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    owner: str = ""
    band: str = ""
    grade: str = ""
    stage: str = ""
    search: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1


def _score_cte(available: set[str]) -> str:
    """The latest score of each scored record (empty when no model scored yet)."""
    if "fct_predictive_scores" not in available:
        return (
            "scores as (select null::varchar as entity_type, null::varchar as record_id, null::integer as score, "
            "null::integer as grade, null::integer as score_trend, null::varchar as reasons, "
            "null::varchar as scoring_status, null::varchar as scoring_status_reason where false)"
        )
    return """
    scores as (
        select msdyn_entitytype as entity_type, msdyn_entityid as record_id, msdyn_score as score,
               msdyn_grade as grade, msdyn_scoretrend as score_trend, msdyn_scorereasons as reasons,
               scoring_status, scoring_status_reason
        from fct_predictive_scores
        qualify row_number() over (partition by msdyn_entitytype, msdyn_entityid order by msdyn_scoredon desc) = 1
    )"""


def _list_select(ent: Entity, available: set[str]) -> str:
    health = (
        "d.health_score, d.health_band, d.health_trend"
        if ent.has_health
        else ("null::double as health_score, null::varchar as health_band, null::varchar as health_trend")
    )
    stage = "d.sales_stage" if ent.has_stage else "null::varchar as sales_stage"
    return f"""
    with {_score_cte(available)},
    listed as (
        select d.{ent.key} as record_id, d.{ent.title} as title, d.owner_name, {health}, {stage},
               d.last_activity_ours_at, d.last_activity_ours_type, d.next_activity_ours_at,
               d.next_activity_ours_type, d.last_activity_theirs_at, d.last_activity_theirs_type,
               d.activity_count, s.score, s.grade, s.score_trend
        from {ent.table} as d
        left join scores as s on s.entity_type = ? and s.record_id = d.{ent.key}
    )"""


def list_records(connection: Any, ent: Entity, query: ListQuery, page_size: int) -> tuple[list[dict], int]:
    """One page of a list view and the number of rows that match the filters."""
    available = tables(connection)
    where = ["true"]
    parameters: list[Any] = [ent.record_type]
    if query.owner:
        where.append("owner_name = ?")
        parameters.append(query.owner)
    if query.band:
        where.append("health_band = ?")
        parameters.append(query.band)
    if query.grade:
        code = {letter: number for number, letter in GRADES.items()}.get(query.grade.upper())
        where.append("grade = ?")
        parameters.append(code)
    if query.stage:
        where.append("sales_stage = ?")
        parameters.append(query.stage)
    if query.search:
        where.append("(title ilike ? or owner_name ilike ?)")
        pattern = f"%{query.search}%"
        parameters.extend([pattern, pattern])
    order = SORTS.get(query.sort, SORTS["name"])
    direction = "desc" if query.descending else "asc"
    base = _list_select(ent, available)
    condition = " and ".join(where)
    total = connection.execute(
        f"{base} select count(*) from listed where {condition}", parameters
    ).fetchone()[0]
    page = max(1, query.page)
    found = rows(
        connection,
        f"{base} select * from listed where {condition} "
        f"order by {order} {direction} nulls last, record_id limit ? offset ?",
        [*parameters, page_size, (page - 1) * page_size],
    )
    return found, int(total)


def filter_choices(connection: Any, ent: Entity) -> dict[str, list[str]]:
    """Values offered by the filters of a list view."""
    choices = {
        "owner": [
            r[0]
            for r in connection.execute(
                f"select distinct owner_name from {ent.table} where owner_name is not null order by 1"
            ).fetchall()
        ],
        "band": ["good", "fair", "poor"] if ent.has_health else [],
        "grade": list(GRADES.values()) if ent.scored else [],
        "stage": [],
    }
    if ent.has_stage:
        choices["stage"] = [
            r[0]
            for r in connection.execute(
                "select distinct sales_stage from dim_opportunities where sales_stage is not null order by 1"
            ).fetchall()
        ]
    return choices


def focus_list(connection: Any, limit: int) -> list[dict[str, Any]]:
    """Open opportunities ranked by score × health / 100 (where to spend my time), with the reasons."""
    available = tables(connection)
    return rows(
        connection,
        f"""
        with {_score_cte(available)}
        select d.opportunity_id as record_id, d.opportunity_name as title, d.account_name, d.owner_name,
               d.sales_stage, d.estimated_value, d.estimated_close_date, d.health_score, d.health_band,
               d.health_trend, d.no_score_reason, s.score, s.grade, s.reasons, s.scoring_status_reason,
               round(coalesce(s.score, 0) * coalesce(d.health_score, 0) / 100.0, 1) as priority
        from dim_opportunities as d
        left join scores as s on s.entity_type = 'opportunity' and s.record_id = d.opportunity_id
        where d.is_open
        order by priority desc, s.score desc nulls last, d.opportunity_id
        limit ?
        """,
        [limit],
    )


def pipeline_points(connection: Any) -> list[dict[str, Any]]:
    """Open opportunities with an estimated close date: date, revenue and health band."""
    return rows(
        connection,
        """
        select opportunity_id as record_id, opportunity_name as title, estimated_close_date,
               estimated_value, health_band, health_score
        from dim_opportunities
        where is_open and estimated_close_date is not null and estimated_value is not null
        order by estimated_close_date, opportunity_id
        """,
    )


# Record page ------------------------------------------------------------------------------------------


def record(connection: Any, ent: Entity, record_id: str) -> dict[str, Any]:
    found = one(connection, f"select * from {ent.table} where {ent.key} = ?", [record_id])
    if found is None:
        raise UnknownRecord(f"no {ent.record_type} with id {record_id!r} in the published copy")
    return found


def kpis(connection: Any, ent: Entity, record_id: str, ds: date) -> dict[str, Any] | None:
    return one(
        connection,
        "select * from fct_relationship_kpis where record_type = ? and record_id = ? and as_of_date = ?",
        [ent.record_type, record_id, ds],
    )


def health_history(connection: Any, ent: Entity, record_id: str) -> list[dict[str, Any]]:
    if not ent.has_health:
        return []
    return rows(
        connection,
        "select * from fct_relationship_health_daily where record_type = ? and record_id = ? order by as_of_date",
        [ent.record_type, record_id],
    )


def activity_daily(connection: Any, ent: Entity, record_id: str, ds: date) -> list[dict[str, Any]]:
    return rows(
        connection,
        """
        select activity_date, measure, sum(activity_count) as activity_count
        from fct_relationship_activity_daily
        where record_type = ? and record_id = ? and as_of_date = ?
        group by activity_date, measure order by activity_date, measure
        """,
        [ent.record_type, record_id, ds],
    )


def activity_history(
    connection: Any, ent: Entity, record_id: str, limit: int
) -> tuple[list[dict[str, Any]], int]:
    if "fct_record_activities" not in tables(connection):
        return [], 0
    parameters = [ent.record_type, record_id]
    total = connection.execute(
        "select count(*) from fct_record_activities where record_type = ? and record_id = ?", parameters
    ).fetchone()[0]
    found = rows(
        connection,
        """
        select activity_id, activity_type, initiator_side, initiator_name, subject, duration_minutes,
               occurred_at, planned_at, is_done, is_upcoming
        from fct_record_activities where record_type = ? and record_id = ?
        order by coalesce(occurred_at, planned_at) desc, activity_id limit ?
        """,
        [*parameters, limit],
    )
    return found, int(total)


def scores(connection: Any, ent: Entity, record_id: str, since: date) -> list[dict[str, Any]]:
    """The record's score rows since ``since`` (the last month), oldest first, with reasons decoded."""
    if not ent.scored or "fct_predictive_scores" not in tables(connection):
        return []
    # score_change_json came with issue 11: a copy published before it has no such column
    has_change = bool(
        connection.execute(
            "select count(*) from information_schema.columns "
            "where table_name = 'fct_predictive_scores' and column_name = 'score_change_json'"
        ).fetchone()[0]
    )
    change = "score_change_json" if has_change else "cast(null as varchar)"
    found = rows(
        connection,
        f"""
        select msdyn_scoredon as scored_on, msdyn_score as score, msdyn_grade as grade,
               msdyn_scoretrend as score_trend, msdyn_scorereasons as reasons, model_name, model_version,
               scoring_status, scoring_status_reason, reasons_as_of_date, {change} as change_json
        from fct_predictive_scores
        where msdyn_entitytype = ? and msdyn_entityid = ? and msdyn_scoredon >= ?
        order by msdyn_scoredon
        """,
        [ent.record_type, record_id, since],
    )
    for row in found:
        row["reasons"] = decode_reasons(row["reasons"])
        row["change"] = decode_change(row.pop("change_json"))
    return found


def decode_change(text: str | None) -> dict[str, Any] | None:
    """``score_change_json`` (ml.change): since, previous score, model change, the fields that moved most
    (each with its direction and the change of its contribution in log-odds)."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    moved = []
    for item in value.get("moved_by") or []:
        if isinstance(item, dict) and item.get("field"):
            change = float(item.get("change") or 0.0)
            moved.append(
                {
                    "field": item["field"],
                    "direction": "raises" if change > 0 else "lowers",
                    "change": change,
                    "from": item.get("from"),
                    "to": item.get("to"),
                }
            )
    largest = max((abs(m["change"]) for m in moved), default=0.0)
    for m in moved:  # bar width on the page: this field's share of the largest move, 0-100
        m["share"] = round(100 * abs(m["change"]) / largest) if largest else 0
    return {
        "since": value.get("since"),
        "previous_score": value.get("previous_score"),
        "model_changed": bool(value.get("model_changed")),
        "moved_by": moved,
        "note": value.get("note"),
    }


def decode_reasons(text: str | None) -> dict[str, list[dict[str, Any]]]:
    """``msdyn_scorereasons`` (a JSON list of {effect, field, value, text}) split into raises and lowers."""
    out: dict[str, list[dict[str, Any]]] = {"raises": [], "lowers": []}
    if not text:
        return out
    try:
        value = json.loads(text)
    except ValueError:
        return out
    for reason in value if isinstance(value, list) else []:
        if isinstance(reason, dict) and reason.get("effect") in out:
            out[reason["effect"]].append(reason)
    return out


def score_change(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Why the latest score differs from the previous one: the fields whose contributions moved most
    (``score_change_json``, stored by the scoring run) and the reasons that appeared or went away."""
    if not history or history[-1]["score"] is None:
        return None
    latest = history[-1]
    stored = latest.get("change")
    if stored is not None and stored.get("previous_score") != latest["score"]:
        return {
            "from_score": stored.get("previous_score"),
            "from_date": stored.get("since"),
            "to_score": latest["score"],
            "moved_by": stored["moved_by"],
            "model_changed": stored["model_changed"],
            "note": stored.get("note"),
            "appeared": [],
            "went_away": [],
        }
    if len(history) < 2:
        return None
    earlier = [row for row in history[:-1] if row["score"] is not None and row["score"] != latest["score"]]
    if not earlier:
        return None
    before = earlier[-1]

    def texts(row: dict[str, Any]) -> dict[str, str]:
        return {
            f"{reason['effect']}|{reason.get('field')}": reason.get("text", "")
            for effect in ("raises", "lowers")
            for reason in row["reasons"][effect]
        }

    now, then = texts(latest), texts(before)
    return {
        "from_score": before["score"],
        "from_date": before["scored_on"],
        "to_score": latest["score"],
        "moved_by": [],
        "model_changed": False,
        "note": None,
        "appeared": [text for key, text in now.items() if key not in then],
        "went_away": [text for key, text in then.items() if key not in now],
    }


def person_key(ent: Entity, row: dict[str, Any]) -> str | None:
    """Who-knows-whom key of the person behind a record (a lead itself, else its contact)."""
    if ent.record_type == "lead":
        return f"lead:{row['lead_id']}"
    if ent.record_type == "contact":
        return f"contact:{row['contact_id']}"
    if ent.record_type == "opportunity" and row.get("contact_id"):
        return f"contact:{row['contact_id']}"
    return None


def who_knows(connection: Any, ent: Entity, row: dict[str, Any], limit: int = 5) -> list[dict[str, Any]]:
    if ent.record_type == "account":
        if "fct_company_connections" not in tables(connection):
            return []
        return rows(
            connection,
            """
            select colleague_name, colleague_email, strength, rank, emails_sent, emails_received,
                   meetings_together, calls, last_interaction_at, company_name as person_name,
                   null::varchar as person_email
            from fct_company_connections where company_key = ? order by rank limit ?
            """,
            [f"account:{row['account_id']}", limit],
        )
    key = person_key(ent, row)
    if key is None or "fct_who_knows_whom" not in tables(connection):
        return []
    return rows(
        connection,
        """
        select colleague_name, colleague_email, strength, rank, emails_sent, emails_received,
               meetings_together, calls, last_interaction_at, person_name, person_email
        from fct_who_knows_whom where person_key = ? order by rank limit ?
        """,
        [key, limit],
    )


def note_suggestions(connection: Any, record_id: str) -> list[dict[str, Any]]:
    if "fct_note_suggestions" not in tables(connection):
        return []
    return rows(
        connection,
        """
        select suggestion_type, subject, matched_text, language, suggested_start_at, suggested_due_at,
               confidence, source_kind
        from fct_note_suggestions where regarding_id = ?
        order by source_modified_at desc, suggestion_index limit 50
        """,
        [record_id],
    )


def talking_points(connection: Any, contact_id: str | None) -> list[dict[str, Any]]:
    if not contact_id or "fct_talking_points" not in tables(connection):
        return []
    return rows(
        connection,
        """
        select category, last_keyword, last_snippet, last_mentioned_date, mention_count
        from fct_talking_points where contact_id = ? order by last_mentioned_at desc
        """,
        [contact_id],
    )


# Run page ---------------------------------------------------------------------------------------------


def run_overview(connection: Any, ds: date) -> dict[str, Any]:
    available = tables(connection)

    def if_present(table: str, sql: str, parameters: list[Any]) -> list[dict[str, Any]]:
        return rows(connection, sql, parameters) if table in available else []

    return {
        "reconciliation": if_present(
            "audit_reconciliation",
            "select table_name, raw_rows, clean_rows, quarantined_rows, is_balanced from audit_reconciliation "
            "where ds = ? order by table_name",
            [ds],
        ),
        "quarantine": if_present(
            "audit_quarantine",
            "select table_name, check_name, count(*) as row_count, any_value(reason) as example_reason "
            "from audit_quarantine where ds = ? group by table_name, check_name order by table_name, check_name",
            [ds],
        ),
        "dbt_runs": if_present(
            "audit_dbt_runs",
            "select selection, succeeded, models_built, tests_passed, tests_warned, seconds from audit_dbt_runs "
            "where ds = ? order by finished_at",
            [ds],
        ),
        "scores": if_present(
            "fct_predictive_scores",
            "select msdyn_entitytype as entity_type, scoring_status, model_name, model_version, count(*) as records "
            "from fct_predictive_scores where msdyn_scoredon = ? group by all order by all",
            [ds],
        ),
        "extracted": if_present(
            "audit_extract_manifest",
            "select count(*) as tables, coalesce(sum(rows), 0) as row_count, min(source) as source "
            "from audit_extract_manifest where ds = ?",
            [ds],
        ),
    }
