"""The warehouse batch: enrich.note_suggestions from raw notes and activity descriptions."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from rapport.config import NotesConfig
from rapport.ml.notes.pipeline import analyze_notes

CONFIG = NotesConfig(timezone="UTC", sources=("annotation", "email", "phonecall", "appointment", "task"))
RUN_AT = datetime(2026, 5, 7, 1, 0)


def note(
    annotationid: str, text: str, created: str, modified: str | None = None, objectid: str = "acc-1"
) -> dict[str, Any]:
    return {
        "annotationid": annotationid,
        "objectid": objectid,
        "objecttypecode": "account",
        "notetext": text,
        "ownerid": "user-1",
        "createdon": created,
        "modifiedon": modified or created,
    }


def activity(
    activityid: str, text: str, created: str, regarding: str = "opp-1", **extra: Any
) -> dict[str, Any]:
    return {
        "activityid": activityid,
        "description": text,
        "regardingobjectid": regarding,
        "regardingobjecttypecode": "opportunity",
        "statecode": 0,
        "ownerid": "user-1",
        "createdon": created,
        "modifiedon": created,
        **extra,
    }


def table(connection: Any) -> list[tuple[Any, ...]]:
    return connection.execute(
        """
        SELECT source_table, source_id, suggestion_index, regarding_id, regarding_type, suggestion_type,
               span_start, span_end, matched_text, CAST(fields AS VARCHAR), confidence, language, ds
        FROM enrich.note_suggestions ORDER BY ALL
        """
    ).fetchall()


def test_notes_and_activities_become_suggestions(warehouse: Any, rows: Any) -> None:
    rows(warehouse, "annotation", [
        note("n1", "Call Priya tomorrow at 10am. Customer complained about the invoices.", "2026-05-06 15:20:00"),
        note("n2", "下周二上午10点给采购部门做产品演示。", "2026-05-06 07:20:00", objectid="lead-9"),
        note("n3", "Nothing new, still negotiating.", "2026-05-06 08:00:00"),
    ])  # fmt: skip
    rows(
        warehouse,
        "email",
        [
            activity(
                "e1", "<p>Please send the brochure by Friday.</p>", "2026-05-06 10:00:00", directioncode=False
            )
        ],
    )
    rows(
        warehouse,
        "task",
        [activity("t1", "Prepare the renewal quote by end of month.", "2026-05-06 10:00:00")],
    )

    summary = analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG)

    assert summary.rows_read == {"annotation": 3, "email": 1, "phonecall": 0, "appointment": 0, "task": 1}
    assert summary.suggestions_written == 5 and summary.rows_with_suggestions == 4
    assert summary.by_type == {"phone_call": 1, "issue": 1, "appointment": 1, "content_request": 1, "task": 1}
    result = table(warehouse)
    by_key = {(r[0], r[1], r[2]): r for r in result}
    call = by_key[("annotation", "n1", 0)]
    assert call[3:6] == ("acc-1", "account", "phone_call")
    assert json.loads(call[9])["start"] == "2026-05-07T10:00:00+00:00"
    assert "Call Priya tomorrow at 10am".startswith(call[8].rstrip("."))  # span text is the note's own words
    text = "Call Priya tomorrow at 10am. Customer complained about the invoices."
    issue = by_key[("annotation", "n1", 1)]
    assert text[issue[6] : issue[7]] == issue[8] == "Customer complained about the invoices"
    demo = by_key[("annotation", "n2", 0)]
    assert (demo[3], demo[5], demo[11]) == ("lead-9", "appointment", "zh")
    email = by_key[("email", "e1", 0)]
    assert (email[3], email[4], email[5]) == ("opp-1", "opportunity", "content_request")
    assert json.loads(email[9])["due"] == "2026-05-08T17:00:00+00:00"
    assert json.loads(by_key[("task", "t1", 0)][9])["due"] == "2026-05-31T17:00:00+00:00"


def test_email_bodies_are_left_out_by_default_and_switching_a_source_off_removes_its_rows(
    warehouse: Any, rows: Any
) -> None:
    rows(warehouse, "annotation", [note("n1", "Call Priya tomorrow at 10am.", "2026-05-06 15:20:00")])
    rows(
        warehouse,
        "email",
        [activity("e1", "Please send the brochure by Friday.", "2026-05-06 10:00:00", directioncode=False)],
    )
    everything = analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG)
    assert everything.rows_read["email"] == 1
    assert {row[0] for row in table(warehouse)} == {"annotation", "email"}

    default = NotesConfig(timezone="UTC")
    assert "email" not in default.sources
    summary = analyze_notes(warehouse, date(2026, 5, 8), RUN_AT, notes_config=default)
    assert "email" not in summary.rows_read
    assert summary.suggestions_replaced == 1
    assert {row[0] for row in table(warehouse)} == {"annotation"}


def test_running_twice_gives_the_same_rows(warehouse: Any, rows: Any) -> None:
    rows(warehouse, "annotation", [note("n1", "Call Priya tomorrow at 10am.", "2026-05-06 15:20:00")])
    analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG)
    first = table(warehouse)
    again = analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG)
    assert again.notes_analysed == 0  # nothing changed since the watermark
    assert table(warehouse) == first
    full = analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG, full=True)
    assert full.notes_analysed == 1 and full.suggestions_replaced == 1
    assert table(warehouse) == first


def test_changed_note_replaces_its_rows_and_vanished_notes_lose_theirs(warehouse: Any, rows: Any) -> None:
    rows(warehouse, "annotation", [
        note("n1", "Call Priya tomorrow at 10am. Send her the case study.", "2026-05-06 15:20:00"),
        note("n2", "Lunch with Sarah Friday.", "2026-05-06 15:20:00"),
        note("n3", "Demo for the IT team next Tuesday at 10am.", "2026-05-06 15:20:00"),
    ])  # fmt: skip
    analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG)
    assert [(r[1], r[5]) for r in table(warehouse)] == [
        ("n1", "phone_call"), ("n1", "content_request"), ("n2", "appointment"), ("n3", "appointment"),
    ]  # fmt: skip

    warehouse.execute(
        "UPDATE raw.annotation SET notetext = 'Spoke with Priya, all sorted.', modifiedon = '2026-05-07 09:00:00' WHERE annotationid = 'n1'"
    )
    warehouse.execute(
        "UPDATE raw.annotation SET notetext = 'Dinner with Sarah on Friday at 8pm.', modifiedon = '2026-05-07 09:00:00' WHERE annotationid = 'n2'"
    )
    warehouse.execute("DELETE FROM raw.annotation WHERE annotationid = 'n3'")
    summary = analyze_notes(warehouse, date(2026, 5, 8), datetime(2026, 5, 8, 1, 0), notes_config=CONFIG)

    assert summary.rows_read["annotation"] == 2
    assert summary.suggestions_replaced == 4  # n1's two rows, n2's row, vanished n3's row
    result = table(warehouse)
    assert [(r[1], r[5]) for r in result] == [("n2", "appointment")]
    assert json.loads(result[0][9])["start"] == "2026-05-08T20:00:00+00:00"
    assert result[0][12] == date(2026, 5, 8)


def test_notes_are_read_in_the_sellers_time_zone(warehouse: Any, rows: Any) -> None:
    # 23:30 UTC on 6 May is 07:30 on 7 May in Shanghai: "明天" is 8 May there.
    rows(warehouse, "annotation", [note("n1", "明天上午10点给王总打电话。", "2026-05-06 23:30:00")])
    analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=NotesConfig(timezone="Asia/Shanghai"))
    (row,) = table(warehouse)
    assert json.loads(row[9])["start"] == "2026-05-08T10:00:00+08:00"


def test_missing_raw_tables_are_skipped(tmp_path: Any) -> None:
    from rapport.warehouse import connect

    with connect(tmp_path / "empty.duckdb") as connection:
        summary = analyze_notes(connection, date(2026, 5, 7), RUN_AT, notes_config=CONFIG)
        assert summary.notes_analysed == 0
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'enrich' ORDER BY 1"
        ).fetchall()
        assert [t[0] for t in tables] == [
            "note_analysis_watermarks",
            "note_suggestions",
            "note_text_hashes",
            "talking_point_mentions",
            "talking_point_watermarks",
        ]


def test_parallel_workers_and_repeated_texts_give_the_same_rows_as_one_process(
    warehouse: Any, rows: Any, monkeypatch: Any
) -> None:
    import dataclasses

    from rapport.ml.notes import pipeline

    texts = [
        "Meet Sarah on Friday at 11 and then call Tom on Monday.",
        "客户要我们的最新价目表。",
        "Nothing to follow up on.",
        "Their champion is leaving the company.",
    ]
    notes = [note(f"n{i}", texts[i % len(texts)], f"2026-05-0{1 + i % 6} 09:00:00") for i in range(40)]
    rows(warehouse, "annotation", notes)
    one = dataclasses.replace(CONFIG, workers=1)
    analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=one, full=True)
    serial = table(warehouse)
    monkeypatch.setattr(pipeline, "_PARALLEL_MIN", 1)
    monkeypatch.setattr(pipeline, "_CHUNK", 3)
    monkeypatch.setattr(pipeline, "_BATCH", 7)  # six batches: one written while the next is analysed
    summary = analyze_notes(
        warehouse, date(2026, 5, 7), RUN_AT, notes_config=dataclasses.replace(CONFIG, workers=2), full=True
    )
    assert summary.rows_read["annotation"] == 40
    assert table(warehouse) == serial and len(serial) == 10 * 4  # 2 + 1 + 0 + 1 per block of four


def test_confidence_threshold_drops_suggestions_below_it(warehouse: Any, rows: Any) -> None:
    import dataclasses

    rows(
        warehouse,
        "annotation",
        [note("n1", "Call Priya tomorrow at 10am. Todo: update the CRM.", "2026-05-06 15:20:00")],
    )
    kept = analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG, full=True)
    confidences = sorted(row[10] for row in table(warehouse))
    assert kept.suggestions_written == 2 and confidences[0] < confidences[1]
    strict = dataclasses.replace(CONFIG, min_confidence=confidences[1])
    analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=strict, full=True)
    assert [row[10] for row in table(warehouse)] == [confidences[1]]


def test_a_re_modified_row_with_the_same_text_keeps_its_suggestions_without_analysis(
    warehouse: Any, rows: Any
) -> None:
    rows(warehouse, "annotation", [
        note("n1", "Call Priya tomorrow at 10am.", "2026-05-06 15:20:00"),
        note("n2", "Send the price list by Friday.", "2026-05-06 15:20:00"),
    ])  # fmt: skip
    first = analyze_notes(warehouse, date(2026, 5, 7), RUN_AT, notes_config=CONFIG)
    before = table(warehouse)
    assert first.texts_reused == 0 and len(before) == 2
    # n1 touched (owner change: same text), n2 edited: only n2 is analysed again
    warehouse.execute("UPDATE raw.annotation SET modifiedon = TIMESTAMP '2026-05-07 09:00:00'")
    warehouse.execute("UPDATE raw.annotation SET notetext = 'Nothing new.' WHERE annotationid = 'n2'")
    second = analyze_notes(warehouse, date(2026, 5, 8), RUN_AT, notes_config=CONFIG)
    assert second.rows_read["annotation"] == 2 and second.texts_reused == 1
    after = table(warehouse)
    assert [r[:6] for r in after] == [r[:6] for r in before if r[1] == "n1"]
    assert after[0][-1] == date(2026, 5, 7)  # the n1 row is the one written by the first run


def test_batch_analysis_gives_the_note_by_note_suggestions_on_every_labelled_note() -> None:
    """Texts grouped, anchor-free texts analysed once: the same suggestions as ``analyze`` per note, for
    each labelled note at its own creation time and three others (other days, late evening, aware)."""
    from datetime import UTC, timedelta

    from rapport.ml.notes.analyzer import DEFAULT_SETTINGS, analyze
    from rapport.ml.notes.evaluation import EVAL_DIR, load_eval_set
    from rapport.ml.notes.pipeline import analyze_batch

    notes = [note for path in sorted(EVAL_DIR.glob("*.jsonl")) for note in load_eval_set(path)]
    shifts = (timedelta(0), timedelta(days=3, hours=7), timedelta(days=-40, hours=8, minutes=10))
    work: list[tuple[str, datetime] | None] = [
        (note.text, note.created_on + shift) for shift in shifts for note in notes
    ]
    work += [None] + [(note.text, note.created_on.replace(tzinfo=UTC)) for note in notes[::7]]
    expected = [None if item is None else analyze(*item, settings=DEFAULT_SETTINGS) for item in work]
    known: dict[str, Any] = {}
    assert analyze_batch(work, DEFAULT_SETTINGS, None, known) == expected
    # both kinds were met: texts whose suggestions need their date, and texts analysed once for all notes
    assert None in known.values() and any(value is not None for value in known.values())
    # a later batch of the run reuses what the first learned
    assert analyze_batch(work[: len(notes)], DEFAULT_SETTINGS, None, known) == expected[: len(notes)]


def test_a_text_repeated_at_many_times_is_analysed_once_unless_its_dates_are_relative(
    monkeypatch: Any,
) -> None:
    from datetime import timedelta

    from rapport.ml.notes import pipeline
    from rapport.ml.notes.analyzer import DEFAULT_SETTINGS, analyze

    calls: list[str] = []

    def counted(text: str, created_on: Any, **kwargs: Any) -> Any:
        calls.append(text)
        return analyze(text, created_on, **kwargs)

    monkeypatch.setattr(pipeline, "analyze", counted)
    anchors = [datetime(2026, 5, 1, 9) + timedelta(days=day, hours=day % 5) for day in range(30)]
    work: list[tuple[str, datetime] | None] = [("Left voicemail, nobody answered.", a) for a in anchors]
    work += [("Call Priya tomorrow at 10am.", a) for a in anchors]
    found = pipeline.analyze_batch(work, DEFAULT_SETTINGS)
    assert calls.count("Left voicemail, nobody answered.") == 1
    assert calls.count("Call Priya tomorrow at 10am.") == 1 + len(anchors)  # the probe, then one per note
    starts = {s[0].fields["start"] for s in found[len(anchors) :] if s}
    assert len(starts) == len(anchors)  # each call is dated from its own note
