"""Expectations for ``raw.activityparty``.

Activity parties: the contract's rules (unknown participationtypemask codes are kept with a warning),
plus every party must belong to an activity (e-mail, phone call, appointment or task) that passed validation.
Validate the four activity tables before this one.
"""

from __future__ import annotations

from typing import Any

from rapport.contract import ACTIVITY_TABLES
from rapport.expectations.contract_rules import (
    ReferenceCheck,
    SuiteContext,
    contract_expectations,
    contract_table,
    new_suite,
    reference_expectation,
)

TABLE = "activityparty"

# Checked on a column the validator derives from raw.email, raw.phonecall, raw.appointment and raw.task.
REFERENCES = (
    ReferenceCheck(
        column="activityid",
        tables=ACTIVITY_TABLES,
        description="an e-mail, phone call, appointment or task",
    ),
)


def build_suite(context: SuiteContext) -> Any:
    """The Great Expectations suite of ``raw.activityparty`` for one run."""
    table = contract_table(TABLE)
    expectations = contract_expectations(table, context)
    for check in REFERENCES:
        expectations.append(reference_expectation(table, check))
    return new_suite(TABLE, expectations)
