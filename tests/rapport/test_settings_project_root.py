"""Where the project files are: RAPPORT_PROJECT_ROOT, else a wheel's shipped project, else the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rapport.settings import PACKAGE_DIR, PROJECT_ROOT, SHIPPED_PROJECT, Settings, default_project_root


def test_the_checkout_is_the_default_and_the_variable_moves_it(tmp_path: Path):
    assert not SHIPPED_PROJECT.exists()  # an editable install: the package is dags/rapport of a checkout
    assert default_project_root({}) == PACKAGE_DIR.parents[1] == PROJECT_ROOT
    assert (PROJECT_ROOT / "dbt_project" / "dbt_project.yml").is_file()
    moved = default_project_root({"RAPPORT_PROJECT_ROOT": str(tmp_path)})
    assert moved == tmp_path.resolve()
    settings = Settings.from_env({"RAPPORT_PROJECT_ROOT": str(tmp_path)})
    assert settings.dbt_project_dir == tmp_path.resolve() / "dbt_project"
    assert settings.var_dir == tmp_path.resolve() / "var"


def test_the_defaults_file_and_the_contract_follow_the_variable(tmp_path: Path):
    """They used to be read from the checkout whatever RAPPORT_PROJECT_ROOT said."""
    probe = (
        "from rapport.config import DEFAULTS_PATH; from rapport.contract import CONTRACT_PATH;"
        "print(DEFAULTS_PATH); print(CONTRACT_PATH)"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAPPORT_")}
    env["RAPPORT_PROJECT_ROOT"] = str(tmp_path)
    lines = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines == [
        str(tmp_path.resolve() / "rapport.toml"),
        str(tmp_path.resolve() / "dbt_project" / "models" / "staging" / "crm" / "_crm__sources.yml"),
    ]
