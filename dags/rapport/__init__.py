"""Rapport: Sales-Insights-style relationship analytics, scoring and notes analysis for any CRM.

This package holds all of Rapport's Python code: settings, the raw data contract, extraction, validation,
the sample CRM generator, write-back, the ``rapport`` command, and, through two symlinks, ``rapport.ml``
(the top-level ``ml/`` folder) and ``rapport.expectations`` (``expectations/``). It lives under ``dags/`` so
that Airflow's DAG processor can import it, and is listed in ``dags/.airflowignore`` so it is not parsed for
DAGs. Its layers and their one direction of imports: docs/architecture.md, "Code layout".
"""

__version__ = "0.1.0"
