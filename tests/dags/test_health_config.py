"""The [health] and [relationship] tunables dbt's relationship models read."""

from __future__ import annotations

import re

import pytest

from rapport.config import Config, ConfigError, load_config


def _with_health(**health) -> dict:
    return {"health": {"activity_weights": {"email": 1.0}, "component_weights": {"volume": 1.0}, **health}}


def test_defaults_reach_dbt_as_vars() -> None:
    variables = load_config().dbt_vars()
    assert variables["health_cadence_days"] == 7
    assert variables["health_component_weights"] == {
        "volume": 0.30,
        "recency": 0.30,
        "reciprocity": 0.20,
        "responsiveness": 0.20,
    }
    assert variables["relationship_callback_window_days"] == 7
    assert variables["relationship_recent_days"] == 90


@pytest.mark.parametrize(
    ("health", "message"),
    [
        ({"activity_weights": {"email": 1.6}}, "at most +/- 50 %"),
        ({"activity_weights": {"fax": 1.0}}, "unknown activity type"),
        ({"component_weights": {"sentiment": 1.0}}, "unknown component"),
        ({"component_weights": {"volume": 0.0}}, "not all zero"),
        ({"good_from": 40, "fair_from": 60}, "fair_from"),
        ({"cadence_days": 0}, "must be > 0"),
    ],
)
def test_health_values_out_of_range_are_refused(health: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_dict(_with_health(**health))


def test_weights_within_fifty_percent_are_accepted() -> None:
    config = Config.from_dict(_with_health(activity_weights={"email": 1.5, "task": 0.5}))
    assert config.health.activity_weights == {"email": 1.5, "task": 0.5}
