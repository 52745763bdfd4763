"""Helpers for the mail importer's tests: the reference corpus, an independent reading of it, contract checks.

The independent reading deliberately shares no code with ``rapport.extract.mail``: it uses
``mailbox.Maildir`` (or a plain walk), ``email.parser.HeaderParser`` and ``email.utils`` only, so a
figure both agree on was computed twice by different routes.
"""

from __future__ import annotations

import email.utils
import mailbox
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest

from rapport.contract import load_contract
from rapport.settings import PROJECT_ROOT

CORPUS_NAME = "email_notmuch_lkml"
_GMANE = re.compile(r"^(?P<left>.+)-[A-Za-z0-9+/=]+@public\.gmane\.org$")


def corpus_dir() -> Path:
    """The notmuch corpus, read in place (``RAPPORT_REFERENCE_DATA`` or a ``shared/data`` above the project)."""
    candidates = []
    if os.environ.get("RAPPORT_REFERENCE_DATA"):
        candidates.append(Path(os.environ["RAPPORT_REFERENCE_DATA"]))
    candidates.extend(parent / "shared" / "data" for parent in (PROJECT_ROOT, *PROJECT_ROOT.parents))
    for candidate in candidates:
        if (candidate / CORPUS_NAME).is_dir():
            return candidate / CORPUS_NAME
    pytest.skip(
        f"reference corpus {CORPUS_NAME} not found (set RAPPORT_REFERENCE_DATA to the shared data folder)"
    )


@dataclass(frozen=True)
class IndependentMessage:
    message_id: str  # as written, with angle brackets
    in_reply_to: str | None  # first <...> token
    from_name: str
    from_address: str  # lower case
    date: datetime  # UTC, naive


@dataclass(frozen=True)
class IndependentCorpus:
    files: int
    messages: dict[str, IndependentMessage]  # first copy per Message-ID
    duplicates: int
    identical_duplicates: int
    with_in_reply_to: int


def maildir_view(corpus_maildir: Path, where: Path) -> Path:
    """A maildir ``mailbox.Maildir`` accepts (it needs cur/, new/ and tmp/) whose ``cur`` is a symlink to
    the corpus's ``cur`` (the corpus has only ``cur`` and must not be modified)."""
    view = where / corpus_maildir.name
    view.mkdir()
    (view / "new").mkdir()
    (view / "tmp").mkdir()
    (view / "cur").symlink_to(corpus_maildir / "cur", target_is_directory=True)
    return view


def read_independently(root: Path, *, maildir: bool) -> IndependentCorpus:
    """Read every message's headers without the importer: mailbox.Maildir, or a walk of all files."""
    parser = BytesHeaderParser()
    if maildir:
        box = mailbox.Maildir(root, factory=None, create=False)
        raw = [box.get_bytes(key) for key in box.iterkeys()]
    else:
        paths = sorted(
            (Path(d) / n for d, _, names in os.walk(root) for n in names),
            key=lambda p: p.relative_to(root).as_posix(),
        )
        raw = [p.read_bytes() for p in paths]
    messages: dict[str, IndependentMessage] = {}
    first_bytes: dict[str, bytes] = {}
    duplicates = identical = with_irt = 0
    for data in raw:
        headers = parser.parsebytes(data)
        message_id = str(headers["Message-ID"]).strip()
        if message_id in messages:
            duplicates += 1
            identical += int(first_bytes[message_id] == data)
            continue
        irt = re.findall(r"<[^<>]+>", str(headers["In-Reply-To"] or ""))
        with_irt += int(bool(irt))
        name, address = email.utils.parseaddr(str(headers["From"]))
        date = email.utils.parsedate_to_datetime(str(headers["Date"])).astimezone(UTC).replace(tzinfo=None)
        first_bytes[message_id] = data
        messages[message_id] = IndependentMessage(
            message_id, irt[0] if irt else None, name.strip('"'), address.lower(), date
        )
    return IndependentCorpus(len(raw), messages, duplicates, identical, with_irt)


def sender_identity(corpus: IndependentCorpus) -> dict[str, str]:
    """Message-ID -> sender address, gmane-obfuscated senders replaced by the real address their display
    name is seen with (when that name is seen with exactly one real address)."""
    real_by_name: dict[str, set[str]] = defaultdict(set)
    for message in corpus.messages.values():
        if not message.from_address.endswith("@public.gmane.org") and message.from_name:
            real_by_name[message.from_name.lower()].add(message.from_address)
    identity = {}
    for key, message in corpus.messages.items():
        address = message.from_address
        if address.endswith("@public.gmane.org") and len(real_by_name[message.from_name.lower()]) == 1:
            address = next(iter(real_by_name[message.from_name.lower()]))
        identity[key] = address
    return identity


def reply_pairs(corpus: IndependentCorpus, *, through_gateway: bool) -> dict[str, str]:
    """child Message-ID -> parent Message-ID for In-Reply-To ids in the corpus; with ``through_gateway``
    also ids rewritten as ``left-HASH@public.gmane.org`` whose left part names exactly one message."""
    by_left: dict[str, list[str]] = defaultdict(list)
    for key in corpus.messages:
        by_left[key.strip("<>").rsplit("@", 1)[0]].append(key)
    pairs = {}
    for key, message in corpus.messages.items():
        target = message.in_reply_to
        if target is None:
            continue
        if target in corpus.messages:
            pairs[key] = target
        elif through_gateway and (match := _GMANE.match(target.strip("<>"))):
            candidates = by_left.get(match.group("left"), [])
            if len(candidates) == 1:
                pairs[key] = candidates[0]
    return pairs


def contract_problems(out_dir: Path, fmt: str = "parquet") -> list[str]:
    """Every way the export folder breaks the contract: missing files or columns, values that do not cast
    to the contract type, nulls in required columns, duplicate keys, dangling references."""
    import duckdb

    contract = load_contract()
    problems: list[str] = []
    con = duckdb.connect()
    reader = "read_parquet" if fmt == "parquet" else "read_csv"
    written = {p.stem for p in out_dir.glob(f"*.{fmt}")}
    for table in contract.tables:
        path = out_dir / f"{table.name}.{fmt}"
        if not path.exists():
            if table.required:
                problems.append(f"{table.name}: required table missing")
            continue
        options = ", all_varchar = true" if fmt == "csv" else ""
        con.execute(f"create or replace view {table.name} as select * from {reader}('{path}'{options})")
        columns = [row[0] for row in con.execute(f"describe {table.name}").fetchall()]
        if columns != list(table.column_names):
            problems.append(
                f"{table.name}: columns {columns} differ from the contract's {list(table.column_names)}"
            )
            continue
        for column in table.columns:
            bad = con.execute(
                f"select count(*) from {table.name} where {column.name} is not null "
                f"and try_cast({column.name} as {column.duckdb_type}) is null"
            ).fetchone()[0]
            if bad:
                problems.append(
                    f"{table.name}.{column.name}: {bad} values do not cast to {column.duckdb_type}"
                )
            if column.required:
                nulls = con.execute(
                    f"select count(*) from {table.name} where {column.name} is null"
                ).fetchone()[0]
                if nulls:
                    problems.append(f"{table.name}.{column.name}: {nulls} nulls in a required column")
        key = table.primary_key
        dupes = con.execute(f"select count(*) - count(distinct {key}) from {table.name}").fetchone()[0]
        if dupes:
            problems.append(f"{table.name}: {dupes} duplicate {key}")
    checks = {
        "email.ownerid -> systemuser": "select count(*) from email where ownerid not in (select systemuserid from systemuser)",
        "contact.ownerid -> systemuser": "select count(*) from contact where ownerid not in (select systemuserid from systemuser)",
        "account.ownerid -> systemuser": "select count(*) from account where ownerid not in (select systemuserid from systemuser)",
        "email.parentactivityid -> email": "select count(*) from email where parentactivityid is not null "
        "and parentactivityid not in (select activityid from email)",
        "activityparty.activityid -> email": "select count(*) from activityparty where activityid not in (select activityid from email)",
        "activityparty systemuser parties": "select count(*) from activityparty where partyobjecttypecode = 'systemuser' "
        "and partyid not in (select systemuserid from systemuser)",
        "activityparty contact parties": "select count(*) from activityparty where partyobjecttypecode = 'contact' "
        "and partyid not in (select contactid from contact)",
        "contact.parentcustomerid -> account": "select count(*) from contact where parentcustomerid is not null "
        "and parentcustomerid not in (select accountid from account)",
    }
    if {"email", "systemuser", "contact", "account", "activityparty"} <= written:
        for name, sql in checks.items():
            dangling = con.execute(sql).fetchone()[0]
            if dangling:
                problems.append(f"{name}: {dangling} dangling references")
    con.close()
    return problems
