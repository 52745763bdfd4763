"""Source specs: parsing, the resolution order, the Airflow connection, and that passwords never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.errors import SourceSpecError
from rapport.extract.source import Source, parse_source_spec, postgres_uri, resolve_source


def test_each_kind_parses(settings, tmp_path: Path):
    assert resolve_source("sample", settings=settings) == Source(
        kind="sample", location=str(settings.sample_dir), description="sample"
    )
    files = resolve_source(f"files:{tmp_path}/export", settings=settings)
    assert (files.kind, files.location, files.description) == (
        "files",
        str(tmp_path / "export"),
        f"files:{tmp_path / 'export'}",
    )
    mail = resolve_source(f"mail:{tmp_path}/inbox.mbox", settings=settings)
    assert (mail.kind, mail.location) == ("mail", str(tmp_path / "inbox.mbox"))


def test_postgres_uri_keeps_the_password_out_of_description_and_repr(settings):
    source = resolve_source(
        "postgres:postgresql://crm:s3cret@db.example:6543/sales?schema=crm", settings=settings
    )
    assert source.kind == "postgres"
    assert source.schema == "crm"
    assert source.description == "postgres:postgresql://crm@db.example:6543/sales (schema crm)"
    assert "s3cret" not in repr(source)
    assert "s3cret" not in source.description
    assert (
        postgres_uri(source) == "postgresql://crm:s3cret@db.example:6543/sales"
    )  # schema is not a libpq key
    bare = resolve_source("postgresql://crm@db.example/sales", settings=settings)
    assert (bare.kind, bare.schema) == ("postgres", None)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("s3://bucket/export", "is not understood: use sample, files:DIR"),
        ("files:", "names no path"),
        ("postgres:mysql://x/y", "is not a PostgreSQL URI"),
        ("oracle:scott:tiger@db", "is not understood"),
    ],
)
def test_bad_specs_say_what_is_accepted(settings, spec: str, expected: str):
    with pytest.raises(SourceSpecError, match=expected):
        parse_source_spec(spec, settings=settings)


def test_a_bad_postgres_spec_does_not_echo_its_password(settings):
    with pytest.raises(SourceSpecError) as caught:
        parse_source_spec("postgres:mysql://root:hunter22@db/crm", settings=settings)
    assert "hunter22" not in str(caught.value)


def test_explicit_argument_beats_environment_which_beats_default(settings, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("RAPPORT_SOURCE", f"files:{tmp_path}/from-env")
    assert resolve_source(None, settings=settings).location == str(tmp_path / "from-env")
    assert resolve_source("  ", settings=settings).location == str(tmp_path / "from-env")
    assert resolve_source(f"files:{tmp_path}/from-conf", settings=settings).location == str(
        tmp_path / "from-conf"
    )


def test_airflow_connection_is_used_when_nothing_else_is_set(settings, monkeypatch, tmp_path: Path):
    monkeypatch.delenv("RAPPORT_SOURCE", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_RAPPORT_SOURCE", raising=False)
    assert resolve_source(None, settings=settings).kind == "sample"

    monkeypatch.setenv(
        "AIRFLOW_CONN_RAPPORT_SOURCE",
        '{"conn_type": "postgres", "host": "db.example", "port": 5433, "login": "crm", '
        '"password": "pa:ss/word", "schema": "sales", "extra": {"schema": "crm"}}',
    )
    source = resolve_source(None, settings=settings)
    assert (source.kind, source.conn_id, source.schema) == ("postgres", "rapport_source", "crm")
    assert source.location == "postgresql://crm@db.example:5433/sales"  # no password travels in the Source
    assert "pa:ss" not in repr(source.to_dict())
    assert postgres_uri(source) == "postgresql://crm:pa%3Ass%2Fword@db.example:5433/sales"
    assert Source.from_dict(source.to_dict()) == source

    monkeypatch.setenv(
        "AIRFLOW_CONN_RAPPORT_SOURCE", f'{{"conn_type": "fs", "extra": {{"path": "{tmp_path}"}}}}'
    )
    assert resolve_source(None, settings=settings).description == f"files:{tmp_path}"

    monkeypatch.setenv("AIRFLOW_CONN_RAPPORT_SOURCE", '{"conn_type": "http", "host": "api.example"}')
    with pytest.raises(SourceSpecError, match="type postgres"):
        resolve_source(None, settings=settings)
