"""Test and benchmark helper: compile an inline dbt query with Rapport's vars and run it on DuckDB.

This is how a caller evaluates the relationship macros at moments of its own (e.g. each closed
opportunity's close minus a gap) without a model: dbt renders the Jinja (refs resolve to the built
intermediate tables), DuckDB runs the SQL.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING

from rapport.config import Config
from rapport.settings import Settings
from rapport.transform import DbtRunError, apply_duckdb_resources, dbt_arguments, dbt_vars

if TYPE_CHECKING:
    import pandas as pd


def compile_inline(sql: str, *, settings: Settings, config: Config, as_of: datetime) -> str:
    """The SQL dbt compiles from ``sql`` (Jinja: refs, macros, vars as ``rapport dbt`` passes them)."""
    from dbt.cli.main import dbtRunner

    args = ["--inline", sql, "--vars", json.dumps(dbt_vars(config, as_of))]
    apply_duckdb_resources(config)
    # dbt prints the compiled code of an inline node whatever the log level: keep it off the console
    with contextlib.redirect_stdout(io.StringIO()):
        result = dbtRunner().invoke(dbt_arguments("compile", settings, args))
    if result.exception is not None or not result.success:
        raise DbtRunError(f"dbt compile --inline failed: {result.exception or result.result}")
    (node_result,) = result.result.results
    return node_result.node.compiled_code


def query_inline(sql: str, *, settings: Settings, config: Config, as_of: datetime) -> pd.DataFrame:
    """Compile ``sql`` with dbt and return DuckDB's result as a DataFrame."""
    from rapport import warehouse

    compiled = compile_inline(sql, settings=settings, config=config, as_of=as_of)
    with warehouse.connect(settings.warehouse_path) as connection:
        return connection.execute(compiled).df()
