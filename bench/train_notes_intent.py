"""Rebuild the notes analyser's learned sentence check (``ml/notes/intent_model.json``) from the
development splits of the shipped evaluation sets (dev, dev2, dev3, dev4; never test or test2).

    .venv/bin/python bench/train_notes_intent.py [--check]

Deterministic: the same notes and rules give the same file. ``--check`` writes nothing and exits 1
when the committed file differs from a fresh training (e.g. after a rules change).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from rapport.ml.notes.intent import MODEL_PATH, train_model, write_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)
    content = train_model()
    if not args.check:
        write_model(content)
        sizes = {code: len(body["weights"]) for code, body in content["languages"].items()}
        print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1e6:.2f} MB; n-grams per language: {sizes})")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / "intent_model.json"
        write_model(content, fresh)
        same = fresh.read_text(encoding="utf-8") == MODEL_PATH.read_text(encoding="utf-8")
    print("committed model is up to date" if same else f"{MODEL_PATH} differs from a fresh training")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
