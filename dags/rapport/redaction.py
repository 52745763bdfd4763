"""Keeping passwords out of logs: the URI redaction Rapport applies to its own output.

Two layers (docs/operations.md, "Secrets"):

* :func:`redact` rewrites every ``scheme://user:password@host`` in a text to ``scheme://user:***@host``;
  :class:`RedactingFilter` applies it to every log record of the process (installed by the ``rapport``
  command and by DAG tasks), so a URI in a message, an argument or a traceback never reaches a log file;
* :func:`register_secret` hands a password to Airflow's secrets masker (``airflow.sdk.log.mask_secret``),
  which masks it wherever Airflow logs or renders it (task logs, rendered template fields).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urlsplit

MASK = "***"
_CREDENTIALS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/@\s'\"]*):(?P<password>[^@\s'\"]+)@"
)


def redact(text: str) -> str:
    """``text`` with the password of every URI replaced by ``***``."""
    return _CREDENTIALS.sub(lambda match: f"{match['scheme']}{match['user']}:{MASK}@", text)


def uri_password(uri: str) -> str | None:
    """The (decoded) password of ``uri``, or None."""
    try:
        password = urlsplit(uri).password
    except ValueError:
        return None
    return unquote(password) if password else None


class RedactingFilter(logging.Filter):
    """A logging filter that redacts URI passwords in the formatted message (and drops the arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not format: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Add :class:`RedactingFilter` to the root logger's handlers (once each)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(RedactingFilter())


def register_secret(uri_or_secret: str | None) -> None:
    """Tell Airflow's secrets masker about a password (of a URI) so it never prints it."""
    if not uri_or_secret:
        return
    secret = uri_password(uri_or_secret) if "://" in uri_or_secret else uri_or_secret
    if not secret:
        return
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - Airflow is a dependency
        return
    mask_secret(secret)
