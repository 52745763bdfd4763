"""``rapport generate``: defaults, summary, and the refusal to overwrite a folder it did not write."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.cli import main

ARGS = ["--scale", "tiny", "--activities", "2000", "--end-date", "2025-06-01", "--quiet"]


def test_generate_writes_the_export_and_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "crm"
    assert main(["generate", "--out", str(out), *ARGS]) == 0
    printed = capsys.readouterr().out
    assert "Generated sample CRM (tiny, seed 42, end date 2025-06-01, parquet)" in printed
    assert "activityparty" in printed and str(out) in printed
    assert (out / "lead.parquet").is_file() and (out / "_truth" / "generation.json").is_file()

    # a generated folder may be regenerated, here as CSV: the Parquet files go away
    assert main(["generate", "--out", str(out), "--format", "csv", *ARGS]) == 0
    assert (out / "lead.csv").is_file() and not (out / "lead.parquet").exists()


def test_generate_refuses_a_folder_it_did_not_write_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["generate", "--out", str(out), *ARGS]) == 2
    error = capsys.readouterr().err
    assert "not written by `rapport generate`" in error and "--force" in error
    assert (out / "notes.txt").exists() and not (out / "lead.parquet").exists()

    assert main(["generate", "--out", str(out), "--force", *ARGS]) == 0
    assert not (out / "notes.txt").exists() and (out / "lead.parquet").is_file()


def test_generate_reports_bad_arguments_as_user_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "--out", str(tmp_path / "x"), "--scale", "galactic", "--quiet"]) == 2
    assert "scale 'galactic' is not known" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate", "--out", str(tmp_path / "x"), "--end-date", "01/06/2025"])
