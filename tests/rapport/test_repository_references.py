"""Every file the code, config and docs point a reader to exists in the repository."""

from __future__ import annotations

import re
import subprocess

import pytest

from rapport.settings import PROJECT_ROOT

# A path written in prose or comments: docs/x.md, bench/x.py, tests/a/b.py, dbt_project/..., mappings/...
_PATH = re.compile(
    r"(?<![\w/.-])((?:docs|bench|tests|dags|ml|expectations|dbt_project|mappings)/[\w./-]*\w\.(?:md|py|sql|yml|toml|jsonl|json))(?!\w)"
)
# Notes that live outside the repository (the team's shared folder): a newcomer's checkout has none.
_OUTSIDE = re.compile(r"\b(STACK_NOTES|DEVELOPERS\.md|DATAVERSE_REFERENCE|/work/shared)\b")
# Files the docs tell a reader to create (adding a language), not files that should exist.
_TO_CREATE = {"ml/notes/languages/fr.py", "ml/notes/eval/notes_fr.jsonl"}
_SELF = "tests/rapport/test_repository_references.py"
_TEXT = (".py", ".md", ".toml", ".yml", ".yaml", ".sql", ".cfg")


def tracked_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [
        name
        for name in listed.stdout.splitlines()
        if name.endswith(_TEXT) and (PROJECT_ROOT / name).is_file()
    ]


def test_referenced_repository_files_exist() -> None:
    files = tracked_files()
    assert len(files) > 100
    missing = set()
    for name in files:
        if name == _SELF:
            continue
        text = (PROJECT_ROOT / name).read_text(encoding="utf-8", errors="replace")
        for match in _PATH.finditer(text):
            target = match.group(1).rstrip(".")
            if target not in _TO_CREATE and not (PROJECT_ROOT / target).exists():
                missing.add(f"{name}: {target}")
    assert sorted(missing) == []


def test_no_reference_to_notes_outside_the_repository() -> None:
    offenders = [
        f"{name}: {match.group(1)}"
        for name in tracked_files()
        if name != _SELF
        for match in _OUTSIDE.finditer((PROJECT_ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []


def test_the_scan_finds_a_missing_file() -> None:
    assert _PATH.search("see docs/nowhere.md for details").group(1) == "docs/nowhere.md"
    assert not (PROJECT_ROOT / "docs/nowhere.md").exists()
