"""Who exchanged mail with whom in a real list archive, read independently of the importer, and the check
of ``fct_who_knows_whom`` against it.

The reading uses only the standard library's ``mailbox.mbox`` (the ``.xz`` file is unpacked into a
temporary copy with ``lzma``) and ``email.utils.getaddresses``, with rules written here from RFC 2369 and
Mailman's documented behaviour, not from the importer:

* a message is kept once per Message-ID;
* the list is every address named in a ``List-Post``, ``List-Help``, ``List-(Un)Subscribe`` or ``List-Owner``
  mailto: (RFC 2369) or by a ``List-Id`` (``<x.lists.d>`` -> ``x@lists.d``);
* a From whose address is the list was rewritten by the list: the person is the first ``Reply-To`` address;
* an exchange is a message from A with B in To or Cc (the list and A itself left out);
* ours: the address's domain is exactly one of the internal domains.

``top_colleague_evaluation`` then takes the most active customer-side people (most messages sent) and asks
whether the mart's rank 1 is the colleague they exchanged most messages with (both directions).
"""

from __future__ import annotations

import lzma
import mailbox
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.utils import getaddresses
from pathlib import Path

USRP_ARCHIVE = "email_usrp_users/usrp-users-2024-07_2026-07.mbox.xz"
USRP_DOMAINS = ("ettus.com", "emerson.com", "ni.com")


@dataclass
class ArchiveReading:
    messages: int = 0
    replies: int = 0  # messages with In-Reply-To
    rewritten_senders: int = 0  # From = the list, person taken from Reply-To
    lists: set[str] = field(default_factory=set)
    sent: Counter[str] = field(default_factory=Counter)  # messages per sender
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (from, to/cc) -> messages
    addresses: set[str] = field(default_factory=set)


def _addresses(values: list[str]) -> list[str]:
    return [spec.strip().lower() for _, spec in getaddresses([str(v) for v in values]) if "@" in spec]


def read_archive(path: Path) -> ArchiveReading:
    """Read an mbox (or ``.mbox.xz``) with ``mailbox`` and plain header parsing."""
    with tempfile.TemporaryDirectory() as folder:
        mbox_path = Path(folder) / "archive.mbox"
        opener = lzma.open if path.suffix == ".xz" else open
        with opener(path, "rb") as source, mbox_path.open("wb") as target:
            shutil.copyfileobj(source, target)
        reading = ArchiveReading()
        seen: set[str] = set()
        for message in mailbox.mbox(str(mbox_path)):
            message_id = str(message.get("Message-ID", "")).strip()
            if message_id in seen:
                continue
            seen.add(message_id)
            lists = set()
            for value in message.get_all("List-Post", []):
                lists.update(a.lower() for a in re.findall(r"mailto:([^>\s]+)", str(value)))
            for name in ("List-Help", "List-Subscribe", "List-Unsubscribe", "List-Owner"):  # RFC 2369
                for value in message.get_all(name, []):
                    lists.update(a.lower().split("?")[0] for a in re.findall(r"mailto:([^>\s]+)", str(value)))
            for value in message.get_all("List-Id", []):
                for token in re.findall(r"<([^<>]+)>", str(value)):
                    lists.add(token.lower().replace(".", "@", 1))
            reading.lists |= lists
            senders = _addresses(message.get_all("From", []))
            if not senders:
                continue
            sender = senders[0]
            if sender in lists:
                reply_to = [a for a in _addresses(message.get_all("Reply-To", [])) if a not in lists]
                if reply_to:
                    sender = reply_to[0]
                    reading.rewritten_senders += 1
            reading.messages += 1
            reading.replies += int(bool(message.get("In-Reply-To")))
            reading.sent[sender] += 1
            reading.addresses.add(sender)
            recipients = dict.fromkeys(_addresses(message.get_all("To", []) + message.get_all("Cc", [])))
            for recipient in recipients:
                if recipient in lists or recipient == sender:
                    continue
                reading.pairs[(sender, recipient)] += 1
                reading.addresses.add(recipient)
    return reading


def is_ours(address: str, domains: tuple[str, ...]) -> bool:
    return address.rsplit("@", 1)[1] in domains


@dataclass(frozen=True)
class TopColleagueEvaluation:
    people: int
    hits: int
    misses: tuple[str, ...]  # one line per miss, with why

    @property
    def share(self) -> float:
        return self.hits / self.people if self.people else 0.0

    def render(self) -> str:
        lines = [
            f"most active customer-side people: {self.people}; the colleague they exchanged most messages with "
            f"ranks first for {self.hits} ({self.share:.0%})"
        ]
        lines += [f"  miss: {line}" for line in self.misses]
        return "\n".join(lines)


def exchanged(reading: ArchiveReading, domains: tuple[str, ...]) -> dict[str, Counter[str]]:
    """Customer-side person -> colleague -> messages exchanged (both directions)."""
    result: dict[str, Counter[str]] = defaultdict(Counter)
    for (sender, recipient), count in reading.pairs.items():
        if is_ours(sender, domains) and not is_ours(recipient, domains):
            result[recipient][sender] += count
        elif is_ours(recipient, domains) and not is_ours(sender, domains):
            result[sender][recipient] += count
    return result


def top_colleague_evaluation(
    reading: ArchiveReading,
    domains: tuple[str, ...],
    mart_rows: list[tuple[str, str, int, float]],
    top: int = 20,
) -> TopColleagueEvaluation:
    """``mart_rows``: (person_email, colleague_email, rank, strength) of fct_who_knows_whom."""
    ties = exchanged(reading, domains)
    ranked: dict[str, dict[int, tuple[str, float]]] = defaultdict(dict)
    for person, colleague, rank, strength in mart_rows:
        ranked[person][int(rank)] = (colleague, float(strength))
    candidates = [a for a, _ in reading.sent.most_common() if not is_ours(a, domains) and ties.get(a)]
    people = candidates[:top]
    hits = 0
    misses = []
    for person in people:
        counts = ties[person]
        best = max(counts.values())
        strongest = {c for c, n in counts.items() if n == best}
        first = ranked.get(person, {}).get(1)
        if first is not None and first[0] in strongest:
            hits += 1
            continue
        mart_first = (
            f"{first[0]} ({counts.get(first[0], 0)} messages, strength {first[1]})" if first else "nobody"
        )
        misses.append(
            f"{person}: most messages with {', '.join(sorted(strongest))} ({best}), the mart ranks first {mart_first}"
        )
    return TopColleagueEvaluation(len(people), hits, tuple(misses))
