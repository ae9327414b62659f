"""Classification figures in plain numpy: accuracy, macro-F1, calibration, auto-routing.

The primary metric is macro-F1: case types are very unequal in volume, and a rare type
routed wrongly costs as much as a common one. Classes enter the macro average when they
occur among the true labels or the predictions (as scikit-learn's default does); a class
with neither has no defined F1. Undefined precision or recall (0/0) counts as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from triage.classify.base import Prediction

ECE_BINS = 10
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class ClassMetrics:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class ClassificationReport:
    """Figures for one labelled run; ``confusion[i, j]`` counts true ``classes[i]``
    predicted as ``classes[j]``."""

    classes: list[str]
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassMetrics]
    confusion: NDArray[np.int64]
    ece: float
    threshold: float
    coverage: float
    accuracy_at_threshold: float | None

    primary_metric = "macro_f1"

    @property
    def primary(self) -> float:
        return self.macro_f1

    def summary(self) -> str:
        at = "n/a" if self.accuracy_at_threshold is None else f"{self.accuracy_at_threshold:.3f}"
        return (
            f"n={self.n} accuracy={self.accuracy:.3f} macro-F1={self.macro_f1:.3f} "
            f"ECE={self.ece:.3f} auto-routed@{self.threshold:g}={self.coverage:.3f} "
            f"(accuracy {at})"
        )


def expected_calibration_error(
    confidences: NDArray[np.floating], correct: NDArray[np.bool_], *, bins: int = ECE_BINS
) -> float:
    """Sum over equal-width confidence bins (lower, upper] of the bin's share of rows times
    |accuracy - mean confidence| in it; a confidence of exactly 0 falls into the first."""
    conf = np.asarray(confidences, dtype=np.float64)
    if conf.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            gap = abs(float(correct[mask].mean()) - float(conf[mask].mean()))
            total += mask.sum() / conf.size * gap
    return float(total)


def classification_report(
    *,
    labels: Sequence[str],
    predicted: Sequence[str],
    confidences: Sequence[float] | None = None,
    classes: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> ClassificationReport:
    """Compare ``predicted`` with true ``labels``. ``classes`` fixes the order of the
    confusion matrix (default: sorted labels and predictions); ``confidences`` (default 1)
    feed calibration and the share auto-routed at ``confidence >= threshold``."""
    if len(labels) != len(predicted):
        raise ValueError("labels and predictions differ in length")
    order = list(classes) if classes is not None else sorted({*labels, *predicted})
    index = {key: i for i, key in enumerate(order)}
    missing = sorted({key for key in (*labels, *predicted) if key not in index})
    if missing:
        raise ValueError(f"labels not among the classes: {', '.join(missing)}")
    truth = np.array([index[key] for key in labels], dtype=np.int64)
    guess = np.array([index[key] for key in predicted], dtype=np.int64)
    size = len(order)
    confusion = np.zeros((size, size), dtype=np.int64)
    np.add.at(confusion, (truth, guess), 1)

    hits = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    precision = np.divide(hits, predicted_count, out=np.zeros(size), where=predicted_count > 0)
    recall = np.divide(hits, support, out=np.zeros(size), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(size), where=denom > 0)
    present = (support + predicted_count) > 0

    n = len(labels)
    correct = truth == guess
    conf = np.ones(n) if confidences is None else np.asarray(list(confidences), dtype=np.float64)
    if conf.shape != (n,):
        raise ValueError("confidences and labels differ in length")
    routed = conf >= threshold
    return ClassificationReport(
        classes=order,
        n=n,
        accuracy=float(correct.mean()) if n else 0.0,
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        per_class={
            key: ClassMetrics(
                precision=float(precision[i]),
                recall=float(recall[i]),
                f1=float(f1[i]),
                support=int(support[i]),
            )
            for i, key in enumerate(order)
        },
        confusion=confusion,
        ece=expected_calibration_error(conf, correct),
        threshold=threshold,
        coverage=float(routed.mean()) if n else 0.0,
        accuracy_at_threshold=float(correct[routed].mean()) if routed.any() else None,
    )


class ClassificationEvaluator:
    """Evaluates classifier predictions against labels; ``primary_metric`` names the figure
    to compare runs by."""

    primary_metric = ClassificationReport.primary_metric

    def __init__(
        self, *, classes: Sequence[str] | None = None, threshold: float = DEFAULT_THRESHOLD
    ) -> None:
        self.classes = None if classes is None else list(classes)
        self.threshold = threshold

    def evaluate(
        self, *, labels: Sequence[str], predictions: Sequence[Prediction]
    ) -> ClassificationReport:
        return classification_report(
            labels=labels,
            predicted=[p.case_type for p in predictions],
            confidences=[p.confidence for p in predictions],
            classes=self.classes,
            threshold=self.threshold,
        )
