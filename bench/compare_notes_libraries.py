"""Re-check maintained libraries against Rapport's own notes code on the labelled DEV notes only
(``dev`` and ``dev2``; the test splits are not read): dateparser for date-times, phonenumbers for
phone numbers, email-validator for e-mail addresses. Prints accuracy and time per note.

The three libraries are not project dependencies; install them in a separate environment and put
its site-packages on the path, e.g.::

    python3 -m uv venv /tmp/libs --python 3.11
    python3 -m uv pip install --python /tmp/libs/bin/python dateparser phonenumbers email-validator
    PYTHONPATH=/tmp/libs/lib/python3.11/site-packages .venv/bin/python bench/compare_notes_libraries.py
"""

from __future__ import annotations

import sys
import time
import warnings
from datetime import datetime
from typing import Any

DEV_SPLITS = ("dev", "dev2")


def _dev_notes() -> list[Any]:
    from rapport.ml.notes.evaluation import default_eval_files, load_eval_set, second_eval_files

    files = [*default_eval_files().items(), *second_eval_files().items()]
    return [(code, note) for code, path in files for note in load_eval_set(path) if note.split in DEV_SPLITS]


def compare_dates(notes: list[Any]) -> None:
    import dateparser.search  # type: ignore[import-untyped, unused-ignore]

    from rapport.ml.notes.analyzer import analyze

    rows = [
        (code, note, gold[key])
        for code, note in notes
        for gold in note.gold
        for key in ("start", "due")
        if key in gold
    ]
    for code in ("en", "zh"):
        mine = theirs = same_day = total = 0
        spent = 0.0
        for row_code, note, expected in rows:
            if row_code != code:
                continue
            total += 1
            want = datetime.fromisoformat(expected)
            found = analyze(note.text, note.created_on)
            mine += any(want == _naive(s.fields.get("start") or s.fields.get("due")) for s in found)
            settings = {"RELATIVE_BASE": note.created_on, "PREFER_DATES_FROM": "future"}
            began = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hits = dateparser.search.search_dates(note.text, languages=[code], settings=settings) or []
            spent += time.perf_counter() - began
            theirs += any(hit[1].replace(tzinfo=None) == want for hit in hits)
            same_day += any(hit[1].date() == want.date() for hit in hits)
        print(
            f"dates {code}: {total} dated gold suggestions; Rapport resolver exact {mine}/{total}, "
            f"dateparser.search_dates exact {theirs}/{total}, right day {same_day}/{total} "
            f"({1000 * spent / max(total, 1):.2f} ms per note)"
        )


def compare_phones(notes: list[Any]) -> None:
    import phonenumbers

    from rapport.ml.notes import contacts

    gold_phones = [(code, note, g["phone"]) for code, note in notes for g in note.gold if "phone" in g]
    mine = theirs = 0
    for code, note, phone in gold_phones:
        want = _digits(phone)
        mine += any(_digits(f.value) == want for f in contacts.phones(note.text))
        region = "CN" if code == "zh" else "US"
        theirs += any(
            _digits(m.raw_string) == want for m in phonenumbers.PhoneNumberMatcher(note.text, region)
        )
    without = [(code, note) for code, note in notes if not any("phone" in g for g in note.gold)]
    my_false = sum(bool(contacts.phones(note.text)) for _, note in without)
    their_false = 0
    began = time.perf_counter()
    for code, note in without:
        region = "CN" if code == "zh" else "US"
        their_false += any(True for _ in phonenumbers.PhoneNumberMatcher(note.text, region))
    per_note = 1000 * (time.perf_counter() - began) / max(len(without), 1)
    print(
        f"phones: {len(gold_phones)} gold phone numbers; Rapport regex found {mine}, "
        f"phonenumbers.PhoneNumberMatcher found {theirs}; notes without a phone given a number: "
        f"regex {my_false}/{len(without)}, phonenumbers {their_false}/{len(without)} ({per_note:.2f} ms per note)"
    )


def compare_emails(notes: list[Any]) -> None:
    from email_validator import EmailNotValidError, validate_email

    from rapport.ml.notes import contacts

    gold = [g["email"].lower() for _, note in notes for g in note.gold if "email" in g]
    found = [f.value for _, note in notes for f in contacts.emails(note.text)]
    valid = 0
    for address in found:
        try:
            validate_email(address, check_deliverability=False)
            valid += 1
        except EmailNotValidError:
            pass
    recovered = sum(1 for address in gold if address in {f.lower() for f in found})
    print(
        f"e-mails: {len(gold)} gold addresses, regex extracted {recovered}; of {len(found)} extracted, "
        f"email-validator accepts {valid} (it validates, it does not find addresses in text)"
    )


def _naive(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value).replace(tzinfo=None)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def main() -> int:
    notes = _dev_notes()
    print(f"{len(notes)} dev/dev2 notes")
    compare_dates(notes)
    compare_phones(notes)
    compare_emails(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
