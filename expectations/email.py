"""Expectations for ``raw.email``.

E-mail activities: the contract's rules, plus non-negative durations.
"""

from __future__ import annotations

from typing import Any

from rapport.expectations.contract_rules import (
    SuiteContext,
    contract_expectations,
    contract_table,
    new_suite,
    range_expectation,
)

TABLE = "email"
REFERENCES = ()  # no lookup of this table must resolve at validation time (dbt tests warn on them)


def build_suite(context: SuiteContext) -> Any:
    """The Great Expectations suite of ``raw.email`` for one run."""
    table = contract_table(TABLE)
    expectations = contract_expectations(table, context)
    expectations.append(range_expectation(table, "actualdurationminutes", 0, None))
    expectations.append(range_expectation(table, "scheduleddurationminutes", 0, None))
    return new_suite(TABLE, expectations)
