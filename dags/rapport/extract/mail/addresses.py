"""E-mail addresses: parsing, normalisation, de-obfuscation, gateway mapping and sides.

Rules (documented in ``docs/mail_archives.md``):

* An address is compared in lower case, without display name, angle brackets, ``mailto:`` or spaces.
  Plus-addressing (``anna+crm@example.org``) is kept as it is: whether ``+tag`` reaches the same mailbox
  depends on the receiving server, so merging would be a guess.
* Obfuscated forms written by list archives (``anna at example dot org``, ``anna (at) example.org``,
  ``anna [at] example [dot] org``) are turned back into ``anna@example.org``.
* Gateway forms such as gmane's ``anna-Xy12AbCd@public.gmane.org`` are mapped back to the real address
  when the archive proves it (see :func:`resolve_gateways`); otherwise they are kept as they are.
* Our side: an address is internal when its domain is exactly one of the internal domains, or a
  subdomain of a domain written as ``*.example.org``, or when it is listed as an internal address.
  (``lists.example.org`` is not ``example.org``: a list server under our domain is not a colleague.)
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy
from email.utils import getaddresses

from rapport.extract.mail.decoding import decode_header_text, repair_text

# Domains under which a mail-to-news gateway rewrites addresses as ``local-HASH@gateway``.
GATEWAY_DOMAINS = frozenset({"public.gmane.org"})


# Second-level labels under a country code that are public suffixes (co.uk, com.au, ac.jp, ...).
_SECOND_LEVEL_SUFFIXES = frozenset({"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go", "gob"})

_ADDRESS = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$"
)
_OBFUSCATED = re.compile(
    r"(?P<local>[\w.+'-]+)\s*(?:\s(?:at|AT)\s|\(\s*at\s*\)|\[\s*at\s*\]|\{\s*at\s*\})\s*"
    r"(?P<domain>[\w-]+(?:\s*(?:\.|\s(?:dot|DOT)\s|\(\s*dot\s*\)|\[\s*dot\s*\]|\{\s*dot\s*\})\s*[\w-]+)+)"
)
_DOT_WORD = re.compile(r"\s*(?:\s(?:dot|DOT)\s|\(\s*dot\s*\)|\[\s*dot\s*\]|\{\s*dot\s*\}|\.)\s*")
_GATEWAY_LOCAL = re.compile(r"^(?P<local>.+)-(?P<hash>[a-z0-9+/=]{6,})$")
_NAME_NOISE = re.compile(r"[\"'`]+")
_COMMENT = re.compile(r"\([^()]*\)")


@dataclass(frozen=True, slots=True)
class Mailbox:
    """One address from a header: the normalised address and the decoded display name ('' if none)."""

    address: str
    name: str = ""


def normalise_address(text: str | None) -> str | None:
    """Lower-case bare address (``anna@example.org``) or None when ``text`` is not an address."""
    if not text:
        return None
    candidate = text.strip()
    if "<" in candidate and ">" in candidate:  # "Anna Berg <anna@example.org>"
        candidate = candidate[candidate.rfind("<") + 1 : candidate.rfind(">")]
    candidate = candidate.strip("<>").strip()
    if candidate.lower().startswith("mailto:"):
        candidate = candidate[7:].split("?", 1)[0]
    candidate = re.sub(r"\s+", "", candidate).lower().rstrip(".")
    if "@" not in candidate:
        candidate = deobfuscate(text) or ""
    return candidate if _ADDRESS.match(candidate) else None


def deobfuscate(text: str) -> str | None:
    """``anna at example dot org`` (and the ``(at)``, ``[at]`` forms) -> ``anna@example.org``; else None."""
    match = _OBFUSCATED.search(text)
    if not match:
        return None
    domain = _DOT_WORD.sub(".", match.group("domain"))
    address = f"{match.group('local')}@{domain}".lower()
    return address if _ADDRESS.match(address) else None


def deobfuscate_header(value: str) -> str:
    """Rewrite every obfuscated address in a header value that holds no real ``@`` address."""

    def rewrite(match: re.Match[str]) -> str:
        return deobfuscate(match.group(0)) or match.group(0)

    return _OBFUSCATED.sub(rewrite, value)


def clean_display_name(name: str | None, address: str, hints: Sequence[str | None] = ()) -> str:
    """A decoded display name without quotes and noise; '' when it only repeats the address."""
    if not name:
        return ""
    text = decode_header_text(repair_text(name, hints), hints) if "=?" in name else repair_text(name, hints)
    text = _NAME_NOISE.sub("", _COMMENT.sub(" ", text)).strip().strip(",;").strip()
    text = re.sub(r"\s+", " ", text)
    if not text or text.lower() == address or normalise_address(text) == address:
        return ""
    return text


def _pairs_look_wrong(pairs: Sequence[tuple[str, str]], value: str) -> bool:
    """True when getaddresses' result is doubtful: an entry without ``@``, or ``@`` signs left over."""
    specs = [spec for _, spec in pairs if spec]
    if any("@" not in spec or " " in spec for spec in specs):
        return True
    return value.count("@") != sum(spec.count("@") for spec in specs)


def parse_address_header(name: str, raw_value: str | None, hints: Sequence[str | None] = ()) -> list[Mailbox]:
    """Addresses in one From/To/Cc/Bcc header value, normalised, in order, without repeats.

    The fast route is ``email.utils.getaddresses`` (compat32). When its result is doubtful (an entry
    without ``@``, ``@`` signs not accounted for: quoted names holding addresses, obsolete syntax), the
    value is parsed again with ``email.policy.default``'s RFC 5322 parser, whose result wins unless it
    raises. A value without any ``@`` is de-obfuscated first (``anna at example dot org``).
    """
    if not raw_value:
        return []
    value = re.sub(r"\r?\n[ \t]*", " ", raw_value)
    if "@" not in value:
        value = deobfuscate_header(value)
    pairs: list[tuple[str, str]] = getaddresses([value])
    if _pairs_look_wrong(pairs, value):
        try:
            header = policy.default.header_factory(name, value)
            careful = [(item.display_name, item.addr_spec) for item in header.addresses]  # type: ignore[attr-defined]
            comments = {normalise_address(spec): display for display, spec in pairs if display}
            pairs = [
                (display or comments.get(normalise_address(spec), ""), spec) for display, spec in careful
            ]
        except Exception:  # the stdlib parser fails on some malformed groups: keep getaddresses' answer
            pass
    mailboxes: list[Mailbox] = []
    seen: set[str] = set()
    for display, spec in pairs:
        address = normalise_address(repair_text(spec, hints))
        if address is None and display:
            address = normalise_address(display)  # "anna at example.org" parsed as a name
            display = ""
        if address is None or address in seen:
            continue
        seen.add(address)
        mailboxes.append(Mailbox(address, clean_display_name(display, address, hints)))
    return mailboxes


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1]


def local_of(address: str) -> str:
    return address.rsplit("@", 1)[0]


def organisation_domain(domain: str) -> str:
    """The registrable domain an organisation owns: ``linux.vnet.ibm.com`` -> ``ibm.com``.

    An approximation of the Public Suffix List (not available offline): the last two labels, or three
    when the second-to-last is a generic label under a two-letter country code (``co.uk``, ``com.au``).
    """
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def is_free_mail(domain: str, free_mail_domains: Collection[str]) -> bool:
    """Whether ``domain`` (or the organisation domain above it) is a free-mail provider.

    ``free_mail_domains`` is ``[mail] free_mail_domains`` of rapport.toml: the one list every stage uses.
    """
    return domain in free_mail_domains or organisation_domain(domain) in free_mail_domains


def is_gateway(address: str) -> bool:
    return domain_of(address) in GATEWAY_DOMAINS


def split_gateway(address: str) -> tuple[str, str] | None:
    """``anna-XyZ123@public.gmane.org`` -> (``anna``, ``xyz123``); None if not a gateway address."""
    if not is_gateway(address):
        return None
    match = _GATEWAY_LOCAL.match(local_of(address))
    return (match.group("local"), match.group("hash")) if match else None


def name_key(name: str) -> str:
    """Display names compared loosely: case-folded, ``Last, First`` read as ``First Last``."""
    text = name.strip()
    if text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        text = f"{first} {last}"
    return re.sub(r"\s+", " ", text).casefold()


@dataclass(frozen=True)
class InternalSide:
    """Which addresses are ours: internal domains (exact; ``*.d`` for d's subdomains) plus single addresses."""

    domains: tuple[str, ...]
    addresses: frozenset[str]

    @classmethod
    def build(cls, domains: Iterable[str], addresses: Iterable[str]) -> InternalSide:
        clean_domains = tuple(
            sorted({d.strip().lstrip("@").lower().rstrip(".") for d in domains if d and d.strip()})
        )
        clean_addresses = frozenset(a for a in (normalise_address(x) for x in addresses) if a)
        return cls(clean_domains, clean_addresses)

    def is_internal(self, address: str) -> bool:
        """Exact domain match; ``*.example.org`` matches the subdomains of example.org (not itself)."""
        if address in self.addresses:
            return True
        domain = domain_of(address)
        for internal in self.domains:
            if internal.startswith("*."):
                if domain.endswith(internal[1:]):
                    return True
            elif domain == internal:
                return True
        return False


@dataclass(frozen=True)
class GatewayMap:
    """Gateway addresses and Message-IDs mapped back to real ones, with the evidence used."""

    addresses: Mapping[str, str] = field(default_factory=dict)
    message_ids: Mapping[str, str] = field(default_factory=dict)
    hash_domains: Mapping[str, str] = field(default_factory=dict)
    unmapped: frozenset[str] = frozenset()

    def address(self, address: str) -> str:
        return self.addresses.get(address, address)


def _gateway_id_parts(message_key: str) -> tuple[str, str] | None:
    left, _, domain = message_key.rpartition("@")
    if domain.lower() not in GATEWAY_DOMAINS:
        return None
    match = _GATEWAY_LOCAL.match(left.lower())
    if not match:
        return None
    return left[: len(match.group("local"))], match.group("hash")


def resolve_gateways(
    names: Mapping[str, Counter[str]], archive_ids: Iterable[str], referenced_ids: Iterable[str]
) -> GatewayMap:
    """Map gateway addresses and Message-IDs (``x-HASH@public.gmane.org``) back to real ones.

    ``names``: every address seen -> display names seen with it. ``archive_ids``: Message-ID keys of the
    messages in the archive. ``referenced_ids``: ids named in In-Reply-To/References.

    1. A gateway Message-ID ``x-HASH@gw`` maps to the archive's only Message-ID whose left part is ``x``.
    2. A gateway address ``local-HASH@gw`` maps to the real address with the same local part that was
       seen with the same display name, when exactly one such address exists.
    3. A gateway address seen without any display name maps to the only real address with its local
       part, if there is exactly one (mailing lists are written without names).
    4. Each mapping of 1 to 3 teaches that ``HASH`` stands for a domain (gmane's hash encodes the
       domain); a hash taught exactly one domain maps the remaining gateway addresses with that hash to
       ``local@domain``. A hash taught two domains teaches nothing.
    Anything else stays as it is (listed in ``unmapped``).
    """
    archive_ids = list(archive_ids)
    by_left: dict[str, list[str]] = defaultdict(list)
    for key in archive_ids:
        if _gateway_id_parts(key) is None:
            by_left[key.rpartition("@")[0]].append(key)
    hash_votes: dict[str, set[str]] = defaultdict(set)
    id_map, pending_ids = _map_gateway_ids(by_left, set(archive_ids), referenced_ids, hash_votes)

    real_by_local: dict[str, list[str]] = defaultdict(list)
    for address in sorted(names):
        if not is_gateway(address):
            real_by_local[local_of(address)].append(address)
    gateway_addresses = sorted(a for a in names if split_gateway(a))
    address_map = _map_gateway_addresses(names, gateway_addresses, real_by_local, hash_votes)

    hash_domains = {h: next(iter(ds)) for h, ds in hash_votes.items() if len(ds) == 1}
    for address in gateway_addresses:
        local, hash_ = split_gateway(address)  # type: ignore[misc]
        if address not in address_map and hash_ in hash_domains:
            address_map[address] = f"{local}@{hash_domains[hash_]}"

    for key, (left, hash_) in pending_ids.items():
        domain = hash_domains.get(hash_.lower())
        matches = [c for c in by_left[left] if domain and c.rpartition("@")[2].lower() == domain]
        if len(matches) == 1:
            id_map[key] = matches[0]

    unmapped = frozenset(a for a in names if is_gateway(a) and a not in address_map)
    return GatewayMap(address_map, id_map, hash_domains, unmapped)


def _map_gateway_ids(
    by_left: Mapping[str, list[str]],
    known: set[str],
    referenced_ids: Iterable[str],
    hash_votes: dict[str, set[str]],
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Rule 1 of :func:`resolve_gateways`: gateway Message-IDs whose left part names one archive id.

    Returns the mapped ids and the pending ones (several candidates: rule 4's hash domain may decide);
    each mapping votes for its hash's domain in ``hash_votes``.
    """
    id_map: dict[str, str] = {}
    pending_ids: dict[str, tuple[str, str]] = {}
    for key in sorted(set(referenced_ids) - known):
        parts = _gateway_id_parts(key)
        if parts is None:
            continue
        candidates = by_left.get(parts[0], [])
        if len(candidates) == 1:
            id_map[key] = candidates[0]
            hash_votes[parts[1].lower()].add(candidates[0].rpartition("@")[2].lower())
        elif candidates:
            pending_ids[key] = parts
    return id_map, pending_ids


def _map_gateway_addresses(
    names: Mapping[str, Counter[str]],
    gateway_addresses: Sequence[str],
    real_by_local: Mapping[str, list[str]],
    hash_votes: dict[str, set[str]],
) -> dict[str, str]:
    """Rules 2 and 3 of :func:`resolve_gateways`: by shared display name, then by the only local part.

    Each mapping votes for its hash's domain in ``hash_votes``.
    """
    address_map: dict[str, str] = {}
    for address in gateway_addresses:
        local, hash_ = split_gateway(address)  # type: ignore[misc]
        own_names = {name_key(n) for n in names[address] if n}
        if not own_names:
            continue
        named = [r for r in real_by_local.get(local, []) if own_names & {name_key(n) for n in names[r] if n}]
        if len(named) == 1:
            address_map[address] = named[0]
            hash_votes[hash_].add(domain_of(named[0]))

    for address in gateway_addresses:
        local, hash_ = split_gateway(address)  # type: ignore[misc]
        if address not in address_map and not any(names[address]) and len(real_by_local.get(local, [])) == 1:
            address_map[address] = real_by_local[local][0]
            hash_votes[hash_].add(domain_of(real_by_local[local][0]))
    return address_map
