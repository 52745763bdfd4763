"""Benchmark: what building Great Expectations Data Docs adds to validation, on the generated sample CRM.

    .venv/bin/python bench/bench_data_docs.py                 # [sample] scale of rapport.toml, 3 repeats
    .venv/bin/python bench/bench_data_docs.py --scale tiny --repeat 1

Generates the sample once, extracts it once per home, then validates every contract table in two fresh
homes per repeat (after one untimed warm-up): ``[validation] data_docs`` false, then true. Prints the medians (seconds) of the
validation of all tables, the difference, and the size of ``var/gx/``. Everything lives in a temporary
folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support


def _validate_all(export: Path, home: Path, config, ds: date) -> float:  # type: ignore[no-untyped-def]
    from rapport.extract import prepare_source, resolve_source
    from tests.support.pipeline import extract_all, isolated_settings, validate_all

    settings = isolated_settings(home)
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    extract_all(source, ds, settings, config)
    started = time.perf_counter()
    validate_all(ds, settings, config)
    return time.perf_counter() - started


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def main() -> int:
    from rapport.config import Config
    from rapport.sample import generate
    from rapport.settings import apply_runtime_environment

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", default=None, help="sample scale (default: [sample] scale)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rapport-bench-docs-") as folder:
        root = Path(folder)
        import os

        os.environ["RAPPORT_HOME"] = str(root / "session")
        apply_runtime_environment()
        config = Config.load()
        scale = args.scale or config.sample.scale
        ds = config.sample.end_date
        summary = generate(root / "export", scale=scale, seed=42, end_date=ds, progress=False)
        rows = sum(summary.rows.values())
        _validate_all(root / "export", root / "warm-up", config, ds)  # imports and caches, not timed
        timings: dict[bool, list[float]] = {False: [], True: []}
        gx_bytes = 0
        for run in range(args.repeat):
            for docs in (False, True):
                home = root / f"home-{run}-{docs}"
                with_docs = replace(config, validation=replace(config.validation, data_docs=docs))
                timings[docs].append(_validate_all(root / "export", home, with_docs, ds))
                if docs:
                    gx_bytes = _size(home / "gx")
        without, with_docs = statistics.median(timings[False]), statistics.median(timings[True])
        print(
            f"sample scale {scale!r}: {rows:,} rows in {len(summary.rows)} tables, {args.repeat} repeat(s), medians"
        )
        print(f"  validate all tables, data_docs = false: {without:7.2f} s")
        print(f"  validate all tables, data_docs = true:  {with_docs:7.2f} s  (+{with_docs - without:.2f} s)")
        print(f"  var/gx/ after one validation run: {gx_bytes / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
