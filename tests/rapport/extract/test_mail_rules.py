"""The mail importer's rules, function by function: decoding, addresses, gateways, replies, dates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from email import policy
from email.parser import BytesParser

import pytest

from rapport.extract.mail.addresses import (
    InternalSide,
    Mailbox,
    deobfuscate,
    normalise_address,
    organisation_domain,
    parse_address_header,
    resolve_gateways,
)
from rapport.extract.mail.decoding import decode_bytes, decode_header_text, html_to_text
from rapport.extract.mail.parsing import id_tokens, parse_date, quick_message_id
from rapport.extract.mail.replies import Envelope, link_replies
from tests.support.mail import corpus_dir


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        ("=?UTF-8?B?5L2g5aW9?= =?UTF-8?B?5LiW55WM?=", "你好世界"),  # space between encoded words dropped
        ("=?utf-8?b?5L2g?= =?utf-8?b?5aW9?=", "你好"),
        ("=?utf-8?q?=E4=BD?= =?utf-8?q?=A0?=", "你"),  # a character split across two encoded words
        ("Re: =?iso-8859-1?q?caf=E9?= time", "Re: café time"),
        ("=?gb2312?B?u+HS6Q==?=", "会议"),
        ("=?x-unknown?q?ma=F1ana?=", "mañana"),
        ("=?utf-8?b?bad base64?=", "=?utf-8?b?bad base64?="),
        ("folded\n\tsubject  line", "folded subject line"),
        ("raw 8-bit \udcc3\udca9t\udcc3\udca9", "raw 8-bit été"),  # surrogate-escaped UTF-8 bytes
    ],
)
def test_decode_header_text(raw: str, expected: str) -> None:
    assert decode_header_text(raw) == expected


def test_decode_bytes_falls_back_and_never_raises() -> None:
    assert decode_bytes("naïve".encode(), "us-ascii") == "naïve"  # mislabelled UTF-8
    assert decode_bytes("naïve".encode("latin-1"), "utf-8") == "naïve"  # falls back to Windows-1252
    assert decode_bytes("“quoted”".encode("cp1252"), "iso-8859-1") == "“quoted”"
    assert decode_bytes("你好".encode("gbk"), "gb2312") == "你好"
    assert decode_bytes(b"\x81\x8d\x8f", "no-such-charset") == "\x81\x8d\x8f"  # Latin-1 as last resort
    assert decode_bytes(b"", None) == ""


def test_html_to_text() -> None:
    html = "<div>One<br>two</div><ul><li>a &amp; b</li></ul><script>x()</script><style>.a{}</style>"
    assert html_to_text(html) == "One\ntwo\n\na & b"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<Anna.Berg@Example.ORG>", "anna.berg@example.org"),
        ("mailto:anna@example.org?subject=hi", "anna@example.org"),
        ("Anna Berg <anna@example.org>", "anna@example.org"),
        ("anna+crm@example.org", "anna+crm@example.org"),
        ("anna at example dot org", "anna@example.org"),
        ("anna (at) example (dot) co (dot) uk", "anna@example.co.uk"),
        ("anna [at] example.org", "anna@example.org"),
        ("not an address", None),
        ("", None),
        ("anna@", None),
    ],
)
def test_normalise_address(text: str, expected: str | None) -> None:
    assert normalise_address(text) == expected


def test_deobfuscate_leaves_ordinary_text_alone() -> None:
    assert deobfuscate("meet me at noon") is None
    assert deobfuscate("lars at seas.harvard.edu") == "lars@seas.harvard.edu"


def test_parse_address_header_forms() -> None:
    value = '"Doe, John" <JD@Y.com>, =?utf-8?q?M=C3=BCller?= <m@x.de>, lars@x.org (Lars K), undisclosed-recipients:;'
    assert parse_address_header("To", value) == [
        Mailbox("jd@y.com", "Doe, John"),
        Mailbox("m@x.de", "Müller"),
        Mailbox("lars@x.org", "Lars K"),
    ]
    assert parse_address_header("From", "bob at customer dot com (Bob)") == [
        Mailbox("bob@customer.com", "Bob")
    ]
    assert parse_address_header("To", "a@b.org, A@B.org") == [Mailbox("a@b.org")]


def test_address_parsing_agrees_with_policy_default_on_the_corpus() -> None:
    """The fast getaddresses route gives the same addresses as email.policy.default on every header of the
    corpus where policy.default does not itself fail."""
    parser = BytesParser(policy=policy.compat32)
    compared = 0
    for path in sorted(p for p in corpus_dir().rglob("*") if p.is_file()):
        for name, value in parser.parsebytes(path.read_bytes()).raw_items():
            if name.lower() not in {"from", "to", "cc", "bcc"}:
                continue
            try:
                header = policy.default.header_factory(name, value.replace("\n", " "))
                careful = list(dict.fromkeys(normalise_address(a.addr_spec) for a in header.addresses))
            except AttributeError:  # a stdlib bug on some groups; the importer falls back there
                continue
            assert [m.address for m in parse_address_header(name, value)] == [a for a in careful if a]
            compared += 1
    assert compared > 700


def test_organisation_domain_and_internal_side() -> None:
    assert organisation_domain("linux.vnet.ibm.com") == "ibm.com"
    assert organisation_domain("mail.shop.co.uk") == "shop.co.uk"
    assert organisation_domain("example.org") == "example.org"
    side = InternalSide.build(["@Example.org", " "], ["Pat <pat@partner.com>"])
    assert side.domains == ("example.org",)
    assert side.is_internal("anna@example.org") and side.is_internal("pat@partner.com")
    assert not side.is_internal("anna@notexample.org") and not side.is_internal("bob@partner.com")
    # exact match: a list server under our domain is not a colleague; subdomains only when written so
    assert not side.is_internal("x@eu.example.org") and not side.is_internal("users@lists.example.org")
    wildcard = InternalSide.build(["example.org", "*.example.net"], [])
    assert wildcard.is_internal("x@eu.example.net") and wildcard.is_internal("x@a.b.example.net")
    assert not wildcard.is_internal("x@example.net") and not wildcard.is_internal("x@badexample.net")
    assert not wildcard.is_internal("x@eu.example.org")


def test_gateway_resolution_rules() -> None:
    names = {
        "anna-aaaaaaaa@public.gmane.org": Counter({"Anna Berg": 2}),
        "anna@example.org": Counter({"Anna Berg": 1}),
        "bob-aaaaaaaa@public.gmane.org": Counter({"Bob": 1}),  # same hash as anna: example.org
        "list-bbbbbbbb@public.gmane.org": Counter({"": 3}),
        "list@lists.example.net": Counter({"": 1}),
        "other-bbbbbbbb@public.gmane.org": Counter({"": 1}),  # hash learned from the list: lists.example.net
        "joe-cccccccc@public.gmane.org": Counter({"Joe": 1}),  # two real joes: ambiguous
        "joe@a.com": Counter({"Joe": 1}),
        "joe@b.com": Counter({"Joe": 1}),
    }
    result = resolve_gateways(
        names,
        ["1234.5@example.org", "99@x.org", "99@y.org"],
        ["1234.5-aaaaaaaa@public.gmane.org", "99-zz11zz11@public.gmane.org"],
    )
    assert result.addresses == {
        "anna-aaaaaaaa@public.gmane.org": "anna@example.org",
        "bob-aaaaaaaa@public.gmane.org": "bob@example.org",
        "list-bbbbbbbb@public.gmane.org": "list@lists.example.net",
        "other-bbbbbbbb@public.gmane.org": "other@lists.example.net",
    }
    assert result.unmapped == {"joe-cccccccc@public.gmane.org"}
    assert result.message_ids == {"1234.5-aaaaaaaa@public.gmane.org": "1234.5@example.org"}


def test_reply_resolution_and_threads() -> None:
    t = datetime(2021, 3, 1)
    envelopes = [
        Envelope("root@x", t, (), ()),
        Envelope("r1@x", t, ("root@x",), ("root@x",)),
        Envelope("r2@x", t, ("r1-abcdefgh@public.gmane.org",), ("root@x", "r1-abcdefgh@public.gmane.org")),
        Envelope("orphan@x", t, ("missing@x",), ("first@x", "missing@x")),
        Envelope("self@x", t, ("self@x",), ()),
    ]
    links = link_replies(envelopes, {"r1-abcdefgh@public.gmane.org": "r1@x"})
    assert links.parent == {"r1@x": "root@x", "r2@x": "r1@x"}
    assert links.via_gateway == {"r2@x"}
    assert links.parent_missing == 2  # orphan@x, and self@x whose only In-Reply-To is itself
    assert links.thread == {
        "root@x": "root@x",
        "r1@x": "root@x",
        "r2@x": "root@x",
        "orphan@x": "first@x",
        "self@x": "self@x",
    }


def test_ids_and_dates() -> None:
    assert id_tokens("<a@x> (comment) <b@y>\n <c\n @z>") == ("a@x", "b@y", "c@z")
    assert id_tokens("a@x.org") == ("a@x.org",)
    assert quick_message_id(b"Subject: x\nMessage-Id:\n <k@x>\n\nMessage-ID: <body@x>\n") == "k@x"
    assert quick_message_id(b"Subject: x\n\nMessage-ID: <body@x>\n") is None
    assert parse_date("Wed, 23 Jun 2010 18:05:01 +0100") == datetime(2010, 6, 23, 17, 5, 1)
    assert parse_date("Wed, 23 Jun 2010 18:05:01 +0100 (BST)") == datetime(2010, 6, 23, 17, 5, 1)
    assert parse_date("Wed, 23 Jun 2010 18:05:01 -0000") == datetime(2010, 6, 23, 18, 5, 1)
    assert parse_date("2010-06-23T18:05:01+02:00") == datetime(2010, 6, 23, 16, 5, 1)
    assert parse_date("soon") is None
