"""Great Expectations suites as Python code: what each raw table must look like.

One module per contract table (``expectations.<table>``) with ``build_suite(context)`` returning the
table's :class:`great_expectations.ExpectationSuite` and ``REFERENCES``, the lookups that must resolve.
The rules every table shares come from the contract (:mod:`rapport.expectations.contract_rules`); a module adds
what is particular to its table. ``rapport.validation`` runs the suites on typed pandas DataFrames.
Great Expectations is imported only when a suite is built.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from rapport.expectations.contract_rules import ReferenceCheck, SuiteContext


def suite_module(table: str) -> ModuleType:
    """The module ``expectations.<table>``."""
    try:
        return importlib.import_module(f"{__name__}.{table}")
    except ModuleNotFoundError as error:
        if error.name == f"{__name__}.{table}":
            raise KeyError(
                f"no expectation suite for table {table!r}: add expectations/{table}.py"
            ) from error
        raise


def build_suite(table: str, context: SuiteContext) -> Any:
    """The suite of ``raw.<table>`` for a run with ``context``."""
    return suite_module(table).build_suite(context)


def references(table: str) -> tuple[ReferenceCheck, ...]:
    """The lookups of ``table`` that must resolve to validated rows of other tables."""
    return tuple(getattr(suite_module(table), "REFERENCES", ()))


__all__ = ["ReferenceCheck", "SuiteContext", "build_suite", "references", "suite_module"]
