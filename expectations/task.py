"""Expectations for ``raw.task``.

Task activities: the contract's rules, plus a percent complete of 0-100 and non-negative durations.
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

TABLE = "task"
REFERENCES = ()  # no lookup of this table must resolve at validation time (dbt tests warn on them)


def build_suite(context: SuiteContext) -> Any:
    """The Great Expectations suite of ``raw.task`` for one run."""
    table = contract_table(TABLE)
    expectations = contract_expectations(table, context)
    expectations.append(range_expectation(table, "percentcomplete", 0, 100))
    expectations.append(range_expectation(table, "actualdurationminutes", 0, None))
    expectations.append(range_expectation(table, "scheduleddurationminutes", 0, None))
    return new_suite(TABLE, expectations)
