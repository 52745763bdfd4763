"""Validation: from ``var/landing/`` to ``raw.<table>`` (clean rows) and ``audit`` (quarantine, reconciliation).

The DAG calls :func:`validate_table` once per contract table, in an order where every table comes after
the tables its checks depend on (:func:`validation_dependencies`: the four activity tables before
``activityparty``), then :func:`reconciliation_report` for the run summary. Great Expectations, DuckDB and
pandas are imported inside the functions.
"""

from __future__ import annotations

from rapport.expectations import references
from rapport.validation.reconciliation import ReconciliationReport, TableReconciliation, reconciliation_report
from rapport.validation.table_validation import ValidationResult, validate_table


def validation_dependencies(table: str) -> tuple[str, ...]:
    """Tables that must be validated before ``table`` (their clean rows resolve its references)."""

    return tuple(name for check in references(table) for name in check.tables)


__all__ = [
    "ReconciliationReport",
    "TableReconciliation",
    "ValidationResult",
    "reconciliation_report",
    "validate_table",
    "validation_dependencies",
]
