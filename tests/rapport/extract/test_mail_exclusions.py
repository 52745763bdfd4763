"""Lists, aliases, robots and "via" senders: each exclusion rule on small hand-written messages."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from rapport.extract.mail import MailImportError
from rapport.extract.mail.exclusions import role_local_part
from rapport.extract.mail.importer import alias_map, load_aliases_file
from tests.rapport.extract.test_mail_inputs import convert, message, read


def _audit(out: Path) -> dict[str, tuple[str, str]]:
    rows = pq.read_table(out / "_address_audit.parquet").to_pylist()
    return {row["address"]: (row["kind"], row["reason"]) for row in rows}


def _write(archive: Path, messages: list[bytes]) -> None:
    archive.mkdir()
    for i, data in enumerate(messages):
        (archive / f"{i}.eml").write_bytes(data)


def test_role_local_parts() -> None:
    for address in (
        "users-bounces@lists.example.org",
        "users-owner@x.org",
        "users-request@x.org",
        "postmaster@x.org",
        "MAILER-DAEMON@x.org".lower(),
        "noreply@x.org",
        "no-reply+abc@x.org",
        "owner-linux@x.org",
    ):
        assert role_local_part(address), address
    for address in ("anna@x.org", "owner@x.org", "bounce.lee@x.org", "requester@x.org"):
        assert not role_local_part(address), address


def test_via_sender_is_resolved_to_its_reply_to_person_and_the_list_excluded(tmp_path: Path) -> None:
    list_headers = (
        "List-Id: Users list <users.lists.example.org>\nList-Post: <mailto:users@lists.example.org>\n"
        "List-Unsubscribe: <mailto:users-leave@lists.example.org>\nPrecedence: list"
    )
    _write(
        tmp_path / "mail",
        [
            message(
                "<v1@x>",
                sender="Jane Doe via Users <users@lists.example.org>",
                to="users@lists.example.org",
                extra=f"Reply-To: Jane Doe <jane@customer.com>\n{list_headers}",
            ),
            message(
                "<v2@x>",
                sender="jd--- via Users <users@lists.example.org>",
                to="users@lists.example.org, jane@customer.com",
                extra=f"Reply-To: anna@example.org\nIn-Reply-To: <v1@x>\n{list_headers}",
            ),
        ],
    )
    summary = convert(tmp_path / "mail", tmp_path / "out")
    emails = {row["messageid"]: row for row in read(tmp_path / "out", "email")}
    assert emails["<v1@x>"]["sender"] == "jane@customer.com" and not emails["<v1@x>"]["directioncode"]
    assert emails["<v2@x>"]["sender"] == "anna@example.org" and emails["<v2@x>"]["directioncode"]
    assert summary.via_senders_resolved == 2
    contacts = {row["emailaddress1"]: row["fullname"] for row in read(tmp_path / "out", "contact")}
    assert contacts == {"jane@customer.com": "Jane Doe"}  # the name without " via Users"
    users = {row["internalemailaddress"] for row in read(tmp_path / "out", "systemuser")}
    assert users == {"anna@example.org"}
    parties = {row["addressused"] for row in read(tmp_path / "out", "activityparty")}
    assert parties == {"jane@customer.com", "anna@example.org"}
    # only addresses that are on a message are audited (users-leave@ is only in List-Unsubscribe)
    assert _audit(tmp_path / "out") == {"users@lists.example.org": ("excluded", "list_header")}


def test_robots_receive_only_aliases_and_patterns(tmp_path: Path) -> None:
    customers = [f"c{i}@customer{i}.com" for i in range(12)]
    messages = [
        message(f"<a{i}@x>", sender=address, to="support@example.org, anna@example.org")
        for i, address in enumerate(customers)
    ]
    messages += [
        message(
            "<r1@x>",
            sender="alerts@example.org",
            to="anna@example.org",
            extra="Auto-Submitted: auto-generated",
        ),
        message("<r2@x>", sender="news@vendor.com", to="anna@example.org", extra="Precedence: bulk"),
        message("<r3@x>", sender="postmaster@customer0.com", to="anna@example.org"),
        message("<r4@x>", sender="anna@example.org", to="c1@customer1.com, digest@example.org"),
        # a person's out-of-office reply: Auto-Submitted, but the person also writes normally
        message(
            "<r5@x>", sender="c2@customer2.com", to="anna@example.org", extra="Auto-Submitted: auto-replied"
        ),
    ]
    _write(tmp_path / "mail", messages)
    convert(tmp_path / "mail", tmp_path / "out", exclude_addresses=["digest@*"])
    audit = _audit(tmp_path / "out")
    assert audit == {
        "support@example.org": ("excluded", "receive_only_alias"),  # 12 distinct senders, never writes
        "alerts@example.org": ("excluded", "automated_sender"),
        "news@vendor.com": ("excluded", "automated_sender"),
        "postmaster@customer0.com": ("excluded", "role_local_part"),
        "digest@example.org": ("excluded", "exclude_pattern"),
    }
    users = {row["internalemailaddress"] for row in read(tmp_path / "out", "systemuser")}
    assert users == {"anna@example.org"}
    contacts = {row["emailaddress1"] for row in read(tmp_path / "out", "contact")}
    assert contacts == set(customers)
    # with a higher threshold the alias is a colleague again: the rule is a tunable, not a list
    convert(tmp_path / "mail", tmp_path / "out2", alias_min_senders=20)
    assert "support@example.org" not in _audit(tmp_path / "out2")


def test_likely_aliases_are_reported_never_merged_and_an_aliases_file_merges(tmp_path: Path) -> None:
    _write(
        tmp_path / "mail",
        [
            message("<l1@x>", sender="Bob Lee <bob@customer.com>", to="anna@example.org"),
            message("<l2@x>", sender="Bob Lee <bob.lee@gmail.com>", to="anna@example.org"),
            message("<l3@x>", sender="Bob <bob@other.com>", to="anna@example.org"),  # one word: no report
        ],
    )
    summary = convert(tmp_path / "mail", tmp_path / "out")
    assert summary.likely_aliases == 2
    assert _audit(tmp_path / "out") == {
        "bob@customer.com": ("reported", "likely_alias"),
        "bob.lee@gmail.com": ("reported", "likely_alias"),
    }
    assert len(read(tmp_path / "out", "contact")) == 3  # not merged
    aliases_file = tmp_path / "aliases.toml"
    aliases_file.write_text('"bob@customer.com" = ["Bob.Lee@gmail.com"]\n')
    summary = convert(tmp_path / "mail", tmp_path / "merged", aliases=load_aliases_file(aliases_file))
    assert summary.aliases_merged == 1 and summary.likely_aliases == 0
    contacts = {row["emailaddress1"] for row in read(tmp_path / "merged", "contact")}
    assert contacts == {"bob@customer.com", "bob@other.com"}
    senders = {row["messageid"]: row["sender"] for row in read(tmp_path / "merged", "email")}
    assert senders["<l2@x>"] == "bob@customer.com"
    with pytest.raises(MailImportError, match="two people"):
        alias_map({"a@x.org": ["c@x.org"], "b@x.org": ["c@x.org"]})
    with pytest.raises(MailImportError, match="not an e-mail address"):
        alias_map({"a@x.org": ["nobody"]})
