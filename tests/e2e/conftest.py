"""Fixtures the end-to-end modules share with the insight-page tests: the real browser."""

from tests.insights.conftest import browser  # noqa: F401  (re-exported as a fixture)
