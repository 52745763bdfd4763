"""Text decoding for e-mail: charsets, RFC 2047 encoded words, bodies and HTML.

Mail in the wild declares charsets that Python does not know (``x-unknown``, ``unknown-8bit``), declares
the wrong one (UTF-8 bytes labelled ``us-ascii`` or ``iso-8859-1``) or carries raw 8-bit bytes in
headers. Every function here returns text and never raises on bad input: it tries the declared charset,
then UTF-8, then the hints (other charsets declared in the same message), then Windows-1252, and as a
last resort Latin-1 (which maps every byte).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from collections.abc import Iterable, Sequence
from email.message import Message
from html import unescape
from html.parser import HTMLParser
from typing import Any

# Labels seen in real mail mapped to the Python codec that decodes them best. GB2312 and GBK mail is
# decoded as GB18030 (a superset); Latin-1 as Windows-1252 (what mail clients actually write, as in the
# WHATWG encoding standard); labels that name no charset at all map to None (= unknown).
CHARSET_ALIASES: dict[str, str | None] = {
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "ascii": "ascii",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "big5": "big5hkscs",
    "x-mac-roman": "mac_roman",
    "unknown-8bit": None,
    "x-unknown": None,
    "unknown": None,
    "x-user-defined": None,
    "default": None,
    "charset": None,
}

# Single-byte labels under which valid non-ASCII UTF-8 is almost certainly mislabelled UTF-8.
_SINGLE_BYTE = frozenset({"ascii", "cp1252", "latin-1", "iso8859-1", "iso8859-15"})

_SURROGATES = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]*")
_SPACES = re.compile(r"[ \t\u00a0]+")


def codec_for(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None if the label is unknown or meaningless."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower().split("*", 1)[0]  # RFC 2231: charset*language
    if cleaned in CHARSET_ALIASES:
        return CHARSET_ALIASES[cleaned]
    try:
        return codecs.lookup(cleaned).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None, hints: Iterable[str | None] = ()) -> str:
    """Decode ``data`` whose charset label is ``declared``; never raises.

    Order: the declared charset (strictly), UTF-8, the hint charsets, Windows-1252, then the declared
    charset with replacement characters, then Latin-1. Bytes labelled with a single-byte charset but
    forming valid non-ASCII UTF-8 are decoded as UTF-8 (mislabelled UTF-8 is common; the reverse
    accident is practically impossible).
    """
    if not data:
        return ""
    codec = codec_for(declared)
    if data.isascii():
        return data.decode("ascii")
    candidates: list[str] = []
    if codec in _SINGLE_BYTE:
        candidates.append("utf-8")
    if codec:
        candidates.append(codec)
    candidates.append("utf-8")
    candidates.extend(c for c in (codec_for(hint) for hint in hints) if c)
    candidates.append("cp1252")
    for candidate in dict.fromkeys(candidates):
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    if codec:
        try:
            return data.decode(codec, errors="replace")
        except LookupError:
            pass
    return data.decode("latin-1")


def repair_text(text: str, hints: Iterable[str | None] = ()) -> str:
    """Re-decode raw 8-bit bytes that the parser kept as surrogate escapes (``\\udcXX``)."""
    if not _SURROGATES.search(text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"), None, hints)


def _decode_word(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "Bb":
            padded = payload + "=" * (-len(payload) % 4)
            return base64.b64decode(padded.encode("ascii"), validate=False)
        return quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=False)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None


def decode_header_text(value: str | None, hints: Sequence[str | None] = ()) -> str:
    """Decode an unstructured header value: unfold, RFC 2047 encoded words, raw 8-bit bytes.

    Adjacent encoded words in the same charset are joined before decoding (a multi-byte character may be
    split between them) and the white space between encoded words is dropped, as RFC 2047 says.
    """
    if not value:
        return ""
    value = _FOLD.sub(" ", value)
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0
    previous_was_word = False

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            pieces.append(decode_bytes(b"".join(pending), pending_charset, hints))
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        data = _decode_word(match.group(2), match.group(3))
        if data is None:  # not decodable: keep the word as it is
            flush()
            pieces.append(repair_text(gap + match.group(0), hints))
            position, previous_was_word = match.end(), False
            continue
        charset = match.group(1)
        if not (previous_was_word and not gap.strip()):
            flush()
            pieces.append(repair_text(gap, hints))
        elif pending and (codec_for(charset) != codec_for(pending_charset)):
            flush()
        pending.append(data)
        pending_charset = charset
        position, previous_was_word = match.end(), True
    flush()
    pieces.append(repair_text(value[position:], hints))
    return _SPACES.sub(" ", "".join(pieces)).strip()


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML document, with line breaks at block elements."""

    _BLOCK = frozenset(
        [
            "address",
            "article",
            "aside",
            "blockquote",
            "br",
            "dd",
            "div",
            "dl",
            "dt",
            "footer",
            "form",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "header",
            "hr",
            "li",
            "main",
            "nav",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "tbody",
            "td",
            "th",
            "thead",
            "tr",
            "ul",
        ]
    )
    _SKIP = frozenset({"script", "style", "head", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: scripts and styles dropped, blocks on their own lines."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # html.parser is lenient, but never let a body stop the import
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
    return disposition == "attachment"


def _best_text_part(message: Message) -> Message | None:
    """The part holding the message's text: the first text/plain part, else the first text/html part.

    Parts marked ``Content-Disposition: attachment`` are skipped.
    """
    plain = html = None
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = part
        elif kind == "text/html" and html is None:
            html = part
    return plain or html


def message_charsets(message: Message) -> tuple[str, ...]:
    """Every charset declared in the message (hints for decoding headers and mislabelled parts)."""
    found: list[str] = []
    try:
        for charset in message.get_charsets():
            if charset and charset not in found:
                found.append(charset)
    except Exception:
        pass
    return tuple(found)


def extract_body(message: Message, hints: Sequence[str | None] = ()) -> str:
    """The message's text body (text/plain, else HTML converted to text); empty if it has none.

    Line ends become ``\n``; NUL characters, leading blank lines and trailing white space are dropped.
    """
    part = _best_text_part(message)
    if part is None:
        return ""
    payload: Any
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        if not isinstance(raw, str):
            return ""
        payload = raw.encode("utf-8", "surrogateescape")
    try:
        declared = part.get_content_charset()
    except Exception:
        declared = None
    text = decode_bytes(payload, declared, hints)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").replace("\x00", "").strip("\n").rstrip()
