"""``rapport notes``: analyse notes from a JSON Lines file, and score the analyser on labelled notes.

``rapport notes analyze FILE.jsonl`` (``-`` for standard input) reads one note per line,
``{"id": ..., "text": ..., "created_on": "2026-05-06T15:20:00", "language": "zh"}`` (language
optional), and writes one JSON line per suggestion to standard output. A line that is not such a note
is skipped with a warning naming its line number on standard error; the command then finishes the
file and exits with status 1, so a pipeline notices without losing the good lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rapport.cli import CommandError
from rapport.config import load_config
from rapport.ml.notes import AnalysisSettings, UnknownLanguageError, analyze, get_language
from rapport.ml.notes.evaluation import (
    SPLITS,
    EvaluationDataError,
    eval_files_for_split,
    evaluate,
    format_report,
    load_eval_set,
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "notes", help="notes analysis: suggest appointments, calls, tasks, contacts ..."
    )
    actions = parser.add_subparsers(dest="notes_command", metavar="ACTION", required=True)

    analyze = actions.add_parser(
        "analyze", help="analyse notes from a JSON Lines file, one suggestion per output line"
    )
    analyze.add_argument(
        "file", help="JSON Lines with id, text, created_on (ISO 8601) and optional language; - for stdin"
    )
    analyze.add_argument(
        "--language", help="force this language for every note (default: per line, else detected)"
    )
    analyze.set_defaults(handler=run_analyze)

    evaluate = actions.add_parser(
        "evaluate", help="precision/recall/F1 per type and date-time accuracy on labelled notes"
    )
    evaluate.add_argument(
        "files", nargs="*", help="labelled JSON Lines files (default: the shipped EN and ZH sets)"
    )
    evaluate.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="which split of the labelled notes (dev2/test2: the second set; dev3, dev4: the third and fourth)",
    )
    evaluate.add_argument("--errors", action="store_true", help="also list the notes the analyser got wrong")
    evaluate.set_defaults(handler=run_evaluate)


def run_analyze(args: argparse.Namespace) -> int:
    print("Loading the notes analyser (language models) ...", file=sys.stderr, flush=True)

    settings = AnalysisSettings.from_config(load_config().notes)
    if args.language:
        try:
            get_language(args.language)
        except UnknownLanguageError as error:
            raise CommandError(str(error)) from error
    bad = 0
    with _open(args.file) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                note_id, text, created_on, language = _parse(line)
                language = args.language or language
                suggestions = analyze(text, created_on, language, settings=settings)
            except (ValueError, UnknownLanguageError) as error:
                bad += 1
                print(f"rapport notes analyze: {args.file}, line {number}: skipped: {error}", file=sys.stderr)
                continue
            for suggestion in suggestions:
                sys.stdout.write(
                    json.dumps({"id": note_id, **suggestion.to_dict()}, ensure_ascii=False) + "\n"
                )
    if bad:
        print(f"rapport notes analyze: {bad} line(s) skipped; fix them and run again", file=sys.stderr)
        return 1
    return 0


def _open(name: str) -> Any:
    """A context manager giving the lines of ``name`` (``-``: standard input, left open)."""
    if name == "-":
        return _NoClose(sys.stdin)
    path = Path(name)
    if not path.is_file():
        raise CommandError(f"{name}: no such file; give a JSON Lines file of notes or - for standard input")
    return path.open(encoding="utf-8")


class _NoClose:
    """Standard input as a context manager that leaves it open."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __enter__(self) -> IO[str]:
        return self.stream

    def __exit__(self, *exc: object) -> None:
        return None


def _parse(line: str) -> tuple[Any, str, datetime, str | None]:
    """``(id, text, created_on, language)`` of one input line; ValueError says what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(row, dict):
        raise ValueError("expected a JSON object with id, text and created_on")
    missing = [key for key in ("id", "text", "created_on") if row.get(key) is None]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if not isinstance(row["text"], str):
        raise ValueError("text must be a string")
    try:
        created_on = datetime.fromisoformat(str(row["created_on"]).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"created_on {row['created_on']!r} is not an ISO 8601 date-time (e.g. 2026-05-06T15:20:00Z)"
        ) from None
    language = row.get("language")
    if language is not None and not isinstance(language, str):
        raise ValueError('language must be a string such as "en" or "zh"')
    return row["id"], row["text"], created_on, language


def run_evaluate(args: argparse.Namespace) -> int:
    files = [Path(name) for name in args.files] or list(eval_files_for_split(args.split).values())
    for path in files:
        if not path.is_file():
            raise CommandError(f"{path}: no such evaluation file")
        try:
            notes = [n for n in load_eval_set(path) if args.split == "all" or n.split == args.split]
        except EvaluationDataError as error:
            raise CommandError(str(error)) from error
        report = evaluate(notes, lambda note: analyze(note.text, note.created_on, note.language))
        print(format_report(report, f"{path.name} ({args.split})"))
        if args.errors:
            for miss in report.mismatches:
                print(
                    f"  - {miss.note_id}: {miss.text}\n      gold: {list(miss.gold)}\n      pred: {list(miss.predicted)}"
                )
        print()
    return 0
