"""Evaluation figures: against scikit-learn and brute force, plus out-of-scope by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from triage.evaluation import (
    OUT_OF_SCOPE,
    EvaluationRun,
    FewShotPoint,
    FewShotScores,
    classification_report,
    coverage_at_precision,
    coverage_precision_curve,
    expected_calibration_error,
    model_figures,
    reliability_bins,
)

REQUIRED_KEYS = {
    "accuracy",
    "macro_f1",
    "ece",
    "coverage_at_95_precision",
    "n_test",
    "per_class",
    "confusion",
    "curve",
    "reliability",
    "at_thresholds",
    "out_of_scope",
    "train_seconds",
    "predictions_per_second",
}


def _random_rows(seed: int, n: int = 300) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Confidences on a 0.01 grid (many ties), correctness more likely when confident."""
    rng = np.random.default_rng(seed)
    confidences = np.round(rng.uniform(0.05, 1.0, size=n), 2)
    correct = rng.random(n) < confidences**0.5
    return confidences, correct


def _brute_force_curve(
    confidences: NDArray[np.float64], correct: NDArray[np.bool_]
) -> list[tuple[float, float, float]]:
    points = []
    for threshold in sorted(set(confidences.tolist()), reverse=True):
        mask = confidences >= threshold
        points.append((float(mask.mean()), float(correct[mask].mean()), threshold))
    return points


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_curve_matches_brute_force(seed: int) -> None:
    confidences, correct = _random_rows(seed)
    curve = coverage_precision_curve(confidences=confidences, correct=correct)
    expected = _brute_force_curve(confidences, correct)
    assert len(curve.coverage) == len(expected) == len(set(confidences.tolist()))
    for i, (coverage, precision, threshold) in enumerate(expected):
        assert curve.coverage[i] == pytest.approx(coverage)
        assert curve.precision[i] == pytest.approx(precision)
        assert curve.threshold[i] == threshold
    assert curve.coverage[-1] == pytest.approx(1.0)
    assert curve.precision[-1] == pytest.approx(correct.mean())


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95, 1.0])
def test_coverage_at_precision_brute_force(seed: int, target: float) -> None:
    confidences, correct = _random_rows(seed, n=120)
    reached = [c for c, p, _ in _brute_force_curve(confidences, correct) if p >= target]
    expected = max(reached, default=0.0)
    assert coverage_at_precision(
        confidences=confidences, correct=correct, target=target
    ) == pytest.approx(expected)


def test_coverage_at_precision_edge_cases() -> None:
    assert coverage_at_precision(confidences=[], correct=[]) == 0.0
    assert coverage_at_precision(confidences=[0.9, 0.8], correct=[False, True]) == 0.0
    # 19 of 20 right at one confidence: exactly 95 %, which counts.
    assert coverage_at_precision(confidences=[0.7] * 20, correct=[True] * 19 + [False]) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tie_order_does_not_matter(seed: int) -> None:
    rng = np.random.default_rng(seed)
    confidences = np.repeat([0.9, 0.8, 0.6, 0.3], 10)
    correct = rng.random(40) < 0.7
    reference = coverage_precision_curve(confidences=confidences, correct=correct)
    assert len(reference.coverage) == 4
    for _ in range(5):
        order = rng.permutation(40)
        shuffled = coverage_precision_curve(confidences=confidences[order], correct=correct[order])
        assert shuffled == reference


def test_tied_block_enters_together() -> None:
    # A wrong row ties with the top right row: no threshold keeps only the right one.
    curve = coverage_precision_curve(
        confidences=[0.9, 0.9, 0.5, 0.5], correct=[False, True, True, True]
    )
    assert curve.coverage == [0.5, 1.0]
    assert curve.precision == [0.5, 0.75]
    assert curve.threshold == [0.9, 0.5]
    assert coverage_at_precision(confidences=[0.9, 0.9], correct=[True, False], target=0.6) == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_reliability_bins_agree_with_manual_and_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Keep clear of the bin edges, where scikit-learn's assignment may differ from ours.
    confidences = rng.integers(0, 10, size=400) / 10 + rng.uniform(0.02, 0.08, size=400)
    correct = rng.random(400) < confidences
    bins = reliability_bins(confidences=confidences, correct=correct)
    assert len(bins) == 10
    assert sum(b.count for b in bins) == 400
    for b in bins:
        mask = (confidences > b.lower) & (confidences <= b.upper)
        assert b.count == int(mask.sum())
        assert b.mean_confidence == pytest.approx(confidences[mask].mean())
        assert b.accuracy == pytest.approx(correct[mask].mean())
    prob_true, prob_pred = calibration_curve(correct, confidences, n_bins=10, strategy="uniform")
    np.testing.assert_allclose([b.accuracy or 0.0 for b in bins], prob_true)
    np.testing.assert_allclose([b.mean_confidence or 0.0 for b in bins], prob_pred)
    ece = sum(b.count / 400 * abs((b.accuracy or 0.0) - (b.mean_confidence or 0.0)) for b in bins)
    assert ece == pytest.approx(expected_calibration_error(confidences, correct))


def test_reliability_bins_edges_and_empty_bins() -> None:
    bins = reliability_bins(
        confidences=[0.0, 0.1, 0.6, 0.55, 1.0], correct=[False, True, True, False, True]
    )
    assert bins[0].count == 2  # 0 belongs to the first bin, 0.1 is its upper edge
    assert bins[0].lower == 0.0
    assert bins[0].upper == pytest.approx(0.1)
    assert bins[5].count == 2  # (0.5, 0.6]
    assert bins[5].mean_confidence == pytest.approx(0.575)
    assert bins[5].accuracy == pytest.approx(0.5)
    assert bins[9].count == 1
    empty = bins[3]
    assert (empty.count, empty.mean_confidence, empty.accuracy) == (0, None, None)
    assert len(reliability_bins(confidences=[0.5], correct=[True], bins=4)) == 4
    with pytest.raises(ValueError, match="bins"):
        reliability_bins(confidences=[0.5], correct=[True], bins=0)


@pytest.mark.parametrize("seed", [0, 1])
def test_in_scope_report_agrees_with_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    classes = ["bau", "hund", "kita", "melde"]
    labels = rng.choice([*classes, OUT_OF_SCOPE], size=150)
    predicted = np.array(
        [x if x != OUT_OF_SCOPE and rng.random() < 0.7 else rng.choice(classes) for x in labels]
    )
    confidences = rng.uniform(0.2, 1.0, size=150).astype(np.float32)
    figures = model_figures(
        name="m", labels=labels, predicted=predicted, confidences=confidences, classes=classes
    )
    keep = labels != OUT_OF_SCOPE
    truth, guess = labels[keep].tolist(), predicted[keep].tolist()
    report = figures.report
    assert report.n == int(keep.sum())
    assert figures.n_test == 150
    assert report.macro_f1 == pytest.approx(
        f1_score(truth, guess, average="macro", zero_division=0)
    )
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, guess, labels=classes, zero_division=0
    )
    for i, key in enumerate(classes):
        assert report.per_class[key].precision == pytest.approx(precision[i])
        assert report.per_class[key].recall == pytest.approx(recall[i])
        assert report.per_class[key].f1 == pytest.approx(f1[i])
        assert report.per_class[key].support == support[i]
    np.testing.assert_array_equal(report.confusion, confusion_matrix(truth, guess, labels=classes))
    correct = labels[keep] == predicted[keep]
    assert report.ece == pytest.approx(
        expected_calibration_error(confidences[keep].astype(np.float64), correct)
    )
    assert figures.coverage_at_target == coverage_at_precision(
        confidences=confidences[keep], correct=correct
    )


def _hand_made(**extra: object) -> dict[str, object]:
    return {
        "name": "hand",
        "labels": ["a", "a", "b", "b", OUT_OF_SCOPE, OUT_OF_SCOPE],
        "predicted": ["a", "b", "b", "b", "a", "b"],
        "confidences": [0.9, 0.6, 0.8, 0.7, 0.95, 0.4],
        **extra,
    }


def test_out_of_scope_by_hand() -> None:
    routed = [True, False, True, True, True, False]
    figures = model_figures(**_hand_made(routed=routed))  # type: ignore[arg-type]
    report = figures.report
    # In scope: a->a, a->b, b->b, b->b; the out-of-scope rows do not enter.
    assert report.classes == ["a", "b"]
    assert report.n == 4
    assert report.accuracy == pytest.approx(0.75)
    assert report.per_class["a"].precision == pytest.approx(1.0)
    assert report.per_class["a"].recall == pytest.approx(0.5)
    assert report.per_class["b"].precision == pytest.approx(2 / 3)
    assert report.confusion.sum() == 4
    # In-scope curve: 0.9, 0.8, 0.7 right, then 0.6 wrong.
    assert figures.coverage_at_target == pytest.approx(0.75)
    assert figures.n_test == 6
    # Routed: rows 0, 2, 3 (right) and row 4 (out of scope, so wrong).
    at = figures.at_thresholds
    assert at is not None
    assert at.routed == 4
    assert at.precision == pytest.approx(0.75)
    assert at.coverage == pytest.approx(4 / 6)
    assert at.in_scope_precision == pytest.approx(1.0)
    assert at.in_scope_coverage == pytest.approx(0.75)
    oos = figures.out_of_scope
    assert oos is not None
    assert oos.n == 2
    assert oos.recall == pytest.approx(0.5)  # row 5 went to review, row 4 did not
    # All rows by confidence: 0.95 is the routed out-of-scope row, so 95 % is never reached.
    assert oos.coverage_at_target_all == 0.0


def test_out_of_scope_target_and_without_routed() -> None:
    figures = model_figures(**_hand_made(target_precision=0.75))  # type: ignore[arg-type]
    assert figures.at_thresholds is None
    assert figures.out_of_scope is not None
    assert figures.out_of_scope.recall is None
    # All rows: precision 0, 1/2, 2/3, 3/4, 3/5, 1/2 -> 3/4 reached at coverage 4/6.
    assert figures.out_of_scope.coverage_at_target_all == pytest.approx(4 / 6)
    data = figures.to_json()
    assert data["coverage_at_75_precision"] == pytest.approx(1.0)
    assert "coverage_at_95_precision" not in data
    assert data["out_of_scope"]["recall"] is None


def test_without_out_of_scope_rows() -> None:
    figures = model_figures(
        name="m",
        labels=["a", "b"],
        predicted=["a", "a"],
        confidences=[0.9, 0.3],
        routed=[True, False],
    )
    assert figures.out_of_scope is None
    assert figures.at_thresholds is not None
    assert figures.at_thresholds.precision == 1.0
    assert figures.at_thresholds.in_scope_coverage == 0.5
    expected = classification_report(
        labels=["a", "b"], predicted=["a", "a"], confidences=[0.9, 0.3]
    )
    assert figures.report.summary() == expected.summary()
    assert figures.report.per_class == expected.per_class
    np.testing.assert_array_equal(figures.report.confusion, expected.confusion)


def test_nothing_routed_and_only_out_of_scope() -> None:
    figures = model_figures(
        name="m",
        labels=[OUT_OF_SCOPE, OUT_OF_SCOPE],
        predicted=["a", "b"],
        confidences=[0.9, 0.3],
        routed=[False, False],
    )
    assert figures.report.n == 0
    assert figures.curve.coverage == []
    assert figures.at_thresholds is not None
    assert figures.at_thresholds.precision is None
    assert figures.at_thresholds.coverage == 0.0
    assert figures.out_of_scope is not None
    assert figures.out_of_scope.recall == 1.0
    json.dumps(figures.to_json(), allow_nan=False)


def test_invalid_input() -> None:
    with pytest.raises(ValueError, match="must name a class"):
        model_figures(name="m", labels=["a"], predicted=[OUT_OF_SCOPE], confidences=[0.5])
    with pytest.raises(ValueError, match="differ in length"):
        model_figures(name="m", labels=["a", "b"], predicted=["a"], confidences=[0.5])
    with pytest.raises(ValueError, match="differ in length"):
        model_figures(
            name="m", labels=["a"], predicted=["a"], confidences=[0.5], routed=[True, False]
        )
    with pytest.raises(ValueError, match="finite"):
        model_figures(name="m", labels=["a"], predicted=["a"], confidences=[float("nan")])
    with pytest.raises(ValueError, match="not a class"):
        model_figures(
            name="m", labels=["a"], predicted=["a"], confidences=[1.0], classes=["a", OUT_OF_SCOPE]
        )


def test_to_json_is_plain_and_complete() -> None:
    rng = np.random.default_rng(7)
    labels = rng.choice(["a", "b", "c", OUT_OF_SCOPE], size=50)
    predicted = rng.choice(["a", "b", "c"], size=50)
    confidences = rng.uniform(0, 1, size=50)
    figures = model_figures(
        name="model",
        labels=labels,
        predicted=predicted,
        confidences=confidences,
        routed=confidences > 0.5,
        train_seconds=np.float64(1.5),
        predictions_per_second=1234.5678912,
    )
    data = figures.to_json()
    assert data.keys() >= REQUIRED_KEYS
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    assert data["coverage_at_95_precision"] == data["coverage_at_target"]
    assert data["predictions_per_second"] == 1234.567891
    assert isinstance(data["train_seconds"], float)
    assert data["confusion"]["classes"] == ["a", "b", "c"]
    assert data["confusion"]["matrix"] == figures.report.confusion.tolist()
    assert set(data["per_class"]["a"]) == {"precision", "recall", "f1", "support"}
    assert set(data["curve"]) == {"coverage", "precision", "threshold"}
    assert len(data["reliability"]) == 10
    assert set(data["at_thresholds"]) >= {"precision", "coverage", "in_scope_coverage"}
    assert data["out_of_scope"]["n"] == int((labels == OUT_OF_SCOPE).sum())

    guesses = np.where(labels == OUT_OF_SCOPE, "a", labels)
    peer = model_figures(name="peer", labels=labels, predicted=guesses, confidences=confidences)
    point = FewShotPoint(
        shots=4,
        model=FewShotScores.from_figures(figures),
        peer=FewShotScores(accuracy=0.5, macro_f1=0.4),
    )
    run = EvaluationRun(
        model=figures,
        peer=peer,
        few_shot=[point],
        settings={"test": Path("data/test.jsonl"), "seed": np.int64(3), "method": "linear"},
    )
    whole = run.to_json()
    assert whole.keys() >= REQUIRED_KEYS
    assert whole["macro_f1"] == data["macro_f1"]
    assert whole["peer"]["name"] == "peer"
    assert whole["peer"]["at_thresholds"] is None
    assert whole["few_shot"][0]["shots"] == 4
    assert whole["few_shot"][0]["peer"]["coverage_at_target"] is None
    assert whole["settings"] == {"test": "data/test.jsonl", "seed": 3, "method": "linear"}
    assert json.loads(json.dumps(whole, allow_nan=False)) == whole
