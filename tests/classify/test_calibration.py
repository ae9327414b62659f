"""Fusion of views by a log-linear pool and the top-label Platt map, on synthetic predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.typing import NDArray

from triage.classify.calibration import Calibration, fit_calibration
from triage.classify.linear import log_softmax
from triage.evaluation import expected_calibration_error

K = 4


def _ece(probabilities: NDArray[np.float64], targets: NDArray[np.intp]) -> float:
    return expected_calibration_error(
        probabilities.max(axis=1), probabilities.argmax(axis=1) == targets
    )


def _sample_classes(
    rng: np.random.Generator, probabilities: NDArray[np.float64]
) -> NDArray[np.intp]:
    """One class per row drawn from that row's distribution."""
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random((len(probabilities), 1))
    classes: NDArray[np.intp] = np.minimum(
        (draws > cumulative).sum(axis=1), probabilities.shape[1] - 1
    ).astype(np.intp)
    return classes


def _well_calibrated(
    rng: np.random.Generator, n: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Logits and classes drawn from ``softmax(logits)``: the logits are calibrated."""
    logits = rng.normal(scale=1.5, size=(n, K))
    return logits, _sample_classes(rng, np.exp(log_softmax(logits)))


def _top_over_confident(
    rng: np.random.Generator, n: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Log-probabilities whose top class is right with ``sigmoid(logit(top) - 1.5)``
    only, the other classes sharing the rest at random: not a matter of temperature."""
    top = rng.integers(K, size=n)
    p1 = rng.uniform(0.5, 0.995, size=n)
    rest = rng.dirichlet(np.ones(K - 1), size=n) * (1 - p1)[:, None]
    probabilities = np.zeros((n, K))
    rows = np.arange(n)
    for j in range(1, K):
        probabilities[rows, (top + j) % K] = rest[:, j - 1]
    probabilities[rows, top] = p1
    accuracy = 1.0 / (1.0 + np.exp(-(np.log(p1 / (1 - p1)) - 1.5)))
    right = rng.random(n) < accuracy
    targets = np.where(right, top, (top + rng.integers(1, K, size=n)) % K).astype(np.intp)
    return np.log(probabilities), targets


def test_informative_view_weighs_more_than_noise() -> None:
    rng = np.random.default_rng(0)
    n = 800
    targets = rng.integers(K, size=n).astype(np.intp)
    informative = log_softmax(3.0 * np.eye(K)[targets] + rng.normal(size=(n, K)))
    noise = log_softmax(rng.normal(scale=2.0, size=(n, K)))
    calibration = fit_calibration([informative, noise], targets)
    a, b = calibration.weights
    assert a > b
    assert a > 0.5
    assert b < 0.2
    # the order of the views is the order of the weights
    swapped = fit_calibration([noise, informative], targets)
    assert swapped.weights[1] > swapped.weights[0]
    assert swapped.weights[1] == pytest.approx(a, rel=1e-3)


def test_calibration_fixes_over_confident_logits() -> None:
    rng = np.random.default_rng(1)
    logits, targets = _well_calibrated(rng, 3000)
    calibration = fit_calibration([log_softmax(4.0 * logits)], targets)
    assert calibration.weights[0] == pytest.approx(0.25, abs=0.05)
    fresh_logits, fresh_targets = _well_calibrated(rng, 3000)
    view = [log_softmax(4.0 * fresh_logits)]
    before = _ece(np.exp(view[0]), fresh_targets)
    after = _ece(calibration.apply(view), fresh_targets)
    assert before > 0.15
    assert after < 0.05
    assert after < before / 3


def test_top_label_map_reduces_ece_beyond_the_pool() -> None:
    rng = np.random.default_rng(2)
    view, targets = _top_over_confident(rng, 2000)
    calibration = fit_calibration([view], targets)
    assert calibration.slope != 1.0 or calibration.shift != 0.0
    fresh_view, fresh_targets = _top_over_confident(rng, 2000)
    raw = _ece(np.exp(fresh_view), fresh_targets)
    pool_only = _ece(Calibration(weights=calibration.weights).apply([fresh_view]), fresh_targets)
    mapped_probabilities = calibration.apply([fresh_view])
    mapped = _ece(mapped_probabilities, fresh_targets)
    assert pool_only < raw
    assert mapped < 0.06
    assert mapped < pool_only - 0.03
    # the map keeps every row's choice (up to ties with the runner-up where it floors)
    rows = np.arange(len(fresh_view))
    chosen = mapped_probabilities[rows, fresh_view.argmax(axis=1)]
    assert np.all(chosen >= mapped_probabilities.max(axis=1) - 1e-12)


def test_top_label_map_keeps_the_argmax_and_the_distribution() -> None:
    rng = np.random.default_rng(3)
    probabilities = rng.dirichlet(np.full(5, 0.5), size=500)
    rows = np.arange(len(probabilities))
    top = probabilities.argmax(axis=1)
    for slope, shift in [(0.3, -2.0), (0.05, -20.0), (2.5, 1.0), (1.0, 0.0)]:
        result = Calibration(weights=(1.0,), slope=slope, shift=shift).top_label(probabilities)
        assert result.shape == probabilities.shape
        assert np.allclose(result.sum(axis=1), 1.0)
        assert np.all(result >= 0.0)
        assert np.all(result[rows, top] >= result.max(axis=1) - 1e-12)
        runner_up = np.sort(result, axis=1)[:, -2]
        assert np.all(result[rows, top] >= runner_up - 1e-12)
        # the other classes keep their ratios
        others = np.ones_like(result, dtype=bool)
        others[rows, top] = False
        ratio = result[others].reshape(len(rows), -1) / probabilities[others].reshape(len(rows), -1)
        assert np.allclose(ratio, ratio[:, :1])
    # where the floor does not bind, the top probability is the Platt map of its logit
    calibration = Calibration(weights=(1.0,), slope=0.8, shift=-0.3)
    result = calibration.top_label(probabilities)
    raw = probabilities[rows, top]
    expected = 1.0 / (1.0 + np.exp(-(0.8 * np.log(raw / (1 - raw)) - 0.3)))
    second = np.sort(probabilities, axis=1)[:, -2]
    free = expected > second / (1.0 - raw + second) + 1e-3
    assert free.sum() > 100
    assert np.allclose(result[rows, top][free], expected[free])
    assert np.array_equal(result.argmax(axis=1)[free], top[free])
    # identity map: unchanged
    identity = Calibration(weights=(1.0,)).top_label(probabilities)
    assert np.allclose(identity, probabilities, atol=1e-5)


def test_top_label_floor_ties_top_with_runner_up() -> None:
    probabilities = np.array([[0.5, 0.4, 0.1], [0.9, 0.05, 0.05]])
    result = Calibration(weights=(1.0,), slope=0.05, shift=-20.0).top_label(probabilities)
    assert result[0, 0] == pytest.approx(result[0, 1])
    assert result[0, 0] >= result[0, 2]
    assert np.allclose(result.sum(axis=1), 1.0)
    assert result[1, 0] == pytest.approx(result[1, 1])


def test_fuse_is_a_weighted_log_linear_pool() -> None:
    rng = np.random.default_rng(4)
    a = log_softmax(rng.normal(size=(10, K)))
    b = log_softmax(rng.normal(size=(10, K)))
    calibration = Calibration(weights=(0.7, 1.8))
    fused = calibration.fuse([a, b])
    expected = np.exp(0.7 * a + 1.8 * b)
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(fused, expected)
    with pytest.raises(ValueError, match="views"):
        calibration.fuse([a])


def test_all_right_predictions_are_not_mapped_to_certainty() -> None:
    rng = np.random.default_rng(5)
    n = 200
    targets = rng.integers(K, size=n).astype(np.intp)
    view = log_softmax(5.0 * np.eye(K)[targets] + rng.normal(scale=0.1, size=(n, K)))
    calibration = fit_calibration([view], targets)
    assert 0.0 <= calibration.weights[0] <= 20.0
    top = calibration.apply([view]).max(axis=1)
    # every held-out row was right: confident, yet short of certainty (smoothed)
    assert np.all(top > 0.95)
    assert np.all(top < 1.0 - 1.0 / (10 * n))
    assert np.array_equal(calibration.apply([view]).argmax(axis=1), targets)


def test_calibration_json_round_trip() -> None:
    rng = np.random.default_rng(6)
    view, targets = _top_over_confident(rng, 400)
    noise = log_softmax(rng.normal(size=view.shape))
    calibration = fit_calibration([view, noise], targets)
    data = json.loads(json.dumps(calibration.to_json()))
    assert data["weights"] == list(calibration.weights)
    restored = Calibration.from_json(data)
    assert restored == calibration
    assert isinstance(restored.weights, tuple)
    assert np.array_equal(restored.apply([view, noise]), calibration.apply([view, noise]))


def test_top_label_never_changes_the_chosen_class() -> None:
    probabilities = np.array([[0.47, 0.44, 0.09], [0.3, 0.6, 0.1]])
    result = Calibration(weights=(1.0,), slope=0.3, shift=-2.0).top_label(probabilities)
    assert np.array_equal(result.argmax(axis=1), probabilities.argmax(axis=1))
    assert np.all(result.max(axis=1) > np.sort(result, axis=1)[:, -2])


def test_top_label_rows_sum_to_one_when_the_top_saturates() -> None:
    probabilities = np.array([[1 - 1e-7, 6e-8, 4e-8], [1 - 1e-9, 5e-10, 5e-10]])
    result = Calibration(weights=(1.0,), slope=1.0, shift=-1.0).top_label(probabilities)
    assert np.allclose(result.sum(axis=1), 1.0, rtol=0.0, atol=1e-9)
