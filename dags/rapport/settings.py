"""Where things live: paths and URIs, from environment variables with defaults.

No I/O happens at import or construction; :func:`apply_runtime_environment` is the one function that
writes to ``os.environ`` and it is called explicitly by the command line, the tests and the DAG.
All run state lives under one folder (``var/`` by default) so that ``make clean`` resets everything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# A wheel (non-editable install) ships the files a run reads besides the code here: rapport.toml,
# airflow.cfg, dags/sales_insights.py, dbt_project/ and mappings/ (pyproject.toml, wheel sources).
SHIPPED_PROJECT = PACKAGE_DIR / "project"


def default_project_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where ``rapport.toml``, ``dbt_project/`` and ``dags/`` are.

    ``RAPPORT_PROJECT_ROOT`` when set; else the project files a non-editable install ships inside the
    package (``rapport/project/``); else the checkout the package lives in (``dags/rapport`` → ``../..``,
    the editable install of ``make setup``).
    """
    env = os.environ if environ is None else environ
    if env.get("RAPPORT_PROJECT_ROOT"):
        return Path(env["RAPPORT_PROJECT_ROOT"]).resolve()
    if SHIPPED_PROJECT.is_dir():
        return SHIPPED_PROJECT
    return PACKAGE_DIR.parents[1]


# Read once per process (a stat, no writes): the defaults file and the contract are read from here.
PROJECT_ROOT = default_project_root()

# Telemetry of every tool in the stack is off by default (the machine is offline; nothing phones home).
TELEMETRY_OFF = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "GX_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "SCARF_ANALYTICS": "false",
    # MLflow would otherwise log the whole uv lock file as model requirements.
    "MLFLOW_UV_AUTO_DETECT": "false",
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
}


# Airflow pool of one slot that every task writing the DuckDB warehouse runs in (one writer across DAGs).
WAREHOUSE_POOL = "rapport_warehouse"


@dataclass(frozen=True)
class Settings:
    """Paths and URIs of one Rapport installation.

    Every path can be moved with an environment variable; the defaults keep everything under
    ``<project>/var``.
    """

    project_root: Path
    var_dir: Path
    config_path: str  # one TOML file, or several separated by os.pathsep (later files win)
    warehouse_path: Path
    mlflow_tracking_uri: str
    source: str
    writeback_uri: str | None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        root = default_project_root(env)
        # An installed package's shipped project is read-only: its run state goes to ./var of the caller.
        default_var = Path.cwd() / "var" if root == SHIPPED_PROJECT else root / "var"
        var_dir = Path(env.get("RAPPORT_HOME", default_var)).resolve()
        warehouse = Path(env.get("RAPPORT_WAREHOUSE", var_dir / "warehouse.duckdb")).resolve()
        tracking = env.get("MLFLOW_TRACKING_URI") or f"sqlite:///{var_dir / 'mlflow.db'}"
        return cls(
            project_root=root,
            var_dir=var_dir,
            config_path=env.get("RAPPORT_CONFIG", str(root / "rapport.toml")),
            warehouse_path=warehouse,
            mlflow_tracking_uri=tracking,
            source=env.get("RAPPORT_SOURCE", "sample"),
            writeback_uri=env.get("RAPPORT_WRITEBACK_URI") or None,
        )

    # Folders under var/ -------------------------------------------------------------------------
    @property
    def airflow_home(self) -> Path:
        return self.var_dir / "airflow"

    @property
    def landing_dir(self) -> Path:
        """Raw Parquet per table per logical date: ``landing/<table>/ds=YYYY-MM-DD/``."""
        return self.var_dir / "landing"

    @property
    def sample_dir(self) -> Path:
        """The generated sample CRM export (the embedded default source)."""
        return self.var_dir / "sample"

    @property
    def exports_dir(self) -> Path:
        """Files for the CRM to import (scores and reasons per day)."""
        return self.var_dir / "exports"

    @property
    def published_dir(self) -> Path:
        """Read copies of the marts for analysts: a swapped DuckDB file and Parquet files."""
        return self.var_dir / "published"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        return self.var_dir / "mlartifacts"

    @property
    def dbt_project_dir(self) -> Path:
        return self.project_root / "dbt_project"

    @property
    def dbt_target_dir(self) -> Path:
        return self.var_dir / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.var_dir / "dbt" / "logs"

    @property
    def dags_dir(self) -> Path:
        return self.project_root / "dags"

    def runtime_environment(self) -> dict[str, str]:
        """Environment variables every Rapport process needs (Airflow, dbt, MLflow, telemetry)."""
        env = dict(TELEMETRY_OFF)
        env.update(
            {
                "AIRFLOW_HOME": str(self.airflow_home),
                "AIRFLOW_CONFIG": str(self.project_root / "airflow.cfg"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_dir),
                "AIRFLOW__COSMOS__CACHE_DIR": str(self.var_dir / "cosmos"),
                "RAPPORT_HOME": str(self.var_dir),
                "RAPPORT_WAREHOUSE": str(self.warehouse_path),
                "RAPPORT_CONFIG": self.config_path,
                "MLFLOW_TRACKING_URI": self.mlflow_tracking_uri,
                "DBT_PROFILES_DIR": str(self.dbt_project_dir),
                "DBT_TARGET_PATH": str(self.dbt_target_dir),
                "DBT_LOG_PATH": str(self.dbt_log_dir),
                # matplotlib (MLflow's evaluation plots) keeps its font cache here, not in ~/.cache
                "MPLCONFIGDIR": str(self.var_dir / "cache" / "matplotlib"),
            }
        )
        return env


def apply_runtime_environment(settings: Settings | None = None) -> Settings:
    """Export :meth:`Settings.runtime_environment` into ``os.environ`` (existing values win)."""
    settings = settings or Settings.from_env()
    for key, value in settings.runtime_environment().items():
        os.environ.setdefault(key, value)
    return settings
