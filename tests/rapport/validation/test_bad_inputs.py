"""A table-driven suite of bad inputs (issue 13): each case asserts its exact reason, none a traceback.

Record-table cases are rows planted in one export (each row carries a marker in a free-text column so that
a row whose key itself is bad can still be found in ``audit.quarantine``); the export is extracted and
validated once for the module, through the same functions the DAG calls, and every case then asserts:
its row is quarantined (or, for a case variant, normalised) with its reason, and for its table
raw = clean + quarantined. Source-spec and configuration cases call the entry functions directly and
assert the message of the specific :class:`RapportInputError`/``ConfigError`` raised.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from rapport.config import Config, ConfigError
from rapport.contract import load_contract
from rapport.errors import RapportInputError
from rapport.extract import prepare_source, resolve_source
from rapport.extract.source import parse_source_spec, refuse_password_in_conf
from tests.support.export import DS, clone, sample_rows, write_export
from tests.support.pipeline import extract_all, isolated_settings, query, validate_all

TABLES = ("account", "contact", "lead", "opportunity", "systemuser")
MARKER_COLUMN = {
    "account": "websiteurl",
    "contact": "jobtitle",
    "lead": "jobtitle",
    "opportunity": "stepname",
    "systemuser": "jobtitle",
}
NOT_A_GUID = "is not a GUID"
MISSING = "the value is missing (null)"
TOO_EARLY = "is earlier than validation.earliest_date (1970-01-01)"
NOT_A_TIMESTAMP = "is not an ISO 8601 timestamp"
NOT_A_DATE = "is not a date"
NOT_A_LABEL = "is neither an option-set code nor a label of"
BAD_LABELS = ("Nonsense label", "1.5")

BAD_GUIDS = ("NULL", "hello world", "12345", "not-a-guid", "6f1c2a7e-3c1b-4f4e-9a55-2f0d6a1b9c1", "0x1f")
BLANKS = ("", "   ", "\t")
BAD_TIMESTAMPS = (
    ("0001-01-01T00:00:00Z", TOO_EARLY),
    ("1900-01-01T00:00:00Z", TOO_EARLY),
    ("1969-12-31T23:59:59Z", TOO_EARLY),
    ("31/12/2024", NOT_A_TIMESTAMP),
    ("yesterday", NOT_A_TIMESTAMP),
)
BAD_DATES = (("1900-06-01", TOO_EARLY), ("0044-03-15", TOO_EARLY), ("2026-13-45", NOT_A_DATE))


@dataclass(frozen=True)
class RowCase:
    table: str
    column: str
    value: str
    reason: str  # a substring of the quarantine reason

    @property
    def marker(self) -> str:
        return f"case:{self.table}:{self.column}:{self.value!r}"

    @property
    def id(self) -> str:
        return f"{self.table}.{self.column}={self.value!r}"


def _row_cases() -> list[RowCase]:
    cases: list[RowCase] = []
    contract = load_contract()
    for table_name in TABLES:
        table = contract.table(table_name)
        for column in table.columns:
            if column.name == MARKER_COLUMN[table_name]:
                continue
            if column.type == "guid":
                cases += [RowCase(table_name, column.name, value, NOT_A_GUID) for value in BAD_GUIDS]
                if column.required:
                    cases += [RowCase(table_name, column.name, value, MISSING) for value in BLANKS]
            elif column.type == "datetime" and column.name == "createdon":
                cases += [RowCase(table_name, column.name, value, reason) for value, reason in BAD_TIMESTAMPS]
            elif column.type == "date":
                cases += [RowCase(table_name, column.name, value, reason) for value, reason in BAD_DATES]
            elif column.type == "string" and column.required:
                cases += [RowCase(table_name, column.name, value, MISSING) for value in BLANKS]
            elif column.type == "picklist" and column.codes:
                cases += [RowCase(table_name, column.name, value, NOT_A_LABEL) for value in BAD_LABELS]
    return cases


@dataclass(frozen=True)
class LabelCase:
    """A Dataverse export giving an option set's label instead of its code (accepted: the code lands)."""

    table: str
    column: str
    label: str  # as written in the export (case changed, blanks around)
    code: int

    @property
    def marker(self) -> str:
        return f"label:{self.table}:{self.column}"


def _label_cases(rows: dict[str, list[dict[str, str | None]]]) -> list[LabelCase]:
    """One per picklist column of TABLES whose first sample row has a code: that code's label, upper-cased."""
    cases = []
    contract = load_contract()
    for table_name in TABLES:
        first = rows[table_name][0]
        for column in contract.table(table_name).columns:
            code = first.get(column.name)
            if column.type != "picklist" or not column.codes or code in (None, ""):
                continue
            label = column.label(int(str(code)))
            shared = [other for other, text in column.codes if text.lower() == (label or "").lower()]
            if label is not None and len(shared) == 1:
                cases.append(LabelCase(table_name, column.name, f" {label.upper()} ", int(str(code))))
    return cases


ROW_CASES = _row_cases()


def _planted_rows() -> dict[str, list[dict[str, str | None]]]:
    rows = clone(sample_rows())
    for case in ROW_CASES:
        planted = dict(rows[case.table][0])
        key = load_contract().table(case.table).primary_key
        planted[key] = str(uuid.uuid5(uuid.NAMESPACE_OID, case.marker))
        planted[MARKER_COLUMN[case.table]] = case.marker
        planted[case.column] = case.value
        rows[case.table].append(planted)
    for label_case in _label_cases(rows):
        planted = dict(rows[label_case.table][0])
        key = load_contract().table(label_case.table).primary_key
        planted[key] = str(uuid.uuid5(uuid.NAMESPACE_OID, label_case.marker))
        planted[MARKER_COLUMN[label_case.table]] = label_case.marker
        planted[label_case.column] = label_case.label
        rows[label_case.table].append(planted)
    return rows


CASE_VARIANT_TABLE = "account"


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory):
    """The planted export, extracted and validated once; plus a case variant of an existing account key."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    settings = isolated_settings(folder / "var")
    config = Config.load()
    rows = _planted_rows()
    original = rows[CASE_VARIANT_TABLE][0]
    variant = dict(original)
    variant["accountid"] = "{" + original["accountid"].upper() + "}"
    variant["modifiedon"] = "2025-01-01T00:00:00Z"  # older than the original: the original wins
    rows[CASE_VARIANT_TABLE].append(variant)
    export = write_export(folder / "export", rows)
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    ds = date.fromisoformat(DS)
    tables = list(rows)
    extract_all(source, ds, settings, config, tables)
    results = validate_all(ds, settings, config, tables)
    quarantined = query(
        settings,
        "SELECT table_name, check_name, reason, CAST(source_row AS VARCHAR) FROM audit.quarantine WHERE ds = ?",
        [ds],
    )
    return settings, results, quarantined, original


def test_the_suite_has_at_least_150_cases():
    assert len(ROW_CASES) + len(SPEC_CASES) + len(CONFIG_CASES) + len(FILE_CASES) + len(MAIL_CASES) >= 150


@pytest.mark.parametrize("case", ROW_CASES, ids=[case.id for case in ROW_CASES])
def test_a_bad_value_is_quarantined_with_its_reason(validated, case: RowCase):
    _settings, results, quarantined, _ = validated
    found = [
        (check, reason)
        for table, check, reason, row in quarantined
        if table == case.table and json.loads(row).get(MARKER_COLUMN[case.table]) == case.marker
    ]
    assert len(found) == 1, f"{case.id}: expected one quarantine row, found {found}"
    check, reason = found[0]
    assert case.reason in reason and case.column in reason, (check, reason)
    result = results[case.table]
    assert result.raw_rows == result.clean_rows + result.quarantined_rows


def test_no_planted_row_reaches_raw(validated):
    settings, _, _, _ = validated
    for table in TABLES:
        leaked = query(
            settings, f"SELECT count(*) FROM raw.{table} WHERE {MARKER_COLUMN[table]} LIKE 'case:%'"
        )
        assert leaked == [(0,)], table


def test_a_key_in_another_case_is_the_same_record_not_a_second_account(validated):
    settings, _results, quarantined, original = validated
    assert query(
        settings, "SELECT count(*) FROM raw.account WHERE accountid = ?", [original["accountid"]]
    ) == [(1,)]
    duplicates = [
        reason for table, check, reason, _ in quarantined if table == "account" and check == "duplicate_key"
    ]
    assert len(duplicates) == 1 and original["accountid"] in duplicates[0]
    assert query(settings, "SELECT count(*) FROM raw.account WHERE accountid <> lower(accountid)") == [(0,)]


LABEL_CASES = _label_cases(clone(sample_rows()))


def test_labels_are_planted_for_the_option_sets_of_every_table():
    assert {case.table for case in LABEL_CASES} == {"account", "contact", "lead", "opportunity"}
    assert any(case.column == "statuscode" and case.table == "opportunity" for case in LABEL_CASES)


@pytest.mark.parametrize("case", LABEL_CASES, ids=[f"{case.table}.{case.column}" for case in LABEL_CASES])
def test_a_label_in_place_of_a_code_is_accepted_as_that_code(validated, case: LabelCase):
    settings, _results, quarantined, _ = validated
    assert not [
        reason
        for table, _check, reason, row in quarantined
        if table == case.table and json.loads(row).get(MARKER_COLUMN[case.table]) == case.marker
    ]
    landed = query(
        settings,
        f"SELECT {case.column} FROM raw.{case.table} WHERE {MARKER_COLUMN[case.table]} = ?",
        [case.marker],
    )
    assert landed == [(case.code,)], (case, landed)


# Source specs -------------------------------------------------------------------------------------
SPEC_CASES = [
    ("ftp://example.org/export", "is not understood"),
    ("files:", "names no path"),
    ("mail:", "names no path"),
    ("postgres:", "names no URI"),
    ("postgres:mysql://user@host/db", "is not a PostgreSQL URI"),
    ("postgres:http://host/db", "is not a PostgreSQL URI"),
    ("oracle:db", "is not understood"),
    ("Sample", "is not understood"),
    ("files", "is not understood"),
    ("s3://bucket/export", "is not understood"),
    ("postgres:postgresql://", "is not a PostgreSQL URI"),
]


@pytest.mark.parametrize(("spec", "message"), SPEC_CASES, ids=[spec for spec, _ in SPEC_CASES])
def test_a_bad_source_spec_names_the_problem(tmp_path: Path, spec: str, message: str):
    settings = isolated_settings(tmp_path / "var")
    with pytest.raises(RapportInputError, match=message) as raised:
        parse_source_spec(spec, settings=settings)
    assert "sample, files:DIR, postgres:URI" in str(raised.value) or "postgresql://" in str(raised.value)


@pytest.mark.parametrize("kind", ["files", "mail"])
def test_a_missing_folder_or_archive_is_named(tmp_path: Path, kind: str):
    settings = isolated_settings(tmp_path / "var")
    missing = tmp_path / "nowhere"
    with pytest.raises(RapportInputError, match="does not exist") as raised:
        prepare_source(resolve_source(f"{kind}:{missing}", settings=settings), settings, Config.load())
    assert str(missing) in str(raised.value)


def test_a_password_in_the_dag_params_is_refused_without_showing_it():
    with pytest.raises(RapportInputError, match="rapport_source") as raised:
        refuse_password_in_conf("postgres:postgresql://crm:hunter2@db.example:5432/crm")
    assert "hunter2" not in str(raised.value)


# Configuration --------------------------------------------------------------------------------------
CONFIG_CASES = [
    ({"validation": {"earliest_date": "yesterday"}}, "validation.earliest_date"),
    ({"validation": {"earliest_date": "1970-13-01"}}, "validation.earliest_date"),
    ({"validation": {"future_tolerance_hours": -1}}, "validation.future_tolerance_hours"),
    ({"validation": {"chunk_rows": 10}}, "validation.chunk_rows"),
]


@pytest.mark.parametrize(("values", "key"), CONFIG_CASES, ids=[key for _, key in CONFIG_CASES])
def test_a_bad_config_value_names_its_key(values: dict, key: str):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        Config.from_dict(values)


# Export files that cannot be read as given ------------------------------------------------------------
def _rewrite(path: Path, transform) -> None:
    path.write_bytes(transform(path.read_bytes()))


def _semicolons(data: bytes) -> bytes:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _tabs(data: bytes) -> bytes:
    return _semicolons(data).replace(b";", b"\t")


def _mixed_line_ends(data: bytes) -> bytes:
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    return b"".join(line + (b"\r\n" if number % 2 else b"\n") for number, line in enumerate(lines) if line)


def _as_folder(path: Path) -> None:
    data = path.read_bytes()
    path.unlink()
    path.mkdir()
    (path / "part-0.csv").write_bytes(data)


FILE_CASES = [
    ("semicolons", "lead", lambda p: _rewrite(p, _semicolons), "separates its columns with a semicolon (';')"),
    ("tabs", "contact", lambda p: _rewrite(p, _tabs), "separates its columns with a tab"),
    ("mixed-line-ends", "account", lambda p: _rewrite(p, _mixed_line_ends), "mixes Windows (CRLF) and Unix (LF)"),
    ("folder-named-like-a-file", "account", _as_folder, "is a folder, not a file"),
    ("excel", "account", lambda p: p.rename(p.with_suffix(".xlsx")), "save it as CSV UTF-8"),
    ("zip", "lead", lambda p: p.rename(p.with_suffix(".zip")), "unzip it into the export folder"),
    ("blank-in-name", "lead", lambda p: p.rename(p.with_name("lead .csv")), "has blanks around the table name"),
    (
        "unclosed-quote",
        "contact",
        lambda p: _rewrite(p, lambda data: data.replace(b"\n", b'\n"', 2)),
        "opens a double quote that is never closed",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "table", "damage", "message"), FILE_CASES, ids=[case[0] for case in FILE_CASES]
)
def test_an_export_file_that_cannot_be_read_is_named_with_the_fix(
    tmp_path: Path, name: str, table: str, damage, message: str
):
    from rapport.extract import extract_table

    settings = isolated_settings(tmp_path / "var")
    export = write_export(tmp_path / "export", sample_rows())
    damage(export / f"{table}.csv")
    config = Config.load()
    source = prepare_source(resolve_source(f"files:{export}", settings=settings), settings, config)
    with pytest.raises(RapportInputError) as raised:
        extract_table(table, date.fromisoformat(DS), source, settings, config=config)
    assert message in str(raised.value), str(raised.value)
    assert str(export) in str(raised.value)


# Mail archives ----------------------------------------------------------------------------------------
def _mail(message_id: str | None = "<m@example.org>", **headers: str) -> bytes:
    fields = {"From": "Anna Berg <anna@example.org>", "To": "Bob Lee <bob@customer.com>", "Subject": "Hello",
              "Date": "Tue, 17 Nov 2009 21:28:37 +0600", **headers}  # fmt: skip
    lines = ([f"Message-ID: {message_id}"] if message_id else []) + [
        f"{name}: {value}" for name, value in fields.items() if value
    ]
    body = headers.get("Subject", "Hello")
    return ("\n".join(lines) + "\n\nHi Bob,\n" + body + "\n").encode("utf-8")


@dataclass(frozen=True)
class MailCase:
    name: str
    content: bytes
    check: str
    reason: str


MAIL_CASES = [
    MailCase("empty", b"", "empty_file", "is empty"),
    MailCase("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not_an_email", "mail header"),
    MailCase("shopping-list", b"Shopping list\nmilk\n", "not_an_email", "mail header"),
    MailCase("unknown-headers", b"X-Thing: 1\nY-Other: 2\n\nbody\n", "not_an_email", "none of From, To, Date"),
    MailCase("no-from", _mail("<nf@x>", From=""), "missing_from", "no From header"),
    MailCase("undisclosed", _mail("<ud@x>", From="undisclosed sender"), "missing_from", "holds no usable address"),
    MailCase("no-date", _mail("<nd@x>", Date=""), "missing_date", "no Date header"),
    MailCase("bad-date", _mail("<bd@x>", Date="yesterday afternoon"), "unparseable_date", "yesterday afternoon"),
    MailCase("epoch", _mail("<ep@x>", Date="Thu, 01 Jan 1970 00:00:00 +0000"), "implausible_date", "before 1971"),
    MailCase("year-1900", _mail("<y1@x>", Date="Mon, 01 Jan 1900 10:00:00 +0000"), "implausible_date", "before 1971"),
    *(
        MailCase(f"reused-id-{number}", _mail("<kept@x>", Subject=f"Other e-mail {number}"),
                 "duplicate_message_id", "already used by a different e-mail (0-kept.eml")
        for number in range(1, 7)
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def mail_validated(tmp_path_factory: pytest.TempPathFactory):
    """One archive holding every mail case and two good e-mails, imported and validated as a run does."""
    from rapport.validation import validate_table

    folder = tmp_path_factory.mktemp("bad-mail")
    archive = folder / "archive"
    archive.mkdir()
    (archive / "0-kept.eml").write_bytes(_mail("<kept@x>", Subject="The kept e-mail"))
    (archive / "0-good.eml").write_bytes(_mail("<good@x>", Subject="Another good one"))
    for case in MAIL_CASES:
        (archive / f"{case.name}.eml").write_bytes(case.content)
    settings = isolated_settings(folder / "var")
    loaded = Config.load()
    config = replace(loaded, mail=replace(loaded.mail, internal_domains=("example.org",)))
    source = prepare_source(resolve_source(f"mail:{archive}", settings=settings), settings, config)
    ds = date.fromisoformat(DS)
    extract_all(source, ds, settings, config, ["email"])
    result = validate_table("email", ds, settings, config)
    quarantined = query(
        settings,
        "SELECT check_name, reason, CAST(source_row AS VARCHAR) FROM audit.quarantine WHERE ds = ? "
        "AND table_name = 'email'",
        [ds],
    )
    return settings, result, quarantined


@pytest.mark.parametrize("case", MAIL_CASES, ids=[case.name for case in MAIL_CASES])
def test_a_bad_mail_message_is_quarantined_with_its_reason(mail_validated, case: MailCase):
    _settings, result, quarantined = mail_validated
    found = [
        (check, reason)
        for check, reason, row in quarantined
        if json.loads(row).get("file") == f"{case.name}.eml"
    ]
    assert len(found) == 1, (case.name, found)
    check, reason = found[0]
    assert check == case.check and case.reason in reason, (check, reason)
    assert result.raw_rows == result.clean_rows + result.quarantined_rows


def test_the_good_mail_lands_clean_and_nothing_else(mail_validated):
    settings, _result, quarantined = mail_validated
    assert query(settings, "SELECT subject FROM raw.email ORDER BY subject") == [
        ("Another good one",),
        ("The kept e-mail",),
    ]
    assert len(quarantined) == len(MAIL_CASES)
