"""Deterministic ids: UUID version 5 over normalised addresses, domains and Message-IDs.

The same archive imported twice (or the same message found in two archives) gets the same ids, so
re-imports update rows instead of duplicating them. Each kind of record has its own prefix, so an
address that is a contact and a systemuser id never collide.
"""

from __future__ import annotations

import uuid

# Fixed namespace of Rapport's mail importer: uuid5(NAMESPACE_URL, "https://rapport.invalid/mail-import").
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://rapport.invalid/mail-import")


def _id(kind: str, value: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{value}"))


def email_id(message_key: str) -> str:
    """activityid of the e-mail whose Message-ID key (no angle brackets) is ``message_key``."""
    return _id("email", message_key)


def systemuser_id(address: str) -> str:
    """systemuserid of the internal person with this normalised address."""
    return _id("systemuser", address)


def contact_id(address: str) -> str:
    """contactid of the external person with this normalised address."""
    return _id("contact", address)


def account_id(domain: str) -> str:
    """accountid of the organisation owning this (registrable) domain."""
    return _id("account", domain)


def activityparty_id(activity_id: str, mask: int, address: str) -> str:
    """activitypartyid of one address in one role (participationtypemask) on one activity."""
    return _id("activityparty", f"{activity_id}:{mask}:{address}")
