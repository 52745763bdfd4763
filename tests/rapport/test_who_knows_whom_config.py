"""The [who_knows_whom] tunables: defaults reach dbt as vars, out-of-range values are refused."""

from __future__ import annotations

import re

import pytest

from rapport.config import Config, ConfigError, load_config


def _with_who_knows_whom(**section) -> dict:
    # [health] needs non-zero weights to validate; everything else keeps its defaults
    return {
        "health": {"activity_weights": {"email": 1.0}, "component_weights": {"volume": 1.0}},
        "who_knows_whom": section,
    }


def test_defaults_reach_dbt_as_vars() -> None:
    variables = load_config().dbt_vars()
    assert variables["who_knows_whom_half_life_days"] == 0  # 0 = a share of the data's span
    assert variables["who_knows_whom_half_life_share"] == 1.0
    assert variables["who_knows_whom_opt_out"] == []
    assert variables["who_knows_whom_strength_half_at"] == 10.0
    assert variables["who_knows_whom_email_received_weight"] > variables["who_knows_whom_email_sent_weight"]
    assert "gmail.com" in variables["mail_free_mail_domains"]  # the one free-mail list, [mail]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"half_life_days": -1}, "half_life_days = -1"),
        ({"half_life_share": 0}, "half_life_share = 0"),
        ({"two_way_bonus": -1}, "bonuses must be >= 0"),
        ({"strength_half_at": -1}, "strength_half_at = -1"),
        ({"meeting_weight": -0.5}, "weights must be >= 0"),
        ({"opt_out": ["anna@example.org", " "]}, "is not an e-mail address or systemuser id"),
    ],
)
def test_values_out_of_range_are_refused(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        Config.from_dict(_with_who_knows_whom(**section))


def test_opt_out_list_is_kept() -> None:
    config = Config.from_dict(_with_who_knows_whom(opt_out=["Anna@Example.org", "0000-user-id"]))
    assert config.who_knows_whom.opt_out == ("Anna@Example.org", "0000-user-id")
    assert config.dbt_vars()["who_knows_whom_opt_out"] == ["Anna@Example.org", "0000-user-id"]
