"""Check that batch analysis gives exactly the suggestions of note-by-note analysis, on the bench notes.

    .venv/bin/python bench/check_notes_identical.py [--notes 100000] [--corpus sample|labelled]
        [--write FILE] [--against FILE]

The notes are those of ``bench/bench_notes.py``: ``--corpus sample`` (the default) the texts of a generated
sample CRM (mostly distinct), ``--corpus labelled`` the labelled evaluation notes sampled with a fixed seed
(creation times moved, a second sentence one time in three). Each note's suggestions are serialised
(type, span, text, fields, confidence, language) as one JSON line, in note order, from:

1. ``rapport.ml.notes.analyzer.analyze`` called once per note (the reference), and
2. ``rapport.ml.notes.pipeline.analyze_batch`` over the same notes in batches of the pipeline's size
   (texts grouped, anchor-free texts analysed once), when this checkout has it.

It prints the SHA-256 of each serialisation and exits 1 at the first note where they differ.
``--write FILE`` saves the reference lines; ``--against FILE`` compares them with a file written by
another checkout (for example ``main`` before a speed change: run this script from that checkout's
root with ``--write``, then from this one with ``--against``), so the rules' output is shown unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_notes import load_notes


def serialise(suggestions: list) -> str:  # type: ignore[type-arg]
    return json.dumps([s.to_dict() for s in suggestions], ensure_ascii=False, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--corpus", choices=("sample", "labelled"), default="sample")
    parser.add_argument("--write", type=Path, help="save the note-by-note serialisation here")
    parser.add_argument("--against", type=Path, help="compare the note-by-note serialisation with this file")
    args = parser.parse_args(argv)

    from rapport.ml.notes.analyzer import DEFAULT_SETTINGS, analyze

    notes = load_notes(args.corpus, args.notes)
    reference = [serialise(analyze(text, created, settings=DEFAULT_SETTINGS)) for _, text, created in notes]
    digest = hashlib.sha256("\n".join(reference).encode()).hexdigest()
    print(f"{len(notes):,} notes ({args.corpus}), analyze() note by note: sha256 {digest}")
    status = 0
    if args.write:
        args.write.write_text("\n".join(reference) + "\n", encoding="utf-8")
        print(f"written to {args.write}")
    if args.against:
        other = args.against.read_text(encoding="utf-8").splitlines()
        if len(other) != len(reference):
            print(f"DIFFERENT: {args.against} holds {len(other):,} notes, not {len(reference):,}")
            return 1
        for index, (mine, theirs) in enumerate(zip(reference, other, strict=True)):
            if mine != theirs:
                print(
                    f"DIFFERENT from {args.against} at note {index}: {notes[index][1]!r}\n  {theirs}\n  {mine}"
                )
                return 1
        print(f"identical to {args.against}")
    try:
        from rapport.ml.notes import pipeline
    except ImportError:
        return status
    if not hasattr(pipeline, "analyze_batch"):
        print("this checkout has no analyze_batch: batch check skipped")
        return status
    size = pipeline._BATCH
    known: dict = {}  # type: ignore[type-arg]
    batched: list[str] = []
    for start in range(0, len(notes), size):
        work = [(text, created) for _, text, created in notes[start : start + size]]
        results = pipeline.analyze_batch(work, DEFAULT_SETTINGS, None, known)
        batched.extend(serialise(found or []) for found in results)
    batch_digest = hashlib.sha256("\n".join(batched).encode()).hexdigest()
    print(f"analyze_batch() in batches of {size:,}: sha256 {batch_digest}")
    for index, (mine, theirs) in enumerate(zip(reference, batched, strict=True)):
        if mine != theirs:
            print(f"DIFFERENT at note {index}: {notes[index][1]!r}\n  {mine}\n  {theirs}")
            return 1
    print("identical: batch analysis gives the note-by-note suggestions")
    return status


if __name__ == "__main__":
    sys.exit(main())
