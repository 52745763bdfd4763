"""The mail importer's inputs: mbox, .eml, compressed and mixed archives, charsets, broken messages, errors."""

from __future__ import annotations

import bz2
import gzip
import json
import shutil
import uuid
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from rapport.extract.mail import MailImportError, MissingInternalDomainError, convert_archive
from tests.support.mail import contract_problems, corpus_dir

INTERNAL = ["example.org"]


def message(
    message_id: str | None = "<m1@example.org>",
    *,
    sender: str = "Anna Berg <anna@example.org>",
    to: str = "Bob Lee <bob@customer.com>",
    subject: str = "Hello",
    date: str = "Tue, 17 Nov 2009 21:28:37 +0600",
    extra: str = "",
    body: str = "Hi Bob,\n\nsee you.\n",
    content_type: str = "text/plain; charset=us-ascii",
) -> bytes:
    """A small RFC 5322 message (headers may be left out by passing '')."""
    lines = []
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    for name, value in (("From", sender), ("To", to), ("Subject", subject), ("Date", date)):
        if value:
            lines.append(f"{name}: {value}")
    lines.append(f"Content-Type: {content_type}")
    if extra:
        lines.append(extra.rstrip("\n"))
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")


def convert(path: Path, out: Path, **kwargs):
    kwargs.setdefault("internal_domains", INTERNAL)
    return convert_archive(path, out, progress=False, **kwargs)


def read(out: Path, table: str) -> list[dict]:
    return pq.read_table(out / f"{table}.parquet").to_pylist()


def corpus_messages(count: int) -> list[Path]:
    """The first ``count`` lkml files with distinct Message-IDs (sorted by name)."""
    seen, picked = set(), []
    for path in sorted((corpus_dir() / "lkml" / "cur").iterdir()):
        head = path.read_bytes().split(b"\n\n", 1)[0].lower()
        key = head.split(b"message-id:", 1)[1].split(b">", 1)[0]
        if key not in seen:
            seen.add(key)
            picked.append(path)
        if len(picked) == count:
            return picked
    raise AssertionError("corpus too small")


def to_mbox(paths: list[Path], target: Path, *, opener=open) -> Path:
    with opener(target, "wb") as handle:
        for path in paths:
            data = path.read_bytes()
            # mboxrd: body lines starting with "From " are escaped
            data = b"\n".join(
                b">" + line if line.startswith(b"From ") else line for line in data.split(b"\n")
            )
            handle.write(
                b"From someone@example.org Tue Nov 17 21:28:37 2009\n" + data.rstrip(b"\n") + b"\n\n"
            )
    return target


# Formats ------------------------------------------------------------------------------------------------


def test_mbox_gives_the_same_emails_as_the_maildir(tmp_path: Path) -> None:
    paths = corpus_messages(20)
    maildir = tmp_path / "maildir" / "cur"
    maildir.mkdir(parents=True)
    for path in paths:
        shutil.copy(path, maildir / path.name)
    mbox = to_mbox(paths, tmp_path / "archive.mbox")
    from_maildir = convert(maildir.parent, tmp_path / "a", internal_domains=["redhat.com"])
    from_mbox = convert(mbox, tmp_path / "b", internal_domains=["redhat.com"])
    assert from_mbox.files == 1 and from_mbox.messages == from_maildir.messages == 20
    assert from_mbox.unique_messages == 20
    a = {row["activityid"]: row for row in read(tmp_path / "a", "email")}
    b = {row["activityid"]: row for row in read(tmp_path / "b", "email")}
    assert a.keys() == b.keys()
    for key, row in a.items():
        for column in (
            "subject",
            "senton",
            "sender",
            "torecipients",
            "parentactivityid",
            "directioncode",
            "description",
        ):
            assert row[column] == b[key][column], column


def test_mbox_unescapes_from_lines_and_does_not_split_inside_a_body(tmp_path: Path) -> None:
    body = "Hello,\n\nFrom the start I said so.\n>From here too.\n"
    mbox = tmp_path / "box"
    mbox.write_bytes(
        b"From anna@example.org Tue Nov 17 21:28:37 2009\n"
        + message("<a@example.org>", body=body.replace("\nFrom ", "\n>From "))
        + b"\nFrom bob@customer.com Wed Nov 18 10:00:00 2009\n"
        + message(
            "<b@customer.com>",
            sender="bob@customer.com",
            to="anna@example.org",
            extra="In-Reply-To: <a@example.org>",
        )
    )
    summary = convert(mbox, tmp_path / "out")
    assert summary.messages == summary.unique_messages == 2
    rows = {row["messageid"]: row for row in read(tmp_path / "out", "email")}
    assert rows["<a@example.org>"]["description"] == "Hello,\n\nFrom the start I said so.\nFrom here too."
    assert rows["<b@customer.com>"]["parentactivityid"] == rows["<a@example.org>"]["activityid"]


@pytest.mark.parametrize("opener", [gzip.open, bz2.open], ids=["gzip", "bzip2"])
def test_compressed_mbox(tmp_path: Path, opener) -> None:
    mbox = to_mbox(corpus_messages(5), tmp_path / "archive.mbox.z", opener=opener)
    summary = convert(mbox, tmp_path / "out")
    assert summary.files == 1 and summary.unique_messages == 5 and summary.quarantined == 0


def test_eml_folder_single_eml_and_a_mixed_folder(tmp_path: Path) -> None:
    paths = corpus_messages(12)
    eml_dir = tmp_path / "mixed" / "eml"
    eml_dir.mkdir(parents=True)
    for i, path in enumerate(paths[:4]):
        shutil.copy(path, eml_dir / f"message {i}.eml")
    maildir = tmp_path / "mixed" / "Maildir" / ".Sent"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for path in paths[4:8]:
        shutil.copy(path, maildir / "cur" / path.name)
    shutil.copy(paths[0], maildir / "new" / "copy-of-first")  # same message in two folders
    (maildir / "tmp" / "half-delivered").write_bytes(b"From: x")
    (maildir / "dovecot-uidlist").write_text("3 V1 N2\n")
    to_mbox(paths[8:], tmp_path / "mixed" / "Inbox")
    (tmp_path / "mixed" / "Inbox.msf").write_text("// mork summary")

    single = convert(eml_dir / "message 0.eml", tmp_path / "single")
    assert (single.files, single.unique_messages) == (1, 1)

    summary = convert(tmp_path / "mixed", tmp_path / "out")
    assert summary.files == 4 + 5 + 1  # eml, maildir cur+new, one mbox
    assert summary.skipped_files == 3  # tmp/ file, dovecot-uidlist, Inbox.msf
    assert summary.messages == 4 + 5 + 4
    assert summary.unique_messages == 12 and summary.duplicates == 1 and summary.quarantined == 0
    assert summary.reconciles


def test_csv_format_passes_the_contract(tmp_path: Path) -> None:
    mbox = to_mbox(corpus_messages(10), tmp_path / "archive.mbox")
    convert(mbox, tmp_path / "out", fmt="csv", internal_domains=["redhat.com"])
    assert {p.suffix for p in (tmp_path / "out").iterdir() if not p.name.startswith("_")} == {".csv"}
    assert contract_problems(tmp_path / "out", "csv") == []


# Charsets -----------------------------------------------------------------------------------------------


def test_gb2312_and_latin1_messages_are_decoded(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    chinese = "你好，明天开会。"
    (archive / "gb.eml").write_bytes(
        b"Message-ID: <gb@customer.cn>\nFrom: =?GB2312?B?"
        + __import__("base64").b64encode("王伟".encode("gb2312"))
        + b"?= <wang@customer.cn>\nTo: anna@example.org\nSubject: =?gb2312?B?"
        + __import__("base64").b64encode("会议".encode("gb2312"))
        + b"?=\nDate: Mon, 1 Mar 2021 09:00:00 +0800\nContent-Type: text/plain; charset=gb2312\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + chinese.encode("gb2312") + b"\n"
    )
    (archive / "latin1.eml").write_bytes(
        b"Message-ID: <l1@customer.de>\nFrom: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@customer.de>\n"
        b"To: anna@example.org\nSubject: =?iso-8859-1?q?Gr=FC=DFe_aus_K=F6ln?=\n"
        b"Date: Mon, 1 Mar 2021 10:00:00 +0100\nContent-Type: text/plain; charset=ISO-8859-1\n"
        b"Content-Transfer-Encoding: quoted-printable\n\nSch=F6ne Gr=FC=DFe, caf=E9\n"
    )
    (archive / "mislabelled.eml").write_bytes(
        b"Message-ID: <ml@customer.fr>\nFrom: Zo\xc3\xa9 <zoe@customer.fr>\nTo: anna@example.org\n"
        b"Subject: na\xc3\xafve question\nDate: Mon, 1 Mar 2021 11:00:00 +0100\n"
        b"Content-Type: text/plain; charset=us-ascii\n\nC'est na\xc3\xafve.\n"
    )
    (archive / "unknown.eml").write_bytes(
        b"Message-ID: <uk@customer.es>\nFrom: =?x-unknown?q?Jos=E9?= <jose@customer.es>\nTo: anna@example.org\n"
        b"Subject: =?x-unknown?q?ma=F1ana?=\nDate: Mon, 1 Mar 2021 12:00:00 +0100\n"
        b"Content-Type: text/plain; charset=x-unknown\n\nHasta ma\xf1ana\n"
    )
    summary = convert(archive, tmp_path / "out")
    assert summary.unique_messages == 4 and summary.quarantined == 0
    emails = {row["messageid"]: row for row in read(tmp_path / "out", "email")}
    assert emails["<gb@customer.cn>"]["subject"] == "会议"
    assert emails["<gb@customer.cn>"]["description"] == chinese
    assert emails["<l1@customer.de>"]["subject"] == "Grüße aus Köln"
    assert emails["<l1@customer.de>"]["description"] == "Schöne Grüße, café"
    assert emails["<ml@customer.fr>"]["subject"] == "naïve question"
    assert emails["<ml@customer.fr>"]["description"] == "C'est naïve."
    assert emails["<uk@customer.es>"]["subject"] == "mañana"
    assert emails["<uk@customer.es>"]["description"] == "Hasta mañana"
    names = {row["emailaddress1"]: row["fullname"] for row in read(tmp_path / "out", "contact")}
    assert names == {
        "wang@customer.cn": "王伟",
        "joerg@customer.de": "Jörg Müller",
        "zoe@customer.fr": "Zoé",
        "jose@customer.es": "José",
    }


def test_html_only_and_multipart_bodies(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "html.eml").write_bytes(
        message(
            "<h@customer.com>",
            content_type="text/html; charset=utf-8",
            body="<html><head><style>p{}</style></head><body><p>Dear Anna,</p><p>Price: 5&nbsp;&euro;"
            "<br>Bob</p><script>alert(1)</script></body></html>\n",
        )
    )
    (archive / "alt.eml").write_bytes(
        message(
            "<alt@customer.com>",
            content_type='multipart/alternative; boundary="XX"',
            body="--XX\nContent-Type: text/html\n\n<p>HTML version</p>\n--XX\nContent-Type: text/plain; "
            "charset=utf-8\nContent-Transfer-Encoding: base64\n\nUGxhaW4gdmVyc2lvbg==\n--XX--\n",
        )
    )
    (archive / "attach.eml").write_bytes(
        message(
            "<att@customer.com>",
            content_type='multipart/mixed; boundary="YY"',
            body="--YY\nContent-Type: text/plain\nContent-Disposition: attachment; filename=a.txt\n\nattached\n"
            "--YY\nContent-Type: text/plain\n\nthe real text\n--YY--\n",
        )
    )
    convert(archive, tmp_path / "out")
    emails = {row["messageid"]: row["description"] for row in read(tmp_path / "out", "email")}
    assert emails["<h@customer.com>"] == "Dear Anna,\n\nPrice: 5 €\nBob"
    assert emails["<alt@customer.com>"] == "Plain version"
    assert emails["<att@customer.com>"] == "the real text"


# Addresses ----------------------------------------------------------------------------------------------


def test_obfuscated_gateway_and_plus_addresses(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "1.eml").write_bytes(
        message(
            "<o1@x>",
            sender="lars at seas.harvard.edu (Lars Kellogg-Stedman)",
            to="anna [at] example [dot] org",
        )
    )
    (archive / "2.eml").write_bytes(
        message("<o2@x>", sender="Carla Diaz <carla-Xy12AbCd34@public.gmane.org>", to="Anna@Example.ORG")
    )
    (archive / "3.eml").write_bytes(
        message("<o3@x>", sender='"Diaz, Carla" <carla@customer.com>', to="anna+crm@example.org")
    )
    (archive / "4.eml").write_bytes(
        message("<o4@x>", sender="Nobody Known <zed-Qq99Rr88Ss@public.gmane.org>")
    )
    summary = convert(archive, tmp_path / "out")
    emails = {row["messageid"]: row for row in read(tmp_path / "out", "email")}
    assert emails["<o1@x>"]["sender"] == "lars@seas.harvard.edu"
    assert emails["<o1@x>"]["torecipients"] == "anna@example.org"
    assert emails["<o2@x>"]["sender"] == "carla@customer.com"  # same display name seen with the real address
    assert emails["<o2@x>"]["torecipients"] == "anna@example.org"
    assert emails["<o3@x>"]["torecipients"] == "anna+crm@example.org"  # plus-addressing kept as it is
    contacts = {row["emailaddress1"]: row for row in read(tmp_path / "out", "contact")}
    assert contacts["lars@seas.harvard.edu"]["fullname"] == "Lars Kellogg-Stedman"
    assert contacts["carla@customer.com"]["lastname"] == "Diaz"
    assert contacts["carla@customer.com"]["firstname"] == "Carla"
    assert "zed-qq99rr88ss@public.gmane.org" in contacts  # no evidence: kept, but no account for the gateway
    assert contacts["zed-qq99rr88ss@public.gmane.org"]["parentcustomerid"] is None
    users = {row["internalemailaddress"] for row in read(tmp_path / "out", "systemuser")}
    assert users == {"anna@example.org", "anna+crm@example.org"}
    assert (summary.gateway_addresses_mapped, summary.gateway_addresses_unmapped) == (1, 1)


def test_accounts_per_organisation_domain_but_not_for_free_mail(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    senders = ["a@sales.customer.com", "b@customer.com", "c@gmail.com", "d@shop.co.uk", "e@mail.shop.co.uk"]
    for i, sender in enumerate(senders):
        (archive / f"{i}.eml").write_bytes(message(f"<acc{i}@x>", sender=sender, to="anna@example.org"))
    convert(archive, tmp_path / "out")
    accounts = {row["name"]: row["accountid"] for row in read(tmp_path / "out", "account")}
    assert set(accounts) == {"customer.com", "shop.co.uk"}
    parents = {row["emailaddress1"]: row["parentcustomerid"] for row in read(tmp_path / "out", "contact")}
    assert parents["a@sales.customer.com"] == parents["b@customer.com"] == accounts["customer.com"]
    assert parents["c@gmail.com"] is None
    assert parents["e@mail.shop.co.uk"] == accounts["shop.co.uk"]


def test_parties_owners_and_mailing_lists(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "out.eml").write_bytes(
        message(
            "<p1@example.org>",
            sender="Anna Berg <anna@example.org>",
            to="Bob Lee <bob@customer.com>, team@lists.example.org",
            extra="Cc: Carl <carl@example.org>, bob@customer.com\nBcc: boss@example.org\n"
            "List-Post: <mailto:team@lists.example.org>",
        )
    )
    (archive / "in.eml").write_bytes(
        message(
            "<p2@customer.com>",
            sender="bob@customer.com",
            to="carl@example.org",
            extra="In-Reply-To: <p1@example.org>",
        )
    )
    summary = convert(archive, tmp_path / "out")
    emails = {row["messageid"]: row for row in read(tmp_path / "out", "email")}
    users = {row["internalemailaddress"]: row["systemuserid"] for row in read(tmp_path / "out", "systemuser")}
    assert set(users) == {"anna@example.org", "carl@example.org", "boss@example.org"}
    assert emails["<p1@example.org>"]["ownerid"] == users["anna@example.org"]
    assert emails["<p2@customer.com>"]["ownerid"] == users["carl@example.org"]  # first internal recipient
    parties = [
        (row["participationtypemask"], row["addressused"], row["partyobjecttypecode"])
        for row in read(tmp_path / "out", "activityparty")
        if row["activityid"] == emails["<p1@example.org>"]["activityid"]
    ]
    assert parties == [
        (1, "anna@example.org", "systemuser"),
        (2, "bob@customer.com", "contact"),  # the mailing list is no party: it is not a person
        (3, "carl@example.org", "systemuser"),
        (3, "bob@customer.com", "contact"),
        (4, "boss@example.org", "systemuser"),
    ]
    assert summary.list_addresses == 1 and summary.internal_addresses == 3 and summary.external_addresses == 1
    assert summary.excluded_addresses == (("team@lists.example.org", "list_header"),)
    assert summary.parties_excluded == 1
    audit = pq.read_table(tmp_path / "out" / "_address_audit.parquet").to_pylist()
    assert [(row["address"], row["kind"], row["reason"]) for row in audit] == [
        ("team@lists.example.org", "excluded", "list_header")
    ]
    contact = read(tmp_path / "out", "contact")[0]
    assert emails["<p1@example.org>"]["regardingobjectid"] == contact["parentcustomerid"]
    assert contact["ownerid"] == users["anna@example.org"]  # the most active internal sender


def test_default_owner_and_placeholder_owner(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "1.eml").write_bytes(message("<d1@x>", sender="bob@customer.com", to="eve@customer.com"))
    summary = convert(archive, tmp_path / "placeholder")
    users = read(tmp_path / "placeholder", "systemuser")
    assert [u["internalemailaddress"] for u in users] == ["mail-import@rapport.invalid"]
    assert any("placeholder" in note for note in summary.notes)
    convert(archive, tmp_path / "owned", default_owner="Sales Desk <desk@example.org>")
    users = read(tmp_path / "owned", "systemuser")
    assert [u["internalemailaddress"] for u in users] == ["desk@example.org"]
    assert read(tmp_path / "owned", "email")[0]["ownerid"] == users[0]["systemuserid"]
    with pytest.raises(MailImportError, match="not an internal address"):
        convert(archive, tmp_path / "bad", default_owner="bob@customer.com")


# Duplicates, ids, replies -------------------------------------------------------------------------------


def test_messages_without_message_id_get_a_stable_synthetic_id(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "a.eml").write_bytes(message(None))
    (archive / "b.eml").write_bytes(message(None).replace(b"\n", b"\r\n"))  # the same message, CRLF
    (archive / "c.eml").write_bytes(message(None, body="Another text\n"))
    summary = convert(archive, tmp_path / "out")
    again = convert(archive, tmp_path / "out")  # re-import replaces the folder
    assert summary.unique_messages == 2 and summary.duplicates == 1 and summary.synthetic_ids == 2
    assert any("no Message-ID" in note for note in summary.notes)
    emails = read(tmp_path / "out", "email")
    assert all(row["messageid"] is None for row in emails)
    assert all(row["conversationindex"].startswith("<synthetic-") for row in emails)
    assert again.unique_messages == 2


def test_ids_are_deterministic_uuid5(tmp_path: Path) -> None:
    paths = corpus_messages(8)
    mbox = to_mbox(paths, tmp_path / "archive.mbox")
    convert(mbox, tmp_path / "a", internal_domains=["redhat.com"])
    convert(mbox, tmp_path / "b", internal_domains=["redhat.com"])
    for table in ("email", "activityparty", "systemuser", "contact", "account"):
        assert pq.read_table(tmp_path / "a" / f"{table}.parquet").equals(
            pq.read_table(tmp_path / "b" / f"{table}.parquet")
        )
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://rapport.invalid/mail-import")
    for row in read(tmp_path / "a", "email"):
        assert row["activityid"] == str(uuid.uuid5(namespace, "email:" + row["messageid"].strip("<>")))
    for row in read(tmp_path / "a", "contact"):
        assert row["contactid"] == str(uuid.uuid5(namespace, "contact:" + row["emailaddress1"]))


def test_reply_loops_and_references_fallback(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "a").write_bytes(
        message("<a@x>", date="Mon, 1 Mar 2021 09:00:00 +0000", extra="In-Reply-To: <b@x>")
    )
    (archive / "b").write_bytes(
        message("<b@x>", date="Mon, 1 Mar 2021 10:00:00 +0000", extra="In-Reply-To: <a@x>")
    )
    (archive / "c").write_bytes(
        message("<c@x>", date="Mon, 1 Mar 2021 11:00:00 +0000", extra="References: <root@x> <b@x> <junk>")
    )
    (archive / "d").write_bytes(
        message(
            "<d@x>",
            date="Mon, 1 Mar 2021 12:00:00 +0000",
            extra="In-Reply-To: <gone@x>\nReferences: <a@x> <gone@x>",
        )
    )
    summary = convert(archive, tmp_path / "out")
    emails = {row["messageid"]: row for row in read(tmp_path / "out", "email")}
    ids = {key: row["activityid"] for key, row in emails.items()}
    assert emails["<a@x>"]["parentactivityid"] is None  # the loop is cut at its earliest message
    assert emails["<b@x>"]["parentactivityid"] == ids["<a@x>"]
    assert emails["<c@x>"]["parentactivityid"] == ids["<b@x>"]  # last References id in the archive
    assert emails["<d@x>"]["parentactivityid"] is None  # In-Reply-To names a message not in the archive
    assert summary.replies_resolved == 2 and summary.replies_parent_missing == 1 and summary.self_replies == 2
    assert "reply loop" in " ".join(summary.notes)


# Quarantine and errors ----------------------------------------------------------------------------------


def test_broken_messages_go_to_quarantine_with_reasons(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "empty").write_bytes(b"")
    (archive / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (archive / "notes.txt").write_text("Shopping list\nmilk\n")
    (archive / "no-from.eml").write_bytes(message("<nf@x>", sender=""))
    (archive / "bad-from.eml").write_bytes(message("<bf@x>", sender="undisclosed sender"))
    (archive / "no-date.eml").write_bytes(message("<nd@x>", date=""))
    (archive / "bad-date.eml").write_bytes(message("<bd@x>", date="yesterday afternoon"))
    (archive / "epoch.eml").write_bytes(message("<ep@x>", date="Thu, 01 Jan 1970 00:00:00 +0000"))
    (archive / "bad-date-copy.eml").write_bytes(message("<bd@x>", date="yesterday afternoon"))
    (archive / "good.eml").write_bytes(message("<ok@x>"))
    summary = convert(archive, tmp_path / "out")
    assert summary.messages == 10 and summary.unique_messages == 1 and summary.duplicates == 1
    assert summary.quarantined == 8 and summary.reconciles
    assert dict(summary.quarantine_reasons) == {
        "empty_file": 1,
        "not_an_email": 2,
        "missing_from": 2,
        "missing_date": 1,
        "unparseable_date": 1,
        "implausible_date": 1,
    }
    rows = {
        row["record_key"]: row for row in pq.read_table(tmp_path / "out" / "_quarantine.parquet").to_pylist()
    }
    assert set(rows) == {
        "empty",
        "picture.png",
        "notes.txt",
        "<nf@x>",
        "<bf@x>",
        "<nd@x>",
        "<bd@x>",
        "<ep@x>",
    }
    assert all(row["table_name"] == "email" for row in rows.values())
    assert "yesterday afternoon" in rows["<bd@x>"]["reason"]
    source = json.loads(rows["<bd@x>"]["source_row"])
    assert source["file"] in {"bad-date.eml", "bad-date-copy.eml"}
    assert source["headers"]["from"] == "Anna Berg <anna@example.org>"
    assert source["first_bytes"].startswith("Message-ID: <bd@x>")
    schema = pq.read_schema(tmp_path / "out" / "_quarantine.parquet")
    assert schema.names == ["table_name", "record_key", "check_name", "reason", "source_row"]


def test_unreadable_files_and_an_archive_without_any_good_message(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "broken.mbox.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"not really gzip" * 10)
    (archive / "empty.eml").write_bytes(b"\n\n")
    summary = convert(archive, tmp_path / "out")
    assert (summary.messages, summary.unique_messages, summary.quarantined) == (2, 0, 2)
    assert dict(summary.quarantine_reasons) == {"empty_file": 1, "unreadable_file": 1}
    assert pq.read_table(tmp_path / "out" / "email.parquet").num_rows == 0
    assert contract_problems(tmp_path / "out") == []


def test_missing_internal_domain_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message())
    with pytest.raises(MissingInternalDomainError, match="--internal-domain"):
        convert_archive(tmp_path / "a.eml", tmp_path / "out", internal_domains=[])
    with pytest.raises(MissingInternalDomainError):
        convert_archive(tmp_path / "a.eml", tmp_path / "out", internal_domains=["  "])
    assert not (tmp_path / "out").exists()


def test_output_folder_rules(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "a.eml").write_bytes(message())
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not ours")
    with pytest.raises(MailImportError, match="not empty"):
        convert(archive, foreign)
    assert (foreign / "keep.txt").exists()
    with pytest.raises(MailImportError, match="inside the archive"):
        convert(archive, archive / "out")
    with pytest.raises(MailImportError, match="does not exist"):
        convert(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(MailImportError, match="parquet"):
        convert(archive, tmp_path / "out", fmt="xlsx")
    convert(archive, tmp_path / "out")
    (archive / "b.eml").write_bytes(message("<m2@example.org>"))
    summary = convert(archive, tmp_path / "out")  # a previous import is replaced
    assert summary.unique_messages == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left behind
    marker = json.loads((tmp_path / "out" / "_mail_import.json").read_text())
    assert marker["summary"]["unique_messages"] == 2 and marker["internal_domains"] == ["example.org"]


def test_empty_tables_have_the_contract_columns(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message())
    convert(tmp_path / "a.eml", tmp_path / "out")
    for table in ("lead", "opportunity", "phonecall", "appointment", "task", "annotation"):
        assert (
            duckdb.connect()
            .execute(f"select count(*) from '{tmp_path / 'out' / table}.parquet'")
            .fetchone()[0]
            == 0
        )
    assert contract_problems(tmp_path / "out") == []


def test_cli_import_mail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rapport.cli import main

    (tmp_path / "a.eml").write_bytes(message())
    assert main(["import-mail", str(tmp_path / "a.eml"), str(tmp_path / "out"), "--no-progress"]) == 2
    assert "--internal-domain" in capsys.readouterr().err
    status = main(
        [
            "import-mail",
            str(tmp_path / "a.eml"),
            str(tmp_path / "out"),
            "--internal-domain",
            "example.org",
            "--no-progress",
        ]
    )
    assert status == 0
    assert "1 e-mails" in capsys.readouterr().out
    assert (tmp_path / "out" / "email.parquet").exists()


def test_different_emails_sharing_one_message_id_are_quarantined_and_counted(tmp_path: Path) -> None:
    archive = tmp_path / "mail"
    archive.mkdir()
    (archive / "0-first.eml").write_bytes(message("<same@x>", subject="Quote 0", body="Price list 0\n"))
    for number in range(1, 6):  # five more different e-mails reusing the id (a broken sending program)
        (archive / f"{number}-other.eml").write_bytes(
            message("<same@x>", subject=f"Quote {number}", body=f"Price list {number}\n")
        )
    transport = message("<same@x>", subject="Quote 0", body="Price list 0\n", extra="Received: from relay")
    (archive / "6-copy.eml").write_bytes(transport)  # the first e-mail again, another transport header
    (archive / "7-copy.eml").write_bytes((archive / "0-first.eml").read_bytes())  # byte-identical copy
    summary = convert(archive, tmp_path / "out")

    # independent reading: six distinct (subject, body) pairs under one id, of which the first is kept
    contents = {
        (path.read_bytes().split(b"Subject: ")[1].split(b"\n")[0], path.read_bytes().split(b"\n\n", 1)[1])
        for path in archive.iterdir()
    }
    assert len(contents) == 6
    assert (summary.messages, summary.unique_messages, summary.duplicates, summary.quarantined) == (
        8,
        1,
        2,
        5,
    )
    assert summary.duplicates_differing == 1 and summary.reconciles
    assert dict(summary.quarantine_reasons) == {"duplicate_message_id": 5}
    assert read(tmp_path / "out", "email")[0]["subject"] == "Quote 0"
    rows = pq.read_table(tmp_path / "out" / "_quarantine.parquet").to_pylist()
    assert {json.loads(row["source_row"])["headers"]["subject"] for row in rows} == {
        f"Quote {number}" for number in range(1, 6)
    }
    assert all("already used by a different e-mail (0-first.eml" in row["reason"] for row in rows)
    assert any("5 message(s) reuse the Message-ID of a different e-mail" in note for note in summary.notes)
    assert any("2 duplicate copies skipped" in note for note in summary.notes)
