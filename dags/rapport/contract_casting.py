"""Casting landed columns to their contract types in DuckDB, strictly, with a reason for each failure.

A landed column may be text (CSV, read as VARCHAR so values land exactly as written) or typed (Parquet,
PostgreSQL). Every value goes through a ``try_cast``-style expression that yields NULL when the value does
not fit; a non-null value that yields NULL is a cast failure and its row is quarantined with a reason that
names the column and quotes the value. The casts are stricter than DuckDB's own: ``3.5`` is not an
integer (DuckDB would round it), ``yes`` or ``2`` is not a boolean, ``NaN`` is not a number.
Timestamps with an offset are converted to UTC; timestamps without one are taken as UTC.

Keys are keys: a ``guid`` column is trimmed, stripped of braces and lower-cased (``{ABC...}`` and ``abc...``
are one record, so a case variant becomes a duplicate key, not a second account); a value that is not a
GUID (8-4-4-4-12 hexadecimal digits) is a cast failure. Text is trimmed and a blank value is missing, so a
blank required value or key is quarantined as missing. A date or timestamp before
``validation.earliest_date`` (rapport.toml, default 1970-01-01) is implausible and quarantined.

Option sets: Dataverse exports codes, but a label written in place of a code (``Won`` where ``statuscode``
is expected; some export tools write the formatted value) is accepted when it equals, ignoring case and
surrounding blanks, the contract's label of exactly one code of that column; any other text is quarantined
with a reason that lists the column's codes and labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport.contract import Column
from rapport.duckdb_session import sql_ident

TEXT_TYPES = ("string", "memo", "entityname")
GUID_PATTERN = r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$"
DEFAULT_EARLIEST_DATE = "1970-01-01"
_BLANK = "chr(32) || chr(9) || chr(10) || chr(13) || chr(160)"  # space, tab, newline, return, no-break space


def blank_trim(expression: str) -> str:
    """SQL trimming spaces, tabs, line breaks and no-break spaces (DuckDB's ``trim`` trims spaces only)."""
    return f"trim({expression}, {_BLANK})"


_INTEGER_TEXT = r"^\s*[+-]?[0-9]+\s*$"
_INTEGRAL_DECIMAL_TEXT = r"^\s*[+-]?[0-9]+\.0*\s*$"

# What a failing value should have looked like, per contract type.
EXPECTED = {
    "picklist": "is not an integer option-set code; Dataverse exports codes, not labels",
    "integer": "is not a whole number",
    "boolean": "is not a boolean; expected 1/0 or true/false",
    "money": "is not a number; write plain decimals with a dot, no currency symbol or thousands separator",
    "double": "is not a number; write plain decimals with a dot, no thousands separator",
    "datetime": "is not an ISO 8601 timestamp; expected e.g. 2024-05-01T13:45:00Z (UTC)",
    "date": "is not a date; expected YYYY-MM-DD",
    "guid": "is not a GUID; expected 8-4-4-4-12 hexadecimal digits (e.g. 6f1c2a7e-3c1b-4f4e-9a55-2f0d6a1b9c10)",
}


@dataclass(frozen=True)
class ColumnCast:
    """How one contract column is produced from the landed data."""

    column: Column
    landed_type: str | None  # DuckDB type of the landed column; None when the column was not landed
    earliest_date: str = DEFAULT_EARLIEST_DATE  # ISO date: dates and timestamps before it are implausible

    @property
    def source(self) -> str:
        return sql_ident(self.column.name)

    @property
    def can_fail(self) -> bool:
        return self.landed_type is not None and self.column.type not in TEXT_TYPES

    def value_sql(self) -> str:
        """The typed value (NULL when missing or not castable)."""
        target = self.column.duckdb_type
        if self.landed_type is None:
            return f"CAST(NULL AS {target})"
        value = cast_sql(self.source, self.landed_type, self.column.type)
        if self.column.type == "picklist" and _is_text(self.landed_type) and self.column.codes:
            return f"coalesce({value}, {label_code_sql(self.source, self.column)})"
        if self.column.type in ("datetime", "date"):
            floor = f"{'TIMESTAMP' if self.column.type == 'datetime' else 'DATE'} '{self.earliest_date}'"
            return f"CASE WHEN ({value}) >= {floor} THEN ({value}) END"
        return value

    def failed_sql(self) -> str:
        """TRUE when the landed value is present but does not cast."""
        if not self.can_fail:
            return "FALSE"
        present = self.source if not _is_text(self.landed_type) else f"nullif({blank_trim(self.source)}, '')"
        return f"({present} IS NOT NULL AND ({self.value_sql()}) IS NULL)"

    def reason_sql(self) -> str:
        """The human reason for a failing row: column, quoted value as it arrived, what was expected."""
        raw = f"CAST({self.source} AS VARCHAR)"
        quoted = (
            f"'''' || CASE WHEN length({raw}) > 200 THEN left({raw}, 200) || '...' ELSE {raw} END || ''''"
        )
        expected = EXPECTED[self.column.type].replace("'", "''")
        if self.column.type in ("datetime", "date") and self.landed_type is not None:
            parsed = cast_sql(self.source, self.landed_type, self.column.type)
            too_early = (
                f"is earlier than validation.earliest_date ({self.earliest_date}): an implausible "
                "date (a placeholder or a typo); fix it in the CRM or lower earliest_date in rapport.toml"
            )
            expected_sql = f"CASE WHEN ({parsed}) IS NOT NULL THEN '{too_early}' ELSE '{expected}' END"
            return f"'column {self.column.name}: value ' || {quoted} || ' ' || {expected_sql}"
        if self.column.type == "picklist" and self.column.codes:
            known = ", ".join(f"{code} {label}" for code, label in self.column.codes)
            expected = (
                f"is neither an option-set code nor a label of {self.column.name} (codes and labels: {known}; "
                "labels match ignoring case); export codes, or map the value in a mapped source"
            ).replace("'", "''")
        return f"'column {self.column.name}: value ' || {quoted} || ' {expected}'"


def label_code_sql(expression: str, column: Column) -> str:
    """SQL giving the code whose contract label equals the text ``expression`` (ignoring case and blanks);
    NULL for any other text. A label shared by several codes of the column is ambiguous and matches none."""
    by_label: dict[str, list[int]] = {}
    for code, label in column.codes:
        by_label.setdefault(label.strip().lower(), []).append(code)  # DuckDB's lower()
    branches = " ".join(
        f"WHEN {_sql_text(label)} THEN {codes[0]}"
        for label, codes in sorted(by_label.items())
        if len(codes) == 1
    )
    if not branches:
        return "CAST(NULL AS INTEGER)"
    return f"CASE lower({blank_trim(f'CAST({expression} AS VARCHAR)')}) {branches} END"


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_text(duckdb_type: str | None) -> bool:
    return duckdb_type is not None and duckdb_type.upper().startswith("VARCHAR")


def _is_integer(duckdb_type: str) -> bool:
    return duckdb_type.upper() in (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
    )  # fmt: skip


def _is_fractional(duckdb_type: str) -> bool:
    upper = duckdb_type.upper()
    return upper in ("FLOAT", "DOUBLE", "REAL") or upper.startswith("DECIMAL")


def _is_timestamp(duckdb_type: str) -> bool:
    return duckdb_type.upper().startswith("TIMESTAMP")


def cast_sql(expression: str, landed_type: str, contract_type: str) -> str:
    """SQL turning ``expression`` (of DuckDB type ``landed_type``) into the contract type, NULL if it does not fit."""
    if contract_type == "guid":
        key = f"lower({blank_trim(f'CAST({expression} AS VARCHAR)')})"
        return f"CASE WHEN regexp_full_match({key}, '{GUID_PATTERN}') THEN trim({key}, '{{}}') END"
    if contract_type == "memo":
        text_value = f"CAST({expression} AS VARCHAR)"
        return f"CASE WHEN {blank_trim(text_value)} <> '' THEN {text_value} END"
    if contract_type in TEXT_TYPES:
        return f"nullif({blank_trim(f'CAST({expression} AS VARCHAR)')}, '')"
    text = _is_text(landed_type)
    value = f"nullif(trim({expression}), '')" if text else expression
    target = {"picklist": "INTEGER", "integer": "BIGINT"}.get(contract_type)
    if target is not None:
        if text:
            return (
                f"CASE WHEN regexp_matches({value}, '{_INTEGER_TEXT}') THEN try_cast({value} AS {target}) "
                f"WHEN regexp_matches({value}, '{_INTEGRAL_DECIMAL_TEXT}') "
                f"THEN try_cast(split_part(trim({value}), '.', 1) AS {target}) END"
            )
        if _is_fractional(landed_type):
            return f"CASE WHEN isfinite({value}) AND {value} = trunc({value}) THEN try_cast({value} AS {target}) END"
        if _is_integer(landed_type) or landed_type.upper() == "BOOLEAN":
            return f"try_cast({value} AS {target})"
        return f"CAST(NULL AS {target})"
    if contract_type == "boolean":
        if text:
            return (
                f"CASE lower({value}) WHEN '1' THEN TRUE WHEN 'true' THEN TRUE WHEN 't' THEN TRUE "
                f"WHEN '0' THEN FALSE WHEN 'false' THEN FALSE WHEN 'f' THEN FALSE END"
            )
        if landed_type.upper() == "BOOLEAN":
            return value
        if _is_integer(landed_type) or _is_fractional(landed_type):
            return f"CASE WHEN {value} = 1 THEN TRUE WHEN {value} = 0 THEN FALSE END"
        return "CAST(NULL AS BOOLEAN)"
    if contract_type in ("money", "double"):
        if text or _is_integer(landed_type) or _is_fractional(landed_type):
            return f"CASE WHEN isfinite(try_cast({value} AS DOUBLE)) THEN try_cast({value} AS DOUBLE) END"
        return "CAST(NULL AS DOUBLE)"
    if contract_type == "datetime":
        if text:
            return f"CAST(try_cast({value} AS TIMESTAMPTZ) AS TIMESTAMP)"
        if landed_type.upper() in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
            return f"CAST({value} AS TIMESTAMP)"  # the session time zone is UTC
        if _is_timestamp(landed_type) or landed_type.upper() == "DATE":
            return f"CAST({value} AS TIMESTAMP)"
        return "CAST(NULL AS TIMESTAMP)"
    if contract_type == "date":
        if text:
            return f"coalesce(try_cast({value} AS DATE), CAST(try_cast({value} AS TIMESTAMP) AS DATE))"
        if _is_timestamp(landed_type) or landed_type.upper() == "DATE":
            return f"CAST({value} AS DATE)"
        return "CAST(NULL AS DATE)"
    raise ValueError(f"unknown contract type {contract_type!r}")
