"""How well the similarity classifier does on labelled letters, with and without them.

* Zero-shot: prototypes from the taxonomy alone (descriptions and example sentences), the
  default temperature. This is what a new tenant gets on day one.
* Leave-one-out: for each letter, a classifier from the taxonomy plus every *other*
  labelled letter as an extra example, i.e. what a tenant gets once caseworkers have
  confirmed that many letters. Everything is encoded once; the per-letter classifiers are
  assembled from vectors. When ``fit_temperature`` is on, the temperature used for letter
  i is fitted by NLL on the leave-one-out scores of the other letters only, so letter i's
  confidence never saw its own label (cross-fitting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage.classify.base import fit_temperature as fit_nll_temperature
from triage.classify.base import predictions_from_probabilities, softmax
from triage.classify.similarity import (
    DEFAULT_SCORING,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    DocumentEncoder,
    Scoring,
    SimilarityClassifier,
    build_similarity_classifier,
)
from triage.evaluation.metrics import (
    DEFAULT_THRESHOLD,
    ClassificationEvaluator,
    ClassificationReport,
)
from triage.taxonomy import Taxonomy


@dataclass(frozen=True)
class LetterEvaluation:
    """Both figures for one labelled letter set. ``temperature`` is the NLL-optimal one over
    all leave-one-out scores (what a deployment with these letters would use);
    ``zero_shot_temperature`` the NLL-optimal one for the zero-shot scores (in-sample: a
    guide for the default, not a figure for the report)."""

    zero_shot: ClassificationReport
    leave_one_out: ClassificationReport
    temperature: float
    zero_shot_temperature: float


def leave_one_out_scores(
    *, classifier: SimilarityClassifier, vectors: NDArray[np.floating[Any]], labels: Sequence[str]
) -> NDArray[np.float64]:
    """Row i: letter i scored by ``classifier`` plus all other letters as examples."""
    classifier.targets(labels)
    rows = np.asarray(vectors, dtype=np.float32)
    keys = np.array(list(labels))
    scores = np.zeros((len(rows), len(classifier.case_types)), dtype=np.float64)
    everyone = np.ones(len(rows), dtype=bool)
    for i in range(len(rows)):
        others = everyone.copy()
        others[i] = False
        examples = {key: rows[others & (keys == key)] for key in set(labels)}
        held_out = classifier.with_examples({k: v for k, v in examples.items() if len(v)})
        scores[i] = held_out.scores(rows[i : i + 1])[0]
    return scores


def cross_fitted_probabilities(
    scores: NDArray[np.float64], targets: NDArray[np.intp]
) -> NDArray[np.float64]:
    """Row i's softmax at the temperature fitted on all other rows."""
    probabilities = np.zeros_like(scores)
    everyone = np.ones(len(scores), dtype=bool)
    for i in range(len(scores)):
        others = everyone.copy()
        others[i] = False
        temperature = fit_nll_temperature(scores[others], targets[others])
        probabilities[i] = softmax(scores[i : i + 1], temperature=temperature)[0]
    return probabilities


def _report(
    probabilities: NDArray[np.float64],
    *,
    classes: list[str],
    labels: Sequence[str],
    threshold: float,
) -> ClassificationReport:
    predictions = predictions_from_probabilities(probabilities, case_types=classes)
    evaluator = ClassificationEvaluator(classes=classes, threshold=threshold)
    return evaluator.evaluate(labels=labels, predictions=predictions)


def evaluate_letters(
    *,
    taxonomy: Taxonomy,
    embedder: DocumentEncoder,
    texts: Sequence[str],
    labels: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    fit_temperature: bool = True,
    scoring: Scoring = DEFAULT_SCORING,
    top_k: int = DEFAULT_TOP_K,
) -> LetterEvaluation:
    """Zero-shot and leave-one-out reports from a single encoding of the letters."""
    if len(texts) != len(labels):
        raise ValueError("texts and labels differ in length")
    base = build_similarity_classifier(
        taxonomy=taxonomy, embedder=embedder, scoring=scoring, top_k=top_k
    )
    base.targets(labels)
    vectors = embedder.encode_documents(texts)
    return evaluate_vectors(
        classifier=base,
        vectors=vectors,
        labels=labels,
        threshold=threshold,
        fit_temperature=fit_temperature,
    )


def evaluate_vectors(
    *,
    classifier: SimilarityClassifier,
    vectors: NDArray[np.floating[Any]],
    labels: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    fit_temperature: bool = True,
) -> LetterEvaluation:
    """Zero-shot and leave-one-out reports of a taxonomy-only ``classifier`` on letters
    that are already encoded. Zero-shot sees no letters at all; leave-one-out also
    centres letters on the mean of all letters (see ``triage.classify.similarity``)."""
    if len(vectors) != len(labels):
        raise ValueError("vectors and labels differ in length")
    if len(labels) < 3:
        raise ValueError("leave-one-out needs at least three labelled letters")
    targets = classifier.targets(labels)
    classes = classifier.case_types
    zero = _report(
        classifier.probabilities(vectors), classes=classes, labels=labels, threshold=threshold
    )
    zero_temperature = fit_nll_temperature(classifier.scores(vectors), targets)
    # Letters are centred on their own mean: it needs no labels, so it is fair in LOO.
    with_letters = classifier.reconfigured(document_mean=np.asarray(vectors).mean(axis=0))
    scores = leave_one_out_scores(classifier=with_letters, vectors=vectors, labels=labels)
    if fit_temperature:
        probabilities = cross_fitted_probabilities(scores, targets)
        temperature = fit_nll_temperature(scores, targets)
    else:
        probabilities = softmax(scores, temperature=classifier.temperature)
        temperature = classifier.temperature
    loo = _report(probabilities, classes=classes, labels=labels, threshold=threshold)
    return LetterEvaluation(
        zero_shot=zero,
        leave_one_out=loo,
        temperature=temperature,
        zero_shot_temperature=zero_temperature,
    )


def leave_one_out(
    *,
    taxonomy: Taxonomy,
    embedder: DocumentEncoder,
    texts: Sequence[str],
    labels: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    fit_temperature: bool = True,
) -> ClassificationReport:
    """The leave-one-out report (see the module docstring)."""
    return evaluate_letters(
        taxonomy=taxonomy,
        embedder=embedder,
        texts=texts,
        labels=labels,
        threshold=threshold,
        fit_temperature=fit_temperature,
    ).leave_one_out


def zero_shot(
    *,
    taxonomy: Taxonomy,
    embedder: DocumentEncoder,
    texts: Sequence[str],
    labels: Sequence[str],
    threshold: float = DEFAULT_THRESHOLD,
    temperature: float = DEFAULT_TEMPERATURE,
) -> ClassificationReport:
    """The report of the taxonomy-only classifier at a fixed temperature."""
    classifier = build_similarity_classifier(
        taxonomy=taxonomy, embedder=embedder, temperature=temperature
    )
    classifier.targets(labels)
    vectors = embedder.encode_documents(texts)
    return _report(
        classifier.probabilities(vectors),
        classes=classifier.case_types,
        labels=labels,
        threshold=threshold,
    )
