"""Where the insight pages listen and the secret every request must carry off loopback."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rapport.config import InsightsConfig
from rapport.insights.app import AppSettings, create_app
from rapport.insights.server import SECRET_ENV, InsecureBinding, app_settings, is_loopback
from rapport.settings import Settings


def test_loopback_addresses_are_recognised() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.org")


def test_another_address_without_a_secret_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path)})
    with pytest.raises(InsecureBinding, match=SECRET_ENV):
        app_settings(settings, InsightsConfig(), "0.0.0.0")
    assert app_settings(settings, InsightsConfig(), "127.0.0.1").secret == ""
    assert app_settings(settings, InsightsConfig(secret="from-toml"), "0.0.0.0").secret == "from-toml"
    monkeypatch.setenv(SECRET_ENV, "from-env")
    assert app_settings(settings, InsightsConfig(secret="from-toml"), "0.0.0.0").secret == "from-env"


def test_every_request_needs_the_secret_when_one_is_set(tmp_path: Path) -> None:
    client = TestClient(
        create_app(AppSettings(database=tmp_path / "none.duckdb", insights=InsightsConfig(), secret="s3cret"))
    )
    for path in ("/focus", "/list/leads", "/run", "/static/style.css"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    basic = base64.b64encode(b"anyone:s3cret").decode()
    # with the secret the request goes through: no published copy yet gives the explaining page (503)
    answer = client.get("/focus", headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 503 and "rapport run" in answer.text
    assert client.get("/static/style.css", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_no_published_copy_explains_what_to_do(tmp_path: Path) -> None:
    client = TestClient(create_app(AppSettings(database=tmp_path / "none.duckdb", insights=InsightsConfig())))
    answer = client.get("/list/opportunities")
    assert answer.status_code == 503
    assert "no published copy" in answer.text and "rapport run" in answer.text
    assert client.get("/list/widgets").status_code in (404, 503)
