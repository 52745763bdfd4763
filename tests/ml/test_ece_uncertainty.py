"""ECE with its uncertainty (ml.evaluate.ece_uncertainty): bootstrap interval and noise floor."""

from __future__ import annotations

import numpy as np
import pytest

from rapport.ml.evaluate import EvaluationError, ece_uncertainty, expected_calibration_error


def _calibrated(records: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(2, 3, records)
    return (rng.random(records) < p).astype(int), p


def test_a_calibrated_model_is_within_the_noise_and_its_interval_holds_the_measure():
    y, p = _calibrated(300, seed=1)
    found = ece_uncertainty(y, p)
    assert found.ece == pytest.approx(expected_calibration_error(y, p))
    assert found.low <= found.ece <= found.high
    assert found.noise_floor < found.noise_high
    assert found.ece <= found.noise_high  # nothing but noise
    assert found.records == 300 and "90% bootstrap interval" in found.describe()


def test_a_miscalibrated_model_is_told_apart_from_the_noise():
    y, p = _calibrated(300, seed=2)
    found = ece_uncertainty(y, np.clip(p + 0.15, 0, 1))  # every score 15 points too high
    assert found.low > found.noise_high
    assert found.ece > 0.1


def test_the_interval_narrows_with_more_records():
    small = ece_uncertainty(*_calibrated(250, seed=3))
    large = ece_uncertainty(*_calibrated(4_000, seed=3))
    assert large.high - large.low < (small.high - small.low) / 2
    assert large.noise_floor < small.noise_floor / 2


def test_mismatched_inputs_are_an_error():
    with pytest.raises(EvaluationError):
        ece_uncertainty(np.array([1, 0]), np.array([0.5]))
