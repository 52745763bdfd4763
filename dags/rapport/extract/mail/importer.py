"""Convert a mail archive into an export folder of the raw contract.

Two passes. The first reads every message once: it skips duplicates by Message-ID before parsing,
sends broken messages to quarantine, streams subjects and bodies to a work file and keeps only the
envelope (addresses, dates, ids) in memory. The second resolves gateway addresses, replies, threads,
sides and owners from the envelopes and writes the contract tables; the e-mail table is written by
streaming the work file, so memory stays proportional to the number of messages, not their size.
The export folder is written beside ``out_dir`` and swapped in at the end, so a failed run never
leaves a half-written folder.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import shutil
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rapport.config import load_config
from rapport.extract.mail import ids
from rapport.extract.mail.addresses import (
    GatewayMap,
    InternalSide,
    Mailbox,
    domain_of,
    is_free_mail,
    is_gateway,
    local_of,
    normalise_address,
    organisation_domain,
    resolve_gateways,
)
from rapport.extract.mail.discovery import ArchiveFiles, RawMessage, discover, read_messages
from rapport.extract.mail.exclusions import (
    AddressVerdict,
    ListSignals,
    Traffic,
    classify_addresses,
    likely_aliases,
)
from rapport.extract.mail.parsing import ParsedMessage, Problem, parse_message, quick_message_id
from rapport.extract.mail.replies import Envelope, ReplyLinks, link_replies
from rapport.extract.mail.summary import ConversionSummary, MailImportError, MissingInternalDomainError

log = logging.getLogger(__name__)

MARKER_FILE = "_mail_import.json"
WORK_DIR = "_work"
BATCH_ROWS = 2000
PROGRESS_MIN_BYTES = 20_000_000  # show a progress bar from this archive size on
MAX_DESCRIPTION_CHARS = 1_048_576  # Dataverse's limit for an e-mail's description
# Written for the contract's required tables the mail has nothing for, so the pipeline runs unchanged.
EMPTY_TABLES = ("lead", "opportunity", "phonecall", "appointment", "task", "annotation")
# The owner used only when the archive shows no internal address at all and no default owner is given.
PLACEHOLDER_OWNER = Mailbox("mail-import@rapport.invalid", "Mail import (no internal address found)")
SENDER, TO, CC, BCC = 1, 2, 3, 4


@dataclass
class _Scan:
    """What the first pass collected."""

    envelopes: list[ParsedMessage] = field(default_factory=list)
    quarantine: list[dict[str, str]] = field(default_factory=list)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    files: int = 0
    messages: int = 0
    duplicates: int = 0
    duplicates_differing: int = 0
    synthetic_ids: int = 0
    names: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    list_posts: set[str] = field(default_factory=set)
    list_ids: set[str] = field(default_factory=set)
    list_related: set[str] = field(default_factory=set)
    rewrote_sender: set[str] = field(default_factory=set)  # list addresses found in a rewritten From
    via_resolved: int = 0  # messages whose real sender came from Reply-To / X-Original-From
    referenced: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class AddressRules:
    """Which addresses are not people, and which are one person (docs/mail_archives.md)."""

    exclude_patterns: tuple[str, ...] = ()  # fnmatch patterns ([mail] exclude_addresses)
    min_senders: int = 10  # a never-sending address receiving from this many distinct senders is an alias
    aliases: Mapping[str, str] = field(default_factory=dict)  # alias -> the person's canonical address
    free_mail_domains: frozenset[str] = frozenset()  # [mail] free_mail_domains: people, not companies


@dataclass
class _Person:
    """One canonical address and what the mail says about it."""

    address: str
    names: Counter[str] = field(default_factory=Counter)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sent: int = 0
    seen: int = 0

    def saw(self, when: datetime, as_sender: bool) -> None:
        self.first_seen = when if self.first_seen is None or when < self.first_seen else self.first_seen
        self.last_seen = when if self.last_seen is None or when > self.last_seen else self.last_seen
        self.seen += 1
        self.sent += int(as_sender)

    @property
    def name(self) -> str:
        named = [(count, len(name), name) for name, count in self.names.items() if name]
        return max(named)[2] if named else ""


def convert_archive(
    path: Path,
    out_dir: Path,
    *,
    internal_domains: Sequence[str],
    internal_addresses: Sequence[str] = (),
    fmt: str = "parquet",
    default_owner: str | None = None,
    progress: bool = True,
    exclude_addresses: Sequence[str] = (),
    alias_min_senders: int | None = None,
    aliases: Mapping[str, Sequence[str]] | None = None,
    free_mail_domains: Sequence[str] | None = None,
) -> ConversionSummary:
    """Turn a mail archive (mbox, maildir, .eml files, or a folder mixing them) into an export folder.

    ``out_dir`` receives ``email``, ``activityparty``, ``systemuser``, ``contact`` and ``account`` tables,
    empty ``lead``, ``opportunity``, ``phonecall``, ``appointment``, ``task`` and ``annotation`` tables
    (all with the raw contract's columns, as ``fmt`` = ``parquet`` or ``csv``), ``_quarantine.parquet``
    and ``_mail_import.json`` (this summary). ``out_dir`` must be new, empty, or a previous output of
    this function (it is replaced). ``internal_domains`` / ``internal_addresses`` say which addresses are
    our side; at least one must be given. ``default_owner`` (an internal address) owns e-mails with no
    internal sender or recipient, and the contacts and accounts; by default the most active internal
    sender does. ``progress`` shows a progress bar on stderr for archives above 20 MB.
    ``exclude_addresses`` (fnmatch patterns), ``alias_min_senders`` and the built-in rules decide which
    addresses are lists, aliases or robots (:mod:`rapport.extract.mail.exclusions`): they get no party row,
    contact or systemuser, and ``_address_audit.parquet`` lists each with its reason. ``aliases`` maps a
    person's address to their other addresses, which are merged into it. ``alias_min_senders`` and
    ``free_mail_domains`` (addresses that get no account) default to ``[mail]`` of the configuration.

    Raises MissingInternalDomainError without internal domain/address, MailImportError for an unusable
    ``path``, ``out_dir``, ``fmt`` or ``default_owner``. Bad messages never raise: they are quarantined.
    """
    started = time.perf_counter()
    side = _internal_side(internal_domains, internal_addresses)
    source = Path(path)
    target = Path(out_dir)
    if fmt not in ("parquet", "csv"):
        raise MailImportError(f"fmt={fmt!r}: the export folder format must be 'parquet' or 'csv'")
    if not source.exists():
        raise MailImportError(
            f"mail archive {source} does not exist; give an mbox file, a maildir or a folder of .eml files"
        )
    owner_address = _default_owner(default_owner, side)
    rules = _address_rules(exclude_addresses, alias_min_senders, aliases, free_mail_domains)
    archive = discover(source)
    staging = _prepare_output(source, target)
    try:
        scan = _scan(archive, staging / WORK_DIR, progress)
        summary = _write_tables(scan, archive, staging, target, fmt, side, rules, owner_address, started)
        shutil.rmtree(staging / WORK_DIR)
        _write_marker(staging, summary, side, owner_address, rules)
        _publish(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info(
        "mail import of %s: %d messages -> %d e-mails, %d duplicates, %d quarantined in %.1f s",
        source,
        summary.messages,
        summary.unique_messages,
        summary.duplicates,
        summary.quarantined,
        summary.seconds,
    )
    return summary


def _address_rules(
    exclude_addresses: Sequence[str],
    alias_min_senders: int | None,
    aliases: Mapping[str, Sequence[str]] | None,
    free_mail_domains: Sequence[str] | None,
) -> AddressRules:
    """The address rules of one import; ``None`` settings come from ``[mail]`` of the configuration."""
    if alias_min_senders is None or free_mail_domains is None:
        mail_config = load_config().mail
        alias_min_senders = mail_config.alias_min_senders if alias_min_senders is None else alias_min_senders
        free_mail_domains = mail_config.free_mail_domains if free_mail_domains is None else free_mail_domains
    return AddressRules(
        tuple(exclude_addresses),
        alias_min_senders,
        alias_map(aliases or {}),
        frozenset(domain.lower() for domain in free_mail_domains),
    )


def _write_marker(
    staging: Path,
    summary: ConversionSummary,
    side: InternalSide,
    owner_address: str | None,
    rules: AddressRules,
) -> None:
    """Write ``_mail_import.json``: the summary and the settings the import ran with."""
    (staging / MARKER_FILE).write_text(
        json.dumps(
            {
                "summary": summary.to_dict(),
                "internal_domains": list(side.domains),
                "internal_addresses": sorted(side.addresses),
                "default_owner": owner_address,
                "exclude_addresses": list(rules.exclude_patterns),
                "alias_min_senders": rules.min_senders,
                "aliases": dict(rules.aliases),
            },
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )


def alias_map(aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """``{person address: [other addresses]}`` -> ``{other address: person address}``, normalised.

    Raises MailImportError for an entry that is not an address or an address given to two people.
    """
    mapping: dict[str, str] = {}
    for person, others in aliases.items():
        target = normalise_address(person)
        if target is None or isinstance(others, str):
            raise MailImportError(
                f"aliases: {person!r} = {others!r} is not 'person@address' = ['other@address', ...]"
            )
        for other in others:
            address = normalise_address(other)
            if address is None:
                raise MailImportError(f"aliases: {other!r} (an alias of {person!r}) is not an e-mail address")
            if mapping.get(address, target) != target:
                raise MailImportError(
                    f"aliases: {address} is listed for two people ({mapping[address]}, {target})"
                )
            if address != target:
                mapping[address] = target
    return mapping


def load_aliases_file(path: Path) -> dict[str, list[str]]:
    """Read an aliases file (TOML: ``"anna@example.org" = ["anna.berg@gmail.com", ...]``)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise MailImportError(
            f"aliases file {path} cannot be read ({error}); write one line per person: "
            '"anna@example.org" = ["anna.berg@gmail.com"]'
        ) from error
    return {str(k): list(v) if isinstance(v, list) else v for k, v in data.items()}


def _internal_side(domains: Sequence[str], addresses: Sequence[str]) -> InternalSide:
    if isinstance(domains, str) or isinstance(addresses, str):
        raise MailImportError(
            "internal_domains and internal_addresses are lists of strings, not a single string"
        )
    side = InternalSide.build(domains, addresses)
    if not side.domains and not side.addresses:
        raise MissingInternalDomainError(
            "no internal domain given: the importer cannot tell our team's mail from the customer's. Name "
            "your organisation's mail domain(s) with --internal-domain example.org (repeatable) or in "
            'rapport.toml under [mail] internal_domains = ["example.org"] (single colleagues\' addresses '
            "go in internal_addresses)"
        )
    return side


def _default_owner(default_owner: str | None, side: InternalSide) -> str | None:
    if not default_owner:
        return None
    address = normalise_address(default_owner)
    if address is None or not side.is_internal(address):
        raise MailImportError(
            f"default_owner {default_owner!r} is not an internal address (internal domains: "
            f"{', '.join(side.domains) or 'none'}); give a colleague's address in an internal domain"
        )
    return address


def _prepare_output(source: Path, target: Path) -> Path:
    """Check ``target`` may be (re)written and create the staging folder beside it."""
    source, target = source.resolve(), target.resolve()
    if source.is_dir() and (target == source or source in target.parents):
        raise MailImportError(f"output folder {target} is inside the archive {source}; write it elsewhere")
    if target.exists():
        if not target.is_dir():
            raise MailImportError(f"output path {target} exists and is not a folder")
        if any(target.iterdir()) and not (target / MARKER_FILE).exists():
            raise MailImportError(
                f"output folder {target} is not empty and was not written by the mail importer; "
                "give a new or empty folder (a previous import's folder is replaced)"
            )
    staging = target.parent / f".{target.name}.importing-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / WORK_DIR).mkdir(parents=True)
    return staging


def _publish(staging: Path, target: Path) -> None:
    """Swap the finished staging folder in place of ``target``."""
    target = target.resolve()
    if target.exists():
        old = target.parent / f".{target.name}.replaced-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)


# First pass --------------------------------------------------------------------------------------------


def _progress_bar(archive: ArchiveFiles, progress: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=archive.total_bytes,
        unit="B",
        unit_scale=True,
        desc="mail import",
        file=sys.stderr,
        disable=not progress or archive.total_bytes < PROGRESS_MIN_BYTES,
        mininterval=0.5,
    )


def _messages(archive: ArchiveFiles, scan: _Scan, bar: Any) -> Iterator[RawMessage | tuple[Path, str]]:
    """Every message of the archive; a file that cannot be read comes as (path, error text)."""
    for path in archive.files:
        scan.files += 1
        size = path.stat().st_size
        consumed = 0
        label = archive.relative(path)
        try:
            for raw in read_messages(path, label):
                if raw.kind == "mbox":
                    step = min(len(raw.data), size - consumed)
                    consumed += step
                    bar.update(step)
                yield raw
        except Exception as error:  # unreadable file, corrupt compressed file: quarantined, never fatal
            yield path, f"{type(error).__name__}: {error}"
        bar.update(size - consumed)


def _scan(archive: ArchiveFiles, work_dir: Path, progress: bool) -> _Scan:
    """First pass: read, de-duplicate, parse; bodies go to the work file, envelopes stay in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    scan = _Scan()
    boxes: dict[Mailbox, Mailbox] = {}  # one shared object per (address, name): addresses repeat a lot
    kept: dict[str, bytes] = {}  # Message-ID key -> digest of the kept copy
    kept_content: dict[str, tuple[bytes, str]] = {}  # key -> (content digest, where the kept copy is)
    quarantined_keys: set[str] = set()
    schema = pa.schema([("key", pa.string()), ("subject", pa.string()), ("description", pa.string())])
    writer = pq.ParquetWriter(work_dir / "bodies.parquet", schema, compression="zstd")
    batch: dict[str, list[str]] = {"key": [], "subject": [], "description": []}

    def flush() -> None:
        if batch["key"]:
            writer.write_table(pa.Table.from_pydict(batch, schema=schema))
            for values in batch.values():
                values.clear()

    with _progress_bar(archive, progress) as bar:
        for item in _messages(archive, scan, bar):
            scan.messages += 1
            if isinstance(item, tuple):
                file_path, error = item
                _quarantine(
                    scan,
                    archive,
                    Problem("unreadable_file", f"cannot read the file: {error}"),
                    file_path,
                    None,
                    b"",
                )
                continue
            key = quick_message_id(item.data)
            digest = hashlib.sha1(item.data).digest()
            if key is not None and (key in kept or key in quarantined_keys):
                if key in kept and kept[key] != digest and _reuses_id(scan, archive, item, key, kept_content):
                    continue
                scan.duplicates += 1
                scan.duplicates_differing += int(kept.get(key, digest) != digest)
                continue
            try:
                outcome = parse_message(item.data, key)
            except Exception as error:  # the last line of defence: never stop the import on a message
                outcome = Problem(
                    "parse_error", f"the message could not be parsed: {type(error).__name__}: {error}", key
                )
            if isinstance(outcome, Problem):
                _quarantine(scan, archive, outcome, item.path, item.index, item.data)
                if outcome.key:
                    quarantined_keys.add(outcome.key)
                continue
            if outcome.key in kept:  # two copies of a message without Message-ID
                scan.duplicates += 1
                scan.duplicates_differing += int(kept[outcome.key] != digest)
                continue
            kept[outcome.key] = digest
            kept_content[outcome.key] = (_content_digest(outcome), _label(archive, item))
            scan.synthetic_ids += int(outcome.synthetic_id)
            batch["key"].append(outcome.key)
            batch["subject"].append(outcome.subject)
            batch["description"].append(outcome.body[:MAX_DESCRIPTION_CHARS])
            if len(batch["key"]) >= BATCH_ROWS:
                flush()
            scan.envelopes.append(_slim(outcome, boxes))
            for mailbox in (outcome.sender, *outcome.to, *outcome.cc, *outcome.bcc):
                scan.names[mailbox.address][mailbox.name] += 1
            scan.list_posts.update(outcome.list_posts)
            scan.list_ids.update(outcome.list_ids)
            scan.list_related.update(outcome.list_related)
            if outcome.via_list is not None:
                scan.rewrote_sender.add(outcome.via_list)
                scan.via_resolved += int(outcome.sender.address != outcome.via_list)
            scan.referenced.update(outcome.in_reply_to)
            scan.referenced.update(outcome.references)
    flush()
    writer.close()
    return scan


def _content_digest(parsed: ParsedMessage) -> bytes:
    """What makes two copies one e-mail: sender, date, subject and body (not the transport headers)."""
    text = "\x00".join((parsed.sender.address, parsed.sent_at.isoformat(), parsed.subject, parsed.body))
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def _label(archive: ArchiveFiles, item: RawMessage) -> str:
    return archive.relative(item.path) + (f"#{item.index}" if item.index is not None else "")


def _reuses_id(
    scan: _Scan,
    archive: ArchiveFiles,
    item: RawMessage,
    key: str,
    kept_content: dict[str, tuple[bytes, str]],
) -> bool:
    """True (and the message quarantined) when ``item`` has the Message-ID of a kept message but is another
    e-mail (another sender, date, subject or body). A copy differing only in transport headers (Received,
    Delivered-To, list footers outside the body) is the same e-mail: False, the caller counts a duplicate."""
    try:
        outcome = parse_message(item.data, key)
    except Exception:  # an unparsable second copy: the kept copy stands, count it as a duplicate
        return False
    if isinstance(outcome, Problem):
        return False
    content, first = kept_content[key]
    if _content_digest(outcome) == content:
        return False
    problem = Problem(
        "duplicate_message_id",
        f"Message-ID <{key}> is already used by a different e-mail ({first}: another sender, date, subject or "
        "body); only the first is kept. The sending program reuses ids: if both are real, give this one its "
        "own Message-ID in the archive",
        key,
        (
            ("from", outcome.sender.address),
            ("date", outcome.sent_at.isoformat()),
            ("subject", outcome.subject),
        ),
    )
    _quarantine(scan, archive, problem, item.path, item.index, item.data)
    return True


def _slim(parsed: ParsedMessage, boxes: dict[Mailbox, Mailbox]) -> ParsedMessage:
    """The envelope kept in memory: no subject or body (they are in the work file), shared strings."""

    def share(mailboxes: tuple[Mailbox, ...]) -> tuple[Mailbox, ...]:
        return tuple(boxes.setdefault(m, m) for m in mailboxes)

    return dataclasses.replace(
        parsed,
        subject="",
        body="",
        sender=boxes.setdefault(parsed.sender, parsed.sender),
        to=share(parsed.to),
        cc=share(parsed.cc),
        bcc=share(parsed.bcc),
        in_reply_to=tuple(sys.intern(i) for i in parsed.in_reply_to),
        references=tuple(sys.intern(i) for i in parsed.references),
        list_posts=(),
        list_ids=(),
        list_related=(),
    )


def _quarantine(
    scan: _Scan, archive: ArchiveFiles, problem: Problem, path: Path, index: int | None, data: bytes
) -> None:
    label = archive.relative(path) + (f"#{index}" if index is not None else "")
    source_row = {
        "file": label,
        "archive": str(archive.root.resolve()),
        "mbox_index": index,
        "headers": dict(problem.headers),
        "first_bytes": data[:300].decode("utf-8", "replace"),
        "size_bytes": len(data),
    }
    scan.quarantine.append(
        {
            "table_name": "email",
            "record_key": f"<{problem.key}>" if problem.key else label,
            "check_name": problem.check_name,
            "reason": problem.reason,
            "source_row": json.dumps(source_row, ensure_ascii=False, sort_keys=True),
        }
    )
    scan.quarantine_reasons[problem.check_name] += 1


# Second pass -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sides:
    """Canonical addresses and what each one is."""

    gateway: GatewayMap
    aliases: Mapping[str, str]  # alias address -> the person's canonical address (aliases file)
    people: dict[str, _Person]
    excluded: dict[str, AddressVerdict]
    reported: tuple[AddressVerdict, ...]
    side: InternalSide

    def canonical(self, address: str) -> str:
        mapped = self.gateway.address(address)
        return self.aliases.get(mapped, mapped)

    def kind(self, address: str) -> str:
        """``excluded`` (list, alias, robot), ``internal`` or ``external`` for a canonical address."""
        if address in self.excluded:
            return "excluded"
        return "internal" if self.side.is_internal(address) else "external"


def _sides(scan: _Scan, side: InternalSide, rules: AddressRules) -> _Sides:
    gateway = resolve_gateways(scan.names, (e.key for e in scan.envelopes), scan.referenced)

    def canonical(address: str) -> str:
        mapped = gateway.address(address)
        return rules.aliases.get(mapped, mapped)

    people: dict[str, _Person] = {}
    traffic: dict[str, Traffic] = defaultdict(Traffic)
    sender_names: dict[str, Counter[str]] = defaultdict(Counter)
    for envelope in scan.envelopes:
        sender = canonical(envelope.sender.address)
        sender_names[sender][envelope.sender.name] += 1
        traffic[sender].sent += 1
        traffic[sender].automated_sent += int(envelope.automated)
        receivers: set[str] = set()
        for role, mailboxes in (
            (SENDER, (envelope.sender,)),
            (TO, envelope.to),
            (CC, envelope.cc),
            (BCC, envelope.bcc),
        ):
            for mailbox in mailboxes:
                address = canonical(mailbox.address)
                person = people.setdefault(address, _Person(address))
                person.names[mailbox.name] += 1
                person.saw(envelope.sent_at, role == SENDER)
                if role != SENDER and address != sender:
                    receivers.add(address)
        for address in receivers:
            traffic[address].received += 1
            traffic[address].senders.add(sender)
            traffic[address].received_precedence_list += int(envelope.precedence_list)
    signals = ListSignals(
        posts=frozenset(canonical(a) for a in scan.list_posts),
        list_ids=frozenset(scan.list_ids),
        related=frozenset(canonical(a) for a in scan.list_related),
        rewrote_sender=frozenset(scan.rewrote_sender),
    )
    excluded = classify_addresses(
        {a: traffic[a] for a in people},
        signals,
        patterns=rules.exclude_patterns,
        min_senders=rules.min_senders,
    )
    merged = tuple(
        AddressVerdict(alias, "merged", "aliases_file", f"merged into {target} by the aliases file", 0, 0)
        for alias, target in sorted(rules.aliases.items())
        if alias in scan.names
    )
    reported = (*likely_aliases(sender_names, traffic, excluded), *merged)
    return _Sides(gateway, rules.aliases, people, excluded, reported, side)


def _fallback_owner(sides: _Sides, default_owner: str | None) -> Mailbox:
    """Owner of records and of e-mails without internal sender or recipient."""
    if default_owner:
        person = sides.people.get(default_owner)
        return Mailbox(default_owner, person.name if person else "")
    internal = [p for p in sides.people.values() if sides.kind(p.address) == "internal"]
    if not internal:
        return PLACEHOLDER_OWNER
    best = min(internal, key=lambda p: (-p.sent, -p.seen, p.address))
    return Mailbox(best.address, best.name)


def _split_name(name: str) -> tuple[str | None, str | None]:
    """(first name, last name) from a display name; ``Last, First`` is understood."""
    if not name:
        return None, None
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        return first or None, last or None
    parts = name.split()
    return (" ".join(parts[:-1]) or None), parts[-1]


class _EmailRows:
    """The derived columns of each e-mail and its activityparty rows (one archive's sides and links)."""

    def __init__(
        self, scan: _Scan, sides: _Sides, links: ReplyLinks, rules: AddressRules, owner_id: str
    ) -> None:
        self.sides = sides
        self.links = links
        self.rules = rules
        self.owner_id = owner_id
        self.sender_of = {e.key: sides.canonical(e.sender.address) for e in scan.envelopes}
        self.counts = Counter[str]()
        self.account_domain = functools.cache(self._account_domain)
        self.party = functools.cache(self._party)

    def _account_domain(self, address: str) -> str | None:
        domain = domain_of(address)
        if is_gateway(address) or is_free_mail(domain, self.rules.free_mail_domains):
            return None
        return organisation_domain(domain)

    def _party(self, address: str) -> tuple[str | None, str | None]:
        kind = self.sides.kind(address)
        if kind == "internal":
            return ids.systemuser_id(address), "systemuser"
        if kind == "external":
            return ids.contact_id(address), "contact"
        return None, None

    def _parties(
        self, envelope: ParsedMessage, activity: str, party_cols: dict[str, list[Any]]
    ) -> tuple[list[str], list[str]]:
        """Append the e-mail's parties to ``party_cols``; (internal recipients, external people) in order."""
        roles = ((SENDER, (envelope.sender,)), (TO, envelope.to), (CC, envelope.cc), (BCC, envelope.bcc))
        seen_roles: set[tuple[int, str]] = set()
        recipients_internal: list[str] = []
        external: list[str] = []
        for mask, mailboxes in roles:
            for mailbox in mailboxes:
                address = self.sides.canonical(mailbox.address)
                if (mask, address) in seen_roles:
                    continue
                seen_roles.add((mask, address))
                if address in self.sides.excluded:  # a list, alias or robot is no party of the e-mail
                    self.counts["parties_excluded"] += 1
                    continue
                party_id, party_type = self.party(address)
                party_cols["activitypartyid"].append(ids.activityparty_id(activity, mask, address))
                party_cols["activityid"].append(activity)
                party_cols["partyid"].append(party_id)
                party_cols["partyobjecttypecode"].append(party_type)
                party_cols["participationtypemask"].append(mask)
                party_cols["addressused"].append(address)
                party_cols["ispartydeleted"].append(False)
                if party_type == "systemuser" and mask != SENDER:
                    recipients_internal.append(address)
                elif party_type == "contact" and address not in external:
                    external.append(address)
        return recipients_internal, external

    def _regarding(self, external: list[str]) -> tuple[str | None, str | None]:
        """The account all external people share, else the one external contact, else nothing."""
        accounts = {self.account_domain(a) for a in external}
        if external and len(accounts) == 1 and None not in accounts:
            return ids.account_id(next(iter(accounts))), "account"  # type: ignore[arg-type]
        if len(external) == 1:
            return ids.contact_id(external[0]), "contact"
        return None, None

    def row(self, envelope: ParsedMessage, party_cols: dict[str, list[Any]]) -> dict[str, Any]:
        """The e-mail's derived columns; its parties are appended to ``party_cols``."""
        activity = ids.email_id(envelope.key)
        sender = self.sender_of[envelope.key]
        recipients_internal, external = self._parties(envelope, activity, party_cols)
        is_outbound = self.sides.kind(sender) == "internal"
        self.counts["outbound"] += int(is_outbound)
        if is_outbound:
            owner = ids.systemuser_id(sender)
        elif recipients_internal:
            owner = ids.systemuser_id(recipients_internal[0])
        else:
            owner = self.owner_id
        regarding = self._regarding(external)
        parent_key = self.links.parent.get(envelope.key)
        self.counts["self_replies"] += int(parent_key is not None and self.sender_of[parent_key] == sender)
        return {
            "activityid": activity,
            "regardingobjectid": regarding[0],
            "regardingobjecttypecode": regarding[1],
            "statecode": 1,
            "statuscode": 3 if is_outbound else 4,
            "prioritycode": envelope.priority,
            "directioncode": is_outbound,
            "sender": sender,
            "torecipients": ";".join(dict.fromkeys(self.sides.canonical(m.address) for m in envelope.to))
            or None,
            "senton": envelope.sent_at,
            "messageid": None if envelope.synthetic_id else f"<{envelope.key}>",
            "inreplyto": f"<{envelope.in_reply_to[0]}>" if envelope.in_reply_to else None,
            "conversationindex": f"<{self.links.thread[envelope.key]}>",
            "parentactivityid": ids.email_id(parent_key) if parent_key else None,
            "ownerid": owner,
            "owneridtype": "systemuser",
            "createdon": envelope.sent_at,
            "modifiedon": envelope.sent_at,
        }


def _write_emails(scan: _Scan, staging: Path, fmt: str, rows: _EmailRows) -> int:
    """Stream the work file in archive order beside the envelopes into email and activityparty.

    Returns the number of activityparty rows written.
    """
    import pyarrow.parquet as pq

    from rapport.extract.mail import tables

    email_writer = tables.StreamingWriter(
        tables.table_path(staging, "email", fmt), tables.arrow_schema(tables.contract_table("email")), fmt
    )
    party_writer = tables.StreamingWriter(
        tables.table_path(staging, "activityparty", fmt),
        tables.arrow_schema(tables.contract_table("activityparty")),
        fmt,
    )
    envelopes = iter(scan.envelopes)
    bodies = pq.ParquetFile(staging / WORK_DIR / "bodies.parquet")
    for batch in bodies.iter_batches(batch_size=BATCH_ROWS):
        columns: dict[str, list[Any]] = defaultdict(list)
        party_cols: dict[str, list[Any]] = defaultdict(list)
        for key, subject, description in zip(*(batch.column(i).to_pylist() for i in range(3)), strict=True):
            envelope = next(envelopes)
            if envelope.key != key:  # both are written in archive order by _scan
                raise RuntimeError(f"work file out of step with the envelopes at {key!r}")
            columns["subject"].append(subject or None)
            columns["description"].append(description or None)
            for name, value in rows.row(envelope, party_cols).items():
                columns[name].append(value)
        email_writer.write(tables.build_table("email", columns))
        party_writer.write(tables.build_table("activityparty", party_cols))
    email_writer.close()
    party_writer.close()
    return party_writer.rows


def _write_users(
    staging: Path,
    fmt: str,
    user_addresses: list[str],
    sides: _Sides,
    fallback: Mailbox,
    span: tuple[datetime, datetime],
) -> None:
    """One systemuser per internal address (and the fallback owner); ``span`` dates users never seen."""
    from rapport.extract.mail import tables

    users: dict[str, list[Any]] = defaultdict(list)
    for address in user_addresses:
        person = sides.people.get(address)
        name = person.name if person else (fallback.name if address == fallback.address else "")
        first, last = _split_name(name)
        users["systemuserid"].append(ids.systemuser_id(address))
        users["fullname"].append(name or local_of(address))
        users["firstname"].append(first)
        users["lastname"].append(last)
        users["internalemailaddress"].append(address)
        users["domainname"].append(address)
        users["isdisabled"].append(False)
        users["createdon"].append(person.first_seen if person else span[0])
        users["modifiedon"].append(person.last_seen if person else span[1])
    tables.write_table(
        tables.build_table("systemuser", users), tables.table_path(staging, "systemuser", fmt), fmt
    )


def _write_contacts_and_accounts(
    staging: Path, fmt: str, external_people: list[str], rows: _EmailRows
) -> int:
    """One contact per external person, one account per organisation domain; returns the account count."""
    from rapport.extract.mail import tables

    contacts: dict[str, list[Any]] = defaultdict(list)
    account_seen: dict[str, tuple[datetime, datetime]] = {}
    for address in external_people:
        person = rows.sides.people[address]
        assert person.first_seen is not None and person.last_seen is not None
        name = person.name
        first, last = _split_name(name)
        domain = rows.account_domain(address)
        contacts["contactid"].append(ids.contact_id(address))
        contacts["fullname"].append(name or address)
        contacts["firstname"].append(first)
        contacts["lastname"].append(last or local_of(address))
        contacts["emailaddress1"].append(address)
        contacts["parentcustomerid"].append(ids.account_id(domain) if domain else None)
        contacts["parentcustomeridtype"].append("account" if domain else None)
        contacts["ownerid"].append(rows.owner_id)
        contacts["owneridtype"].append("systemuser")
        contacts["statecode"].append(0)
        contacts["statuscode"].append(1)
        contacts["createdon"].append(person.first_seen)
        contacts["modifiedon"].append(person.last_seen)
        if domain:
            first_seen, last_seen = account_seen.get(domain, (person.first_seen, person.last_seen))
            account_seen[domain] = (min(first_seen, person.first_seen), max(last_seen, person.last_seen))
    tables.write_table(
        tables.build_table("contact", contacts), tables.table_path(staging, "contact", fmt), fmt
    )

    accounts_cols: dict[str, list[Any]] = defaultdict(list)
    for domain in sorted(account_seen):
        accounts_cols["accountid"].append(ids.account_id(domain))
        accounts_cols["name"].append(domain)
        accounts_cols["ownerid"].append(rows.owner_id)
        accounts_cols["owneridtype"].append("systemuser")
        accounts_cols["statecode"].append(0)
        accounts_cols["statuscode"].append(1)
        accounts_cols["createdon"].append(account_seen[domain][0])
        accounts_cols["modifiedon"].append(account_seen[domain][1])
    tables.write_table(
        tables.build_table("account", accounts_cols), tables.table_path(staging, "account", fmt), fmt
    )
    return len(account_seen)


def _conversion_notes(scan: _Scan, fallback: Mailbox, sides: _Sides, links: ReplyLinks) -> list[str]:
    """The summary's sentences about what the conversion had to guess or leave out."""
    notes = []
    if scan.synthetic_ids:
        notes.append(
            f"{scan.synthetic_ids} message(s) had no Message-ID: their id is a hash of Date, From, Subject "
            "and body (messageid is empty)"
        )
    reused = scan.quarantine_reasons.get("duplicate_message_id", 0)
    if reused:
        notes.append(
            f"{reused} message(s) reuse the Message-ID of a different e-mail: quarantined "
            "(duplicate_message_id, see audit.quarantine); only the first e-mail of each id is kept"
        )
    if scan.duplicates:
        notes.append(
            f"{scan.duplicates} duplicate copies skipped (same Message-ID and same e-mail"
            + (
                f"; {scan.duplicates_differing} differ only in transport headers)"
                if scan.duplicates_differing
                else ", byte-identical)"
            )
        )
    if fallback == PLACEHOLDER_OWNER:
        notes.append(
            f"no internal address appears in the archive: records are owned by the placeholder user "
            f"{PLACEHOLDER_OWNER.address}; check --internal-domain"
        )
    if sides.gateway.unmapped:
        notes.append(
            f"{len(sides.gateway.unmapped)} gateway address(es) could not be mapped to a real address and "
            "are kept as they are"
        )
    likely = [row for row in sides.reported if row.reason == "likely_alias"]
    if likely:
        notes.append(
            f"{len(likely)} address(es) share a display name with another address (likely aliases, not "
            f"merged): {', '.join(row.address for row in likely[:10])}{' ...' if len(likely) > 10 else ''}; "
            "see _address_audit.parquet"
        )
    if links.loops_cut:
        notes.append(f"{links.loops_cut} reply loop(s) cut (messages answering each other)")
    return notes


def _write_address_audit(staging: Path, sides: _Sides) -> None:
    """``_address_audit.parquet``: every excluded or reported address with its reason."""
    import pyarrow as pa

    from rapport.extract.mail import tables

    audit = [*sides.excluded.values(), *sides.reported]
    tables.write_table(
        pa.Table.from_pylist([dataclasses.asdict(row) for row in audit], schema=tables.ADDRESS_AUDIT_SCHEMA),
        staging / tables.ADDRESS_AUDIT_FILE,
        "parquet",
    )


def _write_empty_tables_and_quarantine(scan: _Scan, staging: Path, fmt: str) -> None:
    """The contract tables mail has no rows for, and ``_quarantine.parquet``."""
    import pyarrow as pa

    from rapport.extract.mail import tables

    for name in EMPTY_TABLES:
        tables.write_table(tables.build_table(name, {}), tables.table_path(staging, name, fmt), fmt)
    quarantine = pa.Table.from_pylist(scan.quarantine, schema=tables.QUARANTINE_SCHEMA)
    tables.write_table(quarantine, staging / tables.QUARANTINE_FILE, "parquet")


def _write_tables(
    scan: _Scan,
    archive: ArchiveFiles,
    staging: Path,
    target: Path,
    fmt: str,
    side: InternalSide,
    rules: AddressRules,
    default_owner: str | None,
    started: float,
) -> ConversionSummary:
    sides = _sides(scan, side, rules)
    links = link_replies(
        [Envelope(e.key, e.sent_at, e.in_reply_to, e.references) for e in scan.envelopes],
        sides.gateway.message_ids,
    )
    fallback = _fallback_owner(sides, default_owner)
    internal_people = sorted(a for a in sides.people if sides.kind(a) == "internal")
    external_people = sorted(a for a in sides.people if sides.kind(a) == "external")
    user_addresses = list(internal_people)
    if fallback.address not in sides.people:
        user_addresses.append(fallback.address)
    earliest = min((e.sent_at for e in scan.envelopes), default=datetime(1971, 1, 1))
    latest = max((e.sent_at for e in scan.envelopes), default=earliest)

    rows = _EmailRows(scan, sides, links, rules, ids.systemuser_id(fallback.address))
    activity_parties = _write_emails(scan, staging, fmt, rows)
    _write_address_audit(staging, sides)
    _write_users(staging, fmt, user_addresses, sides, fallback, (earliest, latest))
    accounts = _write_contacts_and_accounts(staging, fmt, external_people, rows)
    _write_empty_tables_and_quarantine(scan, staging, fmt)

    outbound = rows.counts["outbound"]
    return ConversionSummary(
        archive=str(archive.root),
        out_dir=str(target),
        fmt=fmt,
        files=scan.files,
        skipped_files=len(archive.skipped),
        messages=scan.messages,
        unique_messages=len(scan.envelopes),
        duplicates=scan.duplicates,
        duplicates_differing=scan.duplicates_differing,
        quarantined=len(scan.quarantine),
        quarantine_reasons=tuple(sorted(scan.quarantine_reasons.items())),
        synthetic_ids=scan.synthetic_ids,
        replies_resolved=len(links.parent),
        replies_via_gateway=len(links.via_gateway),
        replies_parent_missing=links.parent_missing,
        self_replies=rows.counts["self_replies"],
        threads=len(set(links.thread.values())),
        outbound=outbound,
        inbound=len(scan.envelopes) - outbound,
        internal_addresses=len(internal_people),
        external_addresses=len(external_people),
        list_addresses=len(sides.excluded),
        excluded_addresses=tuple((row.address, row.reason) for row in sides.excluded.values()),
        parties_excluded=rows.counts["parties_excluded"],
        via_senders_resolved=scan.via_resolved,
        likely_aliases=sum(1 for row in sides.reported if row.reason == "likely_alias"),
        aliases_merged=sum(1 for row in sides.reported if row.kind == "merged"),
        gateway_addresses_mapped=len(sides.gateway.addresses),
        gateway_addresses_unmapped=len(sides.gateway.unmapped),
        systemusers=len(user_addresses),
        contacts=len(external_people),
        accounts=accounts,
        activity_parties=activity_parties,
        seconds=round(time.perf_counter() - started, 3),
        notes=tuple(_conversion_notes(scan, fallback, sides, links)),
    )
