"""The result of one archive conversion and the errors a caller can act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from rapport.errors import RapportInputError


class MailImportError(RapportInputError, ValueError):
    """The archive or the output folder cannot be used as given (the message says why and what to do)."""


class MissingInternalDomainError(MailImportError):
    """No internal domain or address was given, so our side of the mail cannot be told apart."""


@dataclass(frozen=True)
class ConversionSummary:
    """Counts of one conversion. ``messages`` = ``unique_messages`` + ``duplicates`` + ``quarantined``."""

    archive: str
    out_dir: str
    fmt: str
    files: int  # files read (mbox files count once)
    skipped_files: int  # mail-program metadata and maildir tmp/ files, not read
    messages: int  # messages read: one per plain file, one per mbox entry
    unique_messages: int  # e-mails written to email.<fmt>
    duplicates: int  # same Message-ID as a message already kept
    duplicates_differing: int  # ... of which not byte-identical (same e-mail, other transport headers)
    quarantined: int  # rows of _quarantine.parquet
    quarantine_reasons: tuple[tuple[str, int], ...]  # check_name -> count
    synthetic_ids: int  # messages without Message-ID, given a hash-based id
    replies_resolved: int  # e-mails whose parent is in the archive (parentactivityid set)
    replies_via_gateway: int  # ... found through a gateway-rewritten In-Reply-To/References id
    replies_parent_missing: int  # e-mails answering a message that is not in the archive
    self_replies: int  # replies whose sender also sent the parent
    threads: int  # distinct conversationindex values
    outbound: int  # e-mails sent by our side (directioncode true)
    inbound: int
    internal_addresses: int  # people on our side (systemuser rows seen in the mail)
    external_addresses: int  # people on the other side (contact rows)
    list_addresses: int  # addresses that are not people: lists, aliases, robots (no party row, no record)
    gateway_addresses_mapped: int  # gateway addresses mapped back to a real address
    gateway_addresses_unmapped: int
    systemusers: int
    contacts: int
    accounts: int
    activity_parties: int
    seconds: float
    notes: tuple[str, ...] = ()
    excluded_addresses: tuple[tuple[str, str], ...] = ()  # (address, reason) of every excluded address
    parties_excluded: int = 0  # party rows not written because the address is excluded
    via_senders_resolved: int = 0  # "Jane via List <list@...>" messages whose sender came from Reply-To
    likely_aliases: int = 0  # addresses sharing a display name with another one (reported, not merged)
    aliases_merged: int = 0  # addresses merged into a person by the aliases file

    @property
    def reconciles(self) -> bool:
        """Every message read is accounted for: written, a duplicate, or quarantined."""
        return self.messages == self.unique_messages + self.duplicates + self.quarantined

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["quarantine_reasons"] = dict(self.quarantine_reasons)
        data["notes"] = list(self.notes)
        data["excluded_addresses"] = dict(self.excluded_addresses)
        return data

    def describe(self) -> str:
        """A few lines for people: what was read, written, set aside and why."""
        reasons = ", ".join(f"{name} {count}" for name, count in self.quarantine_reasons) or "none"
        lines = [
            f"archive {self.archive} -> {self.out_dir} ({self.fmt})",
            f"read {self.files} files ({self.skipped_files} skipped), {self.messages} messages: "
            f"{self.unique_messages} e-mails + {self.duplicates} duplicates + {self.quarantined} quarantined "
            f"({reasons})",
            f"replies {self.replies_resolved} ({self.replies_via_gateway} via gateway ids, "
            f"{self.self_replies} to own message), {self.replies_parent_missing} answer a message not in the "
            f"archive; {self.threads} threads",
            f"outbound {self.outbound}, inbound {self.inbound}; people: {self.internal_addresses} internal, "
            f"{self.external_addresses} external; {self.accounts} accounts",
            f"{self.via_senders_resolved} list-rewritten senders ('<name> via <list>') resolved to their "
            f"Reply-To person; {self.likely_aliases} likely aliases reported, {self.aliases_merged} merged",
            f"excluded {self.list_addresses} addresses that are not people (lists, aliases, robots; "
            f"{self.parties_excluded} party rows dropped; _address_audit.parquet):",
        ]
        lines.extend(f"  {address}  ({reason})" for address, reason in self.excluded_addresses)
        lines += [
            f"{self.seconds:.2f} s ({self.messages_per_second:,.0f} messages/s)",
        ]
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)
