"""Expectations for ``raw.account``.

Accounts: the contract's rules, plus Dataverse's ranges for revenue (0 to 1e14) and number of employees (0 to 1e9).
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

TABLE = "account"
REFERENCES = ()  # no lookup of this table must resolve at validation time (dbt tests warn on them)


def build_suite(context: SuiteContext) -> Any:
    """The Great Expectations suite of ``raw.account`` for one run."""
    table = contract_table(TABLE)
    expectations = contract_expectations(table, context)
    expectations.append(range_expectation(table, "revenue", 0, 1e14))
    expectations.append(range_expectation(table, "numberofemployees", 0, 1_000_000_000))
    return new_suite(TABLE, expectations)
