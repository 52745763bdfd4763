"""DuckDB's memory limit and threads for dbt: rapport.toml [transform], resolved on the machine, read by the profile."""

import os
import re
from pathlib import Path

import pytest
import yaml

from rapport.config import DEFAULTS_PATH, Config, ConfigError, parse_memory
from rapport.transform import apply_duckdb_resources, duckdb_resources, machine_memory_bytes

PROFILE = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def layer(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "mine.toml"
    path.write_text(text)
    return Config.load(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("6GB", 6_000_000_000), ("512MB", 512_000_000), ("1.5 GiB", 1_610_612_736), ("2gb", 2_000_000_000)],
)
def test_memory_sizes_are_read_with_their_unit(text, expected):
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["6", "six GB", "GB", "6 parsecs"])
def test_a_memory_size_without_a_unit_is_refused_with_an_example(text):
    with pytest.raises(ConfigError, match=re.escape('e.g. "6GB"')):
        parse_memory(text)


def test_auto_is_the_configured_share_of_this_machine_and_zero_threads_its_cores():
    config = Config.load(DEFAULTS_PATH)
    resources = duckdb_resources(config.transform)
    share = config.transform.duckdb_memory_share
    assert resources.memory_limit_mb == int(machine_memory_bytes() * share) // 10**6
    assert resources.threads == len(os.sched_getaffinity(0))


def test_an_explicit_limit_and_threads_win(tmp_path):
    config = layer(tmp_path, '[transform]\nduckdb_memory_limit = "3GB"\nduckdb_threads = 1\n')
    assert duckdb_resources(config.transform).memory_limit_mb == 3000
    assert duckdb_resources(config.transform).threads == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('duckdb_memory_limit = "lots"', "not a memory size"),
        ("duckdb_memory_share = 0.95", "duckdb_memory_share"),
        ("duckdb_threads = -1", "duckdb_threads"),
        ("full_tests_every_days = -1", "full_tests_every_days"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        layer(tmp_path, f"[transform]\n{text}\n")


def test_the_profile_reads_what_rapport_exports(tmp_path, monkeypatch):
    monkeypatch.delenv("RAPPORT_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("RAPPORT_DUCKDB_THREADS", raising=False)
    config = layer(tmp_path, '[transform]\nduckdb_memory_limit = "2500MB"\nduckdb_threads = 1\n')
    apply_duckdb_resources(config)
    assert os.environ["RAPPORT_DUCKDB_MEMORY_LIMIT"] == "2500MB"
    assert os.environ["RAPPORT_DUCKDB_THREADS"] == "1"
    settings = yaml.safe_load(PROFILE.read_text())["rapport"]["outputs"]["duckdb"]["settings"]
    assert "RAPPORT_DUCKDB_MEMORY_LIMIT" in settings["memory_limit"]
    assert "RAPPORT_DUCKDB_THREADS" in settings["threads"]
