"""The learned sentence check of the notes analyser (ml.notes.intent) and how the analyser uses it."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

CREATED = datetime(2026, 5, 6, 15, 20)


def test_pure_python_scoring_matches_scikit_learn() -> None:
    """The shipped scorer (n-gram keys and weights summed in numpy) gives scikit-learn's probabilities."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    from rapport.ml.notes.intent import MODEL_TYPES, NGRAM_RANGE, LanguageModel, fit_language, normalise

    examples = [
        ("Call Anna tomorrow at 10.", frozenset({"phone_call"})),
        ("Meeting with Bo on Friday 3pm.", frozenset({"appointment"})),
        ("Their portal is down again, users are angry.", frozenset({"issue"})),
        ("Please send the brochure.", frozenset({"content_request"})),
        ("Update the forecast by Monday.", frozenset({"task"})),
        ("New contact: Li Na, li.na@example.cn", frozenset({"contact"})),
        ("Good chat, nothing to do.", frozenset()),
        ("明天上午给王总打电话。", frozenset({"phone_call"})),
    ]
    stored = fit_language(examples)
    model = LanguageModel({k: tuple(v) for k, v in stored["weights"].items()}, tuple(stored["bias"]))
    texts = [" ".join(normalise(text).split()) for text, _ in examples]
    matrix = CountVectorizer(
        analyzer="char", ngram_range=NGRAM_RANGE, binary=True, lowercase=False
    ).fit_transform(texts)
    sentence = "Call Bo on Friday, the portal is down."
    vector = (
        CountVectorizer(analyzer="char", ngram_range=NGRAM_RANGE, binary=True, lowercase=False)
        .fit(texts)
        .transform([" ".join(normalise(sentence).split())])
    )
    ours = model.probabilities(sentence)
    for name in MODEL_TYPES:
        target = np.array([name in types for _, types in examples])
        reference = LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced").fit(matrix, target)
        # Stored weights are rounded to 4 decimals and tiny ones pruned: agree to about 1e-2.
        assert ours[name] == pytest.approx(reference.predict_proba(vector)[0, 1], abs=0.02), name


def test_committed_model_is_what_training_on_the_dev_splits_gives() -> None:
    """The committed weights come from the dev splits with today's rules (rebuild with
    bench/train_notes_intent.py when this fails)."""
    from rapport.ml.notes.intent import MODEL_PATH, train_model

    committed = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    fresh = train_model()
    assert committed["types"] == fresh["types"]
    for code, body in fresh["languages"].items():
        stored = committed["languages"][code]
        assert stored["bias"] == pytest.approx(body["bias"], abs=2e-3), code
        grams = set(body["weights"]) | set(stored["weights"])
        zero = [0.0] * len(fresh["types"])
        worst = max(
            abs(a - b)
            for gram in grams
            for a, b in zip(body["weights"].get(gram, zero), stored["weights"].get(gram, zero), strict=True)
        )
        assert worst < 0.02, (code, worst)


def test_training_never_reads_the_held_out_splits() -> None:
    from rapport.ml.notes.evaluation import (
        default_eval_files,
        fourth_eval_files,
        load_eval_set,
        second_eval_files,
        third_eval_files,
    )
    from rapport.ml.notes.intent import TRAINING_SPLITS

    assert not set(TRAINING_SPLITS) & {"test", "test2"}
    held_out = {
        note.text
        for files in (default_eval_files(), second_eval_files())
        for path in files.values()
        for note in load_eval_set(path)
        if note.split in ("test", "test2")
    }
    for path in third_eval_files().values():
        notes = load_eval_set(path)
        assert {n.split for n in notes} == {"dev3"}
        assert len(notes) >= 100
        assert not {n.text for n in notes} & held_out
    for path in fourth_eval_files().values():
        notes = load_eval_set(path)
        assert {n.split for n in notes} == {"dev4"}
        assert len(notes) >= 80
        assert not {n.text for n in notes} & held_out


def test_the_check_adds_a_risk_the_rules_do_not_see() -> None:
    from rapport.ml.notes.analyzer import RULES_ONLY, analyze

    # A paraphrase of a dev3 note; no word of the rules' issue lists.
    text = "Their finance team says our invoices lack the cost centre, which blocks payment."
    assert analyze(text, CREATED, settings=RULES_ONLY) == []
    found = analyze(text, CREATED)
    assert [s.type for s in found] == ["issue"]
    assert found[0].fields["issue"] == text.rstrip(".")
    assert 0.75 <= found[0].confidence <= 0.8


def test_the_check_respects_negation_and_past_tense() -> None:
    from rapport.ml.notes.analyzer import analyze

    assert analyze("We already sent them the slides from the webinar last week.", CREATED) == []
    assert analyze("No need to send the slides, they have them.", CREATED) == []


def test_thresholds_switch_the_check_off() -> None:
    from rapport.ml.notes.analyzer import AnalysisSettings, analyze

    text = "Their finance team says our invoices lack the cost centre, which blocks payment."
    off = AnalysisSettings(learned_add_threshold=1.5, learned_drop_threshold=0.0)
    assert not off.uses_learned
    assert analyze(text, CREATED, settings=off) == []
    dropping = AnalysisSettings(learned_add_threshold=1.5, learned_drop_threshold=0.99999)
    assert analyze("Call Anna tomorrow at 10 about the renewal.", CREATED, settings=dropping) == []


def test_thresholds_come_from_rapport_toml() -> None:
    import dataclasses

    from rapport.config import ConfigError, NotesConfig
    from rapport.ml.notes.analyzer import AnalysisSettings

    notes = NotesConfig(learned_add_threshold=0.8, learned_drop_threshold=0.1)
    settings = AnalysisSettings.from_config(notes)
    assert (settings.learned_add_threshold, settings.learned_drop_threshold) == (0.8, 0.1)
    with pytest.raises(ConfigError, match="learned_drop_threshold"):
        dataclasses.replace(notes, learned_drop_threshold=1.5).validate()


def test_numpy_scoring_sums_the_weights_of_the_distinct_ngrams_one_or_many_sentences_at_a_time() -> None:
    """probabilities() and probabilities_many() give the logistic of the bias plus the weights of the
    sentence's distinct character 1-3-grams (read here with plain string slicing and the weight dict)."""
    import math

    from rapport.ml.notes.evaluation import EVAL_DIR, load_eval_set
    from rapport.ml.notes.intent import MODEL_TYPES, load_model, normalise

    sentences = [note.text for path in sorted(EVAL_DIR.glob("*.jsonl")) for note in load_eval_set(path)][:300]
    sentences += [
        "",
        " ",
        "a",
        "ab",
        "x\u3000\u3000y",
        "\U0010ffff\U0010ffffz",
        "Call Bo  \n on Friday 10am!",
    ]
    for code, model in load_model().languages.items():
        batch = model.probabilities_many(sentences)
        assert len(batch) == len(sentences)
        for sentence, many in zip(sentences, batch, strict=True):
            text = " ".join(normalise(sentence).split())
            grams = {text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)}
            rows = [model.weights[gram] for gram in grams if gram in model.weights]
            one = model.probabilities(sentence)
            for position, name in enumerate(MODEL_TYPES):
                total = model.bias[position] + math.fsum(row[position] for row in rows)
                expected = 1 / (1 + math.exp(-total))
                assert one[name] == pytest.approx(expected, abs=1e-12), (code, sentence, name)
                assert many[name] == pytest.approx(expected, abs=1e-12), (code, sentence, name)
