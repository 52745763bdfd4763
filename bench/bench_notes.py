"""Throughput of notes analysis at batch scale: notes/s, median of runs, peak memory.

    .venv/bin/python bench/bench_notes.py [--notes 100000] [--runs 3] [--workers 2]

The notes are built by sampling the 280 hand-labelled evaluation notes (EN and ZH, ~27 % with
nothing to suggest) with a fixed seed; each copy gets its creation time moved by 0-364 days and, one
time in three, a second sentence from a small pool of extra sentences (so note lengths and dates vary).
Stages measured:

1. ``analyze()`` in one process over all notes (median of ``--runs``);
2. the same split over ``--workers`` processes (median of ``--runs``);
3. ``rapport.ml.notes.pipeline.analyze_notes`` end to end on a fresh DuckDB file holding the notes as
   ``raw.annotation`` (read, analyse over ``[notes] workers`` processes, write
   ``enrich.note_suggestions``), in a child process whose peak RSS is reported.

The load average is printed at the start and the end: the machine is shared, so read the figures with it.
"""

from __future__ import annotations

import argparse
import json
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


def analyse_chunk(chunk: list[tuple[str, str, datetime]]) -> int:
    from rapport.ml.notes import analyze

    return sum(len(analyze(text, created)) for _, text, created in chunk)


def run_single(notes: list[tuple[str, str, datetime]]) -> tuple[float, int]:
    started = time.perf_counter()
    found = analyse_chunk(notes)
    return time.perf_counter() - started, found


def run_parallel(notes: list[tuple[str, str, datetime]], workers: int) -> tuple[float, int]:
    size = max(1, len(notes) // (workers * 8))
    chunks = [notes[i : i + size] for i in range(0, len(notes), size)]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        found = sum(pool.map(analyse_chunk, chunks))
    return time.perf_counter() - started, found


def run_pipeline(notes: list[tuple[str, str, datetime]]) -> dict[str, float]:
    """In a child process: load raw.annotation, run analyze_notes, report time and peak RSS."""
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
        started = time.perf_counter()
        summary = analyze_notes(
            connection, date(2027, 1, 1), datetime(2027, 1, 1, 1), notes_config=NotesConfig()
        )
        seconds = time.perf_counter() - started
        connection.close()
    return {
        "seconds": seconds,
        "suggestions": summary.suggestions_written,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": rss_before / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    print(f"load average at the start (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    notes = build_notes(args.notes)
    chars = sum(len(n[1]) for n in notes)
    print(
        f"notes: {len(notes):,} sampled from the labelled sets ({chars / len(notes):.0f} characters on average)"
    )

    analyse_chunk(notes[:200])  # warm-up: imports and compiled patterns
    single = [run_single(notes) for _ in range(args.runs)]
    seconds = statistics.median(s for s, _ in single)
    print(f"analyze() 1 process:  median {seconds:.1f} s over {args.runs} runs = {len(notes) / seconds:,.0f} notes/s "
          f"({single[0][1]:,} suggestions; runs {', '.join(f'{s:.1f}' for s, _ in single)} s)")  # fmt: skip
    print(
        f"  peak RSS of this process so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )

    if args.workers > 1:
        parallel = [run_parallel(notes, args.workers) for _ in range(args.runs)]
        pseconds = statistics.median(s for s, _ in parallel)
        print(f"analyze() {args.workers} processes: median {pseconds:.1f} s = {len(notes) / pseconds:,.0f} notes/s "
              f"(x{seconds / pseconds:.2f}; runs {', '.join(f'{s:.1f}' for s, _ in parallel)} s)")  # fmt: skip

    with ProcessPoolExecutor(max_workers=1) as pool:
        result = pool.submit(run_pipeline, notes).result()
    print(f"analyze_notes() on DuckDB raw.annotation: {result['seconds']:.1f} s = {len(notes) / result['seconds']:,.0f} notes/s, "
          f"{int(result['suggestions']):,} rows written; peak RSS {result['peak_rss_mb']:.0f} MB "
          f"({result['rss_before_mb']:.0f} MB after loading the notes)")  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores (the machine is shared)")
    print(json.dumps({"notes": len(notes), "single_s": seconds, "pipeline_s": result["seconds"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
