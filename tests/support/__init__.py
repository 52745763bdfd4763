"""Shared test helpers."""

from __future__ import annotations

import os
from pathlib import Path

from rapport.settings import PROJECT_ROOT


def reference_data(name: str) -> Path:
    """A real corpus of the shared data folder, read in place: under ``RAPPORT_REFERENCE_DATA``, else under a
    ``shared/data`` folder beside or above the project. The first candidate is returned when none exists (the
    caller skips, saying so)."""
    roots = [Path(os.environ["RAPPORT_REFERENCE_DATA"])] if os.environ.get("RAPPORT_REFERENCE_DATA") else []
    roots += [parent / "shared" / "data" for parent in (PROJECT_ROOT, *PROJECT_ROOT.parents)]
    return next((root / name for root in roots if (root / name).exists()), roots[0] / name)
