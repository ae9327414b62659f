"""Case-type classification of embedded letters."""

from triage.classify.base import (
    Classifier,
    Prediction,
    fit_temperature,
    negative_log_likelihood,
    predictions_from_probabilities,
    softmax,
)
from triage.classify.similarity import (
    DEFAULT_SCORING,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DocumentEncoder,
    SimilarityClassifier,
    build_similarity_classifier,
    prototype_texts,
)

__all__ = [
    "DEFAULT_SCORING",
    "DEFAULT_TEMPERATURE",
    "DEFAULT_TOP_K",
    "Classifier",
    "DocumentEncoder",
    "Prediction",
    "SimilarityClassifier",
    "build_similarity_classifier",
    "fit_temperature",
    "negative_log_likelihood",
    "predictions_from_probabilities",
    "prototype_texts",
    "softmax",
]
