"""``rapport notes analyze`` and ``rapport notes evaluate`` end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rapport.cli import main


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_analyze_writes_one_json_line_per_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = write_jsonl(tmp_path / "notes.jsonl", [
        json.dumps({"id": "n1", "text": "Call Priya tomorrow morning. 客户投诉发票错误。", "created_on": "2026-05-06T15:20:00"}),
        json.dumps({"id": 2, "text": "下周二上午10点演示", "created_on": "2026-05-06T15:20:00+08:00", "language": "zh"}),
        json.dumps({"id": "n3", "text": "Nothing to do.", "created_on": "2026-05-06T15:20:00Z"}),
    ])  # fmt: skip
    assert main(["notes", "analyze", str(notes)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["id"], o["type"], o["language"]) for o in out] == [
        ("n1", "phone_call", "en"),
        ("n1", "issue", "zh"),
        (2, "appointment", "zh"),
    ]
    call = out[0]
    assert call["span"] == [0, 27] and call["text"] == "Call Priya tomorrow morning"
    assert call["fields"] == {
        "start": "2026-05-07T09:00:00",
        "end": "2026-05-07T09:30:00",
        "subject": "Call Priya tomorrow morning",
    }
    assert 0 <= call["confidence"] <= 1
    assert "start" not in out[1]["fields"]  # fields that do not apply are left out
    assert out[2]["fields"]["start"] == "2026-05-12T10:00:00+08:00"


def test_bad_lines_are_skipped_with_their_number_and_a_failing_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = write_jsonl(tmp_path / "notes.jsonl", [
        "not json",
        json.dumps({"id": "n2", "text": "Call Bob tomorrow at 9am.", "created_on": "yesterday"}),
        json.dumps({"id": "n3", "created_on": "2026-05-06T15:20:00"}),
        json.dumps({"id": "n4", "text": "Call Bob tomorrow at 9am.", "created_on": "2026-05-06T15:20:00"}),
        json.dumps({"id": "n5", "text": "Call Bob", "created_on": "2026-05-06T15:20:00", "language": "tlh"}),
    ])  # fmt: skip
    assert main(["notes", "analyze", str(notes)]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["id"] for line in captured.out.splitlines()] == ["n4"]
    for fragment in (
        "line 1: skipped: not JSON",
        "line 2: skipped: created_on 'yesterday'",
        "line 3: skipped: missing text",
        "line 5: skipped: no notes analyser",
    ):
        assert fragment in captured.err
    assert "4 line(s) skipped" in captured.err


def test_analyze_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    line = json.dumps({"id": 7, "text": "月底前完成价格方案。", "created_on": "2026-05-06T15:20:00"})
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))
    assert main(["notes", "analyze", "-"]) == 0
    (out,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert (out["id"], out["type"], out["fields"]["due"]) == (7, "task", "2026-05-31T17:00:00")


def test_missing_file_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["notes", "analyze", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_evaluate_prints_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labelled = write_jsonl(tmp_path / "set.jsonl", [
        json.dumps({"id": "a", "split": "dev", "created_on": "2026-05-06T15:20:00", "text": "Call Priya tomorrow morning.",
                    "gold": [{"type": "phone_call", "start": "2026-05-07T09:00:00"}]}),
        json.dumps({"id": "b", "split": "test", "created_on": "2026-05-06T15:20:00", "text": "All good.", "gold": []}),
    ])  # fmt: skip
    assert main(["notes", "evaluate", str(labelled), "--split", "dev"]) == 0
    out = capsys.readouterr().out
    assert "set.jsonl (dev): 1 notes" in out
    assert "phone_call        1.000  1.000  1.000     1     1" in out
    assert "date-time accuracy: 1.000 (1/1" in out
