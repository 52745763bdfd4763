"""Benchmark the sample CRM generator: seconds, rows per second and peak memory per activity count.

Each run generates in a fresh child process (so peak memory is that run's alone) into a temporary
folder that is deleted afterwards. The records come from the named scale whose activity target is
nearest to the requested count (``medium`` for 1M, ``large`` for 10M), with ``activities`` set to it.
Peak memory is the child's maximum resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``);
``cpu s`` is the child's user + system CPU time, ``seconds`` the wall time of ``generate()`` (rows per
second use the wall time). The machine is shared and noisy: use ``--repeat`` and read the median.

    .venv/bin/python bench/bench_generate.py                      # 1M and 10M activities, Parquet
    .venv/bin/python bench/bench_generate.py --sizes 1000000 --repeat 3 --format csv
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
from datetime import date
from rapport.sample import generate
out, scale, activities, fmt = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
summary = generate(out, scale=scale, seed=42, end_date=date(2025, 6, 1), fmt=fmt, progress=False, activities=activities)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "seconds": summary.seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "activities": summary.activities,
    "rows": summary.total_rows, "peak_rss_mb": usage.ru_maxrss / 1024,
}))
"""


def nearest_scale(activities: int) -> str:
    """The named scale whose activity target is closest (on a log scale) to ``activities``."""
    from math import log

    from rapport.sample import SCALES

    return min(SCALES.values(), key=lambda scale: abs(log(scale.activities) - log(activities))).name


def run_once(activities: int, fmt: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as folder:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(Path(folder) / "crm"),
                nearest_scale(activities),
                str(activities),
                fmt,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        sizes = sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["megabytes_on_disk"] = sizes / 1e6
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000], help="activity counts"
    )
    parser.add_argument("--format", dest="fmt", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the median is reported")
    args = parser.parse_args(argv)

    print(f"sample generator benchmark ({args.fmt}, median of {args.repeat}; peak memory = child ru_maxrss)")
    header = (
        f"{'activities':>12} {'scale':>7} {'seconds':>8} {'cpu s':>7} {'act/s':>10} {'rows':>12} {'rows/s':>10} "
        f"{'peak MB':>8} {'disk MB':>8}"
    )
    print(header)
    for size in args.sizes:
        runs = [run_once(size, args.fmt) for _ in range(args.repeat)]
        seconds = statistics.median(r["seconds"] for r in runs)
        cpu = statistics.median(r["cpu_seconds"] for r in runs)
        made = runs[0]["activities"]
        rows = runs[0]["rows"]
        peak = statistics.median(r["peak_rss_mb"] for r in runs)
        disk = runs[0]["megabytes_on_disk"]
        print(
            f"{made:>12,} {nearest_scale(size):>7} {seconds:>8.1f} {cpu:>7.1f} {made / seconds:>10,.0f} {rows:>12,} "
            f"{rows / seconds:>10,.0f} {peak:>8,.0f} {disk:>8,.0f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
