"""Expectations for ``raw.lead``.

Leads: the contract's rules, plus Dataverse's ranges for the money columns and number of employees.
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

TABLE = "lead"
REFERENCES = ()  # no lookup of this table must resolve at validation time (dbt tests warn on them)


def build_suite(context: SuiteContext) -> Any:
    """The Great Expectations suite of ``raw.lead`` for one run."""
    table = contract_table(TABLE)
    expectations = contract_expectations(table, context)
    expectations.append(range_expectation(table, "revenue", 0, 1e14))
    expectations.append(range_expectation(table, "numberofemployees", 0, 1_000_000_000))
    expectations.append(range_expectation(table, "budgetamount", 0, 1e12))
    expectations.append(range_expectation(table, "estimatedamount", 0, 1e12))
    return new_suite(TABLE, expectations)
