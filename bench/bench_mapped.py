"""Benchmark: converting a large flat export through a mapping (``mapped:`` source), chunked vs whole.

    .venv/bin/python bench/bench_mapped.py                                  # 1M leads, chunks of 50k vs whole
    .venv/bin/python bench/bench_mapped.py --rows 300000 --chunk-rows 200000 --chunk-rows 20000

X Education's real export (``../shared/data/leads_x_education/Leads.csv``, 9,240 leads, 37 columns) is copied
until it holds ``--rows`` rows (each copy with its own Prospect ID and Lead Number, so ids stay unique and the
Lead Number sequence spans every copy), then converted with ``mappings/examples/x_education.toml`` once per
``--chunk-rows`` value (``[extract] mapped_chunk_rows``) and once whole (one chunk holding every row). Each
conversion runs in a fresh process: seconds, CPU-seconds, rows/s and that process's peak memory (max RSS) are
its own. The outputs are compared byte for byte with the whole conversion's. The 1-minute load average is
printed: the machine may be shared.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
PROJECT = HERE.parents[1]
DATA = (PROJECT / ".." / "shared" / "data" / "leads_x_education").resolve()
MAPPING = PROJECT / "mappings" / "examples" / "x_education.toml"


def build_export(out_dir: Path, rows: int) -> None:
    """``rows`` leads: X Education's file repeated, ids made unique per copy (DuckDB, a few seconds)."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    source = str(DATA / "Leads.csv")
    columns = [
        row[0]
        for row in connection.execute(
            f"DESCRIBE SELECT * FROM read_csv('{source}', all_varchar=true)"
        ).fetchall()
    ]
    others = ", ".join(f'"{name}"' for name in columns if name not in ("Prospect ID", "Lead Number"))
    copies = -(-rows // 9240)
    connection.execute(
        f"""
        COPY (
            SELECT
                CASE WHEN copy = 0 THEN "Prospect ID" ELSE
                    substr(md5(copy || "Prospect ID"), 1, 8) || '-' || substr(md5(copy || "Prospect ID"), 9, 4) || '-'
                    || substr(md5(copy || "Prospect ID"), 13, 4) || '-' || substr(md5(copy || "Prospect ID"), 17, 4)
                    || '-' || substr(md5(copy || "Prospect ID"), 21, 12) END AS "Prospect ID",
                CAST(CAST("Lead Number" AS BIGINT) + copy * 1000000 AS VARCHAR) AS "Lead Number",
                {others}
            FROM read_csv('{source}', all_varchar=true), range({copies}) AS copies(copy)
            ORDER BY copy, "Lead Number"
            LIMIT {rows}
        ) TO '{out_dir / "Leads.csv"}' (FORMAT csv, HEADER true)
        """
    )


def convert(data_dir: Path, out_dir: Path, chunk_rows: int) -> None:
    """The measured part (run in a child process)."""
    sys.path.insert(0, str(PROJECT / "dags"))
    from rapport.extract.mapped import convert_mapped_source, load_mapping

    convert_mapped_source(load_mapping(MAPPING, data_dir), out_dir, chunk_rows=chunk_rows)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # this process's peak, MB


def measure(data_dir: Path, out_dir: Path, chunk_rows: int) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, str(HERE), "--child", str(data_dir), str(out_dir), str(chunk_rows)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "peak_mb": float(child.stdout.split()[-1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="leads in the export (rows)")
    parser.add_argument(
        "--chunk-rows", type=int, action="append", help="[extract] mapped_chunk_rows (repeatable)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        convert(Path(args.child[0]), Path(args.child[1]), int(args.child[2]))
        return
    if args.build:
        build_export(Path(args.build[0]), int(args.build[1]))
        return
    chunks = sorted(set(args.chunk_rows or [50_000]))
    with tempfile.TemporaryDirectory(prefix="bench-mapped-") as work:
        root = Path(work)
        started = time.perf_counter()
        # in a child: on Linux a child's peak RSS starts at its parent's RSS when forked (kept across
        # exec), so a parent grown by DuckDB would hand its size to every measured child
        subprocess.run([sys.executable, str(HERE), "--build", str(root / "data"), str(args.rows)], check=True)
        size = (root / "data" / "Leads.csv").stat().st_size / 1e6
        print(
            f"export: {args.rows:,} leads, 37 columns, {size:,.0f} MB CSV, built in {time.perf_counter() - started:.1f} s"
        )
        print(f"{'chunk rows':>12} {'seconds':>8} {'CPU-s':>7} {'rows/s':>9} {'peak MB':>8} {'load':>5}")
        for chunk_rows in [*chunks, args.rows]:
            figures = measure(root / "data", root / f"out-{chunk_rows}", chunk_rows)
            label = "whole" if chunk_rows == args.rows else f"{chunk_rows:,}"
            print(
                f"{label:>12} {figures['seconds']:8.1f} {figures['cpu']:7.1f} {args.rows / figures['seconds']:9,.0f} "
                f"{figures['peak_mb']:8,.0f} {os.getloadavg()[0]:5.1f}"
            )
        whole = root / f"out-{args.rows}"
        for chunk_rows in chunks:
            out = root / f"out-{chunk_rows}"
            same = all(filecmp.cmp(path, whole / path.name, shallow=False) for path in out.iterdir())
            print(f"chunks of {chunk_rows:,}: output identical to the whole conversion: {same}")
            shutil.rmtree(out)


if __name__ == "__main__":
    main()
