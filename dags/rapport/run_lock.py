"""One run at a time per Rapport home: ``var/run.lock``.

DuckDB allows one writer and every run replaces ``raw.*``: two runs on one home would fight over the
warehouse (one dies on DuckDB's lock) or, with two exports, mix both into the marts. ``rapport run`` and
``rapport ingest`` hold this lock for their whole duration (the DAG under a scheduler has
``max_active_runs=1``).

The lock is an ``flock`` on ``var/run.lock``, whose text names the holder (pid, host, command, start time).
The operating system releases an ``flock`` when its process dies, however it dies, so a lock file left by a
killed run (``kill -9``, a crash, a reboot) is *stale*: the next run takes it over and says so. A live
holder makes a second run refuse at once, naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rapport.errors import RapportError

log = logging.getLogger(__name__)

LOCK_FILE = "run.lock"


class RunLockedError(RapportError):
    """Another run holds this home's run lock."""


@dataclass(frozen=True)
class LockHolder:
    pid: int | None
    host: str
    command: str
    started_at: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started_at} ({self.command})"


def read_holder(path: Path) -> LockHolder | None:
    """Who wrote the lock file (None when it is absent or unreadable)."""
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return None
    if not data:
        return None
    return LockHolder(
        pid=data.get("pid"),
        host=str(data.get("host", "?")),
        command=str(data.get("command", "?")),
        started_at=str(data.get("started_at", "?")),
    )


@contextmanager
def run_lock(var_dir: Path, command: str) -> Iterator[LockHolder | None]:
    """Hold the run lock of ``var_dir`` for the block; yields the stale holder taken over, if any.

    Raises :class:`RunLockedError` at once when a live process holds it.
    """
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / LOCK_FILE
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(path)
            raise RunLockedError(
                f"another Rapport run holds {path}: "
                f"{holder.describe() if holder else 'a process that has not written its name yet'}. "
                "Wait for it to finish (runs on one home never overlap: they share the warehouse), or use "
                "another RAPPORT_HOME"
            ) from None
        stale = read_holder(path)
        if stale is not None:
            log.warning(
                "taking over the run lock left by a run that ended without releasing it: %s", stale.describe()
            )
        mine = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(mine).encode(), 0)
        try:
            yield stale
        finally:
            os.ftruncate(descriptor, 0)  # an empty file: released cleanly, nothing stale to report
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def command_line() -> str:
    """This process's command, arguments left out (they may hold a source URI)."""
    return " ".join(Path(sys.argv[0]).name.split()[:1] + sys.argv[1:2]) if sys.argv else "?"
