"""Mail archives as a source: mbox, maildir and .eml files -> an export folder of the raw contract.

The extract stage calls :func:`convert_archive` and then reads the folder like any ``files:`` source.
Rules (sides, normalisation, de-duplication, replies, quarantine, ids): ``docs/mail_archives.md``.
"""

from rapport.extract.mail.importer import convert_archive
from rapport.extract.mail.summary import ConversionSummary, MailImportError, MissingInternalDomainError

__all__ = ["ConversionSummary", "MailImportError", "MissingInternalDomainError", "convert_archive"]
