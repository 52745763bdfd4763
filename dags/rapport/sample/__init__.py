"""The sample CRM generator: a Dataverse-shaped export folder with realistic, reproducible data.

The embedded default source of Rapport. :func:`generate` writes every table of the raw contract
(``dbt_project/models/staging/crm/_crm__sources.yml``) as ``<out_dir>/<table>.parquet`` (or ``.csv``),
plus ground truth for evaluation in ``<out_dir>/_truth/``. Outcomes depend on record attributes and on
engagement through a latent propensity, so scoring and relationship analytics have real but imperfect
signal. See docs/sample_data.md.

Importing this package is cheap: numpy and pyarrow load only when :func:`generate` runs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from rapport.config import load_config
from rapport.sample.defects import plant_defects
from rapport.sample.scales import SCALES, GenerationError, GenerationSummary, Scale, ScaleError, resolve_scale

__all__ = [
    "SCALES",
    "GenerationError",
    "GenerationSummary",
    "Scale",
    "ScaleError",
    "generate",
    "resolve_scale",
]


def generate(
    out_dir: Path,
    *,
    scale: str = "small",
    seed: int = 42,
    end_date: date | None = None,
    fmt: str = "parquet",
    progress: bool = True,
    activities: int | None = None,
    defects: int = 0,
    lead_auto_disqualify_days: int | None = None,
) -> GenerationSummary:
    """Write a sample CRM export into ``out_dir`` and return what was written.

    ``scale``: ``tiny`` (tests), ``small`` (default), ``medium`` (~1M activities), ``large`` (~10M
    activities) or a whole number of accounts as text. ``end_date`` (default: today, UTC): nothing is
    created at or after its 00:00 UTC except scheduled future activities; the history starts
    ``[sample] history_days`` before it. ``fmt``: ``parquet`` or ``csv``. ``activities`` overrides the
    scale's activity target. ``defects``: bad rows of each kind to plant (:mod:`rapport.sample.defects`;
    counted in ``rows``). ``lead_auto_disqualify_days`` (default: ``[sample] lead_auto_disqualify_days``):
    disqualify leads still open that many days after creation, like a CRM's timer rule; 0 = off. Same
    arguments, same bytes. Files this generator wrote before (contract
    tables in either format and ``_truth/``) are replaced; other files in ``out_dir`` are left alone.
    """
    from rapport.sample.generator import run  # numpy and pyarrow: loaded only when generating

    sample = load_config().sample
    if lead_auto_disqualify_days is None:
        lead_auto_disqualify_days = sample.lead_auto_disqualify_days
    summary = run(
        Path(out_dir),
        scale=scale,
        seed=seed,
        end_date=end_date,
        fmt=fmt,
        progress=progress,
        activities_target=activities,
        history_days=sample.history_days,
        lead_auto_disqualify_days=lead_auto_disqualify_days,
    )
    if not defects:
        return summary
    planted = plant_defects(Path(out_dir), fmt, defects)
    rows = {table: count + planted.get(table, 0) for table, count in summary.rows.items()}
    return replace(summary, rows=rows)
