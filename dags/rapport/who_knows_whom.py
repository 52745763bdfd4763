"""Who knows whom: look a person or a company up in the published marts and rank our colleagues.

Reads the read-only published copy (``rapport.publish.published_database``), never the warehouse, so it
works while a run writes. The marts are ``fct_who_knows_whom`` (colleague × person) and
``fct_company_connections`` (colleague × account or e-mail domain); the formula is in
docs/who_knows_whom.md.

A lookup is tried in this order: an e-mail address (a person), a contact / lead id or person key, an
account id or ``account:<id>`` / ``domain:<domain>`` key, an account name (case-insensitive, exact), an
e-mail domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rapport import warehouse
from rapport.publish import reader_command

if TYPE_CHECKING:
    import duckdb

PERSON_MART = "fct_who_knows_whom"
COMPANY_MART = "fct_company_connections"


class WhoKnowsError(LookupError):
    """The lookup cannot be answered (nothing published, or nobody matches); the message says what to do."""


class NothingPublishedError(WhoKnowsError):
    """No published copy of the marts (or one without the who-knows-whom marts)."""


class UnknownSubjectError(WhoKnowsError):
    """No person or company in the published marts matches the lookup."""


@dataclass(frozen=True)
class Connection:
    """One colleague's connection to the person or company looked up."""

    rank: int
    colleague_name: str | None
    colleague_email: str | None
    strength: float
    emails_sent: int
    emails_received: int
    meetings_together: int
    calls: int
    last_interaction_at: datetime
    people_known: int | None  # companies only


@dataclass(frozen=True)
class Subject:
    """A person or a company the lookup matched, with its colleagues ranked."""

    kind: str  # contact | lead | address | account | domain
    key: str  # person_key or company_key
    name: str | None
    email: str | None  # people only
    company_name: str | None
    colleague_count: int
    connections: tuple[Connection, ...]


@dataclass(frozen=True)
class WhoKnowsAnswer:
    """The subjects a lookup matched (usually one) in the published copy of ``as_of_date``."""

    query: str
    as_of_date: date | None
    database_path: str
    subjects: tuple[Subject, ...]


def who_knows(database: Path | str, query: str, *, top: int = 10) -> WhoKnowsAnswer:
    """Rank the colleagues who know the person or company ``query`` names, best first, at most ``top``."""

    database = Path(database)
    text = query.strip()
    if not text:
        raise UnknownSubjectError("give an e-mail address, a contact id, an account name or id, or a domain")
    if top < 1:
        raise WhoKnowsError(f"--top must be at least 1, got {top}")
    if not database.is_file():
        raise NothingPublishedError(
            f"nothing is published yet at {database}; run `rapport run` first "
            "(it builds the marts and publishes this read-only copy)"
        )
    with warehouse.connect(database, read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute("select table_name from information_schema.tables").fetchall()
        }
        missing = {PERSON_MART, COMPANY_MART} - tables
        if missing:
            raise NothingPublishedError(
                f"the published copy {database} has no {', '.join(sorted(missing))}: it was published before "
                "who-knows-whom existed; run `rapport run` again"
            )
        as_of = _as_of_date(connection)
        person_keys = _match_people(connection, text)
        subjects = [_person_subject(connection, key, top) for key in person_keys]
        if not subjects:
            subjects = [_company_subject(connection, key, top) for key in _match_companies(connection, text)]
        if not subjects:
            raise UnknownSubjectError(_unknown_message(connection, text, database))
    return WhoKnowsAnswer(query=text, as_of_date=as_of, database_path=str(database), subjects=tuple(subjects))


def _as_of_date(connection: duckdb.DuckDBPyConnection) -> date | None:
    row = connection.execute(f"select max(as_of_date) from {PERSON_MART}").fetchone()
    return row[0] if row else None


def _match_people(connection: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    """Person keys matching an address, a contact / lead id or a person key (case-insensitive)."""
    lowered = text.lower()
    column = "person_email" if "@" in lowered else None
    if column:
        sql = f"select distinct person_key from {PERSON_MART} where person_email = ? order by person_key"
        return [row[0] for row in connection.execute(sql, [lowered]).fetchall()]
    sql = (
        f"select distinct person_key from {PERSON_MART} "
        "where lower(person_id) = ? or lower(person_key) = ? order by person_key"
    )
    return [row[0] for row in connection.execute(sql, [lowered, lowered]).fetchall()]


def _match_companies(connection: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    """Company keys matching an account id, a company key, an account name, or a domain (its people's companies)."""
    lowered = text.lower().removeprefix("@")
    sql = f"""
        select distinct company_key from {COMPANY_MART}
        where lower(company_key) = ?
            or lower(account_id) = ?
            or lower(company_name) = ?
            or company_key = 'domain:' || ?
            or company_key in (select company_key from {PERSON_MART} where email_domain = ?)
        order by company_key
    """
    return [row[0] for row in connection.execute(sql, [lowered] * 5).fetchall()]


def _person_subject(connection: duckdb.DuckDBPyConnection, person_key: str, top: int) -> Subject:
    rows = connection.execute(
        f"""
        select person_type, person_name, person_email, company_name, count(*) over () as colleagues,
               rank, colleague_name, colleague_email, strength, emails_sent, emails_received,
               meetings_together, calls, last_interaction_at
        from {PERSON_MART}
        where person_key = ?
        order by rank
        limit ?
        """,
        [person_key, top],
    ).fetchall()
    first = rows[0]
    return Subject(
        kind=first[0],
        key=person_key,
        name=first[1],
        email=first[2],
        company_name=first[3],
        colleague_count=int(first[4]),
        connections=tuple(
            Connection(
                rank=int(row[5]),
                colleague_name=row[6],
                colleague_email=row[7],
                strength=float(row[8]),
                emails_sent=int(row[9]),
                emails_received=int(row[10]),
                meetings_together=int(row[11]),
                calls=int(row[12]),
                last_interaction_at=row[13],
                people_known=None,
            )
            for row in rows
        ),
    )


def _company_subject(connection: duckdb.DuckDBPyConnection, company_key: str, top: int) -> Subject:
    rows = connection.execute(
        f"""
        select company_type, company_name, count(*) over () as colleagues,
               rank, colleague_name, colleague_email, strength, emails_sent, emails_received,
               meetings_together, calls, last_interaction_at, people_known
        from {COMPANY_MART}
        where company_key = ?
        order by rank
        limit ?
        """,
        [company_key, top],
    ).fetchall()
    first = rows[0]
    return Subject(
        kind=first[0],
        key=company_key,
        name=first[1],
        email=None,
        company_name=first[1],
        colleague_count=int(first[2]),
        connections=tuple(
            Connection(
                rank=int(row[3]),
                colleague_name=row[4],
                colleague_email=row[5],
                strength=float(row[6]),
                emails_sent=int(row[7]),
                emails_received=int(row[8]),
                meetings_together=int(row[9]),
                calls=int(row[10]),
                last_interaction_at=row[11],
                people_known=int(row[12]),
            )
            for row in rows
        ),
    )


def _unknown_message(connection: duckdb.DuckDBPyConnection, text: str, database: Path) -> str:
    """Why nothing matched, with near matches and how to list the known addresses."""
    lowered = text.lower()
    colleague_rows = connection.execute(
        f"select count(*) from {PERSON_MART} where colleague_email = ?", [lowered]
    ).fetchall()
    if colleague_rows[0][0]:
        return f"{text} is one of our colleagues; give the address or id of someone at the customer"
    hint = lowered.split("@")[-1] if "@" in lowered else lowered
    near = [
        row[0]
        for row in connection.execute(
            f"""
            select distinct person_email from {PERSON_MART}
            where person_email is not null and (person_email like '%' || ? || '%' or lower(person_name) like '%' || ? || '%')
            order by person_email limit 5
            """,
            [hint, lowered],
        ).fetchall()
    ]
    lines = [
        f"nobody at the customer matches {text!r} in {database} "
        "(no interaction with our colleagues before the as-of moment, or not in the CRM)."
    ]
    if near:
        lines.append("  similar addresses: " + ", ".join(near))

    listing = (
        f"select distinct person_email, person_name from {PERSON_MART} where person_email like '%part-of-it%'"
    )
    lines.append(f"  list known addresses: {reader_command(Path(database), listing)}")
    lines.append("  also accepted: a contact or lead id, an account name or id, an e-mail domain")
    return "\n".join(lines)


def render_answer(answer: WhoKnowsAnswer) -> str:
    """The answer as text tables, one per subject."""
    blocks = []
    as_of = answer.as_of_date.isoformat() if answer.as_of_date else "unknown date"
    for subject in answer.subjects:
        label = subject.name or subject.key
        if subject.email and subject.email != subject.name:
            label += f" <{subject.email}>"
        detail = subject.kind + (
            f", {subject.company_name}"
            if subject.company_name and subject.kind not in ("account", "domain")
            else ""
        )
        shown = len(subject.connections)
        title = (
            f"Who knows {label} ({detail}), as of {as_of}: "
            f"{subject.colleague_count} colleague{'s' if subject.colleague_count != 1 else ''}"
            + (f", top {shown} shown" if shown < subject.colleague_count else "")
        )
        is_company = subject.kind in ("account", "domain")
        header = (
            f"{'#':>3}  {'colleague':<44} {'strength':>8} {'sent':>5} {'recv':>5} {'meet':>5} {'calls':>5}"
        )
        header += f" {'people':>6}" if is_company else ""
        header += "  last interaction"
        lines = [title, header, "-" * len(header)]
        for item in subject.connections:
            who = item.colleague_name or "?"
            if item.colleague_email:
                who += f" <{item.colleague_email}>"
            line = (
                f"{item.rank:>3}  {who[:44]:<44} {item.strength:>8.1f} {item.emails_sent:>5} "
                f"{item.emails_received:>5} {item.meetings_together:>5} {item.calls:>5}"
            )
            if is_company:
                line += f" {item.people_known or 0:>6}"
            line += f"  {item.last_interaction_at:%Y-%m-%d}"
            lines.append(line)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
