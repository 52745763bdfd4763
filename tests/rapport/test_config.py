"""rapport.toml: defaults, user layers, validation and the dbt vars derived from it."""

from pathlib import Path

import pytest

from rapport.config import DEFAULTS_PATH, Config, ConfigError, load_config


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_defaults_load_with_documented_values():
    config = Config.load(DEFAULTS_PATH)
    assert config.scoring.min_positive == 40
    assert config.scoring.min_negative == 40
    assert config.scoring.training_window_days == 730
    assert config.health.good_from == 60 and config.health.fair_from == 40
    assert config.relationship.recent_days == 90
    assert set(config.talking_points.enabled_categories) == {"sports", "family", "vacation", "entertainment"}


def test_user_file_overrides_only_its_keys(tmp_path):
    user = write(
        tmp_path, "mine.toml", "[health]\ncadence_days = 14\n[health.activity_weights]\nemail = 1.5\n"
    )
    config = Config.load(user)
    assert config.health.cadence_days == 14
    assert config.health.activity_weights["email"] == 1.5
    assert config.health.activity_weights["appointment"] == 1.0  # kept from the defaults
    assert config.health.good_from == 60


def test_layers_separated_by_pathsep_apply_in_order(tmp_path):
    first = write(tmp_path, "a.toml", "[mail]\ninternal_domains = ['a.example']\n")
    second = write(tmp_path, "b.toml", "[mail]\ninternal_domains = ['b.example']\n")
    config = Config.load(f"{first}:{second}")
    assert config.mail.internal_domains == ("b.example",)


def test_load_config_reads_rapport_config_from_the_environment(tmp_path, monkeypatch):
    user = write(tmp_path, "env.toml", "[scoring]\nmin_positive = 55\n")
    monkeypatch.setenv("RAPPORT_CONFIG", str(user))
    assert load_config().scoring.min_positive == 55


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[health.activity_weights]\nemail = 1.6\n", "at most +/- 50 %"),
        ("[health]\ngood_from = 30\n", "health bands"),
        ("[scoring]\ntraining_window_days = 30\n", "at least 90 days"),
        ("[scoring]\ngrade_b_from = 80\n", "grade cut-offs"),
        ("[scoring]\nmin_postive = 3\n", "unknown key(s) ['min_postive']"),
        ("[helth]\ncadence_days = 3\n", "unknown configuration section(s) ['helth']"),
        ("[health\n", "not valid TOML"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(tmp_path, text, message):
    with pytest.raises(
        ConfigError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]")
        .replace("+", r"\+"),
    ):
        Config.load(write(tmp_path, "bad.toml", text))


def test_missing_file_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="RAPPORT_CONFIG"):
        Config.load(tmp_path / "nowhere.toml")


def test_dbt_vars_are_flattened_section_key_names():
    variables = Config.load(DEFAULTS_PATH).dbt_vars()
    assert variables["relationship_recent_days"] == 90
    assert variables["health_cadence_days"] == 7
    assert variables["health_activity_weights"]["email"] == 1.0
    assert variables["scoring_decision_gap_days"] == 7
    assert variables["mail_internal_domains"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[health]\ngood_from = "sixty"\n', '[health] good_from = "sixty": expected a number (float)'),
        ("[scoring]\nmin_positive = true\n", "[scoring] min_positive = true: expected a whole number (int)"),
        ("[scoring]\nmin_positive = 4.5\n", "[scoring] min_positive = 4.5: expected a whole number (int)"),
        ('[notes]\nlanguages = "en"\n', '[notes] languages = "en": expected a list of strings'),
        ('[health.activity_weights]\nemail = "x"\n', '[health] activity_weights.email = "x": expected'),
        ('[sample]\nend_date = "last friday"\n', '[sample] end_date = "last friday": expected a date'),
    ],
)
def test_a_wrong_type_names_file_key_value_and_expected_type(tmp_path, text, expected):
    path = write(tmp_path, "mine.toml", text)
    with pytest.raises(ConfigError) as raised:
        Config.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: {expected}"), message
    assert "\n" not in message


def test_a_range_error_names_the_file_that_set_the_section(tmp_path):
    path = write(tmp_path, "mine.toml", "[health]\ngood_from = 30\n")
    with pytest.raises(ConfigError, match=rf"^{tmp_path}/mine.toml: health bands"):
        Config.load(path)


def test_the_command_line_prints_a_bad_value_as_one_line_without_traceback(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    path = write(tmp_path, "mine.toml", '[health]\ngood_from = "sixty"\n')
    env = {**os.environ, "RAPPORT_CONFIG": str(path)}
    rapport = Path(sys.executable).parent / "rapport"
    done = subprocess.run(
        [str(rapport), "run", "--date", "2026-11-01"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f'rapport: configuration error: {path}: [health] good_from = "sixty": expected a number (float); '
        "Input should be a valid number"
    ]
    assert "Traceback" not in done.stdout + done.stderr
