"""The dbt exposure `insight_pages` lists exactly the marts the insight pages read (lineage stays true)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2]


def test_the_exposure_names_every_mart_the_pages_read_and_no_other():
    exposures = yaml.safe_load(
        (PROJECT / "dbt_project/models/marts/_exposures.yml").read_text(encoding="utf-8")
    )
    pages = next(item for item in exposures["exposures"] if item["name"] == "insight_pages")
    declared = {re.fullmatch(r"ref\('([a-z_]+)'\)", ref).group(1) for ref in pages["depends_on"]}
    sources = "\n".join(
        path.read_text(encoding="utf-8") for path in (PROJECT / "dags/rapport/insights").rglob("*.py")
    )
    # a mart is read where a query names it (`from fct_...`) or an entity is declared on it ("dim_leads")
    read = set(re.findall(r"\bfrom\s+((?:fct|dim)_[a-z_]+)", sources))
    read |= set(re.findall(r"\"((?:fct|dim)_[a-z_]+)\"", sources))
    assert read, "the pages read no mart: the pattern no longer matches the queries"
    assert declared == read
