"""The dbt project's conventions (STYLE.md), checked on dbt's own manifest rather than by discipline.

``dbt parse`` (with the vars of rapport.toml, as every Rapport invocation passes them) writes
``target/manifest.json``; the checks read it: model name prefixes by layer, a grain sentence opening every
model description, ``source()`` called only in staging, sources declared only under staging, and every model
covered by at least one data test or unit test. ``make lint`` runs this file.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from rapport.config import load_config
from rapport.settings import Settings
from rapport.transform import run_dbt

PREFIXES = {"staging": ("stg_",), "intermediate": ("int_",), "marts": ("fct_", "dim_")}
GRAIN = re.compile(r"^One row per \S")  # "One row per lead per day." (STYLE.md: one YAML per model)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    home = tmp_path_factory.mktemp("manifest")
    settings = Settings.from_env({"RAPPORT_HOME": str(home), "RAPPORT_WAREHOUSE": str(home / "w.duckdb")})
    run_dbt("parse", settings=settings, config=load_config(), as_of=datetime(2026, 11, 1))
    return json.loads((settings.dbt_target_dir / "manifest.json").read_text(encoding="utf-8"))


def models(manifest: dict) -> dict[str, dict]:
    found = {key: node for key, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    assert len(found) > 30, "the manifest lists too few models: did dbt parse the project?"
    return found


def layer(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1]  # models/<layer>/...


def test_every_model_sits_in_a_known_layer_with_its_prefix(manifest: dict) -> None:
    wrong = [
        f"{node['original_file_path']}: {node['name']} wants {' or '.join(PREFIXES.get(layer(node), ('?',)))}"
        for node in models(manifest).values()
        if not node["name"].startswith(PREFIXES.get(layer(node), ("\0",)))
    ]
    assert wrong == []


def test_every_model_description_opens_with_its_grain(manifest: dict) -> None:
    missing = [
        f"{node['name']}: {node['description'][:60]!r}"
        for node in models(manifest).values()
        if not GRAIN.match(node["description"].strip())
    ]
    assert missing == []


def test_only_staging_models_call_source(manifest: dict) -> None:
    offenders = [
        f"{node['name']} ({layer(node)}) reads {node['sources']}"
        for node in models(manifest).values()
        if node["sources"] and layer(node) != "staging"
    ]
    assert offenders == []


def test_sources_are_declared_under_staging(manifest: dict) -> None:
    sources = manifest["sources"].values()
    assert sources, "the manifest lists no sources"
    misplaced = {
        source["original_file_path"]
        for source in sources
        if not source["original_file_path"].startswith("models/staging/")
    }
    assert misplaced == set()


def test_every_model_is_tested(manifest: dict) -> None:
    tested: Counter[str] = Counter()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            tested.update(node["depends_on"]["nodes"])
    for unit in manifest.get("unit_tests", {}).values():
        tested[f"model.{unit['package_name']}.{unit['model']}"] += 1
    untested = sorted(node["name"] for key, node in models(manifest).items() if not tested[key])
    assert untested == []


def test_the_checks_can_fail() -> None:
    """The patterns reject what they must: a description without a grain, a mart without its prefix."""
    assert not GRAIN.match("Leads with their KPIs.")
    assert not "int_leads".startswith(PREFIXES["marts"])
    assert layer({"original_file_path": "models/marts/scoring/x.sql"}) == "marts"
