"""Rapport's exceptions: each says what was wrong, where, and what to do about it.

``RapportInputError`` and its subclasses are problems with the *input* (the source, the export, the data);
a person fixes them by changing the input or the settings, not the code. ``RapportError`` subclasses that
are not input errors point at a bug or a broken run folder.
"""

from __future__ import annotations

import errno


class RapportError(Exception):
    """Base class of every error Rapport raises on purpose."""


class RapportInputError(RapportError):
    """The input (source, export files, database, data) is not what Rapport can read.

    Retrying does not help: the DAG's retry policy fails a task at once on this error.
    """


class SourceSpecError(RapportInputError):
    """A source spec (``sample``, ``files:DIR``, ``postgres:URI``, ``mail:PATH``) is malformed or unknown."""


class ExportNotFoundError(RapportInputError):
    """The export folder or archive named by the source does not exist."""


class ExportReadError(RapportInputError):
    """A file of the export could not be read (unreadable, broken CSV quoting, no header and no model.json)."""


class MissingTableError(RapportInputError):
    """A table the contract requires is absent from the source."""


class EmptyTableError(RapportInputError):
    """A table the contract requires is present but has no rows in a full export."""


class SourceConnectionError(RapportInputError):
    """The source database could not be reached or refused the connection."""


class ContractViolationError(RapportInputError):
    """A landed table breaks the contract as a whole (a missing required column, a wrong column type)."""


class LandingNotFoundError(RapportError):
    """Validation found no landed data for a table and date: extraction did not run or failed."""


class ValidationOrderError(RapportError):
    """A table was validated before a table its checks depend on (e.g. activityparty before email)."""


class ReconciliationError(RapportError):
    """Row counts do not balance: raw rows differ from clean plus quarantined rows (a bug: report it)."""


class TransientError(RapportError):
    """A fault of the machine, not of the input (disk full, a lock held for a moment): retrying helps.

    Deliberately not a :class:`RapportInputError`, so the DAG's retry policy retries it.
    """


TRANSIENT_MARKERS = (
    "No space left on device",
    "Disk full",
    "disk is full",
    "Could not set lock on file",
    "database is locked",
    "Resource temporarily unavailable",
)


def is_transient(error: BaseException) -> bool:
    """True for disk-full and lock-busy errors (by errno or by the message the library wrote)."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EAGAIN, errno.EBUSY):
        return True
    text = str(error)
    return any(marker.lower() in text.lower() for marker in TRANSIENT_MARKERS)
