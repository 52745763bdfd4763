"""Extraction: from a source (sample, export folder, PostgreSQL, mail archive) to ``var/landing/``.

The DAG calls, in this order:

* :func:`resolve_source` (the run's conf ``source`` > ``RAPPORT_SOURCE`` > Airflow connection
  ``rapport_source`` > ``sample``),
* :func:`prepare_source` once (generates the sample, converts a mail archive, checks folder or database),
* :func:`extract_table` once per contract table.

Nothing heavy is imported here: DuckDB and psycopg are imported inside the functions.
"""

from rapport.extract.extraction import ExtractResult, extract_table
from rapport.extract.preparation import prepare_source
from rapport.extract.source import Source, resolve_source

__all__ = ["ExtractResult", "Source", "extract_table", "prepare_source", "resolve_source"]
