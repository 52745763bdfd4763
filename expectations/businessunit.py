"""Expectations for ``raw.businessunit``.

Business units (optional table): the contract's rules only (key, name, timestamps).
"""

from __future__ import annotations

from typing import Any

from rapport.expectations.contract_rules import (
    SuiteContext,
    contract_expectations,
    contract_table,
    new_suite,
)

TABLE = "businessunit"
REFERENCES = ()  # no lookup of this table must resolve at validation time (dbt tests warn on them)


def build_suite(context: SuiteContext) -> Any:
    """The Great Expectations suite of ``raw.businessunit`` for one run."""
    table = contract_table(TABLE)
    expectations = contract_expectations(table, context)
    return new_suite(TABLE, expectations)
