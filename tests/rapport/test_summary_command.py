"""The run summary names the ``rapport`` command the way this process was started (issue 14).

A checkout's ``.venv/bin/rapport`` is not where an installed package lives; the hints must work as printed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rapport.settings import Settings
from rapport.summary import rapport_command, render_summary
from tests.rapport.test_summary_scores import _summary


def _script(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "rapport"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_a_script_not_on_path_is_named_by_its_path(tmp_path, monkeypatch):
    script = _script(tmp_path / "opt venv" / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    assert rapport_command(str(script), sys.executable) == f"'{script}'"  # quoted: the path has a space


def test_the_script_found_on_path_is_named_rapport(tmp_path, monkeypatch):
    script = _script(tmp_path / "venv" / "bin")
    monkeypatch.setenv("PATH", str(script.parent))
    assert rapport_command(str(script), sys.executable) == "rapport"
    other = _script(tmp_path / "other" / "bin")  # another rapport earlier on PATH: this one by its path
    monkeypatch.setenv("PATH", str(other.parent))
    assert rapport_command(str(script), sys.executable) == str(script)


def test_started_otherwise_the_script_beside_the_interpreter_or_python_dash_m(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    script = _script(tmp_path / "venv" / "bin")
    python = tmp_path / "venv" / "bin" / "python"
    assert rapport_command("-c", str(python)) == str(script)
    bare = tmp_path / "bare" / "bin" / "python"
    assert rapport_command("/usr/lib/pytest", str(bare)) == f"{bare} -m rapport.cli"


@pytest.mark.parametrize("on_path", [False, True])
def test_the_summary_hints_use_that_command(tmp_path, monkeypatch, on_path):
    script = _script(tmp_path / "site" / "bin")
    monkeypatch.setattr(sys, "argv", [str(script), "run"])
    monkeypatch.setenv("PATH", str(script.parent) if on_path else str(tmp_path / "elsewhere"))
    settings = Settings.from_env({"RAPPORT_HOME": str(tmp_path / "home")})
    summary = _summary({"lead": 1}, {})
    text = render_summary(summary, settings)
    command = "rapport" if on_path else str(script)
    assert f"  MLflow UI    {command} ui mlflow " in text
    assert f"  Airflow UI   {command} ui airflow " in text
    assert ".venv/bin/rapport" not in text
