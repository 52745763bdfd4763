"""What one DAG run works on: its logical date, as-of moment, settings, configuration and options.

Every task of the DAG starts with :func:`current_run`; it is the one place that turns Airflow's
context into Rapport's terms. The *as-of moment* is the logical date itself (normally midnight UTC):
the run describes the state before it (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from rapport.config import Config, load_config
from rapport.home import secure_home
from rapport.redaction import install_log_redaction
from rapport.settings import Settings, apply_runtime_environment


@dataclass(frozen=True)
class RunContext:
    ds: date
    as_of: datetime
    settings: Settings
    config: Config
    options: dict[str, Any] = field(default_factory=dict)  # the DAG run's params (source, force_retrain)

    @property
    def source_spec(self) -> str | None:
        return self.options.get("source") or None

    @property
    def force_retrain(self) -> bool:
        return bool(self.options.get("force_retrain", False))


def as_of_from(logical_date: datetime | date | str) -> datetime:
    """The as-of moment (tz-aware UTC) of a logical date."""
    if isinstance(logical_date, str):
        logical_date = datetime.fromisoformat(logical_date)
    if not isinstance(logical_date, datetime):
        logical_date = datetime(logical_date.year, logical_date.month, logical_date.day)
    if logical_date.tzinfo is None:
        return logical_date.replace(tzinfo=UTC)
    return logical_date.astimezone(UTC)


def make_run_context(
    logical_date: datetime | date | str, options: dict[str, Any] | None = None
) -> RunContext:
    settings = apply_runtime_environment()
    secure_home(settings)
    install_log_redaction()
    as_of = as_of_from(logical_date)
    return RunContext(
        ds=as_of.date(),
        as_of=as_of,
        settings=settings,
        config=load_config(settings.config_path),
        options=dict(options or {}),
    )


def current_run() -> RunContext:
    """The :class:`RunContext` of the task that is running now (inside an Airflow task only)."""
    from airflow.sdk import get_current_context

    context = get_current_context()
    logical_date = context.get("logical_date") or context["dag_run"].run_after
    return make_run_context(logical_date, dict(context.get("params") or {}))
