"""The mail importer on the real notmuch corpus, checked against an independent reading of the same files.

``lkml/``: 210 files, 176 unique messages (34 byte-identical duplicates). The corpus README counts 136
replies whose In-Reply-To names a message of the corpus, 49 of them to the sender's own message; 20
more replies name their parent through a gmane-rewritten id (``...-HASH@public.gmane.org``), which the
importer maps back, so it resolves 156. Both figures are checked here.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import duckdb
import pytest

from rapport.extract.mail import ConversionSummary, convert_archive
from tests.support.mail import (
    contract_problems,
    corpus_dir,
    maildir_view,
    read_independently,
    reply_pairs,
    sender_identity,
)

INTERNAL_DOMAIN = "redhat.com"  # David Howells, a frequent sender (also seen behind gmane addresses)


@pytest.fixture(scope="module")
def lkml_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[ConversionSummary, Path]:
    out = tmp_path_factory.mktemp("lkml") / "export"
    summary = convert_archive(corpus_dir() / "lkml", out, internal_domains=[INTERNAL_DOMAIN], progress=False)
    return summary, out


@pytest.fixture(scope="module")
def lkml_independent(tmp_path_factory: pytest.TempPathFactory):
    return read_independently(
        maildir_view(corpus_dir() / "lkml", tmp_path_factory.mktemp("view")), maildir=True
    )


def _query(sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def _scalar(sql: str):
    return _query(sql)[0][0]


def _emails(out: Path) -> dict[str, dict]:
    with duckdb.connect() as con:
        cursor = con.execute(f"select * from read_parquet('{out / 'email.parquet'}')")
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    return {row[names.index("messageid")]: dict(zip(names, row, strict=True)) for row in rows}


def _importer_pairs(out: Path) -> dict[str, str]:
    """child Message-ID -> parent Message-ID, from the importer's parentactivityid."""
    rows = _query(f"""
        select child.messageid, parent.messageid
        from read_parquet('{out / "email.parquet"}') as child
        inner join read_parquet('{out / "email.parquet"}') as parent
            on child.parentactivityid = parent.activityid
        """)
    return dict(rows)


def test_lkml_counts_reconcile(lkml_import, lkml_independent) -> None:
    summary, out = lkml_import
    assert (summary.files, summary.messages) == (210, 210) == (lkml_independent.files, lkml_independent.files)
    assert summary.unique_messages == 176 == len(lkml_independent.messages)
    assert summary.duplicates == 34 == lkml_independent.duplicates == lkml_independent.identical_duplicates
    assert summary.duplicates_differing == 0
    assert summary.quarantined == 0
    assert summary.reconciles
    assert _scalar(f"select count(*) from read_parquet('{out / 'email.parquet'}')") == 176
    assert set(_emails(out)) == set(lkml_independent.messages)


def test_lkml_reply_pairs_match_the_independent_reading(lkml_import, lkml_independent) -> None:
    summary, out = lkml_import
    importer_pairs = _importer_pairs(out)
    exact = reply_pairs(lkml_independent, through_gateway=False)
    with_gateway = reply_pairs(lkml_independent, through_gateway=True)
    # The corpus README's figure: In-Reply-To names a message of the corpus, id for id.
    assert len(exact) == 136
    assert {child: parent for child, parent in importer_pairs.items() if child in exact} == exact
    # The importer also maps gmane-rewritten ids back: 20 more replies, each checked pair by pair.
    assert importer_pairs == with_gateway
    assert summary.replies_resolved == len(with_gateway) == 156
    assert summary.replies_via_gateway == len(with_gateway) - len(exact) == 20


def test_lkml_self_replies_match(lkml_import, lkml_independent) -> None:
    summary, _ = lkml_import
    identity = sender_identity(lkml_independent)
    exact = reply_pairs(lkml_independent, through_gateway=False)
    with_gateway = reply_pairs(lkml_independent, through_gateway=True)
    exact_self = sum(identity[c] == identity[p] for c, p in exact.items())
    raw_self = sum(
        lkml_independent.messages[c].from_address == lkml_independent.messages[p].from_address
        for c, p in exact.items()
    )
    assert raw_self == exact_self == 49  # the README's figure
    assert summary.self_replies == sum(identity[c] == identity[p] for c, p in with_gateway.items())


def test_lkml_response_times_match(lkml_import, lkml_independent) -> None:
    _, out = lkml_import
    identity = sender_identity(lkml_independent)
    pairs = reply_pairs(lkml_independent, through_gateway=True)
    expected = {
        child: (
            lkml_independent.messages[child].date - lkml_independent.messages[parent].date
        ).total_seconds()
        for child, parent in pairs.items()
        if identity[child] != identity[parent]
    }
    rows = _query(
        f"""
        select child.messageid, epoch(child.senton) - epoch(parent.senton)
        from read_parquet('{out / "email.parquet"}') as child
        inner join read_parquet('{out / "email.parquet"}') as parent
            on child.parentactivityid = parent.activityid
        where child.sender <> parent.sender
        """
    )
    measured = dict(rows)
    assert measured == expected
    assert len(measured) == 156 - 52
    assert statistics.median(measured.values()) == statistics.median(expected.values())


def test_lkml_direction_follows_the_sender(lkml_import, lkml_independent) -> None:
    summary, out = lkml_import
    identity = sender_identity(lkml_independent)
    outbound = {key for key, address in identity.items() if address.endswith("@" + INTERNAL_DOMAIN)}
    emails = _emails(out)
    assert {key for key, row in emails.items() if row["directioncode"]} == outbound
    assert summary.outbound == len(outbound) > 0
    assert summary.inbound == 176 - len(outbound)
    assert all(row["statuscode"] == (3 if row["directioncode"] else 4) for row in emails.values())
    assert all(row["statecode"] == 1 for row in emails.values())


def test_lkml_senton_is_the_date_header_in_utc(lkml_import, lkml_independent) -> None:
    _, out = lkml_import
    emails = _emails(out)
    assert {key: row["senton"] for key, row in emails.items()} == {
        key: message.date for key, message in lkml_independent.messages.items()
    }


def test_lkml_gateway_senders_are_merged_with_their_real_address(lkml_import, lkml_independent) -> None:
    summary, out = lkml_import
    users = _query(f"select internalemailaddress, fullname from read_parquet('{out / 'systemuser.parquet'}')")
    assert ("dhowells@redhat.com", "David Howells") in users
    assert not [address for address, _ in users if "gmane" in address]
    as_gateway = sum(
        m.from_address.startswith("dhowells-") and m.from_address.endswith("@public.gmane.org")
        for m in lkml_independent.messages.values()
    )
    as_real = sum(m.from_address == "dhowells@redhat.com" for m in lkml_independent.messages.values())
    assert as_gateway > 0 and as_real > 0
    sent_by_howells = _scalar(
        f"select count(*) from read_parquet('{out / 'email.parquet'}') where sender = 'dhowells@redhat.com'"
    )
    assert sent_by_howells == as_gateway + as_real
    assert summary.gateway_addresses_mapped > 0


def test_lkml_export_passes_the_contract(lkml_import) -> None:
    _, out = lkml_import
    assert contract_problems(out) == []


def test_lkml_threads_group_replies_with_their_parents(lkml_import) -> None:
    summary, out = lkml_import
    broken = _scalar(
        f"""
        select count(*)
        from read_parquet('{out / "email.parquet"}') as child
        inner join read_parquet('{out / "email.parquet"}') as parent on child.parentactivityid = parent.activityid
        where child.conversationindex <> parent.conversationindex
        """
    )
    assert broken == 0
    assert summary.threads == _scalar(
        f"select count(distinct conversationindex) from read_parquet('{out / 'email.parquet'}')"
    )


def test_default_corpus(tmp_path: Path) -> None:
    root = corpus_dir() / "default"
    independent = read_independently(root, maildir=False)
    summary = convert_archive(root, tmp_path / "export", internal_domains=["cworth.org"], progress=False)
    out = tmp_path / "export"
    assert summary.files == summary.messages == independent.files == 53
    assert summary.unique_messages == len(independent.messages) == 52
    assert summary.duplicates == independent.duplicates == 1
    assert summary.reconciles and summary.quarantined == 0
    emails = _emails(out)
    assert sum(row["inreplyto"] is not None for row in emails.values()) == independent.with_in_reply_to == 29
    pairs = reply_pairs(independent, through_gateway=True)
    assert _importer_pairs(out) == pairs
    assert summary.replies_resolved == len(pairs)
    assert summary.replies_parent_missing == 29 - len(pairs)
    outbound = {k for k, m in independent.messages.items() if m.from_address.endswith("@cworth.org")}
    assert {k for k, row in emails.items() if row["directioncode"]} == outbound
    assert contract_problems(out) == []
