"""Reply resolution and threads: which message answers which, and which conversation each belongs to.

* Parent: the first In-Reply-To id that is a message of the archive. A message without In-Reply-To
  takes the last References id that is in the archive. When In-Reply-To names a message that is not in
  the archive, the message has no parent here (linking it to an older ancestor from References would
  measure the response time against the wrong message); it still joins its thread.
* Ids rewritten by a gateway (``x-HASH@public.gmane.org``) count when they were mapped back to an
  archive message (:func:`rapport.extract.mail.addresses.resolve_gateways`).
* Thread (``conversationindex``): the root Message-ID of the conversation: walk up the parents to the
  top message in the archive, then take the first id of its References (the conversation's first
  message, even when that one is not in the archive), else its In-Reply-To, else its own id.
* Loops (A answers B, B answers A: broken clients) are cut at the earliest message of the loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Envelope:
    """The reply-relevant fields of one message of the archive."""

    key: str
    sent_at: datetime
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]


@dataclass(frozen=True)
class ReplyLinks:
    """Parent and thread of every message."""

    parent: Mapping[str, str]  # child key -> parent key (both in the archive)
    thread: Mapping[str, str]  # key -> root Message-ID key of its conversation
    via_gateway: frozenset[str]  # children whose parent id was a gateway-rewritten id
    parent_missing: int  # messages that answer a message absent from the archive
    loops_cut: int


def link_replies(envelopes: Sequence[Envelope], gateway_ids: Mapping[str, str]) -> ReplyLinks:
    """Resolve every message's parent and thread (see the module docstring for the rules)."""
    resolver = _IdResolver({envelope.key: envelope for envelope in envelopes}, gateway_ids)
    parent, via_gateway, parent_missing = _find_parents(envelopes, resolver)
    loops_cut = _cut_loops(parent, resolver.by_key)
    via_gateway &= parent.keys()
    thread = _assign_threads(envelopes, parent, resolver)
    return ReplyLinks(parent, thread, frozenset(via_gateway), parent_missing, loops_cut)


@dataclass(frozen=True)
class _IdResolver:
    """Message ids to archive keys, directly or through the gateway mapping."""

    by_key: Mapping[str, Envelope]
    gateway_ids: Mapping[str, str]

    def resolve(self, message_id: str) -> tuple[str | None, bool]:
        """The archive key a message id names (or None), and whether the gateway mapping was needed."""
        if message_id in self.by_key:
            return message_id, False
        mapped = self.gateway_ids.get(message_id)
        return (mapped, True) if mapped in self.by_key else (None, False)

    def canonical(self, message_id: str) -> str:
        found, _ = self.resolve(message_id)
        return found or message_id

    def origin(self, envelope: Envelope) -> str:
        """The conversation's first id: of References, else In-Reply-To, else the message's own key."""
        for message_id in envelope.references:
            if "@" in message_id:
                return self.canonical(message_id)
        for message_id in envelope.in_reply_to:
            if "@" in message_id:
                return self.canonical(message_id)
        return envelope.key


def _find_parents(
    envelopes: Sequence[Envelope], resolver: _IdResolver
) -> tuple[dict[str, str], set[str], int]:
    """Each message's parent, the children linked through a gateway id, and the count of missing parents."""
    parent: dict[str, str] = {}
    via_gateway: set[str] = set()
    parent_missing = 0
    for envelope in envelopes:
        candidates = envelope.in_reply_to or tuple(reversed(envelope.references))
        for message_id in candidates:
            found, through_gateway = resolver.resolve(message_id)
            if found is not None and found != envelope.key:
                parent[envelope.key] = found
                if through_gateway:
                    via_gateway.add(envelope.key)
                break
        else:
            if candidates:
                parent_missing += 1
    return parent, via_gateway, parent_missing


def _assign_threads(
    envelopes: Sequence[Envelope], parent: Mapping[str, str], resolver: _IdResolver
) -> dict[str, str]:
    """Every message's thread: the origin of the top message reached by walking up the parents."""
    thread: dict[str, str] = {}
    for envelope in envelopes:
        path = []
        key: str | None = envelope.key
        while key is not None and key not in thread:
            path.append(key)
            key = parent.get(key)
        root = thread[key] if key is not None else resolver.origin(resolver.by_key[path[-1]])
        for item in path:
            thread[item] = root
    return thread


def _cut_loops(parent: dict[str, str], by_key: Mapping[str, Envelope]) -> int:
    """Remove the parent link of the earliest message in every loop of parent links; return the count."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cut = 0
    for start in sorted(parent):
        path: list[str] = []
        key: str | None = start
        while key is not None and state.get(key) is None:
            state[key] = 1
            path.append(key)
            key = parent.get(key)
        if key is not None and state.get(key) == 1:
            loop = path[path.index(key) :]
            earliest = min(loop, key=lambda k: (by_key[k].sent_at, k))
            del parent[earliest]
            cut += 1
        for item in path:
            state[item] = 2
    return cut
