"""The relationship build's fingerprint: what counts as a changed input (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from rapport import build_fingerprint


def test_the_project_checksum_follows_the_code_but_not_the_profile_or_run_artefacts(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "target").mkdir()
    model = tmp_path / "models" / "fct_x.sql"
    model.write_text("select 1 as x_id\n")
    (tmp_path / "profiles.yml").write_text("threads: 2\n")
    before = build_fingerprint.project_checksum(tmp_path, "1.11.0")
    (tmp_path / "profiles.yml").write_text("threads: 8\n")
    (tmp_path / "target" / "manifest.json").write_text("{}")
    assert build_fingerprint.project_checksum(tmp_path, "1.11.0") == before
    assert build_fingerprint.project_checksum(tmp_path, "1.12.0") != before
    model.write_text("select 2 as x_id\n")
    assert build_fingerprint.project_checksum(tmp_path, "1.11.0") != before


def test_one_changed_value_added_or_duplicated_row_changes_the_fingerprint(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        connection.execute("create schema raw; create table raw.lead (leadid varchar, subject varchar)")
        connection.execute("create schema marts; create table marts.fct_x as select 1 as x_id")
        connection.execute("insert into raw.lead values ('a', 'x'), ('b', 'y')")
        group = build_fingerprint.ModelGroup(
            "probe", ("fct_x",), ("marts.fct_x",), ("raw.lead", "raw.missing")
        )
        build_fingerprint.remember(connection, group, "code", {"v": 1}, datetime(2026, 11, 1, tzinfo=UTC))
        decision = build_fingerprint.decide(connection, "probe", "code", {"v": 1}, "probe marts")
        assert decision.unchanged and decision.group == group
        assert decision.reason.startswith("probe marts unchanged since ")
        for change in (
            "update raw.lead set subject = 'z' where leadid = 'b'",
            "insert into raw.lead values ('b', 'z')",  # a duplicate: a sum of hashes, not an xor
            "create table raw.missing (id int)",
        ):
            connection.execute(change)
            assert not build_fingerprint.decide(
                connection, "probe", "code", {"v": 1}, "probe marts"
            ).unchanged
            build_fingerprint.remember(connection, group, "code", {"v": 1}, datetime(2026, 11, 1, tzinfo=UTC))
        assert build_fingerprint.decide(connection, "probe", "code", {"v": 1}, "probe marts").unchanged
        connection.execute("drop table marts.fct_x")  # a table of the group gone: rebuilt, inputs alike
        decision = build_fingerprint.decide(connection, "probe", "code", {"v": 1}, "probe marts")
        assert not decision.unchanged and decision.reason == "probe marts: marts.fct_x missing, building"
        build_fingerprint.forget(connection, "probe")
        assert build_fingerprint.decide(connection, "probe", "code", {"v": 1}, "p").reason == (
            "p: no earlier build recorded, building"
        )
