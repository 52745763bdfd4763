"""Text helpers that keep character offsets: width folding, sentence and script detection."""

from __future__ import annotations

import re
from functools import lru_cache

# Full-width ASCII (U+FF01..U+FF5E) -> ASCII, ideographic space -> space. One character maps to one
# character, so every offset in the folded text is an offset in the original note.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
# Traditional forms that matter to the Chinese patterns, folded to simplified (again one to one).
_FOLD.update(
    {
        ord(a): ord(b)
        for a, b in zip(
            "點時週禮開會議見訪號電話後與還沒個兩這約晚飯"
            "戶邊記帶聯繫採購經視頻報價單資發給問題裡寫從們對說請讓轉過進間決應該帳務總監銷協實驗證護變類達預計劃現場將嗎麼樣當準備處較環關優產廠錯誤結長門業談訊態裝幾體續簽賬頭貨員節無條",
            "点时周礼开会议见访号电话后与还没个两这约晚饭"
            "户边记带联系采购经视频报价单资发给问题里写从们对说请让转过进间决应该帐务总监销协实验证护变类达预计划现场将吗么样当准备处较环关优产厂错误结长门业谈讯态装几体续签账头货员节无条",
            strict=True,
        )
    }
)


def fold(text: str) -> str:
    """Fold full-width letters, digits and punctuation to ASCII (and a few traditional characters
    to simplified), keeping the length: ``"１０：３０"`` -> ``"10:30"``."""
    return text.translate(_FOLD)


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")

# Sentence ends: . ! ? (not inside numbers or after common abbreviations), Chinese 。！？, line breaks.
_ABBREVIATIONS = (
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "vs",
    "no",
    "inc",
    "ltd",
    "co",
    "jr",
    "sr",
    "approx",
    "tel",
    "e.g",
    "i.e",
    "etc",
)
_SENTENCE_END = re.compile(r"[。！？!?]+|\n+|\.(?=\s|$)")


def sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (trailing punctuation included, blanks skipped)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() == ".":
            word = re.search(r"([A-Za-z.]+)$", text[start : match.start()])
            if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
                continue
        end = match.end()
        _append(spans, text, start, end)
        start = end
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


@lru_cache(maxsize=8192)
def script_counts(text: str) -> tuple[int, int]:
    """``(han_characters, latin_words)`` in ``text``."""
    return len(_HAN.findall(text)), len(_LATIN_WORD.findall(text))


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


# Header lines of a forwarded or quoted e-mail ("From: …", "> 发件人：…", "---------- Forwarded message
# ---------", "转发邮件"): they name the mail, they are not the seller's notes.
_MAIL_HEADER = re.compile(
    r"^[ \t>]*(?:(?:from|to|cc|bcc|sent|date|subject|reply-to|发件人|收件人|抄送|主题|发送时间|日期)[ \t]*[:：].*"
    r"|-*[ \t]*(?:forwarded message|original message|fwd?:|转发邮件|转发[:：]?|原始邮件)[ \t]*-*)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def blank_mail_headers(text: str) -> str:
    """``text`` with forwarded e-mail header lines blanked by spaces (same length, offsets kept)."""
    if "\n" not in text:
        return text
    return _MAIL_HEADER.sub(lambda m: " " * len(m.group()), text)
