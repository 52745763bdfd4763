"""Rapport's exceptions. Each message says what was wrong, where, and what to do about it."""


class RapportError(Exception):
    """Base class of Rapport's own errors."""


class RapportInputError(RapportError):
    """The input (an export, a database, an archive, a configuration) is wrong: retrying will not help.

    The DAG's retry policy fails a task at once on this error instead of retrying it.
    """
