"""Evaluate the notes analyser on the shipped labelled notes: precision, recall and F1 per suggestion
type per language, and date-time accuracy.

    .venv/bin/python bench/eval_notes.py [--split dev|test|dev2|test2|dev3|dev4|all] [--errors]

The gold labels were written before the analyser; rules were tuned on the ``dev`` half only, so the
``test`` half is the honest held-out figure. ``dev2``/``test2`` are a second set (``notes2_*.jsonl``)
written later in sellers' styles: ``dev2`` for error analysis, ``test2`` held out. ``dev3`` and
``dev4`` (``notes3_*``, ``notes4_*``) are development sets only.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from rapport.ml.notes.analyzer import analyze
    from rapport.ml.notes.evaluation import (
        SPLITS,
        eval_files_for_split,
        evaluate,
        format_report,
        load_eval_set,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, default="all")
    parser.add_argument("--errors", action="store_true", help="print the notes the analyser got wrong")
    parser.add_argument("--language", choices=("en", "zh"), help="only this language's set")
    args = parser.parse_args(argv)
    for code, path in eval_files_for_split(args.split).items():
        if args.language and code != args.language:
            continue
        notes = [n for n in load_eval_set(path) if args.split == "all" or n.split == args.split]
        report = evaluate(notes, lambda note: analyze(note.text, note.created_on, note.language))
        print(format_report(report, f"{code} ({args.split})"))
        if args.errors:
            for miss in report.mismatches:
                print(
                    f"  - {miss.note_id}: {miss.text}\n      gold: {list(miss.gold)}\n      pred: {list(miss.predicted)}"
                )
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
