"""Starting the insight pages: where to listen, which secret, which published copy."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path

from rapport.config import InsightsConfig, load_config
from rapport.errors import RapportInputError
from rapport.insights.app import AppSettings, create_app
from rapport.publish import published_database
from rapport.settings import Settings

SECRET_ENV = "RAPPORT_INSIGHTS_SECRET"


class InsecureBinding(RapportInputError):
    """Listening on an address other than loopback without a secret."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def app_settings(settings: Settings, insights: InsightsConfig, host: str) -> AppSettings:
    """The app's settings; refuses a non-loopback address without a configured secret."""
    secret = os.environ.get(SECRET_ENV) or insights.secret
    if not is_loopback(host) and not secret:
        raise InsecureBinding(
            f"refusing to listen on {host} without a secret: set {SECRET_ENV} (or [insights] secret in your "
            "RAPPORT_CONFIG file); every request must then carry it (HTTP basic password or bearer token), "
            "or listen on 127.0.0.1"
        )
    return AppSettings(database=published_database(settings), insights=insights, secret=secret)


def serve(host: str | None = None, port: int | None = None, database: Path | None = None) -> int:
    """Serve until Ctrl-C; 2 with the reason on stderr when the address needs a secret that is not set."""
    import uvicorn

    settings = Settings.from_env()
    insights = load_config(settings.config_path).insights
    host = host or insights.host
    try:
        app_config = app_settings(settings, insights, host)
    except InsecureBinding as error:
        print(f"rapport: error: {error}", file=sys.stderr)
        return 2
    if database is not None:
        app_config = AppSettings(database=database, insights=insights, secret=app_config.secret)
    port = port or insights.port
    print(
        f"Rapport insights on http://{host}:{port}/ reading {app_config.database} (read-only; Ctrl-C stops it)",
        flush=True,
    )
    uvicorn.run(create_app(app_config), host=host, port=port, log_level="warning")
    return 0
