"""Rapport's machine learning: predictive lead and opportunity scoring (docs/scoring.md).

readiness (the gate) -> features (the input interface) -> leakage (the screen) -> train / calibration /
evaluate -> bundle (what travels with a model) -> registry (challenger, champion) -> score / explain /
population (scores, grades, trends, reasons) -> tables (the ``ml`` schema). ``pipeline`` holds the
scoring stage's two entry points (train and publish; score), called by the DAG's task bodies in
:mod:`rapport.pipeline`; importing it is cheap (heavy libraries load inside functions). This folder is
installed as ``rapport.ml`` (``dags/rapport/ml`` is a symlink to it; docs/architecture.md, "Code layout").
"""
