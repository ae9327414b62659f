"""Measuring classifiers on labelled letters."""

from triage.evaluation.loo import (
    LetterEvaluation,
    cross_fitted_probabilities,
    evaluate_letters,
    evaluate_vectors,
    leave_one_out,
    leave_one_out_scores,
    zero_shot,
)
from triage.evaluation.metrics import (
    DEFAULT_THRESHOLD,
    ClassificationEvaluator,
    ClassificationReport,
    ClassMetrics,
    classification_report,
    expected_calibration_error,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "ClassMetrics",
    "ClassificationEvaluator",
    "ClassificationReport",
    "LetterEvaluation",
    "classification_report",
    "cross_fitted_probabilities",
    "evaluate_letters",
    "evaluate_vectors",
    "expected_calibration_error",
    "leave_one_out",
    "leave_one_out_scores",
    "zero_shot",
]
