"""Rapport: Sales-Insights-style relationship analytics, scoring and notes analysis for any CRM.

This package holds the DAG's support code: settings, the raw data contract, extraction, validation,
the sample CRM generator, write-back and the ``rapport`` command. It lives under ``dags/`` so that
Airflow's DAG processor can import it, and is listed in ``dags/.airflowignore`` so it is not parsed for DAGs.
"""

__version__ = "0.1.0"
