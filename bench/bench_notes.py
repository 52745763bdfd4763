"""Throughput of notes analysis at batch scale: notes/s, notes per CPU-second, peak memory.

    .venv/bin/python bench/bench_notes.py [--notes 100000] [--corpus sample|labelled] [--runs 3]
        [--workers 2] [--skip-single] [--no-memo]

The notes (``--corpus``):

- ``sample`` (the default): the texts a run analyses in a generated sample CRM (``rapport.sample``,
  scale ``small`` with its activity target raised to hold ``--notes`` texts): every non-empty
  ``annotation.notetext`` and activity ``description`` of the tables ``[notes] sources`` lists by
  default, drawn with a fixed seed. Their fills vary (names, companies, products, dates, times), so
  most texts are distinct (about 59 % of 100,000; the 1M-activity sample's are 65 %).
- ``labelled``: the hand-labelled notes of the first evaluation sets (EN and ZH, ~27 % with nothing to
  suggest) sampled with a fixed seed; each copy gets its creation time moved by 0-364 days and, one
  time in three, a second sentence from a small pool (a few thousand distinct texts in 100,000 notes).

The share of distinct texts is printed with the figures. Stages measured:

1. ``analyze()`` in one process over all notes, note by note (median of ``--runs``);
2. the same split over ``--workers`` processes (median of ``--runs``);
3. ``rapport.ml.notes.pipeline.analyze_batch`` in one process over the notes in the pipeline's batches
   (texts grouped: a text whose suggestions do not depend on its creation time is analysed once);
4. ``rapport.ml.notes.pipeline.analyze_notes`` end to end on a fresh DuckDB file holding the notes as
   ``raw.annotation`` (read, analyse, write ``enrich.note_suggestions``), with ``[notes] workers`` 1 and
   ``--workers``, each in a freshly spawned process (so its imports and jieba's dictionary load are
   counted), whose CPU seconds (with its workers') and peak RSS are reported.

``--skip-single`` leaves out stages 1 and 2. Every stage gains from the per-process tables of answers
(``ml/notes/languages/memo.py``, the analyser's clause readings, the learned check's scores) when
clauses and sentences repeat; they are emptied before each timed stage, and ``--no-memo`` switches
them off, for the cost of notes that never repeat. ``bench/check_notes_identical.py`` shows that the
suggestions are the same either way. The load average is printed at the start, before each
end-to-end run and at the end: the machine is shared, so read the figures with it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

EXTRA = (
    "Budget is approved for Q3.",
    "They also want the case study.",
    "Remind me to update the CRM tomorrow.",
    "客户对价格比较敏感。",
    "另外下周三下午3点约个电话。",
    "Their portal keeps timing out.",
    "Good meeting overall.",
    "记得周五前发资料。",
)


def build_notes(count: int, seed: int = 7) -> list[tuple[str, str, datetime]]:
    """``(id, text, created_on)`` for ``count`` notes sampled from the evaluation sets."""
    from rapport.ml.notes.evaluation import default_eval_files, load_eval_set

    pool = [note for path in default_eval_files().values() for note in load_eval_set(path)]
    rng = random.Random(seed)
    notes = []
    for i in range(count):
        base = rng.choice(pool)
        text = base.text
        if rng.random() < 1 / 3:
            text = f"{text} {rng.choice(EXTRA)}"
        created = base.created_on + timedelta(days=rng.randrange(365), minutes=rng.randrange(600))
        notes.append((f"bench-{i:06d}", text, created))
    return notes


def build_sample_notes(count: int, seed: int = 7) -> list[tuple[str, str, datetime]]:
    """``(id, text, created_on)`` for ``count`` texts the pipeline analyses in a generated sample CRM.

    The sample generator (``rapport.sample.generate``, scale ``small``, seed 42, its activity target
    raised to hold ``count`` texts) writes notes and activity descriptions with varied fills (names,
    companies, products, dates, times); every non-empty text of the tables ``[notes] sources`` lists by
    default (``notetext`` of ``annotation``, ``description`` of the activities) is taken with its
    ``createdon``, and ``count`` of them are drawn with a fixed seed, so the tables' shares are those of a
    real run (about 70 % of the texts are distinct, as in the 1M-activity sample).
    """
    import duckdb

    from rapport.config import NotesConfig
    from rapport.ml.notes.pipeline import NOTE_SOURCES
    from rapport.sample import generate

    sources = [source for source in NOTE_SOURCES if source.table in NotesConfig().sources]
    with tempfile.TemporaryDirectory() as folder:
        generate(
            Path(folder),
            scale="small",
            seed=42,
            end_date=date(2025, 6, 1),
            progress=False,
            activities=max(150_000, count * 4),  # about one activity in four has a description
        )
        connection = duckdb.connect()
        rows: list[tuple[str, str, datetime]] = []
        for source in sources:
            rows.extend(
                connection.execute(
                    f"SELECT {source.key}, {source.text}, createdon FROM '{Path(folder) / source.table}.parquet' "
                    f"WHERE trim(coalesce({source.text}, '')) <> '' ORDER BY {source.key}"
                ).fetchall()
            )
        connection.close()
    if len(rows) < count:
        raise SystemExit(f"the generated sample holds {len(rows):,} texts, fewer than --notes {count:,}")
    random.Random(seed).shuffle(rows)
    return rows[:count]


def load_notes(corpus: str, count: int) -> list[tuple[str, str, datetime]]:
    """The bench's notes: ``sample`` (generated CRM texts, mostly distinct) or ``labelled`` (the
    evaluation notes resampled: few distinct texts)."""
    return build_sample_notes(count) if corpus == "sample" else build_notes(count)


def switch_off_memo() -> None:
    """Plain languages in the registry, no remembered intent scores or clause readings (inherited by
    forked workers)."""
    from rapport.ml.notes import analyzer, intent, languages

    languages.get_language("en")  # registers the built-in languages
    languages._REGISTRY.update(
        {code: getattr(lang, "inner", lang) for code, lang in languages._REGISTRY.items()}
    )
    intent._SCORED_MAX = 0  # kept tables hold at most the last sentence
    analyzer.CLAUSE_MEMO_MAX = 0  # no clause readings or prepared notes kept
    analyzer.PREPARED_MAX = 0


def empty_memo() -> None:
    """Empty the per-process tables of answers, so that a timed stage starts as a fresh process does."""
    from rapport.ml.notes import analyzer, intent, languages

    for code in languages.available_languages():
        getattr(languages.get_language(code), "_memo", {}).clear()
    intent.load_model()._scored.clear()
    for table in ("_CLAUSE_MEMO", "_PREPARED"):  # (absent before these tables: the bench also runs on main)
        getattr(analyzer, table, {}).clear()


def analyse_chunk(chunk: list[tuple[str, str, datetime]], rules_only: bool = False) -> int:
    from rapport.ml.notes.analyzer import DEFAULT_SETTINGS, RULES_ONLY, analyze

    settings = RULES_ONLY if rules_only else DEFAULT_SETTINGS
    return sum(len(analyze(text, created, settings=settings)) for _, text, created in chunk)


def run_single(notes: list[tuple[str, str, datetime]], rules_only: bool = False) -> tuple[float, int, float]:
    """Wall seconds, suggestions found, CPU seconds of this process."""
    empty_memo()
    started, cpu = time.perf_counter(), time.process_time()
    found = analyse_chunk(notes, rules_only)
    return time.perf_counter() - started, found, time.process_time() - cpu


def run_batched(notes: list[tuple[str, str, datetime]]) -> tuple[float, int, float, int]:
    """``analyze_batch`` over the notes in the pipeline's batch size, one process: wall seconds,
    suggestions, CPU seconds, notes whose text was analysed once for all its notes."""
    empty_memo()
    from rapport.ml.notes.analyzer import DEFAULT_SETTINGS
    from rapport.ml.notes.pipeline import _BATCH, analyze_batch

    started, cpu = time.perf_counter(), time.process_time()
    known: dict[str, Any] = {}
    found = 0
    for start in range(0, len(notes), _BATCH):
        work: list[tuple[str, datetime] | None] = [(n[1], n[2]) for n in notes[start : start + _BATCH]]
        found += sum(len(s or []) for s in analyze_batch(work, DEFAULT_SETTINGS, None, known))
    free = sum(1 for n in notes if known.get(n[1]) is not None)
    return time.perf_counter() - started, found, time.process_time() - cpu, free


def run_parallel(notes: list[tuple[str, str, datetime]], workers: int) -> tuple[float, int]:
    empty_memo()
    size = max(1, len(notes) // (workers * 8))
    chunks = [notes[i : i + size] for i in range(0, len(notes), size)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        found = sum(pool.map(analyse_chunk, chunks))
    return time.perf_counter() - started, found


def run_pipeline(
    notes: list[tuple[str, str, datetime]], workers: int, no_memo: bool = False
) -> dict[str, float]:
    """In a fresh (spawned) child process: load raw.annotation, run analyze_notes over ``workers``
    processes, report time, CPU seconds (with the workers') and peak RSS (this process's and the
    largest worker's)."""
    if no_memo:
        switch_off_memo()
    import pyarrow as pa

    from rapport.config import NotesConfig
    from rapport.ml.notes.pipeline import analyze_notes
    from rapport.warehouse import connect

    with tempfile.TemporaryDirectory() as folder:
        connection = connect(Path(folder) / "bench.duckdb")
        table = pa.table(
            {
                "annotationid": [n[0] for n in notes],
                "objectid": [f"acc-{i % 5000}" for i in range(len(notes))],
                "objecttypecode": ["account"] * len(notes),
                "notetext": [n[1] for n in notes],
                "createdon": [n[2] for n in notes],
                "modifiedon": [n[2] for n in notes],
            }
        )
        connection.execute("CREATE SCHEMA raw")
        connection.register("bench_notes", table)
        connection.execute("CREATE TABLE raw.annotation AS SELECT * FROM bench_notes")
        connection.unregister("bench_notes")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        summary = analyze_notes(
            connection, date(2027, 1, 1), datetime(2027, 1, 1, 1), notes_config=NotesConfig(workers=workers)
        )
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        connection.close()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "suggestions": summary.suggestions_written,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "rss_before_mb": rss_before / 1024,
    }


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the pipeline's workers, once joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument(
        "--corpus",
        choices=("sample", "labelled"),
        default="sample",
        help="sample: the texts of a generated sample CRM (mostly distinct; the default); labelled: the "
        "evaluation notes resampled (few distinct texts)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--skip-single",
        action="store_true",
        help="time only the pipeline stages (analyze_batch and analyze_notes), not analyze() note by note",
    )
    parser.add_argument(
        "--compare-rules-only",
        action="store_true",
        help="also time one single-process run with the rules alone (the cost of the learned check)",
    )
    parser.add_argument(
        "--no-memo",
        action="store_true",
        help="switch off the per-process tables of the languages' and the learned check's answers (the cost "
        "of notes that never repeat a clause or a sentence)",
    )
    args = parser.parse_args(argv)
    if args.no_memo:
        switch_off_memo()

    print(f"load average at the start (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    notes = load_notes(args.corpus, args.notes)
    chars = sum(len(n[1]) for n in notes)
    distinct = len({n[1] for n in notes})
    origin = "generated sample CRM texts" if args.corpus == "sample" else "sampled from the labelled sets"
    print(f"notes: {len(notes):,} {origin} ({chars / len(notes):.0f} characters on average); "
          f"{distinct:,} distinct texts = {distinct / len(notes):.0%} of the notes")  # fmt: skip

    if not args.skip_single:
        run_single_stages(notes, args)

    bseconds, bfound, bcpu, free = run_batched(notes)
    print(f"analyze_batch() 1 process: {bseconds:.1f} s = {len(notes) / bseconds:,.0f} notes/s, {bcpu:.1f} CPU-s = "
          f"{len(notes) / bcpu:,.0f} notes per CPU-second ({bfound:,} suggestions; "
          f"{distinct:,} distinct texts; {free:,} notes hold a text analysed once for all "
          f"its notes, as its suggestions do not depend on the creation time)")  # fmt: skip

    figures: dict[str, Any] = {
        "notes": len(notes),
        "corpus": args.corpus,
        "distinct_share": distinct / len(notes),
    }
    spawn = multiprocessing.get_context("spawn")  # a fresh process: start-up loads are counted
    for workers in sorted({1, args.workers}):
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            result = pool.submit(run_pipeline, notes, workers, args.no_memo).result()
        print(f"analyze_notes() on DuckDB raw.annotation, [notes] workers = {workers}, fresh process: "
              f"{result['seconds']:.1f} s = {len(notes) / result['seconds']:,.0f} notes/s, "
              f"{int(result['suggestions']):,} rows written; {result['cpu_seconds']:.1f} CPU-s in all processes = "
              f"{len(notes) / result['cpu_seconds']:,.0f} notes per CPU-second; peak RSS {result['peak_rss_mb']:.0f} MB "
              f"({result['rss_before_mb']:.0f} MB after loading the notes; largest worker "
              f"{result['worker_peak_rss_mb']:.0f} MB); load average before it {load}")  # fmt: skip
        figures[f"pipeline_{workers}_s"] = result["seconds"]
        figures[f"pipeline_{workers}_cpu_s"] = result["cpu_seconds"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores (the machine is shared)")
    print(json.dumps(figures))
    return 0


def run_single_stages(notes: list[tuple[str, str, datetime]], args: argparse.Namespace) -> None:
    """Stages 1 and 2: ``analyze()`` note by note in one process, then over ``--workers`` processes."""
    # warm-up: imports, compiled patterns, jieba's dictionary and the learned check's weights (loaded on
    # first need), so that no timed stage pays a one-off load
    analyse_chunk(notes[:2000])
    analyse_chunk(notes[:2000], rules_only=True)
    single = [run_single(notes) for _ in range(args.runs)]
    seconds = statistics.median(s for s, _, _ in single)
    cpu = statistics.median(c for _, _, c in single)
    print(f"analyze() 1 process:  median {seconds:.1f} s over {args.runs} runs = {len(notes) / seconds:,.0f} notes/s "
          f"({single[0][1]:,} suggestions; runs {', '.join(f'{s:.1f}' for s, _, _ in single)} s); "
          f"{cpu:.1f} CPU-s = {len(notes) / cpu:,.0f} notes per CPU-second")  # fmt: skip
    if args.compare_rules_only:
        _, rules_found, rules_cpu = run_single(notes, rules_only=True)
        print(f"  the same without the learned sentence check: {rules_cpu:.1f} CPU-s = "
              f"{len(notes) / rules_cpu:,.0f} notes per CPU-second ({rules_found:,} suggestions)")  # fmt: skip
    print(
        f"  peak RSS of this process so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    if args.workers > 1:
        parallel = [run_parallel(notes, args.workers) for _ in range(args.runs)]
        pseconds = statistics.median(s for s, _ in parallel)
        print(f"analyze() {args.workers} processes: median {pseconds:.1f} s = {len(notes) / pseconds:,.0f} notes/s "
              f"(x{seconds / pseconds:.2f}; runs {', '.join(f'{s:.1f}' for s, _ in parallel)} s)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
