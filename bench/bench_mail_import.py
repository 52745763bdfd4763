"""Benchmark the mail importer: throughput (messages/s) and peak memory at a stated scale.

The real corpus (notmuch's lkml + default, 263 files) is small, so the benchmark replicates it into a
synthetic archive: every replica rewrites each Message-ID, In-Reply-To and References id as
``<rN.original>`` so that threads, replies and duplicates repeat as in the corpus (16 % duplicates).
It is written once as a maildir (folders of at most 10,000 files) and once as a single mbox file.
Each import runs in a fresh process (so peak RSS is the import's own) several times; medians are
printed. A last section compares the parser route the importer uses with ``email.policy.default``.

    .venv/bin/python bench/bench_mail_import.py                  # 50,000 messages, 3 runs per layout
    .venv/bin/python bench/bench_mail_import.py --messages 100000 --runs 5

``--archive PATH --internal-domain D ...`` measures a real archive instead (e.g. usrp-users' .mbox.xz,
read and decompressed as it streams) and skips the synthetic layouts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "dags"))

from tests.support.mail import corpus_dir  # noqa: E402

_ID = re.compile(rb"<([^<>\s]+)>")
_ID_HEADER = re.compile(rb"^(message-id|in-reply-to|references)\s*:", re.IGNORECASE)


def corpus_files() -> list[bytes]:
    root = corpus_dir()
    return [p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()]


def replica(data: bytes, known: set[bytes], number: int) -> bytes:
    """The message with every known id in its id headers rewritten for replica ``number``."""
    head, sep, body = data.partition(b"\n\n")
    lines = head.split(b"\n")
    inside_id_header = False
    for i, line in enumerate(lines):
        if line[:1] not in (b" ", b"\t"):
            inside_id_header = bool(_ID_HEADER.match(line))
        if inside_id_header:
            lines[i] = _ID.sub(
                lambda m: b"<r%d.%s>" % (number, m.group(1)) if m.group(1) in known else m.group(0), line
            )
    return b"\n".join(lines) + sep + body


def build_archives(messages: int, where: Path) -> tuple[Path, Path, int]:
    """A maildir and an mbox of ``messages`` messages (replicas of the corpus); returns their paths and bytes."""
    files = corpus_files()
    known = {m.group(1) for data in files for m in _ID.finditer(data.partition(b"\n\n")[0])}
    maildir = where / "maildir"
    mbox = where / "archive.mbox"
    written = 0
    size = 0
    with mbox.open("wb") as box:
        number = 0
        while written < messages:
            for data in files:
                if written == messages:
                    break
                copy = replica(data, known, number)
                folder = maildir / f"folder{written // 10_000:03d}" / "cur"
                if written % 10_000 == 0:
                    folder.mkdir(parents=True)
                (folder / f"{written:07d}.bench:2,").write_bytes(copy)
                escaped = re.sub(rb"(?m)^(>*From )", rb">\1", copy)
                box.write(
                    b"From bench@example.org Tue Nov 17 21:28:37 2009\n" + escaped.rstrip(b"\n") + b"\n\n"
                )
                written += 1
                size += len(copy)
            number += 1
    return maildir, mbox, size


def run_child(archive: Path, out: Path, domains: tuple[str, ...] = ("redhat.com",)) -> dict:
    """One import in a fresh process: wall time, the importer's own seconds, CPU seconds, peak RSS."""
    code = (
        "import json, resource, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from pathlib import Path\n"
        "from rapport.extract.mail import convert_archive\n"
        "s = convert_archive(Path(sys.argv[1]), Path(sys.argv[2]), internal_domains=sys.argv[3:], progress=False)\n"
        "print(json.dumps({'wall': time.perf_counter() - t0, 'seconds': s.seconds, 'messages': s.messages,\n"
        "  'unique': s.unique_messages, 'duplicates': s.duplicates, 'replies': s.replies_resolved,\n"
        "  'cpu': (lambda u: u.ru_utime + u.ru_stime)(resource.getrusage(resource.RUSAGE_SELF)),\n"
        "  'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
    )
    env = dict(os.environ, PYTHONPATH=f"{PROJECT_ROOT / 'dags'}:{PROJECT_ROOT}")
    result = subprocess.run(
        [sys.executable, "-c", code, str(archive), str(out), *domains],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def compare_parsers(sample: int = 2000) -> tuple[float, float]:
    """ms per message: the importer's parse_message against a policy.default route (addresses + body)."""
    from email import policy
    from email.parser import BytesParser

    from rapport.extract.mail.parsing import parse_message, quick_message_id

    files = (corpus_files() * (sample // 263 + 1))[:sample]
    started = time.perf_counter()
    for data in files:
        parse_message(data, quick_message_id(data))
    ours = (time.perf_counter() - started) / len(files) * 1000
    parser = BytesParser(policy=policy.default)
    started = time.perf_counter()
    for data in files:
        message = parser.parsebytes(data)
        for name in ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References"):
            with contextlib.suppress(Exception):  # policy.default raises on some malformed groups
                message.get_all(name)
        try:
            body = message.get_body(preferencelist=("plain", "html"))
            if body is not None:
                body.get_content()
        except Exception:
            pass
    default = (time.perf_counter() - started) / len(files) * 1000
    return ours, default


def bench_archive(archive: Path, domains: tuple[str, ...], runs: int) -> None:
    """Import one real archive ``runs`` times in fresh processes; print medians."""
    size = archive.stat().st_size
    print(
        f"scale: {archive.name}, {size / 1e6:,.1f} MB on disk; machine: {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}; one process per import"
    )
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
        results = [run_child(archive, Path(tmp) / "out", domains) for _ in range(runs)]
    first = results[0]
    all_runs = ", ".join(f"{r['seconds']:.1f}" for r in results)
    seconds = statistics.median(r["seconds"] for r in results)
    cpu = statistics.median(r["cpu"] for r in results)
    print(
        f"runs={runs}  median {seconds:.1f} s in convert_archive "
        f"({statistics.median(r['wall'] for r in results):.1f} s with imports)  "
        f"{first['messages'] / seconds:,.0f} messages/s  {first['messages'] / cpu:,.0f} messages per CPU-second  "
        f"peak RSS max {max(r['peak_rss_mb'] for r in results):,.0f} MB  "
        f"({first['messages']:,} messages, unique {first['unique']:,}, replies {first['replies']:,}; "
        f"all runs: {all_runs} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=50_000, help="messages in the synthetic archive")
    parser.add_argument("--runs", type=int, default=3, help="imports per layout (median reported)")
    parser.add_argument("--archive", type=Path, help="a real archive to import instead of the synthetic ones")
    parser.add_argument("--internal-domain", action="append", default=[], help="our domain (repeatable)")
    args = parser.parse_args()
    if args.archive is not None:
        bench_archive(args.archive, tuple(args.internal_domain) or ("example.org",), args.runs)
        return

    with tempfile.TemporaryDirectory(prefix="bench-mail-") as tmp:
        where = Path(tmp)
        started = time.perf_counter()
        maildir, mbox, size = build_archives(args.messages, where)
        print(
            f"scale: {args.messages:,} messages, {size / 1e6:,.0f} MB (replicas of notmuch lkml+default, 263 files); "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        print(
            f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}; "
            "one process per import (the importer is single-threaded)"
        )
        for label, archive in (("maildir", maildir), ("mbox", mbox)):
            runs = [run_child(archive, where / "out") for _ in range(args.runs)]
            first = runs[0]
            all_runs = ", ".join(f"{r['seconds']:.1f}" for r in runs)
            seconds = statistics.median(r["seconds"] for r in runs)
            wall = statistics.median(r["wall"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            print(
                f"{label:8s} runs={args.runs}  median {seconds:6.1f} s in convert_archive ({wall:.1f} s with imports)  "
                f"{first['messages'] / seconds:8,.0f} messages/s  {size / 1e6 / seconds:5.1f} MB/s  "
                f"{first['messages'] / cpu:8,.0f} messages per CPU-second  "
                f"peak RSS max {max(r['peak_rss_mb'] for r in runs):,.0f} MB  "
                f"(unique {first['unique']:,}, duplicates {first['duplicates']:,}, replies {first['replies']:,}; "
                f"all runs: {all_runs} s)"
            )
    ours, default = compare_parsers()
    print(
        f"parse one message: importer route {ours:.2f} ms, email.policy.default route {default:.2f} ms "
        f"({default / ours:.1f}x slower)"
    )


if __name__ == "__main__":
    main()
