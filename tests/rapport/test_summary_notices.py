"""The run summary's notices: a mapped source's warnings reach ``rapport run``'s output."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from rapport.settings import Settings
from rapport.summary import RunSummary, _mapping_notices, render_summary


def test_mapping_warnings_are_printed_as_notices(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path))
    settings = Settings.from_env()
    folder = tmp_path / "mapped" / "ds=2025-02-01"
    folder.mkdir(parents=True)
    warning = "Leads.csv: 2 column(s) not mapped, left out: Prospect ID, Lead Number"
    (folder / "_mapping_summary.json").write_text(json.dumps({"warnings": [warning]}), encoding="utf-8")

    notices = _mapping_notices(settings, date(2025, 2, 1))
    assert notices == (warning,)
    assert _mapping_notices(settings, date(2025, 2, 2)) == ()
    summary = RunSummary(date(2025, 2, 1), 1, 10, 10, 0, (), 1, 1, 0, {}, (), notices=notices)
    assert f"  notice       {warning}" in render_summary(summary, settings).splitlines()


def test_source_columns_kept_but_used_by_no_model_and_columns_left_out_are_notices(tmp_path: Path):
    import csv

    from rapport.config import Config
    from rapport.contract import load_contract
    from rapport.extract import prepare_source, resolve_source
    from rapport.extract.unused_columns import unused_column_notices
    from tests.support.export import DS, sample_rows, write_export
    from tests.support.pipeline import extract_all, isolated_settings

    settings = isolated_settings(tmp_path / "var")
    export = write_export(tmp_path / "export", sample_rows())
    extras = {
        "lead": {"Lead Origin": "API", "Total Visits": "3", "_row_hash": "x1"},
        "account": {"Sector": "retail"},
    }
    for table, columns in extras.items():
        path = export / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, [*rows[0], *columns])
            writer.writeheader()
            writer.writerows({**row, **columns} for row in rows)
    config = Config.load()
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    ds = date.fromisoformat(DS)
    extract_all(source, ds, settings, config, ["lead", "account", "contact"])

    notices = unused_column_notices(settings, ds, {"lead": ("lead_origin",)})

    # independent reading: the headers of the files minus the contract's columns, minus what is declared
    def header(table: str) -> list[str]:
        with (export / f"{table}.csv").open(encoding="utf-8") as handle:
            return next(csv.reader(handle))

    contract = {table: set(load_contract().table(table).column_names) for table in extras}
    outside = {table: [name for name in header(table) if name not in contract[table]] for table in extras}
    assert outside == {"lead": ["Lead Origin", "Total Visits", "_row_hash"], "account": ["Sector"]}
    assert notices == (
        "account: 1 source column(s) outside the contract kept in raw but used by no model: sector "
        "(no model reads this table's extra columns)",
        "lead: 1 source column(s) outside the contract kept in raw but used by no model: total_visits "
        "(declare one under [scoring.lead.fields.<column>] in rapport.toml to score with it)",
        "lead: 1 source column(s) not landed (outside the contract and not keepable: a second name for a "
        "contract column, a name starting with _, or a database source): _row_hash",
    )
    assert unused_column_notices(settings, date(2020, 1, 1), {}) == ()  # another date: nothing landed


def test_a_mail_import_notes_reach_the_summary_as_notices(tmp_path: Path, monkeypatch):
    from datetime import UTC, datetime, timedelta

    from rapport.summary import _mail_notices

    monkeypatch.setenv("RAPPORT_HOME", str(tmp_path))
    settings = Settings.from_env()
    folder = tmp_path / "mail" / "ds=2025-02-01"
    folder.mkdir(parents=True)
    note = "5 message(s) reuse the Message-ID of a different e-mail: quarantined (duplicate_message_id, ...)"
    (folder / "_mail_summary.json").write_text(json.dumps({"notes": [note]}), encoding="utf-8")
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    assert _mail_notices(settings, date(2025, 2, 1), before) == (f"mail: {note}",)
    assert _mail_notices(settings, date(2025, 2, 1), before + timedelta(hours=1)) == ()  # an earlier run's
    assert _mail_notices(settings, date(2025, 2, 2), None) == ()
