"""A non-editable install (``uv pip install .`` into a fresh virtual environment) works without the checkout.

The wheel holds one top-level package, ``rapport`` (``rapport.ml``, ``rapport.expectations`` inside it), and
ships the files a run reads under ``rapport/project/`` (rapport.toml, airflow.cfg, the DAG file, dbt_project/,
mappings/). The test builds and installs it from the uv cache (``--offline``; the registry only when the
cache lacks a package), then runs the installed ``rapport`` from a folder outside the checkout: ``--help``,
where it finds its project, and ``rapport dbt parse`` on the shipped dbt project. A whole ``rapport run`` on
the tiny sample from such an install is measured in docs/architecture.md (too long for every test run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rapport.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _uv() -> list[str]:
    """uv as make runs it (``python3 -m uv``), by absolute path, or a ``uv`` executable."""
    for python in (sys.executable, shutil.which("python3")):
        if python and subprocess.run([python, "-m", "uv", "--version"], capture_output=True).returncode == 0:
            return [python, "-m", "uv"]
    found = shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed: make setup installs it (python3 -m pip install uv)")
    return [found]


def _env(home: Path) -> dict[str, str]:
    """No variable of the test session (RAPPORT_*, AIRFLOW_*, the venv) leaks into the installed command."""
    keep = ("HOME", "PATH", "LANG", "UV_CACHE_DIR", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "SSL_CERT_FILE")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part != venv_bin)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["RAPPORT_HOME"] = str(home)
    return env


def _install(venv: Path, env: dict[str, str]) -> None:
    uv = _uv()
    subprocess.run([*uv, "venv", "-q", "-p", sys.executable, str(venv)], env=env, check=True, timeout=120)
    command = [*uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), str(PROJECT_ROOT)]
    offline = subprocess.run([*command, "--offline"], env=env, capture_output=True, text=True, timeout=900)
    if offline.returncode != 0:  # a package missing from the uv cache: ask the registry
        online = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
        assert online.returncode == 0, f"uv pip install failed:\n{offline.stderr}\n{online.stderr}"


def test_a_wheel_install_runs_outside_the_checkout(tmp_path: Path):
    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    env = _env(work / "var")
    _install(venv, env)

    rapport = venv / "bin" / "rapport"
    help_text = subprocess.run([str(rapport), "--help"], cwd=work, env=env, capture_output=True, text=True)
    assert help_text.returncode == 0 and "run" in help_text.stdout and "generate" in help_text.stdout

    probe = (
        "import importlib.util as u, rapport, rapport.ml.pipeline, rapport.expectations.lead;"
        "from rapport.settings import SHIPPED_PROJECT, Settings;"
        "s = Settings.from_env();"
        "print(rapport.__file__); print(s.project_root == SHIPPED_PROJECT); print(s.dbt_project_dir);"
        "print([n for n in ('ml', 'expectations', 'tests') if u.find_spec(n)]);"
        "from rapport.summary import rapport_command; print(rapport_command())"
    )
    lines = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    package_file, is_shipped, dbt_dir, old_names, hint = lines
    # the run summary's `<hint> ui mlflow` names this install's script, not a checkout's .venv/bin/rapport
    assert hint == str(rapport) or (
        hint == "rapport" and shutil.which("rapport", path=env["PATH"]) == str(rapport)
    )
    assert Path(package_file).is_relative_to(venv) and is_shipped == "True" and old_names == "[]"
    for shipped in ("dbt_project.yml", "profiles.yml", "models/staging/crm/_crm__sources.yml"):
        assert (Path(dbt_dir) / shipped).is_file(), f"the wheel lacks dbt_project/{shipped}"
    assert (Path(dbt_dir).parent / "dags" / "sales_insights.py").is_file()

    parse = subprocess.run(
        [str(rapport), "dbt", "parse"], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert parse.returncode == 0, f"rapport dbt parse failed:\n{parse.stdout[-3000:]}\n{parse.stderr[-3000:]}"
    assert (
        work / "var" / "dbt" / "target" / "manifest.json"
    ).is_file()  # run state in RAPPORT_HOME, not site-packages
