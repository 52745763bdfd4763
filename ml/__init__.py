"""Rapport's machine learning: predictive lead and opportunity scoring (docs/scoring.md).

readiness (the gate) -> features (the input interface) -> leakage (the screen) -> train / calibration /
evaluate -> bundle (what travels with a model) -> registry (challenger, champion) -> score / explain /
population (scores, grades, trends, reasons) -> tables (the ``ml`` schema). ``pipeline`` holds the
functions the DAG calls; importing it is cheap (heavy libraries load inside functions).
"""
