"""The numpy metrics agree with scikit-learn; calibration and coverage by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from triage.classify import Prediction
from triage.evaluation import (
    ClassificationEvaluator,
    classification_report,
    expected_calibration_error,
)

CLASSES = ["bau", "hund", "kita", "melde", "muell", "leer"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_agrees_with_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    used = CLASSES[:5]  # "leer" never occurs: it must not enter the macro average
    labels = list(rng.choice(used, size=80))
    predicted = [label if rng.random() < 0.6 else str(rng.choice(used[:4])) for label in labels]
    report = classification_report(labels=labels, predicted=predicted, classes=CLASSES)
    assert report.accuracy == pytest.approx(accuracy_score(labels, predicted))
    assert report.macro_f1 == pytest.approx(
        f1_score(labels, predicted, average="macro", zero_division=0)
    )
    assert report.primary == report.macro_f1
    assert report.primary_metric == ClassificationEvaluator.primary_metric == "macro_f1"
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=CLASSES, zero_division=0
    )
    for i, key in enumerate(CLASSES):
        figures = report.per_class[key]
        assert figures.precision == pytest.approx(precision[i])
        assert figures.recall == pytest.approx(recall[i])
        assert figures.f1 == pytest.approx(f1[i])
        assert figures.support == support[i]
    np.testing.assert_array_equal(
        report.confusion, confusion_matrix(labels, predicted, labels=CLASSES)
    )


def test_class_never_predicted_counts_as_zero() -> None:
    labels = ["a", "a", "b", "c"]
    predicted = ["a", "a", "a", "c"]
    report = classification_report(labels=labels, predicted=predicted)
    assert report.classes == ["a", "b", "c"]
    assert report.per_class["b"].f1 == 0.0
    assert report.macro_f1 == pytest.approx(
        f1_score(labels, predicted, average="macro", zero_division=0)
    )


def test_expected_calibration_error_by_hand() -> None:
    confidences = np.array([0.95, 0.95, 0.55, 0.55, 0.55, 0.55, 0.0])
    correct = np.array([True, False, True, True, True, False, False])
    # bin (0.9, 1.0]: acc 0.5, conf 0.95 -> 2/7 * 0.45; bin (0.5, 0.6]: acc 0.75, conf 0.55
    # -> 4/7 * 0.2; bin [0, 0.1]: acc 0, conf 0 -> 0
    expected = 2 / 7 * 0.45 + 4 / 7 * 0.2
    assert expected_calibration_error(confidences, correct) == pytest.approx(expected)
    assert expected_calibration_error(np.array([]), np.array([], dtype=bool)) == 0.0
    # A bin's upper edge belongs to it: 0.6 shares the (0.5, 0.6] bin with 0.55.
    assert expected_calibration_error(np.array([0.6, 0.55]), np.array([True, False])) == (
        pytest.approx(abs(0.5 - 0.575))
    )


def test_coverage_and_accuracy_at_threshold() -> None:
    evaluator = ClassificationEvaluator(threshold=0.7)
    predictions = [
        Prediction(case_type="a", confidence=0.9),
        Prediction(case_type="b", confidence=0.7),
        Prediction(case_type="a", confidence=0.4),
        Prediction(case_type="b", confidence=0.2),
    ]
    report = evaluator.evaluate(labels=["a", "a", "a", "b"], predictions=predictions)
    assert report.coverage == 0.5
    assert report.accuracy_at_threshold == 0.5
    assert report.accuracy == 0.75
    assert "macro-F1" in report.summary()
    nothing = ClassificationEvaluator(threshold=0.95).evaluate(
        labels=["a", "a", "a", "b"], predictions=predictions
    )
    assert nothing.coverage == 0.0
    assert nothing.accuracy_at_threshold is None


def test_rejects_mismatched_inputs() -> None:
    with pytest.raises(ValueError, match="length"):
        classification_report(labels=["a"], predicted=["a", "b"])
    with pytest.raises(ValueError, match="not among"):
        classification_report(labels=["a"], predicted=["z"], classes=["a"])
    with pytest.raises(ValueError, match="confidences"):
        classification_report(labels=["a"], predicted=["a"], confidences=[0.5, 0.5])
