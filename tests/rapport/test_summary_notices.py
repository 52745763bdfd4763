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
