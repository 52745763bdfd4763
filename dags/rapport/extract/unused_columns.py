"""Source columns a run did not use, for the run summary's notices (nothing silent).

An export (``files:`` or a mapped source's converted folder) may carry columns outside the contract.
Extraction keeps them in ``raw.<table>`` under a plain name (:func:`rapport.extract.export_folder.extra_columns`)
so that a scoring model can use them once ``[scoring.<model>.fields.<column>]`` declares them; until then they
are kept but unused. Columns that cannot be kept (a name that clashes with a contract column, or starts with
``_``; every extra column of a PostgreSQL source) are left out. Both are read back from the landing manifests
of the run's date and turned into one notice line per table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from rapport.contract import load_contract
from rapport.extract.columns import ColumnMapping
from rapport.extract.export_folder import extra_columns
from rapport.extract.landing import MANIFEST_FILE, LandingManifest, landing_folder
from rapport.settings import Settings

SCORED_TABLES = ("lead", "opportunity")  # tables with a scoring model ([scoring.<table>.fields])
KEEPS_EXTRA_COLUMNS = ("files", "mapped")  # source kinds whose extra columns land in raw
NAMES_SHOWN = 12


@dataclass(frozen=True)
class UnusedColumns:
    """One table's source columns that no model reads (kept in raw) or that were not landed at all."""

    table: str
    kept_unused: tuple[str, ...]  # raw column names, kept in raw, declared by no [scoring.*.fields]
    left_out: tuple[str, ...]  # source column names not landed

    def notices(self) -> tuple[str, ...]:
        out = []
        if self.kept_unused:
            hint = (
                f"declare one under [scoring.{self.table}.fields.<column>] in rapport.toml to score with it"
                if self.table in SCORED_TABLES
                else "no model reads this table's extra columns"
            )
            out.append(
                f"{self.table}: {len(self.kept_unused)} source column(s) outside the contract kept in raw but "
                f"used by no model: {_names(self.kept_unused)} ({hint})"
            )
        if self.left_out:
            out.append(
                f"{self.table}: {len(self.left_out)} source column(s) not landed (outside the contract and not "
                f"keepable: a second name for a contract column, a name starting with _, or a database "
                f"source): {_names(self.left_out)}"
            )
        return tuple(out)


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else "")


def unused_columns(manifest: LandingManifest, declared: Collection[str] = ()) -> UnusedColumns:
    """What of ``manifest``'s ignored source columns is kept but undeclared, and what was left out."""
    table = load_contract().table(manifest.table)
    if manifest.source_kind in KEEPS_EXTRA_COLUMNS:
        kept = extra_columns(table, ColumnMapping(table.name, (), (), manifest.ignored_columns, ()))
    else:
        kept = ()
    kept_sources = {source for source, _ in kept}
    wanted = {name.lower() for name in declared}
    return UnusedColumns(
        table=table.name,
        kept_unused=tuple(name for _, name in kept if name not in wanted),
        left_out=tuple(name for name in manifest.ignored_columns if name not in kept_sources),
    )


def unused_column_notices(
    settings: Settings,
    ds: date,
    declared: Mapping[str, Collection[str]],
    since: datetime | None = None,
) -> tuple[str, ...]:
    """Notice lines for every table landed for ``ds`` (at or after ``since``, naive UTC) with unused columns.

    ``declared`` maps a table to the raw columns its model declares (``[scoring.<table>.fields]``).
    """
    out: list[str] = []
    for name in load_contract().table_names:
        path = Path(landing_folder(settings, name, ds)) / MANIFEST_FILE
        if not path.is_file():
            continue
        manifest = LandingManifest.from_json(path.read_text(encoding="utf-8"))
        if since is not None and datetime.fromisoformat(manifest.extracted_at) < since:
            continue
        out += unused_columns(manifest, declared.get(name, ())).notices()
    return tuple(out)


def declared_fields(scoring_sections: Mapping[str, Mapping]) -> dict[str, tuple[str, ...]]:
    """Raw columns declared per model from ``{"lead": config.scoring.lead, ...}`` (entries with a kind).

    A custom field with ``use = false`` is declared too: kept for analysis (staging and the dim), not unused.
    """
    out = {}
    for table, section in scoring_sections.items():
        fields = (section or {}).get("fields", {}) or {}
        out[table] = tuple(
            name for name, entry in fields.items() if isinstance(entry, Mapping) and entry.get("kind")
        )
    return out
