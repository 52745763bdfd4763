"""prepare_source: the sample is generated once, a mail archive is converted per run, then extracted like files.

The sample generator (``rapport.sample``) and the mail converter (``rapport.extract.mail``) belong to other
parts of Rapport; these tests stand in small fakes with the agreed signatures to check the dispatch:
arguments passed, output folder used, generation skipped when the sample exists.
"""

from __future__ import annotations

import types
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from rapport.config import Config
from rapport.errors import ExportNotFoundError
from rapport.extract import extract_table, preparation, prepare_source, resolve_source
from tests.support.export import sample_rows, write_export


@pytest.fixture
def fake_generator(monkeypatch):
    calls = []

    def generate(out_dir, *, scale, seed, fmt, progress, defects=0):
        calls.append(
            {
                "out_dir": Path(out_dir),
                "scale": scale,
                "seed": seed,
                "fmt": fmt,
                "progress": progress,
                "defects": defects,
            }
        )
        write_export(Path(out_dir), sample_rows(), fmt=fmt)

    monkeypatch.setattr(preparation, "generate", generate)
    return calls


def test_sample_is_generated_once_then_reused(fake_generator, settings, config: Config, ds: date):
    config = replace(config, sample=replace(config.sample, scale="small", seed=7, format="parquet"))
    source = resolve_source("sample", settings=settings)

    prepared = prepare_source(source, settings, config)
    again = prepare_source(source, settings, config)

    assert len(fake_generator) == 1
    call = fake_generator[0]
    assert (call["scale"], call["seed"], call["fmt"], call["progress"]) == ("small", 7, "parquet", True)
    assert call["defects"] == config.sample.defect_rows
    assert call["out_dir"] != settings.sample_dir  # generated aside, then renamed into place
    assert prepared.export_dir == again.export_dir == str(settings.sample_dir)
    assert (settings.sample_dir / "account.parquet").is_file()
    assert not [path for path in settings.sample_dir.parent.iterdir() if path.name.startswith(".sample")]
    assert extract_table("account", ds, prepared, settings, config=config).rows == 2


def test_unprepared_sample_says_to_prepare(settings, config: Config, ds: date):
    with pytest.raises(ExportNotFoundError, match=r"call rapport\.extract\.prepare_source first"):
        extract_table("account", ds, resolve_source("sample", settings=settings), settings, config=config)


def test_mail_archive_is_converted_into_a_run_folder_and_extracted(
    monkeypatch, tmp_path: Path, settings, config: Config, ds: date
):
    archive = tmp_path / "inbox.mbox"
    archive.write_text("From x@y Thu Jan  1 00:00:00 2026\n\n")
    calls = []

    def convert_archive(
        path,
        out_dir,
        *,
        internal_domains,
        internal_addresses=(),
        default_owner=None,
        progress=True,
        exclude_addresses=(),
        alias_min_senders=None,
        aliases=None,
        free_mail_domains=None,
    ):
        # same keyword-only signature as rapport.extract.mail.convert_archive
        assert progress is False, "the DAG task must not draw a progress bar into the task log"
        calls.append((Path(path), Path(out_dir), tuple(internal_domains), tuple(internal_addresses)))
        rows = sample_rows()
        write_export(
            Path(out_dir), {name: rows[name] for name in ("email", "activityparty", "contact", "systemuser")}
        )
        return types.SimpleNamespace(
            notes=(), to_dict=lambda: {"notes": []}
        )  # a ConversionSummary's interface

    monkeypatch.setattr("rapport.extract.preparation.convert_archive", convert_archive)
    config = replace(config, mail=replace(config.mail, internal_domains=("ours.example",)))
    source = resolve_source(f"mail:{archive}", settings=settings)

    with pytest.raises(ExportNotFoundError, match="has not been converted yet"):
        extract_table("email", ds, source, settings, config=config)
    prepared = prepare_source(source, settings, config, ds=ds)

    assert calls[0][0] == archive and calls[0][2:] == (("ours.example",), ())
    assert prepared.export_dir == str(settings.var_dir / "mail" / "ds=2026-02-01" / "export")
    assert prepared.description == f"mail:{archive}"
    assert extract_table("email", ds, prepared, settings, config=config).rows == 3
    # a mail archive holds no leads: the required table lands empty instead of failing
    assert extract_table("lead", ds, prepared, settings, config=config).rows == 0


def test_missing_mail_archive(tmp_path: Path, settings, config: Config):
    with pytest.raises(ExportNotFoundError, match=r"mail archive .*gone\.mbox does not exist"):
        prepare_source(resolve_source(f"mail:{tmp_path}/gone.mbox", settings=settings), settings, config)


def test_ingest_command_extracts_and_validates_one_date(tmp_path: Path, monkeypatch, capsys):
    from rapport.cli import main

    export = write_export(tmp_path / "export", {"account": sample_rows()["account"]})
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("RAPPORT_WAREHOUSE", raising=False)
    status = main(["ingest", "--source", f"files:{export}", "--date", "2026-02-01", "--table", "account"])
    out = capsys.readouterr().out
    assert status == 0
    assert "extracted account" in out and "reconciliation for 2026-02-01: balanced" in out
    assert (tmp_path / "var" / "warehouse.duckdb").is_file()
    assert main(["ingest", "--source", f"files:{tmp_path}/none", "--table", "account"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_mail_fake_keeps_the_real_converters_keywords():
    """The fake above stands in for the mail converter; it must not drift from the real signature."""
    import inspect

    from rapport.extract.mail import convert_archive

    passed = {"internal_domains", "internal_addresses", "default_owner", "progress"}
    assert passed <= set(inspect.signature(convert_archive).parameters)
