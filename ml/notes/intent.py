"""A learned per-sentence intent check beside the rules: which suggestion types a sentence asks for.

The rules (:mod:`rapport.ml.notes.analyzer`) fit the notes they were written from; on notes written later they
miss paraphrases ("they picked a competitor", "能否把实施时间表发给我们") and keep some spurious hits.
This module holds one logistic regression per language and type on binary character 1-3-grams of the
sentence (lower-cased, digits as ``0``; no segmentation, so Chinese works as is). The analyser uses it
twice, with thresholds from ``[notes]`` in rapport.toml:

- a sentence whose probability for a type is at least ``learned_add_threshold`` and that has no
  suggestion of that type from the rules gets one (its date-time from the sentence's time expression);
- a rule's suggestion whose sentence has a probability below ``learned_drop_threshold`` for its type
  is dropped.

The weights are a committed file (``intent_model.json``), trained deterministically by
:func:`train_model` on the development splits only (``dev``, ``dev2``, ``dev3``, ``dev4``; never ``test``/``test2``):
each sentence is labelled with the types the rules-only analyser suggested in it when that note's
suggestions match its gold labels, else (one-sentence notes) with the gold types. Rebuild it with
``.venv/bin/python bench/train_notes_intent.py`` after changing the rules or the dev notes.
Scoring encodes a sentence's n-grams as integers and sums their weights in numpy, about 25 µs per
sentence (the n-grams in pure Python and a dict look-up each cost about 130 µs).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapport.ml.notes.suggestion import APPOINTMENT, CONTACT, CONTENT_REQUEST, ISSUE, PHONE_CALL, TASK

MODEL_PATH = Path(__file__).resolve().parent / "intent_model.json"
# The types the model scores, in weight-vector order. Only ADDABLE_TYPES are ever added: contacts need
# the rules' e-mail and phone reading, and tasks (the catch-all "something to do") gained nothing and
# cost false positives when added in the cross-checks (trained on two dev splits, applied to the third).
MODEL_TYPES = (APPOINTMENT, PHONE_CALL, TASK, CONTENT_REQUEST, ISSUE, CONTACT)
ADDABLE_TYPES = frozenset({APPOINTMENT, PHONE_CALL, CONTENT_REQUEST, ISSUE})
NGRAM_RANGE = (1, 3)
REGULARISATION_C = 1.0  # inverse L2 strength of the logistic regressions
TRAINING_SPLITS = ("dev", "dev2", "dev3", "dev4")
_DIGIT = re.compile(r"\d")


class IntentModelError(ValueError):
    """The committed intent model file is missing or not in the expected shape."""


def normalise(sentence: str) -> str:
    """The text the n-grams are read from: lower case, every digit ``0``."""
    return _DIGIT.sub("0", sentence.lower())


def ngrams(text: str, low: int = NGRAM_RANGE[0], high: int = NGRAM_RANGE[1]) -> set[str]:
    """The distinct character n-grams of ``text`` (as scikit-learn's ``analyzer="char"`` reads them,
    white space runs folded to one space)."""
    text = " ".join(text.split())
    return {text[i : i + n] for n in range(low, high + 1) for i in range(len(text) - n + 1)}


_CODE_BITS = 21  # a Unicode code point plus one fits in 21 bits: three of them in one 64-bit key


def _gram_keys(np: Any, text: str) -> Any:
    """The character 1-, 2- and 3-grams of ``text`` as 64-bit integers (code points plus one, 21 bits
    each, so that an n-gram's key is unique and keys of different lengths never meet), with repeats."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    codes += 1
    head = codes[:-1] << _CODE_BITS
    return np.concatenate((codes, head | codes[1:], ((head[:-1] | codes[1:-1]) << _CODE_BITS) | codes[2:]))


@dataclass(frozen=True)
class LanguageModel:
    """Weights of one language: ``weights[ngram]`` has one weight per :data:`MODEL_TYPES` entry."""

    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]
    # (sorted n-gram keys, weight rows in that order, numpy), built on first scoring
    _table: tuple[Any, Any, Any] | None = field(default=None, init=False, repr=False, compare=False)

    def _lookup(self) -> tuple[Any, Any, Any]:
        table = self._table
        if table is None:
            import numpy as np

            grams = list(self.weights)
            keys = np.array([int(_gram_keys(np, gram)[-1]) for gram in grams], dtype=np.uint64)
            order = np.argsort(keys, kind="stable")
            rows = np.array([self.weights[gram] for gram in grams], dtype=np.float64)
            table = (keys[order], rows.reshape(len(grams), len(self.bias))[order], np)
            object.__setattr__(self, "_table", table)
        return table

    def probabilities(self, sentence: str) -> dict[str, float]:
        """Probability per type that ``sentence`` asks for a suggestion of that type: the bias plus the
        weights of the sentence's distinct n-grams (those of :func:`ngrams`), summed in numpy (a
        presence vector over the model's n-grams times the weight matrix)."""
        keys, rows, np = self._lookup()
        totals: Any = self.bias
        text = " ".join(normalise(sentence).split())
        if text and len(keys):
            found = _gram_keys(np, text)
            at = np.searchsorted(keys, found)
            np.minimum(at, len(keys) - 1, out=at)
            presence = np.zeros(len(keys))
            presence[at[keys[at] == found]] = 1.0
            sums = (presence @ rows).tolist()
            totals = [bias + total for bias, total in zip(self.bias, sums, strict=True)]
        return {name: _sigmoid(total) for name, total in zip(MODEL_TYPES, totals, strict=True)}

    def probabilities_many(self, sentences: list[str]) -> list[dict[str, float]]:
        """:meth:`probabilities` of each sentence, in one numpy pass over all of them (the n-grams of
        the sentences joined, those that cross from one sentence into the next left out)."""
        keys, rows, np = self._lookup()
        texts = [" ".join(normalise(sentence).split()) for sentence in sentences]
        joined = "".join(texts)
        if not joined or not len(keys):
            return [self._named(self.bias) for _ in texts]
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
        codes += 1
        owner = np.repeat(np.arange(len(texts)), [len(text) for text in texts])
        head = codes[:-1] << _CODE_BITS
        two = owner[:-1] == owner[1:]
        three = owner[:-2] == owner[2:]
        grams = np.concatenate(
            (codes, (head | codes[1:])[two], (((head[:-1] | codes[1:-1]) << _CODE_BITS) | codes[2:])[three])
        )
        grams_owner = np.concatenate((owner, owner[:-1][two], owner[:-2][three]))
        at = np.searchsorted(keys, grams)
        np.minimum(at, len(keys) - 1, out=at)
        hit = keys[at] == grams
        pairs = np.sort(grams_owner[hit] * len(keys) + at[hit])
        first = np.empty(len(pairs), dtype=bool)
        first[:1] = True
        np.not_equal(pairs[1:], pairs[:-1], out=first[1:])
        pairs = pairs[first]  # each n-gram once per sentence (faster than np.unique's hashing here)
        sentence_of, row_of = pairs // len(keys), pairs % len(keys)
        sums = np.column_stack(
            [
                np.bincount(sentence_of, weights=rows[row_of, column], minlength=len(texts))
                for column in range(rows.shape[1])
            ]
        ).tolist()
        found = np.bincount(sentence_of, minlength=len(texts)).tolist()
        return [
            self._named(
                [bias + total for bias, total in zip(self.bias, row, strict=True)] if count else self.bias
            )
            for row, count in zip(sums, found, strict=True)
        ]

    @staticmethod
    def _named(totals: Any) -> dict[str, float]:
        return {name: _sigmoid(total) for name, total in zip(MODEL_TYPES, totals, strict=True)}


_SCORED_MAX = 50_000  # sentences whose probabilities a process keeps (then it starts afresh)


@dataclass(frozen=True)
class IntentModel:
    languages: dict[str, LanguageModel]
    # (sentence, language) -> probabilities: a sentence met again (templates, a repeated text analysed
    # once per creation time, a note re-analysed) is scored once per process
    _scored: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict, compare=False, repr=False)

    def score_many(self, sentences: list[str], language: str) -> None:
        """Score the ``sentences`` not scored yet in one pass (:meth:`LanguageModel.probabilities_many`)
        and keep their probabilities for :meth:`probabilities`."""
        model = self.languages.get(language)
        if model is None:
            return
        new = list(dict.fromkeys(s for s in sentences if (s, language) not in self._scored))
        if len(self._scored) + len(new) > _SCORED_MAX:
            self._scored.clear()
        for sentence, scored in zip(new, model.probabilities_many(new[:_SCORED_MAX]), strict=False):
            self._scored[(sentence, language)] = scored

    def probabilities(self, sentence: str, language: str) -> dict[str, float] | None:
        """Per-type probabilities, or ``None`` when the model has no weights for ``language``."""
        key = (sentence, language)
        scored = self._scored.get(key)
        if scored is None:
            model = self.languages.get(language)
            if model is None:
                return None
            scored = model.probabilities(sentence)
            if len(self._scored) >= _SCORED_MAX:
                self._scored.clear()
            self._scored[key] = scored
        return dict(scored)


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> IntentModel:
    """The committed model (read once per process)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if tuple(raw["types"]) != MODEL_TYPES:
            raise IntentModelError(f"{path}: types {raw['types']} are not {list(MODEL_TYPES)}")
        languages = {
            code: LanguageModel(
                weights={gram: tuple(row) for gram, row in body["weights"].items()},
                bias=tuple(body["bias"]),
            )
            for code, body in raw["languages"].items()
        }
    except (OSError, KeyError, TypeError, json.JSONDecodeError) as error:
        raise IntentModelError(
            f"{path}: cannot read the notes intent model ({error}); rebuild it with "
            "`.venv/bin/python bench/train_notes_intent.py`"
        ) from error
    return IntentModel(languages)


# --- training ---------------------------------------------------------------------------------------
def sentence_examples(notes: Iterable[Any]) -> list[tuple[str, frozenset[str]]]:
    """``(sentence, types)`` training pairs from labelled notes (see the module docstring)."""
    from rapport.ml.notes.analyzer import RULES_ONLY, analyze
    from rapport.ml.notes.text import blank_mail_headers, fold, sentences

    examples: list[tuple[str, frozenset[str]]] = []
    for note in notes:
        folded = blank_mail_headers(fold(note.text))
        spans = [(a, b) for a, b in sentences(folded) if folded[a:b].strip()]
        predicted = analyze(note.text, note.created_on, note.language, settings=RULES_ONLY)
        if Counter(p.type for p in predicted) == Counter(g["type"] for g in note.gold):
            for start, end in spans:
                types = frozenset(p.type for p in predicted if p.span[0] < end and p.span[1] > start)
                examples.append((folded[start:end], types))
        elif len(spans) == 1:
            start, end = spans[0]
            examples.append((folded[start:end], frozenset(g["type"] for g in note.gold)))
    return examples


def fit_language(examples: list[tuple[str, frozenset[str]]]) -> dict[str, Any]:
    """Weights of one language, as stored in the model file (scikit-learn, deterministic lbfgs)."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(analyzer="char", ngram_range=NGRAM_RANGE, binary=True, lowercase=False)
    matrix = vectorizer.fit_transform([" ".join(normalise(text).split()) for text, _ in examples])
    columns, bias = [], []
    for name in MODEL_TYPES:
        target = np.array([name in types for _, types in examples])
        model = LogisticRegression(C=REGULARISATION_C, max_iter=5000, class_weight="balanced")
        model.fit(matrix, target)
        columns.append(model.coef_[0])
        bias.append(round(float(model.intercept_[0]), 4))
    stacked = np.column_stack(columns)
    weights = {
        gram: [round(float(w), 4) for w in stacked[index]]
        for gram, index in sorted(vectorizer.vocabulary_.items())
        if np.abs(stacked[index]).max() >= 0.01
    }
    return {"bias": bias, "weights": weights}


def train_model(languages: Iterable[str] = ("en", "zh")) -> dict[str, Any]:
    """The model file's content, from the development splits of the shipped evaluation sets."""
    from rapport.ml.notes.evaluation import (
        default_eval_files,
        fourth_eval_files,
        load_eval_set,
        second_eval_files,
        third_eval_files,
    )

    out: dict[str, Any] = {"types": list(MODEL_TYPES), "ngram_range": list(NGRAM_RANGE), "languages": {}}
    for code in languages:
        notes = [
            note
            for files in (default_eval_files(), second_eval_files(), third_eval_files(), fourth_eval_files())
            for note in load_eval_set(files[code])
            if note.split in TRAINING_SPLITS
        ]
        out["languages"][code] = fit_language(sentence_examples(notes))
    return out


def write_model(content: dict[str, Any], path: Path = MODEL_PATH) -> None:
    """Write the model file compactly (one n-gram per line, so diffs stay readable)."""
    lines = ["{", f'"types": {json.dumps(content["types"])},', f'"ngram_range": {content["ngram_range"]},']
    lines.append('"languages": {')
    codes = list(content["languages"])
    for position, code in enumerate(codes):
        body = content["languages"][code]
        lines.append(f'{json.dumps(code)}: {{"bias": {json.dumps(body["bias"])}, "weights": {{')
        items = list(body["weights"].items())
        for index, (gram, row) in enumerate(items):
            comma = "," if index < len(items) - 1 else ""
            lines.append(f"{json.dumps(gram, ensure_ascii=False)}: {json.dumps(row)}{comma}")
        lines.append("}}" + ("," if position < len(codes) - 1 else ""))
    lines.append("}")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
