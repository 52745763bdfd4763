"""The evaluation metrics, checked on a tiny hand-made set whose figures are worked out by hand."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from rapport.ml.notes.evaluation import EvalNote, EvaluationDataError, evaluate, format_report, load_eval_set
from rapport.ml.notes.suggestion import Suggestion

CREATED = datetime(2026, 5, 6, 15, 20)


def gold_note(note_id: str, gold: list[dict]) -> EvalNote:
    return EvalNote(id=note_id, text=note_id, created_on=CREATED, gold=tuple(gold))


def s(kind: str, **fields: str) -> Suggestion:
    return Suggestion(type=kind, span=(0, 1), text="x", fields=fields)


def test_precision_recall_f1_and_datetime_accuracy_by_hand() -> None:
    notes = [
        gold_note(
            "a",
            [
                {"type": "appointment", "start": "2026-05-07T09:00:00"},
                {"type": "task", "due": "2026-05-08T17:00:00"},
            ],
        ),
        gold_note("b", [{"type": "appointment", "start": "2026-05-12T10:00:00"}]),
        gold_note("c", []),
        gold_note("d", [{"type": "issue"}, {"type": "contact", "email": "a@b.com", "phone": "+1 555 0100"}]),
    ]
    predictions = {
        # a: appointment right, task with a wrong due date
        "a": [s("appointment", start="2026-05-07T09:00:00"), s("task", due="2026-05-09T17:00:00")],
        # b: appointment at the wrong hour plus a spurious phone call
        "b": [s("appointment", start="2026-05-12T09:00:00"), s("phone_call")],
        # c: a false positive on a note with nothing to do
        "c": [s("task")],
        # d: the issue is missed; the contact is found with the phone written differently
        "d": [s("contact", email="A@B.com", phone="+1-555-0100")],
    }
    report = evaluate(notes, lambda note: predictions[note.id])

    appointment = report.score("appointment")
    assert (appointment.true_positives, appointment.false_positives, appointment.false_negatives) == (2, 0, 0)
    task = report.score("task")  # tp 1 (a), fp 1 (c), fn 0
    assert (task.precision, task.recall) == (0.5, 1.0)
    assert task.f1 == pytest.approx(2 / 3)
    phone = report.score("phone_call")
    assert (phone.precision, phone.recall) == (0.0, 1.0)  # nothing to find: recall 1 by convention
    issue = report.score("issue")
    assert (issue.precision, issue.recall, issue.f1) == (1.0, 0.0, 0.0)
    # dated pairs: a/appointment ok, a/task wrong, b/appointment wrong -> 1 of 3
    assert (report.dated_correct, report.dated_pairs) == (1, 3)
    assert report.datetime_accuracy == pytest.approx(1 / 3)
    assert (report.field_correct, report.field_checks) == (2, 2)
    assert (report.negative_notes, report.negative_notes_clean) == (1, 0)
    micro = report.micro  # tp 2+1+1 = 4, fp 0+1+1 = 2 (task c, phone b), fn 1 (issue)
    assert (micro.true_positives, micro.false_positives, micro.false_negatives) == (4, 2, 1)
    assert [m.note_id for m in report.mismatches] == ["a", "b", "c", "d"]
    text = format_report(report, "tiny")
    assert "date-time accuracy: 0.333 (1/3" in text and "task" in text


def test_pairing_prefers_equal_datetimes() -> None:
    notes = [
        gold_note(
            "a",
            [{"type": "task", "due": "2026-05-08T17:00:00"}, {"type": "task", "due": "2026-05-07T17:00:00"}],
        )
    ]
    report = evaluate(
        notes, lambda note: [s("task", due="2026-05-07T17:00:00"), s("task", due="2026-05-08T17:00:00")]
    )
    assert (report.dated_correct, report.dated_pairs) == (2, 2)


def test_load_eval_set_reports_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    good = {
        "id": "x",
        "text": "Call Bob",
        "created_on": "2026-05-06T15:20:00",
        "gold": [{"type": "phone_call"}],
    }
    path.write_text(json.dumps(good) + "\n" + '{"id": "y"}\n', encoding="utf-8")
    with pytest.raises(EvaluationDataError, match="line 2"):
        load_eval_set(path)


def test_shipped_sets_are_large_enough_and_labelled() -> None:
    from rapport.ml.notes.evaluation import default_eval_files
    from rapport.ml.notes.suggestion import SUGGESTION_TYPES

    for code, path in default_eval_files().items():
        notes = load_eval_set(path)
        assert len(notes) >= 300, code
        negatives = sum(1 for n in notes if not n.gold)
        assert negatives / len(notes) >= 0.2, code
        for split in ("dev", "test"):
            assert sum(1 for n in notes if n.split == split) >= 0.45 * len(notes), (code, split)
        assert {g["type"] for n in notes for g in n.gold} == set(SUGGESTION_TYPES)
        assert sum(1 for n in notes if len(n.gold) > 1) >= 10


def test_second_sets_have_their_own_held_out_split_and_no_shared_texts() -> None:
    from rapport.ml.notes.evaluation import default_eval_files, eval_files_for_split, second_eval_files
    from rapport.ml.notes.suggestion import SUGGESTION_TYPES

    assert eval_files_for_split("test2") == second_eval_files()
    assert eval_files_for_split("dev") == default_eval_files()
    for code, path in second_eval_files().items():
        notes = load_eval_set(path)
        assert {n.split for n in notes} == {"dev2", "test2"}, code
        assert sum(1 for n in notes if n.split == "test2") >= 50, code
        assert {g["type"] for n in notes if n.split == "test2" for g in n.gold} == set(SUGGESTION_TYPES)
        first = {n.text for n in load_eval_set(default_eval_files()[code])}
        texts = [n.text for n in notes]
        assert len(set(texts)) == len(texts), code  # no note twice
        assert not first & set(texts), code  # nothing copied from the first set


def test_fourth_sets_are_dev4_and_share_no_text_with_the_others() -> None:
    from rapport.ml.notes.evaluation import (
        default_eval_files,
        eval_files_for_split,
        fourth_eval_files,
        second_eval_files,
        third_eval_files,
    )
    from rapport.ml.notes.suggestion import SUGGESTION_TYPES

    assert eval_files_for_split("dev4") == fourth_eval_files()
    for code, path in fourth_eval_files().items():
        notes = load_eval_set(path)
        assert {n.split for n in notes} == {"dev4"}, code
        assert len(notes) >= 80, code
        assert sum(1 for n in notes if not n.gold) >= 15, code  # notes with nothing to suggest
        assert {g["type"] for n in notes for g in n.gold} == set(SUGGESTION_TYPES)
        texts = [n.text for n in notes]
        assert len(set(texts)) == len(texts), code
        others = {
            n.text
            for files in (default_eval_files(), second_eval_files(), third_eval_files())
            for n in load_eval_set(files[code])
        }
        assert not others & set(texts), code


def test_unknown_split_is_a_clear_error() -> None:
    from rapport.ml.notes.evaluation import eval_files_for_split

    with pytest.raises(EvaluationDataError, match="test2"):
        eval_files_for_split("holdout")
