"""Remembered language answers (ml/notes/languages/memo.py) change no suggestion."""

from __future__ import annotations

from typing import Any

from rapport.ml.notes import languages
from rapport.ml.notes.analyzer import analyze
from rapport.ml.notes.evaluation import EVAL_DIR, load_eval_set
from rapport.ml.notes.languages.memo import MemoisedLanguage


def test_the_registered_languages_remember_and_give_the_plain_languages_suggestions(monkeypatch: Any) -> None:
    from rapport.ml.notes.languages import memo

    monkeypatch.setattr(memo, "MEMO_MAX", 10_000_000)  # nothing forgotten during the test
    notes = [note for path in sorted(EVAL_DIR.glob("*.jsonl")) for note in load_eval_set(path)]
    english = languages.get_language("en")
    assert isinstance(english, MemoisedLanguage)
    english._memo.clear()
    first = [analyze(note.text, note.created_on) for note in notes]
    remembered = len(english._memo)
    second = [analyze(note.text, note.created_on) for note in notes]  # answered from the tables
    assert remembered > len(notes) and len(english._memo) == remembered
    plain = {code: getattr(language, "inner", language) for code, language in languages._REGISTRY.items()}
    monkeypatch.setattr(languages, "_REGISTRY", plain)
    assert not isinstance(languages.get_language("en"), MemoisedLanguage)
    reference = [analyze(note.text, note.created_on) for note in notes]
    assert first == reference and second == reference


def test_list_answers_are_copies_and_unhashable_arguments_go_straight_through() -> None:
    english = languages.get_language("en")
    clause = "call Priya tomorrow at 10am"
    atoms = english.time_atoms(clause)
    atoms.clear()  # a caller changing its answer ...
    assert english.time_atoms(clause) == english.inner.time_atoms(clause) != []  # ... changes no later one
    assert english.is_superseded("from Monday to Friday", 5, 11, [15]) == english.inner.is_superseded(
        "from Monday to Friday", 5, 11, [15]
    )


def test_kept_clause_readings_prepared_notes_and_batch_scores_change_no_suggestion(monkeypatch: Any) -> None:
    """The analyser's own per-process tables (clause readings, folded notes, learned scores computed a
    batch at a time by score_learned) give the suggestions of an analysis that keeps nothing."""
    from rapport.ml.notes import analyzer, intent

    notes = [note for path in sorted(EVAL_DIR.glob("*.jsonl")) for note in load_eval_set(path)]
    model = intent.load_model()
    for name, value in (("CLAUSE_MEMO_MAX", 0), ("PREPARED_MAX", 0)):
        monkeypatch.setattr(analyzer, name, value)
    monkeypatch.setattr(intent, "_SCORED_MAX", 0)
    analyzer._CLAUSE_MEMO.clear()
    analyzer._PREPARED.clear()
    model._scored.clear()
    reference = [analyze(note.text, note.created_on) for note in notes]
    assert not analyzer._CLAUSE_MEMO and not analyzer._PREPARED

    for name, value in (("CLAUSE_MEMO_MAX", 10_000_000), ("PREPARED_MAX", 10_000_000)):
        monkeypatch.setattr(analyzer, name, value)
    monkeypatch.setattr(intent, "_SCORED_MAX", 10_000_000)
    model._scored.clear()
    analyzer.score_learned([note.text for note in notes])
    scored = len(model._scored)
    first = [analyze(note.text, note.created_on) for note in notes]
    assert scored > len(notes) // 2 and len(model._scored) == scored  # every sentence was scored in the batch
    kept = len(analyzer._CLAUSE_MEMO)
    second = [analyze(note.text, note.created_on) for note in notes]  # clauses read from the table
    assert kept > len(notes) and len(analyzer._CLAUSE_MEMO) == kept
    assert first == reference and second == reference
