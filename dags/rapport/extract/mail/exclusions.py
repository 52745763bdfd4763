"""Which addresses of an archive are not people: mailing lists, aliases and robots (docs/mail_archives.md).

A list, an alias or a robot is neither a colleague nor a customer: counting it makes the list everybody's
"best colleague" and dilutes every recipient share. Each address is checked against these rules, in order;
the first that holds is its reason (the audit table and the import summary list every one):

``exclude_pattern``      matches a pattern of ``[mail] exclude_addresses`` (``fnmatch``: ``*@lists.example.org``)
``list_header``          named as the list by List-Post / X-Mailing-List / Mailing-List, or by List-Id
``list_rewrote_sender``  appeared as the From of a message a list rewrote ("Jane via X <x@...>")
``list_admin_header``    named by List-Unsubscribe / -Subscribe / -Help / -Owner (``x-leave@``, ``x-request@``)
``role_local_part``      a role or robot mailbox by its local part: ``x-bounces``, ``x-owner``, ``x-request``,
                         ``postmaster``, ``mailer-daemon``, ``noreply``, ...
``automated_sender``     every message it sent is Auto-Submitted (not "no") or ``Precedence: bulk|junk``
``receive_only_alias``   never sent a message, but received from at least ``min_senders`` distinct senders
                         (at least 2 when those messages carried ``Precedence: list``): a list or alias
Aliases of one person are never merged on a guess: the same display name sending from two addresses is
reported as ``likely_alias`` (kind ``reported``) and left as two people; an aliases file merges them.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rapport.extract.mail.addresses import local_of, name_key

# Local parts of role and robot mailboxes (compared after dropping a "+tag").
ROLE_LOCAL_PARTS = frozenset(
    {
        "postmaster",
        "mailer-daemon",
        "mailerdaemon",
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "do_not_reply",
        "bounce",
        "bounces",
        "abuse",
        "hostmaster",
        "webmaster",
        "listmaster",
        "majordomo",
        "mailman",
        "listserv",
        "sympa",
        "ezmlm",
        "notifications",
        "notification",
        "notify",
        "daemon",
        "root",
        "nobody",
    }
)
ROLE_SUFFIXES = (
    "-bounces",
    "-bounce",
    "-owner",
    "-request",
    "-admin",
    "-confirm",
    "-join",
    "-leave",
    "-subscribe",
    "-unsubscribe",
    "-noreply",
    "-no-reply",
)
ROLE_PREFIXES = ("owner-", "bounce-", "bounces-", "noreply-", "no-reply-", "donotreply-", "mailer-daemon")
PRECEDENCE_LIST_MIN_SENDERS = 2


@dataclass
class Traffic:
    """What one (canonical) address did in the archive."""

    sent: int = 0
    automated_sent: int = 0
    received: int = 0
    senders: set[str] = field(default_factory=set)  # distinct senders of the messages it received
    received_precedence_list: int = 0  # ... of which marked Precedence: list without any List-* header


@dataclass(frozen=True)
class AddressVerdict:
    """One row of the address audit: an excluded address, or a reported likely alias."""

    address: str
    kind: str  # "excluded" | "reported" | "merged"
    reason: str
    detail: str
    messages_sent: int
    messages_received: int


@dataclass(frozen=True)
class ListSignals:
    """Addresses the list headers of the archive named."""

    posts: frozenset[str] = frozenset()
    list_ids: frozenset[str] = frozenset()  # List-Id values ("x.lists.example.org")
    related: frozenset[str] = frozenset()
    rewrote_sender: frozenset[str] = frozenset()


def role_local_part(address: str) -> bool:
    """True for role and robot mailboxes: ``x-bounces@``, ``postmaster@``, ``noreply@``, ``owner-x@``, ..."""
    local = local_of(address).split("+", 1)[0]
    return local in ROLE_LOCAL_PARTS or local.endswith(ROLE_SUFFIXES) or local.startswith(ROLE_PREFIXES)


def matching_pattern(address: str, patterns: Iterable[str]) -> str | None:
    """The first ``exclude_addresses`` pattern (fnmatch, case-insensitive) that ``address`` matches."""
    for pattern in patterns:
        if fnmatch.fnmatchcase(address, pattern.strip().lower()):
            return pattern
    return None


def _reason(
    address: str, traffic: Traffic, signals: ListSignals, patterns: tuple[str, ...], min_senders: int
) -> tuple[str, str] | None:
    pattern = matching_pattern(address, patterns)
    if pattern is not None:
        return "exclude_pattern", f"matches [mail] exclude_addresses pattern {pattern!r}"
    if address in signals.posts or address.replace("@", ".", 1) in signals.list_ids:
        return "list_header", "named as the list by List-Post / X-Mailing-List / Mailing-List / List-Id"
    if address in signals.rewrote_sender:
        return (
            "list_rewrote_sender",
            "From of messages a list rewrote ('<name> via <list>'); person from Reply-To",
        )
    if address in signals.related:
        return "list_admin_header", "named by List-Unsubscribe / List-Subscribe / List-Help / List-Owner"
    if role_local_part(address):
        return "role_local_part", f"role or robot mailbox ({local_of(address)!r})"
    if traffic.sent and traffic.automated_sent == traffic.sent:
        return "automated_sender", (
            f"all {traffic.sent} message(s) it sent are Auto-Submitted or Precedence: bulk/junk"
        )
    if not traffic.sent:
        needed = PRECEDENCE_LIST_MIN_SENDERS if traffic.received_precedence_list else min_senders
        if len(traffic.senders) >= needed:
            return "receive_only_alias", (
                f"never sent a message but received {traffic.received} from {len(traffic.senders)} distinct senders"
            )
    return None


def classify_addresses(
    traffic: Mapping[str, Traffic],
    signals: ListSignals,
    *,
    patterns: Iterable[str] = (),
    min_senders: int = 10,
) -> dict[str, AddressVerdict]:
    """Excluded addresses with their reason (see the module docstring), by address."""
    clean_patterns = tuple(p for p in patterns if p and p.strip())
    verdicts: dict[str, AddressVerdict] = {}
    for address in sorted(traffic):
        found = _reason(address, traffic[address], signals, clean_patterns, min_senders)
        if found is not None:
            verdicts[address] = AddressVerdict(
                address, "excluded", found[0], found[1], traffic[address].sent, traffic[address].received
            )
    return verdicts


def likely_aliases(
    sender_names: Mapping[str, Mapping[str, int]], traffic: Mapping[str, Traffic], excluded: Iterable[str]
) -> list[AddressVerdict]:
    """Addresses that sent under the same full display name (two words or more) as another address.

    Reported, never merged: two people can share a name, and one person's two mailboxes are merged only
    by an aliases file.
    """
    skip = set(excluded)
    by_name: dict[str, set[str]] = defaultdict(set)
    for address, names in sender_names.items():
        if address in skip:
            continue
        for name in names:
            key = name_key(name)
            if len(re.findall(r"\w+", key)) >= 2:
                by_name[key].add(address)
    rows: dict[str, AddressVerdict] = {}
    for key, addresses in sorted(by_name.items()):
        if len(addresses) < 2:
            continue
        for address in sorted(addresses):
            others = ", ".join(sorted(addresses - {address}))
            rows.setdefault(
                address,
                AddressVerdict(
                    address,
                    "reported",
                    "likely_alias",
                    f"sent as {key!r} like {others}; not merged (list them in an aliases file to merge)",
                    traffic[address].sent if address in traffic else 0,
                    traffic[address].received if address in traffic else 0,
                ),
            )
    return list(rows.values())
