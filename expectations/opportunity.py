"""Expectations for ``raw.opportunity``.

Opportunities: the contract's rules, plus non-negative money columns and a close probability of 0-100 %.
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

TABLE = "opportunity"
REFERENCES = ()  # no lookup of this table must resolve at validation time (dbt tests warn on them)


def build_suite(context: SuiteContext) -> Any:
    """The Great Expectations suite of ``raw.opportunity`` for one run."""
    table = contract_table(TABLE)
    expectations = contract_expectations(table, context)
    expectations.append(range_expectation(table, "estimatedvalue", 0, None))
    expectations.append(range_expectation(table, "actualvalue", 0, None))
    expectations.append(range_expectation(table, "budgetamount", 0, 1e12))
    expectations.append(range_expectation(table, "closeprobability", 0, 100))
    return new_suite(TABLE, expectations)
