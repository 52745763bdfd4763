"""Expectations every contract table gets from ``_crm__sources.yml``, and helpers for table-specific ones.

From the contract: required columns exist and are not null; the primary key is unique; option-set
columns hold known codes (columns marked ``unknown_codes: keep`` only warn); timestamps are not later than
the run's as-of moment plus ``validation.future_tolerance_hours`` (``scheduled*`` columns may lie in the
future); ``modifiedon`` is not earlier than ``createdon``.

Every expectation carries ``meta["reason"]``, a sentence with ``{value}`` (or ``{value_a}``/``{value_b}``)
that the validator fills with the failing value to explain a quarantined row. ``severity="warning"``
marks expectations whose failures are counted and logged but do not quarantine the row. Expectations
without an unexpected-row list (``expect_column_to_exist``) fail the whole table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rapport.contract import Column, Table, load_contract

if TYPE_CHECKING:
    import great_expectations as gx

ROW_ID = "_row"  # the row's position in the landed file: the validator's unexpected-index column
LABELS_IN_REASON = 12  # option-set labels quoted in a reason before "..."
# Dataverse custom option values start at a publisher's prefix x 10,000 (100,000,000 for the default prefix).
CUSTOM_CODES_FROM = 100_000_000
# Option sets whose unknown values are structural faults (the record's state decides labels and moments).
STRUCTURAL_OPTION_SETS = frozenset({"statecode"})


@dataclass(frozen=True)
class SuiteContext:
    """What a suite depends on besides the contract: the run's as-of moment and the future tolerance."""

    as_of: datetime  # naive UTC
    future_tolerance_hours: float = 24

    @property
    def latest_allowed(self) -> datetime:
        return self.as_of + timedelta(hours=self.future_tolerance_hours)


@dataclass(frozen=True)
class ReferenceCheck:
    """A lookup that must resolve to a row of one of ``tables`` (checked on a column the validator derives)."""

    column: str
    tables: tuple[str, ...]
    description: str  # e.g. "an e-mail, phone call, appointment or task"

    @property
    def derived_column(self) -> str:
        return f"_{self.column}_resolves"


def import_gx() -> Any:
    """Import Great Expectations with its logger quieted (it logs hundreds of INFO lines otherwise)."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    # This module sets its own logger to INFO at import ("Created temporary directory ..." per context).
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx


def _gxe() -> Any:
    import_gx()
    import great_expectations.expectations as gxe

    return gxe


def _codes_text(column: Column) -> str:
    shown = [f"{code} {label}" for code, label in column.codes[:LABELS_IN_REASON]]
    more = ", ..." if len(column.codes) > LABELS_IN_REASON else ""
    return ", ".join(shown) + more


def is_future_exempt(column: Column) -> bool:
    """Scheduled times (``scheduledstart``, ``scheduledend``) may lie after the as-of moment."""
    return column.name.startswith("scheduled")


def contract_expectations(table: Table, context: SuiteContext) -> list[Any]:
    """The expectations the contract implies for ``table``."""
    gxe = _gxe()
    expectations = _required_expectations(gxe, table)
    expectations.append(
        gxe.ExpectColumnValuesToBeUnique(
            column=table.primary_key,
            meta={"reason": f"column {table.primary_key}: value {{value}} is not unique (the primary key)"},
        )
    )
    for column in table.columns:
        if column.type == "picklist" and column.codes:
            expectations.extend(_code_expectations(gxe, table, column))
        if column.type == "datetime" and not is_future_exempt(column):
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=column.name,
                    max_value=context.latest_allowed,
                    meta={
                        "reason": f"column {column.name}: value {{value}} is later than the moment the data was "
                        f"extracted ({context.as_of:%Y-%m-%d %H:%M} UTC) plus {context.future_tolerance_hours:g} h; timestamps "
                        "must be UTC and not in the future"
                    },
                )
            )
    names = set(table.column_names)
    if {"createdon", "modifiedon"} <= names:
        expectations.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="modifiedon",
                column_B="createdon",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                meta={"reason": "modifiedon {value_a} is earlier than createdon {value_b}"},
            )
        )
    return expectations


def _required_expectations(gxe: Any, table: Table) -> list[Any]:
    """Each required column exists and has no nulls."""
    expectations: list[Any] = []
    for column in table.required_columns:
        expectations.append(
            gxe.ExpectColumnToExist(
                column=column.name,
                meta={"reason": f"required column {column.name} is missing from {table.name}"},
            )
        )
        expectations.append(
            gxe.ExpectColumnValuesToNotBeNull(
                column=column.name,
                meta={
                    "reason": f"column {column.name}: the value is missing (null) but {table.name}.{column.name} "
                    "is required by the contract"
                },
            )
        )
    return expectations


def _code_expectations(gxe: Any, table: Table, column: Column) -> list[Any]:
    """A picklist's values are known codes: warn only where the contract keeps unknown codes; quarantine
    unknown structural codes; elsewhere quarantine unknown codes below CUSTOM_CODES_FROM and warn above."""
    if column.keep_unknown_codes:
        return [
            gxe.ExpectColumnValuesToBeInSet(
                column=column.name,
                value_set=sorted(column.code_values),
                severity="warning",
                meta={
                    "reason": f"column {column.name}: code {{value}} is not in the contract's list "
                    f"({_codes_text(column)}); kept, as the contract allows new codes here"
                },
            )
        ]
    if column.name in STRUCTURAL_OPTION_SETS:
        return [
            gxe.ExpectColumnValuesToBeInSet(
                column=column.name,
                value_set=sorted(column.code_values),
                meta={
                    "reason": f"column {column.name}: value {{value}} is not a known {table.name}."
                    f"{column.name} code (known: {_codes_text(column)})"
                },
            )
        ]
    # Custom option values (a publisher's codes, CUSTOM_CODES_FROM and up) are kept with a
    # warning: the row is sound, the option set was extended. Other unknown codes quarantine.
    return [
        gxe.ExpectColumnValuesToBeInSet(
            column=column.name,
            value_set=sorted(column.code_values),
            row_condition=f"{column.name} < {CUSTOM_CODES_FROM}",
            condition_parser="pandas",
            meta={
                "reason": f"column {column.name}: value {{value}} is not a known {table.name}."
                f"{column.name} code (known: {_codes_text(column)}; custom option values are "
                f"{CUSTOM_CODES_FROM} or more)"
            },
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column=column.name,
            value_set=sorted(column.code_values),
            row_condition=f"{column.name} >= {CUSTOM_CODES_FROM}",
            condition_parser="pandas",
            severity="warning",
            meta={
                "reason": f"column {column.name}: custom option value {{value}} is not in the "
                "contract's list; kept as its own level"
            },
        ),
    ]


def range_expectation(table: Table, column: str, min_value: float | None, max_value: float | None) -> Any:
    """A numeric column must lie in [min_value, max_value] (None: unbounded on that side)."""
    gxe = _gxe()
    table.column(column)  # fails early on a typo
    bounds = f"{'-inf' if min_value is None else f'{min_value:g}'} to {'+inf' if max_value is None else f'{max_value:g}'}"
    return gxe.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=min_value,
        max_value=max_value,
        meta={"reason": f"column {column}: value {{value}} is outside the allowed range {bounds}"},
    )


def reference_expectation(table: Table, check: ReferenceCheck) -> Any:
    """The derived column ``_<column>_resolves`` must be true: the lookup points at an existing row."""
    gxe = _gxe()
    table.column(check.column)
    return gxe.ExpectColumnValuesToBeInSet(
        column=check.derived_column,
        value_set=[True],
        meta={
            "reason": f"column {check.column}: value {{key}} does not match {check.description} that passed "
            "validation (a dangling reference)",
            "reference_column": check.column,
        },
    )


def new_suite(table_name: str, expectations: list[Any]) -> gx.ExpectationSuite:
    """An :class:`ExpectationSuite` named ``raw.<table>`` holding ``expectations``."""
    gx_module = import_gx()
    # Passing the expectations to the constructor needs no data context (add_expectation would).
    return gx_module.ExpectationSuite(name=f"raw.{table_name}", expectations=list(expectations))


def contract_table(name: str) -> Table:
    return load_contract().table(name)
