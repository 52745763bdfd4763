"""Every default has one home: rapport.toml. These tests fail when a second home drifts from it.

* the config dataclasses' defaults (used when a section is built directly, e.g. in tests) equal rapport.toml;
* dbt models read tunables with ``var('name')`` and no fallback, and every such var is one Config.dbt_vars gives;
* the free-mail list is written once (rapport.toml ``[mail] free_mail_domains``) and read by Python and dbt;
* dbt's DuckDB profile and ``rapport.warehouse`` open DuckDB with the same configuration.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import MISSING, fields
from pathlib import Path

import duckdb
import pytest
import yaml

from rapport.config import _SECTIONS, DEFAULTS_PATH, Config, load_config
from rapport.extract.mail.addresses import is_free_mail
from rapport.settings import PROJECT_ROOT, Settings
from rapport.warehouse import DUCKDB_CONFIG

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
# Optional tables that rapport.toml leaves out on purpose (custom scoring fields: docs/bring_your_own_crm.md).
OPTIONAL_TABLES = {("scoring", "lead"), ("scoring", "opportunity")}
# Vars a run sets itself (not tunables): the as-of moment, the contract's option-set labels and the start of the
# batch the data tests read (test_batch_since: only between full-table test days, unset otherwise).
RUN_VARS = {"as_of", "as_of_date", "contract_option_sets", "test_batch_since"}
# var('name') or var('name', fallback); var('scoring_' ~ entity) gives a name ending in "_" + what follows
_VAR_CALL = re.compile(r"""\bvar\(\s*['"]([a-z_0-9]+)['"]\s*(~\s*[a-z_]+\s*)?(,|\))""")


def committed() -> dict:
    with DEFAULTS_PATH.open("rb") as handle:
        return tomllib.load(handle)


def default_of(item) -> object:
    if item.default is not MISSING:
        return item.default
    if item.default_factory is not MISSING:
        return item.default_factory()
    return MISSING


@pytest.mark.parametrize("section", sorted(_SECTIONS))
def test_dataclass_defaults_equal_rapport_toml(section: str) -> None:
    toml = committed().get(section, {})
    for item in fields(_SECTIONS[section]):
        default = default_of(item)
        if (section, item.name) in OPTIONAL_TABLES:
            assert item.name not in toml and default == {}, (section, item.name)
            continue
        assert item.name in toml, (
            f"[{section}] {item.name} has a default in config.py but none in rapport.toml"
        )
        value = toml[item.name]
        expected = tuple(value) if isinstance(value, list) else value
        assert default == expected, (
            f"[{section}] {item.name}: config.py says {default!r}, rapport.toml {value!r}"
        )


def test_a_changed_default_is_caught() -> None:
    """The comparison above can fail: a section built with a value other than rapport.toml's differs."""
    scoring = _SECTIONS["scoring"](max_trees=301)
    assert scoring.max_trees != committed()["scoring"]["max_trees"]


def dbt_var_calls() -> list[tuple[Path, str, bool]]:
    """(file, var name, has a fallback) for every var() call in the dbt project's SQL and macros."""
    calls = []
    for folder in ("models", "macros", "tests"):
        for path in sorted((DBT_PROJECT / folder).rglob("*.sql")):
            for match in _VAR_CALL.finditer(path.read_text(encoding="utf-8")):
                name, concatenated, after = match.groups()
                names = [name + entity for entity in ("lead", "opportunity")] if concatenated else [name]
                calls += [(path.relative_to(DBT_PROJECT), each, after == ",") for each in names]
    return calls


def test_dbt_tunables_have_no_fallback_and_come_from_rapport_toml() -> None:
    calls = dbt_var_calls()
    assert len(calls) > 20, "the scan found too few var() calls: is the pattern still right?"
    given = set(load_config().dbt_vars())
    for path, name, has_fallback in calls:
        if name in RUN_VARS:
            continue
        assert name in given, f"{path}: var('{name}') is not a rapport.toml tunable (Config.dbt_vars)"
        assert not has_fallback, f"{path}: var('{name}', ...) repeats a default that lives in rapport.toml"


def test_dbt_project_yml_declares_no_vars() -> None:
    project = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert "vars" not in project, "dbt vars come from rapport.toml (Config.dbt_vars), not dbt_project.yml"


def test_free_mail_list_lives_in_rapport_toml_only() -> None:
    domains = committed()["mail"]["free_mail_domains"]
    assert len(domains) == len(set(domains)) > 50 and all(d == d.strip().lower() for d in domains)
    config = load_config()
    assert list(config.mail.free_mail_domains) == domains
    assert config.dbt_vars()["mail_free_mail_domains"] == domains
    # no other tracked source or data file spells out a list of them (three of the rarer ones together)
    marker = ("hotmail.co.uk", "yahoo.co.jp", "t-online.de")
    offenders = []
    for folder in ("dags", "ml", "expectations", "dbt_project", "mappings"):
        for path in (PROJECT_ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".sql", ".csv", ".yml", ".yaml", ".toml", ".json"}:
                text = path.read_text(encoding="utf-8", errors="replace")
                if all(domain in text for domain in marker):
                    offenders.append(path.relative_to(PROJECT_ROOT))
    assert offenders == []


def test_python_and_dbt_agree_on_hotmail_co_uk() -> None:
    """The case the issue names: hotmail.co.uk was a company in one mart and free mail in another."""
    free = load_config().mail.free_mail_domains
    assert is_free_mail("hotmail.co.uk", free)
    assert is_free_mail("eu.hotmail.co.uk", free)  # organisation domain
    assert not is_free_mail("contoso.co.uk", free)
    assert "hotmail.co.uk" in Config.load(DEFAULTS_PATH).dbt_vars()["mail_free_mail_domains"]


def profile_output() -> dict:
    profiles = yaml.safe_load((DBT_PROJECT / "profiles.yml").read_text(encoding="utf-8"))
    profile = profiles["rapport"]
    return profile["outputs"][profile["target"]]


def test_dbt_profile_and_warehouse_open_duckdb_alike(tmp_path: Path) -> None:
    output = profile_output()
    assert output["type"] == "duckdb"
    assert output.get("config_options", {}) == DUCKDB_CONFIG
    # the profile's settings are SET after connecting (not connection options): only DuckDB's resources,
    # which rapport.transform exports from rapport.toml [transform]
    assert set(output.get("settings", {})) <= {"memory_limit", "threads"}, output.get("settings")
    # DuckDB itself refuses a second connection to one file with another configuration in one process
    path = str(tmp_path / "w.duckdb")
    first = duckdb.connect(path, config=dict(DUCKDB_CONFIG))
    try:
        # what dbt-duckdb does with `settings`: a later connection with DUCKDB_CONFIG is still accepted
        first.execute("SET memory_limit = '1000MB'")
        first.execute("SET threads = 1")
        second = duckdb.connect(path, config=dict(output["config_options"]))
        second.close()
        with pytest.raises(duckdb.Error):
            duckdb.connect(path, config={**DUCKDB_CONFIG, "autoload_known_extensions": True})
    finally:
        first.close()


def test_dbt_profile_default_path_is_the_settings_warehouse() -> None:
    match = re.search(r"env_var\('RAPPORT_WAREHOUSE', '([^']+)'\)", profile_output()["path"])
    assert match, profile_output()["path"]
    assert (DBT_PROJECT / match.group(1)).resolve() == Settings.from_env({}).warehouse_path


def test_sqlfluff_gets_every_dbt_var_with_its_type() -> None:
    """`rapport sqlfluff` hands the dbt templater all vars, lists and tables too (models have no fallbacks)."""
    from rapport.commands.sqlfluff import context_config

    variables = load_config().dbt_vars()
    written = tomllib.loads(context_config(variables))["tool"]["sqlfluff"]["templater"]["dbt"]["context"]
    assert written == variables
    assert (
        isinstance(written["health_activity_weights"], dict)
        and "hotmail.co.uk" in written["mail_free_mail_domains"]
    )
