"""Finding messages in an archive: maildir trees, mbox files, ``.eml`` files, or a mix of them.

Each file's kind is detected from its content, not its name: a file whose first line starts with
``From `` is an mbox (split into messages at ``From `` lines that follow a blank line), any other file
is one message (maildir entry or ``.eml``). gzip, bzip2 and xz files are decompressed on the fly.
Files that mail programs keep beside the mail (maildir ``tmp/`` folders, dovecot indexes, Thunderbird
``.msf`` summaries, notmuch databases) are skipped and counted as skipped.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, cast

from rapport.extract.mail.parsing import EARLIEST_PLAUSIBLE, header_block, parse_date

# Folders that hold no mail (databases and version control of mail tools).
SKIPPED_DIRS = frozenset({".notmuch", ".git", ".svn", ".hg", "__MACOSX"})
# Exact file names that are mail-program metadata, not mail.
SKIPPED_FILES = frozenset(
    {
        "maildirfolder",
        "dovecot-uidlist",
        "dovecot-keywords",
        "dovecot-uidvalidity",
        "subscriptions",
        ".uidvalidity",
        ".mh_sequences",
        ".DS_Store",
        "Thumbs.db",
        "courierimapuiddb",
        "courierimapkeywords",
        "courierimapacl",
    }
)
SKIPPED_PREFIXES = ("dovecot.index", "dovecot-uidvalidity.", ".mbsyncstate", "courierimap")
SKIPPED_SUFFIXES = (".msf", ".lock")

_FROM_LINE = re.compile(
    rb"^From \S+.*\d{1,2}:\d{2}"
)  # From_ line with a date: "From a@b Tue Nov 17 11:00:54 2009"
_BARE_FROM_LINE = re.compile(rb"^From \S+")
_ESCAPED_FROM = re.compile(rb"^>(>*From )")
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))


@dataclass(frozen=True)
class ArchiveFiles:
    """The files of an archive to read, in a fixed order, and what was skipped."""

    root: Path
    files: tuple[Path, ...]
    skipped: tuple[Path, ...]
    total_bytes: int

    def relative(self, path: Path) -> str:
        """``path`` relative to the archive root (the file name itself for a single-file archive)."""
        if self.root.is_file():
            return path.name
        return path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class RawMessage:
    """One message's bytes and where it came from (``index`` counts messages inside an mbox)."""

    data: bytes
    path: Path
    label: str
    index: int | None = None
    kind: str = "message"  # message | mbox


def _skip_file(name: str) -> bool:
    return name in SKIPPED_FILES or name.startswith(SKIPPED_PREFIXES) or name.endswith(SKIPPED_SUFFIXES)


def discover(root: Path) -> ArchiveFiles:
    """Every candidate mail file under ``root`` (or ``root`` itself), sorted by relative path."""
    root = Path(root)
    if root.is_file():
        return ArchiveFiles(root, (root,), (), root.stat().st_size)
    files: list[Path] = []
    skipped: list[Path] = []
    for directory, subdirs, names in os.walk(root, followlinks=False):
        here = Path(directory)
        is_maildir = {"cur", "new"} & set(subdirs)
        kept = []
        for sub in sorted(subdirs):
            if sub in SKIPPED_DIRS or (is_maildir and sub == "tmp"):
                skipped.extend(p for p in (here / sub).rglob("*") if p.is_file())
            else:
                kept.append(sub)
        subdirs[:] = kept
        for name in sorted(names):
            path = here / name
            if _skip_file(name) or not path.is_file():
                skipped.append(path)
            else:
                files.append(path)
    files.sort(key=lambda p: p.relative_to(root).as_posix())
    total = sum(p.stat().st_size for p in files)
    return ArchiveFiles(root, tuple(files), tuple(sorted(skipped)), total)


def _open(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing gzip, bzip2 and xz transparently."""
    with path.open("rb") as probe:
        head = probe.read(6)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "gzip":
                return cast(IO[bytes], gzip.open(path, "rb"))
            if kind == "bzip2":
                return cast(IO[bytes], bz2.open(path, "rb"))
            return cast(IO[bytes], lzma.open(path, "rb"))
    return path.open("rb")


def _split_mbox(handle: IO[bytes], first_line: bytes) -> Iterator[tuple[int, bytes]]:
    """Messages of an mbox: a new one starts at a ``From `` line after a blank line (mboxo/mboxrd).

    When the file's first From_ line carries a time of day, later ones must too (so that an unescaped
    "From here on..." paragraph in a body does not split a message). ``>From `` lines are unescaped by
    one ``>`` (mboxrd); Content-Length headers are not trusted.
    """
    separator = _FROM_LINE if _FROM_LINE.match(first_line) else _BARE_FROM_LINE
    index = 0
    lines: list[bytes] = []
    previous_blank = True
    for line in handle:
        if previous_blank and line.startswith(b"From ") and separator.match(line):
            if lines:
                yield index, _finish(lines)
                index += 1
            lines = []
            previous_blank = False
            continue
        if line.startswith(b">"):
            line = _ESCAPED_FROM.sub(rb"\1", line)
        lines.append(line)
        previous_blank = not line.strip()
    if lines:
        yield index, _finish(lines)


def _finish(lines: list[bytes]) -> bytes:
    if lines and not lines[-1].strip():
        lines = lines[:-1]  # the blank separator line before the next From_ line
    return b"".join(lines)


def read_messages(path: Path, label: str) -> Iterator[RawMessage]:
    """The messages in one file: one for a plain message file, each message of an mbox.

    Raises OSError (and the decompressors' errors) when the file cannot be read; the importer turns
    that into a quarantine row.
    """
    with _open(path) as handle:
        first = handle.readline()
        start = first.lstrip(b"\xef\xbb\xbf")
        if _BARE_FROM_LINE.match(start):
            for index, data in _split_mbox(handle, start):
                yield RawMessage(data, path, f"{label}#{index}", index, "mbox")
            return
        data = first + handle.read()
    yield RawMessage(data.lstrip(b"\xef\xbb\xbf"), path, label)


_DATE_HEADER = re.compile(rb"^date[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def last_message_date(root: Path) -> date | None:
    """The latest Date (UTC day) of the archive's messages, read from the headers alone; None if none.

    Dates in the future (a broken clock) and before 1971 are ignored. Streams the archive once (an
    xz-compressed mbox is decompressed on the fly).
    """
    if not Path(root).exists():
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    latest: datetime | None = None
    archive = discover(Path(root))
    for path in archive.files:
        try:
            for raw in read_messages(path, archive.relative(path)):
                match = _DATE_HEADER.search(header_block(raw.data))
                when = parse_date(match.group(1).decode("latin-1")) if match else None
                if (
                    when is not None
                    and EARLIEST_PLAUSIBLE <= when <= now
                    and (latest is None or when > latest)
                ):
                    latest = when
        except Exception:  # an unreadable file is the importer's to quarantine, not a reason to stop here
            continue
    return latest.date() if latest else None
