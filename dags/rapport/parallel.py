"""Worker processes shared by the stages that spread work over cores (validation, notes analysis)."""

from __future__ import annotations

import logging
import multiprocessing
import os
from typing import Any

log = logging.getLogger(__name__)


def machine_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_workers(configured: int) -> int:
    """``configured`` processes, 0 meaning this machine's cores."""
    return configured if configured > 0 else machine_cores()


def may_fork_workers(setting: str) -> bool:
    """Whether this process may start worker processes: a daemonic process (some task runners, e.g.
    Airflow's task processes under some executors) may not, and then the work runs in-process (the
    ``setting``, e.g. ``[notes] workers``, is named in a warning)."""
    if multiprocessing.current_process().daemon:
        log.warning("running in a daemonic process: %s ignored, one process used", setting)
        return False
    return True


def fork_context() -> Any:
    """``fork`` where available (workers share the parent's imported modules: no re-import of Great
    Expectations or jieba), else ``spawn``."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)
