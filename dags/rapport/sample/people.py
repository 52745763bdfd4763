"""Vectorised names, e-mail addresses and phone numbers for English- and Chinese-speaking people."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np  # noqa: TID253  (generator-only module, imported lazily by rapport.sample.generate)
import pyarrow as pa
import pyarrow.compute as pc

from rapport.sample import names
from rapport.sample.arrays import digits, take


@dataclass(frozen=True)
class Names:
    """Per-person name parts. ``address`` is how an e-mail greets them (first name, or full Chinese name)."""

    first: pa.StringArray
    last: pa.StringArray
    full: pa.StringArray
    address: pa.StringArray
    local_part: pa.StringArray  # e-mail local part, ASCII, lower case


def _pairs(values: tuple[tuple[str, str], ...]) -> tuple[pa.StringArray, pa.StringArray]:
    return pa.array([v[0] for v in values]), pa.array([v[1] for v in values])


def person_names(rng: np.random.Generator, lang: np.ndarray) -> Names:
    """Random names; ``lang`` 0 gives English names, 1 Chinese names (with pinyin e-mail local parts)."""
    n = len(lang)
    zh = pa.array(np.asarray(lang) == 1)
    first_en = take(pa.array(names.FIRST_NAMES_EN), rng.integers(0, len(names.FIRST_NAMES_EN), n))
    last_en = take(pa.array(names.LAST_NAMES_EN), rng.integers(0, len(names.LAST_NAMES_EN), n))
    surname_hz, surname_py = _pairs(names.SURNAMES_ZH)
    given_hz, given_py = _pairs(names.GIVEN_NAMES_ZH)
    s = rng.integers(0, len(names.SURNAMES_ZH), n)
    g = rng.integers(0, len(names.GIVEN_NAMES_ZH), n)
    first_zh, last_zh = take(given_hz, g), take(surname_hz, s)
    local_zh = pc.binary_join_element_wise(take(given_py, g), take(surname_py, s), ".")
    local_en = pc.replace_substring_regex(
        pc.utf8_lower(pc.binary_join_element_wise(first_en, last_en, ".")), "[^a-z0-9.]", ""
    )
    full_en = pc.binary_join_element_wise(first_en, last_en, " ")
    full_zh = pc.binary_join_element_wise(last_zh, first_zh, "")
    return Names(
        first=pc.if_else(zh, first_zh, first_en),
        last=pc.if_else(zh, last_zh, last_en),
        full=pc.if_else(zh, full_zh, full_en),
        address=pc.if_else(zh, full_zh, first_en),
        local_part=pc.if_else(zh, local_zh, local_en),
    )


def occurrence(values: pa.Array) -> np.ndarray:
    """For each value, how many equal values came before it (0 for the first occurrence)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    codes = np.asarray(pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.concatenate(([0], np.flatnonzero(np.diff(sorted_codes)) + 1))
    counts = np.diff(np.concatenate((starts, [len(order)])))
    within = np.arange(len(order)) - np.repeat(starts, counts)
    result = np.empty(len(order), dtype=np.int64)
    result[order] = within
    return result


def make_unique(values: pa.Array, separator: str = "") -> pa.StringArray:
    """Append ``<separator><k+1>`` to the k-th repeat of a value (k >= 1), so every value is unique."""
    seen = occurrence(values)
    suffix = pc.binary_join_element_wise(
        pa.array([separator] * len(values)), pa.array(seen + 1).cast(pa.string()), ""
    )
    return pc.if_else(pa.array(seen > 0), pc.binary_join_element_wise(values, suffix, ""), values)


def emails(local_part: pa.Array, domain: pa.Array) -> pa.StringArray:
    """``local@domain``, made unique by numbering repeats of the local part within a domain."""
    address = pc.binary_join_element_wise(local_part, domain, "@")
    seen = occurrence(address)
    numbered = pc.binary_join_element_wise(
        pc.binary_join_element_wise(local_part, pa.array(seen + 1).cast(pa.string()), ""), domain, "@"
    )
    return pc.if_else(pa.array(seen > 0), numbered, address)


_COUNTRY_PREFIX = {
    "United States": "+1",
    "Canada": "+1",
    "China": "+86",
    "Taiwan": "+886",
    "Hong Kong SAR": "+852",
    "United Kingdom": "+44",
    "Germany": "+49",
    "Netherlands": "+31",
    "Sweden": "+46",
    "Denmark": "+45",
    "Australia": "+61",
    "Japan": "+81",
    "Singapore": "+65",
    "India": "+91",
    "France": "+33",
    "Spain": "+34",
    "Italy": "+39",
    "Portugal": "+351",
    "Switzerland": "+41",
    "Brazil": "+55",
    "Mexico": "+52",
    "Chile": "+56",
    "Colombia": "+57",
    "Austria": "+43",
    "Poland": "+48",
    "Czechia": "+420",
}


def phones(rng: np.random.Generator, country: pa.Array) -> pa.StringArray:
    """Phone numbers like ``+1 425 555 0101`` with the country's calling code."""
    n = len(country)
    prefixes = pa.array(sorted(_COUNTRY_PREFIX))
    codes = pa.array([_COUNTRY_PREFIX[c] for c in prefixes.to_pylist()])
    index = pc.index_in(country, value_set=prefixes)
    prefix = pc.fill_null(pc.take(codes, index), "+1")
    parts = [prefix, digits(rng, n, 3), pa.array(["555"] * n), digits(rng, n, 4)]
    return pc.binary_join_element_wise(*parts, " ")
