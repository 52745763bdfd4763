"""Great Expectations Data Docs for every validation run, built offline under ``var/gx/data_docs/``.

Each validated table stores one validation result per run in a GX file context (``var/gx/``): the run
name is the as-of date, the run time the moment of validation, so re-runs and backfills keep their own
page. A table validated in several chunks gets one result with the chunks' counts added up and the first
examples of unexpected values (the full row lists are in ``audit.quarantine``).

GX's pages load Bootstrap, jQuery, Vega and a logo from CDNs and S3. Rapport removes every external
reference from the pages it builds, adds a small local stylesheet, and writes its own ``index.html``
(GX's index is drawn by JavaScript from a CDN): nothing is fetched when a page is opened.
"""

from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rapport.expectations.contract_rules import import_gx

log = logging.getLogger(__name__)

SITE = "local_site"
SITE_FOLDER = "data_docs"  # under var/gx/
INDEX_ROWS = "index.json"  # one entry per validation, for index.html
PARTIAL_EXAMPLES = 20  # unexpected values kept per expectation for the page
_EXTERNAL = re.compile(
    r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>"
    r"|<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*/?>"
    r"|<img[^>]*\bsrc=\"https?://[^\"]*\"[^>]*/?>",
    re.IGNORECASE,
)
STYLE = """body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
.text-danger, .failed { color: #b00020; } .text-success, .passed { color: #1b7a2f; }
.cooltip .top, .tooltip-text, .modal, .ge-how-to-button { display: none; }
nav, .navbar { margin-bottom: 1em; } a { color: #0b57d0; }
"""


def docs_dir(var_dir: Path) -> Path:
    """The folder whose ``index.html`` lists every validation run."""
    return var_dir / "gx" / SITE_FOLDER


def index_path(var_dir: Path) -> Path:
    return docs_dir(var_dir) / "index.html"


@dataclass
class ChunkedResult:
    """One table's validation result over all its chunks (counts added up, examples capped)."""

    result: Any = None

    def add(self, chunk: Any) -> None:
        """Fold one chunk's ``ExpectationSuiteValidationResult`` into the table's result."""
        for item in chunk.results:
            _trim(item.result)
        if self.result is None:
            self.result = chunk
            return
        for mine, theirs in zip(self.result.results, chunk.results, strict=True):
            mine.success = bool(mine.success and theirs.success)
            _add_counts(mine.result, theirs.result)
        self.result.success = all(item.success for item in self.result.results)
        successful = sum(1 for item in self.result.results if item.success)
        evaluated = len(self.result.results)
        self.result.statistics.update(
            successful_expectations=successful,
            unsuccessful_expectations=evaluated - successful,
            success_percent=100.0 * successful / evaluated if evaluated else None,
        )


def _trim(values: dict[str, Any] | None) -> None:
    if not values:
        return
    for key in ("unexpected_list", "unexpected_index_list", "unexpected_index_query"):
        values.pop(key, None)
    for key in ("partial_unexpected_list", "partial_unexpected_index_list", "partial_unexpected_counts"):
        if isinstance(values.get(key), list):
            values[key] = values[key][:PARTIAL_EXAMPLES]


def _add_counts(mine: dict[str, Any] | None, theirs: dict[str, Any] | None) -> None:
    if mine is None or not theirs:
        return
    for key in ("element_count", "unexpected_count", "missing_count"):
        if isinstance(mine.get(key), int) and isinstance(theirs.get(key), int):
            mine[key] += theirs[key]
    for key in ("partial_unexpected_list", "partial_unexpected_index_list"):
        if isinstance(mine.get(key), list) and isinstance(theirs.get(key), list):
            mine[key] = (mine[key] + theirs[key])[:PARTIAL_EXAMPLES]
    total = mine.get("element_count") or 0
    missing = mine.get("missing_count") or 0
    unexpected = mine.get("unexpected_count") or 0
    if total:
        mine["missing_percent"] = 100.0 * missing / total
        mine["unexpected_percent_total"] = 100.0 * unexpected / total
        mine["unexpected_percent"] = 100.0 * unexpected / (total - missing) if total > missing else None
        mine["unexpected_percent_nonmissing"] = mine["unexpected_percent"]


def _context(var_dir: Path) -> Any:
    """The GX file context under ``var/gx/`` with one local site, no how-to buttons."""

    gx = import_gx()
    context = gx.get_context(mode="file", project_root_dir=str(var_dir))
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{SITE_FOLDER}/"},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    if context.variables.data_docs_sites != {SITE: site}:
        context.variables.data_docs_sites = {SITE: site}
        context.variables.save()
    return context


def build_table_docs(var_dir: Path, table: str, ds: date, suite: Any, result: Any) -> Path:
    """Store ``result`` (table ``table``, as-of ``ds``), build its page offline; return the page's path."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = _context(var_dir)
    suite_key = ExpectationSuiteIdentifier(name=suite.name)
    context.suites.add_or_update(suite)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=suite_key,
        run_id=RunIdentifier(run_name=ds.isoformat(), run_time=datetime.now(UTC)),
        batch_identifier=table,
    )
    result.meta["run_id"] = key.run_id
    context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=[SITE], resource_identifiers=[key, suite_key], build_index=False)
    site = docs_dir(var_dir)
    page = site.joinpath("validations", *key.to_tuple()).with_suffix(".html")
    for written in (page, site / "expectations" / f"{suite.name}.html"):
        if written.exists():
            make_offline(written, site)
    _record(var_dir, key, result)
    write_index(var_dir)
    return page


def make_offline(page: Path, site: Path) -> None:
    """Remove every external script, stylesheet and image from ``page``; link the local stylesheet."""
    text = page.read_text(encoding="utf-8")
    cleaned = _EXTERNAL.sub("", text)
    style = _stylesheet(site)
    relative = Path(*[".."] * (len(page.relative_to(site).parts) - 1), "static", "styles", style.name)
    link = f'<link rel="stylesheet" href="{relative.as_posix()}">'
    if link not in cleaned:
        cleaned = cleaned.replace("</head>", f"{link}\n</head>", 1)
    page.write_text(cleaned, encoding="utf-8")


def _stylesheet(site: Path) -> Path:
    """The local stylesheet every page links (written once)."""
    style = site / "static" / "styles" / "rapport_offline.css"
    style.parent.mkdir(parents=True, exist_ok=True)
    if not style.exists():
        style.write_text(STYLE, encoding="utf-8")
    return style


def _record(var_dir: Path, key: Any, result: Any) -> None:
    """Add one validation to the index's rows (``index.json``: the index never re-reads every result)."""
    statistics = result.statistics or {}
    rows = _index_rows(var_dir)
    rows.append(
        {
            "ds": str(key.run_id.run_name),
            "validated_at": key.run_id.run_time.isoformat(timespec="seconds") if key.run_id.run_time else "",
            "table": str(key.batch_identifier),
            "success": bool(result.success),
            "met": f"{statistics.get('successful_expectations', '?')}/{statistics.get('evaluated_expectations', '?')}",
            "page": "validations/" + "/".join(key.to_tuple()) + ".html",
        }
    )
    path = docs_dir(var_dir) / INDEX_ROWS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=0), encoding="utf-8")


def _index_rows(var_dir: Path) -> list[dict[str, Any]]:
    path = docs_dir(var_dir) / INDEX_ROWS
    return list(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else []


def write_index(var_dir: Path) -> Path:
    """``index.html``: every validation recorded, newest first, with its status and a link to its page."""
    rows = [
        (row["ds"], row["validated_at"], row["table"], row["success"], row["met"], row["page"])
        for row in _index_rows(var_dir)
    ]
    rows.sort(key=lambda row: (row[0], row[1], row[2]), reverse=True)
    body = "\n".join(
        f"<tr><td>{html.escape(ds)}</td><td>{html.escape(at)}</td><td>{html.escape(table)}</td>"
        f'<td class="{"passed" if ok else "failed"}">{"passed" if ok else "failed"}</td><td>{passed}</td>'
        f'<td><a href="{html.escape(link)}">page</a></td></tr>'
        for ds, at, table, ok, passed, link in rows
    )
    page = index_path(var_dir)
    _stylesheet(page.parent)
    page.write_text(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Rapport: Great Expectations Data Docs'
        '</title><link rel="stylesheet" href="static/styles/rapport_offline.css"></head><body>\n'
        "<h1>Validation results</h1>\n<p>One row per table and validation run (as-of date, moment of "
        "validation). A failed expectation quarantined rows: see <code>audit.quarantine</code>.</p>\n"
        "<table><tr><th>as of</th><th>validated at (UTC)</th><th>table</th><th>status</th>"
        f"<th>expectations met</th><th></th></tr>\n{body}\n</table></body></html>\n",
        encoding="utf-8",
    )
    return page
