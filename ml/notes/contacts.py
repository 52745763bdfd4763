"""E-mail addresses, phone numbers and the new contacts they introduce."""

from __future__ import annotations

import re
from dataclasses import dataclass

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
PHONE = re.compile(
    r"(?<![A-Za-z0-9_+/:.-])(?:\+\d{1,3}[ \t.-]?(?:\(\d{1,4}\)[ \t.-]?)?\d{1,4}(?:[ \t.-]?\d{2,4}){1,4}"
    r"|\(\d{2,4}\)[ \t.-]?\d{3,4}[ \t.-]\d{3,4}"
    r"|\d{2,4}[ \t.-]\d{3,4}[ \t.-]\d{3,4}(?:[ \t.-]\d{2,4})?"
    r"|1[3-9]\d{9})(?![A-Za-z0-9_:/-])"
)
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
# Shared mailboxes are not people: no contact is suggested for them.
GENERIC_MAILBOXES = frozenset(
    {"info", "sales", "support", "ap", "ar", "billing", "invoice", "invoices", "accounts", "accounting", "admin", "hr", "office",
     "contact", "hello", "noreply", "no-reply", "help", "service", "orders", "finance", "team", "marketing", "press", "legal",
     "procurement", "purchasing", "it", "helpdesk", "careers", "jobs", "webmaster", "postmaster"}
)  # fmt: skip


@dataclass(frozen=True)
class Found:
    """An e-mail address or phone number at ``[start, end)``."""

    start: int
    end: int
    value: str


def emails(text: str) -> list[Found]:
    return [Found(m.start(), m.end(), m.group()) for m in EMAIL.finditer(text)]


def phones(text: str) -> list[Found]:
    """Phone numbers: 7 to 15 digits, not a date, not inside an e-mail address."""
    found = []
    mail_spans = [m.span() for m in EMAIL.finditer(text)]
    for m in PHONE.finditer(text):
        value = m.group().strip()
        digits = sum(ch.isdigit() for ch in value)
        if not 7 <= digits <= 15 or _ISO_DATE.match(value):
            continue
        if any(start <= m.start() < end for start, end in mail_spans):
            continue
        found.append(Found(m.start(), m.end(), value))
    return found


def is_personal(address: str) -> bool:
    """Whether an address looks like a person's (not ``info@``, ``ap@``, ``support@`` ...)."""
    return address.split("@", 1)[0].lower() not in GENERIC_MAILBOXES
