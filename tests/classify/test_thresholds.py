"""Per-class confidence thresholds for a target precision, shrunk towards the pooled one."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from triage.classify.thresholds import choose_thresholds

TARGET = 0.95
STRENGTH = 20.0


def _brute_force(
    confidences: NDArray[np.float64],
    predicted: NDArray[np.intp],
    correct: NDArray[np.bool_],
    n_classes: int,
    target: float,
    strength: float,
) -> tuple[list[float], float]:
    """The definition, one level at a time: per class the lowest of the confidences of its
    right predictions (and the pooled threshold) at which ``(hits + m·pooled) / (n + m)``
    over rows at or above it reaches ``target``; the pooled threshold is the lowest
    confidence of a right prediction at which the pooled precision reaches it."""

    def pooled(level: float) -> float:
        above = confidences >= level
        return float(correct[above].sum() / above.sum())

    levels = sorted(set(confidences[correct].tolist()))
    pooled_threshold = min((x for x in levels if pooled(x) >= target), default=math.inf)
    thresholds = []
    for c in range(n_classes):
        mine = predicted == c
        if not mine.any():
            thresholds.append(pooled_threshold)
            continue
        good = []
        candidates = set(confidences[mine & correct].tolist())
        if math.isfinite(pooled_threshold):
            candidates.add(pooled_threshold)
        for level in sorted(candidates):
            rows = mine & (confidences >= level)
            n, hits = int(rows.sum()), int(correct[rows].sum())
            weight = n + strength
            estimate = (hits + strength * pooled(level)) / weight if weight else pooled(level)
            if estimate >= target:
                good.append(level)
        thresholds.append(min(good, default=math.inf))
    return thresholds, pooled_threshold


def _two_classes() -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.bool_]]:
    """Class 0 is always right (confidences 0.3-1.0); class 1 is right half of the time
    below 0.8 and always from 0.8 on."""
    easy = np.linspace(0.3, 1.0, 100)
    hard_low = np.linspace(0.3, 0.8, 200, endpoint=False)
    hard_high = np.linspace(0.8, 1.0, 100)
    confidences = np.r_[easy, hard_low, hard_high]
    predicted = np.r_[np.zeros(100), np.ones(300)].astype(np.intp)
    correct = np.r_[np.ones(100), np.arange(200) % 2 == 0, np.ones(100)].astype(bool)
    return confidences, predicted, correct


def _choose(
    confidences: NDArray[np.float64],
    predicted: NDArray[np.intp],
    correct: NDArray[np.bool_],
    n_classes: int,
    target: float = TARGET,
    strength: float = STRENGTH,
) -> NDArray[np.float64]:
    return choose_thresholds(
        confidences=confidences,
        predicted=predicted,
        correct=correct,
        n_classes=n_classes,
        target=target,
        strength=strength,
    )


def test_easy_class_gets_a_low_threshold_and_hard_class_about_its_clean_level() -> None:
    confidences, predicted, correct = _two_classes()
    thresholds = _choose(confidences, predicted, correct, n_classes=2)
    assert thresholds[0] == pytest.approx(0.3)
    assert 0.75 <= thresholds[1] <= 0.8
    expected, _ = _brute_force(confidences, predicted, correct, 2, TARGET, STRENGTH)
    assert thresholds.tolist() == expected
    # the hard class's documents routed at its threshold are right often enough
    routed = (predicted == 1) & (confidences >= thresholds[1])
    assert correct[routed].mean() >= TARGET


def test_class_never_predicted_gets_the_pooled_threshold() -> None:
    confidences, predicted, correct = _two_classes()
    thresholds = _choose(confidences, predicted, correct, n_classes=3)
    _, pooled = _brute_force(confidences, predicted, correct, 3, TARGET, STRENGTH)
    assert 0.3 < pooled < 0.8
    assert thresholds[2] == pooled
    assert thresholds[:2].tolist() == _choose(confidences, predicted, correct, 2).tolist()


def test_class_that_never_reaches_the_target_never_routes() -> None:
    confidences, predicted, correct = _two_classes()
    confidences = np.r_[confidences, np.linspace(0.5, 0.99, 50)]
    predicted = np.r_[predicted, np.full(50, 2)].astype(np.intp)
    correct = np.r_[correct, np.arange(50) % 3 == 0]  # a third right at every level
    thresholds = _choose(confidences, predicted, correct, n_classes=3)
    assert thresholds[2] == np.inf
    assert np.isfinite(thresholds[:2]).all()
    assert (
        thresholds.tolist() == _brute_force(confidences, predicted, correct, 3, TARGET, STRENGTH)[0]
    )


def test_no_predictions_give_no_thresholds() -> None:
    empty = np.zeros(0)
    thresholds = _choose(empty, empty.astype(np.intp), empty.astype(bool), n_classes=3)
    assert thresholds.tolist() == [np.inf] * 3


@pytest.mark.parametrize("target", [0.0, -0.1, 1.01, 2.0])
def test_target_outside_unit_interval_is_rejected(target: float) -> None:
    confidences, predicted, correct = _two_classes()
    with pytest.raises(ValueError, match="target precision"):
        _choose(confidences, predicted, correct, n_classes=2, target=target)


def test_target_one_needs_a_perfect_class() -> None:
    confidences, predicted, correct = _two_classes()
    thresholds = _choose(confidences, predicted, correct, n_classes=2, target=1.0)
    # pooled precision is 1.0 from 0.8 on, so class 1 gets 0.8 exactly; class 0 is
    # perfect on its own but shrinks towards the pooled precision below 0.8
    assert thresholds[1] == pytest.approx(0.8)
    assert thresholds[0] >= 0.8


def test_few_predictions_shrink_towards_the_pooled_precision() -> None:
    confidences, predicted, correct = _two_classes()
    _, pooled = _brute_force(confidences, predicted, correct, 3, TARGET, STRENGTH)
    # class 2: two held-out predictions, both right, at confidences where the pooled
    # precision is far below the target
    low = np.array([0.35, 0.4])
    assert all((correct[confidences >= x].mean() < TARGET) for x in low)
    confidences_2 = np.r_[confidences, low]
    predicted_2 = np.r_[predicted, [2, 2]].astype(np.intp)
    correct_2 = np.r_[correct, [True, True]]
    thresholds = _choose(confidences_2, predicted_2, correct_2, n_classes=3)
    assert thresholds[2] >= pooled
    assert thresholds[2] > low.max()
    # without shrinkage, two right out of two would route from 0.35 on
    unshrunk = _choose(confidences_2, predicted_2, correct_2, n_classes=3, strength=0.0)
    assert unshrunk[2] == pytest.approx(0.35)
    # with one more prediction, right at high confidence, the class gets the pooled level
    confidences_3 = np.r_[confidences_2, 0.97]
    predicted_3 = np.r_[predicted_2, 2].astype(np.intp)
    correct_3 = np.r_[correct_2, True]
    thresholds_3 = _choose(confidences_3, predicted_3, correct_3, n_classes=3)
    assert thresholds_3[2] == pytest.approx(pooled)


def test_many_predictions_keep_their_own_threshold() -> None:
    # class 0 is always right; everything else is mostly wrong, so the pooled precision is
    # low everywhere, yet 500 rows of evidence outweigh the 20 pseudo-rows of shrinkage
    rng = np.random.default_rng(0)
    confidences = np.r_[rng.uniform(0.4, 1.0, 500), rng.uniform(0.4, 1.0, 100)]
    predicted = np.r_[np.zeros(500), np.ones(100)].astype(np.intp)
    correct = np.r_[np.ones(500, dtype=bool), rng.random(100) < 0.1]
    thresholds = _choose(confidences, predicted, correct, n_classes=2, target=0.9)
    assert thresholds[0] == pytest.approx(confidences[:500].min())
    assert thresholds[1] == np.inf


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("strength", [0.0, 5.0, 20.0])
def test_matches_brute_force_on_random_predictions(seed: int, strength: float) -> None:
    rng = np.random.default_rng(seed)
    n, n_classes = 300, 5
    confidences = np.round(rng.uniform(0.2, 1.0, n), 2)  # rounded: many ties
    predicted = rng.choice(4, size=n, p=[0.5, 0.3, 0.15, 0.05]).astype(np.intp)  # 4 unused
    skill = np.array([0.0, 0.1, 0.25, -0.2])[predicted]
    correct = rng.random(n) < np.clip(confidences + skill, 0.0, 1.0)
    target = 0.8123
    thresholds = _choose(confidences, predicted, correct, n_classes, target, strength)
    expected, _ = _brute_force(confidences, predicted, correct, n_classes, target, strength)
    assert thresholds.tolist() == expected


def test_wrong_rows_below_every_right_one_do_not_lower_the_threshold() -> None:
    # 100 right predictions at 0.9-1.0; three wrong ones far below them (stand-ins for
    # out-of-scope mail) keep the precision above the target at their level, yet routing
    # from there would only add errors
    confidences = np.r_[np.linspace(0.9, 1.0, 100), [0.4, 0.5, 0.6]]
    predicted = np.zeros(103, dtype=np.intp)
    correct = np.r_[np.ones(100, dtype=bool), np.zeros(3, dtype=bool)]
    assert correct[confidences >= 0.4].mean() >= TARGET
    thresholds = _choose(confidences, predicted, correct, n_classes=1)
    assert thresholds[0] == pytest.approx(0.9)
