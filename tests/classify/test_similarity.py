"""The similarity classifier on a small German taxonomy, and its pure-numpy parts."""

from __future__ import annotations

import numpy as np
import pytest

from triage.classify import (
    DEFAULT_TEMPERATURE,
    Classifier,
    Prediction,
    SimilarityClassifier,
    build_similarity_classifier,
    fit_temperature,
    negative_log_likelihood,
    softmax,
)
from triage.embedding import Embedder, normalize_rows
from triage.taxonomy import Taxonomy

from .data import LETTERS


@pytest.fixture(scope="module")
def classifier(taxonomy: Taxonomy, embedder: Embedder) -> SimilarityClassifier:
    return build_similarity_classifier(taxonomy=taxonomy, embedder=embedder)


@pytest.fixture(scope="module")
def letter_vectors(embedder: Embedder) -> np.ndarray:
    return embedder.encode_documents([text for _, text in LETTERS])


def test_classifies_most_letters_right(
    classifier: SimilarityClassifier, letter_vectors: np.ndarray
) -> None:
    assert isinstance(classifier, Classifier)
    predictions = classifier.classify(letter_vectors)
    labels = [label for label, _ in LETTERS]
    right = sum(p.case_type == label for p, label in zip(predictions, labels, strict=True))
    assert right >= 17, [(p.case_type, label) for p, label in zip(predictions, labels, strict=True)]
    for prediction in predictions:
        assert 0.0 <= prediction.confidence <= 1.0
        probabilities = [prediction.confidence] + [p for _, p in prediction.alternatives]
        assert sum(probabilities) <= 1.0 + 1e-9
        assert probabilities == sorted(probabilities, reverse=True)
        assert len(prediction.alternatives) == 3
        assert prediction.case_type not in {key for key, _ in prediction.alternatives}


def test_fitted_temperature_lowers_nll(
    classifier: SimilarityClassifier, letter_vectors: np.ndarray
) -> None:
    labels = [label for label, _ in LETTERS]
    scores = classifier.scores(letter_vectors)
    targets = classifier.targets(labels)
    fitted_classifier = classifier.with_examples({})
    fitted = fitted_classifier.fit_temperature(letter_vectors, labels)
    assert fitted_classifier.temperature == fitted
    assert classifier.temperature == DEFAULT_TEMPERATURE  # the original is untouched
    assert 0.005 <= fitted < 0.2  # 0.005 is the floor, reached when all are right
    best = negative_log_likelihood(scores, targets, temperature=fitted)
    for other in (DEFAULT_TEMPERATURE, DEFAULT_TEMPERATURE * 3, 1.0, 0.006):
        assert best <= negative_log_likelihood(scores, targets, temperature=other)


def test_extra_examples_are_used(
    taxonomy: Taxonomy, embedder: Embedder, classifier: SimilarityClassifier
) -> None:
    # A letter far from every description: a correction teaches the classifier its type.
    letter = "Die Rechnung über die Grabnutzungsgebühr ist falsch adressiert."
    vector = embedder.encode_documents([letter])
    taught = build_similarity_classifier(
        taxonomy=taxonomy, embedder=embedder, extra_examples={"kita": [letter]}
    )
    assert taught.classify(vector)[0].case_type == "kita"
    assert len(taught.prototypes("kita")) == len(classifier.prototypes("kita"))
    assert len(taught.examples("kita")) == 1
    from_vectors = classifier.with_examples({"kita": vector})
    np.testing.assert_allclose(from_vectors.scores(vector), taught.scores(vector), atol=1e-5)
    with pytest.raises(ValueError, match="unknown"):
        build_similarity_classifier(
            taxonomy=taxonomy, embedder=embedder, extra_examples={"nope": ["x"]}
        )


def _unit(rng: np.random.Generator, n: int, d: int = 8) -> np.ndarray:
    return normalize_rows(rng.normal(size=(n, d)))


def test_scoring_modes_on_synthetic_prototypes() -> None:
    rng = np.random.default_rng(1)
    a, b = _unit(rng, 3), _unit(rng, 1)
    query = a[:1]
    cosines = (query @ a.T)[0]
    for scoring, expected in (
        ("max", cosines.max()),
        ("top_k", np.sort(cosines)[-2:].mean()),
        ("centroid", float((query @ normalize_rows(a.mean(axis=0, keepdims=True)).T)[0, 0])),
    ):
        clf = SimilarityClassifier(
            prototypes={"a": a, "b": b},
            scoring=scoring,  # type: ignore[arg-type]
            top_k=2,
            centering=False,
        )
        assert clf.scores(query)[0, 0] == pytest.approx(expected, abs=1e-6)
        assert clf.case_types == ["a", "b"]
    with pytest.raises(ValueError, match="without prototypes"):
        SimilarityClassifier(prototypes={"a": a, "b": np.zeros((0, 8))})
    with pytest.raises(ValueError, match="dimension"):
        SimilarityClassifier(prototypes={"a": a, "b": b}).scores(np.ones((1, 3)))
    assert SimilarityClassifier(prototypes={"a": a, "b": b}).classify(np.zeros((0, 8))) == []


def test_centring_removes_what_all_letters_share() -> None:
    """Letters that share a strong common direction (their genre) are told apart by what
    differs, once centred on their mean; raw cosines see mostly the common part."""
    rng = np.random.default_rng(3)
    genre = _unit(rng, 1)[0] * 3.0
    topics = _unit(rng, 2)
    letters = normalize_rows(
        np.stack([genre + topics[i % 2] + rng.normal(scale=0.3, size=8) for i in range(40)])
    )
    labels = np.array(["a", "b"] * 20)
    prototypes = {"a": topics[:1], "b": topics[1:]}
    raw = SimilarityClassifier(prototypes=prototypes, centering=False)
    centred = SimilarityClassifier(prototypes=prototypes, document_mean=letters.mean(axis=0))
    examples = {"a": letters[:20][labels[:20] == "a"], "b": letters[:20][labels[:20] == "b"]}
    raw, centred = raw.with_examples(examples), centred.with_examples(examples)
    test, truth = letters[20:], list(labels[20:])
    right = {
        name: sum(p.case_type == t for p, t in zip(clf.classify(test), truth, strict=True))
        for name, clf in (("raw", raw), ("centred", centred))
    }
    assert right["centred"] == 20
    assert right["centred"] >= right["raw"]
    spread = centred.scores(test).std()
    assert spread > raw.scores(test).std()
    assert centred.reconfigured(centering=False).scores(test) == pytest.approx(raw.scores(test))


def test_softmax_and_prediction_invariants() -> None:
    probabilities = softmax(np.array([[0.9, 0.8, 0.7], [0.5, 0.5, 0.5]]), temperature=0.05)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[0, 0] > 0.8
    np.testing.assert_allclose(probabilities[1], 1 / 3)
    with pytest.raises(ValueError):
        Prediction(case_type="x", confidence=1.5)


def test_fit_temperature_recovers_a_known_temperature() -> None:
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.75, 0.93, size=(4000, 6))
    true_temperature = 0.03
    probabilities = softmax(scores, temperature=true_temperature)
    targets = np.array([rng.choice(6, p=row) for row in probabilities], dtype=np.intp)
    fitted = fit_temperature(scores, targets)
    assert fitted == pytest.approx(true_temperature, rel=0.15)
