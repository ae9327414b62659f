"""TextFeatures (TF-IDF word + char n-grams) and LinearHead (logistic regression as arrays)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from triage.classify.linear import LinearHead, log_softmax
from triage.classify.text_features import TextFeatures

TEXTS = [
    "Die Hundesteuer für meinen Labrador wurde falsch berechnet.",
    "Unser Hund ist verstorben, bitte beenden Sie die Hundesteuer.",
    "Der Sperrmüll wurde am vereinbarten Termin nicht abgeholt.",
    "Bitte holen Sie unseren Sperrmüll ab: ein Sofa und einen Schrank.",
    "Ich beantrage Wohngeld, weil meine Miete zu hoch ist.",
    "Seit Januar bekomme ich kein Wohngeld mehr, warum?",
]
UNSEEN = [
    "Mein Dackel braucht eine neue Hundesteuermarke, bitte.",
    "Völlig unbekannte Wörter: Quittengelee Zwetschgenröster",
    "",
]


def _same(a: sparse.csr_matrix, b: sparse.csr_matrix) -> None:
    assert a.shape == b.shape
    assert a.dtype == b.dtype
    assert (a != b).nnz == 0


def test_text_features_state_round_trip_transforms_identically() -> None:
    features, matrix = TextFeatures.fit_transform(TEXTS)
    state = features.to_state()
    assert set(state) == {"word_terms", "word_idf", "char_terms", "char_idf"}
    restored = TextFeatures.from_state(state)
    assert restored.size == features.size == matrix.shape[1]
    assert restored.word_columns == features.word_columns
    assert restored.word_terms() == features.word_terms()
    _same(restored.transform(TEXTS), matrix)
    unseen = restored.transform(UNSEEN)
    _same(unseen, features.transform(UNSEEN))
    # the unseen texts share some n-grams with the training texts, and the empty one none
    assert unseen[0].nnz > 0
    assert unseen[2].nnz == 0


def test_text_features_blocks_are_each_l2_normalised() -> None:
    features, matrix = TextFeatures.fit_transform(TEXTS)
    dense = matrix.toarray()
    split = features.word_columns
    assert np.allclose(np.linalg.norm(dense[:, :split], axis=1), 1.0, atol=1e-5)
    assert np.allclose(np.linalg.norm(dense[:, split:], axis=1), 1.0, atol=1e-5)


def test_word_terms_name_their_columns() -> None:
    features, matrix = TextFeatures.fit_transform(TEXTS)
    terms = features.word_terms()
    assert len(terms) == features.word_columns
    column = {term: i for i, term in enumerate(terms)}
    dense = matrix.toarray()
    for row, text in enumerate(TEXTS):
        words = set(re.findall(r"\b\w\w+\b", text.lower()))
        assert words
        for word in words:
            assert dense[row, column[word]] > 0, (word, text)
        absent = [term for term in terms if " " not in term and term not in words]
        for term in absent:
            assert dense[row, column[term]] == 0, (term, text)
    # bigrams are word columns too
    assert dense[0, column["die hundesteuer"]] > 0
    assert dense[1, column["die hundesteuer"]] > 0
    assert dense[2, column["die hundesteuer"]] == 0


def test_min_df_two_drops_ngrams_of_a_single_document() -> None:
    every, _ = TextFeatures.fit_transform(TEXTS, min_df=1)
    frequent, matrix = TextFeatures.fit_transform(TEXTS, min_df=2)
    all_terms, kept = set(every.word_terms()), set(frequent.word_terms())
    assert "labrador" in all_terms and "labrador" not in kept  # in one text only
    assert "sofa" in all_terms and "sofa" not in kept
    assert {"hundesteuer", "sperrmüll", "wohngeld", "bitte"} <= kept  # in two texts each
    assert kept < all_terms
    assert frequent.size < every.size
    assert matrix.shape[1] == frequent.size
    # the same holds for the character block: fewer columns there as well
    assert frequent.size - frequent.word_columns < every.size - every.word_columns


def _classification_data(
    seed: int, n: int = 90, dim: int = 6, classes: int = 3
) -> tuple[NDArray[np.float32], NDArray[np.intp]]:
    rng = np.random.default_rng(seed)
    targets = np.arange(n) % classes
    centres = rng.normal(size=(classes, dim))
    features = centres[targets] + rng.normal(scale=1.5, size=(n, dim))
    return features.astype(np.float32), targets.astype(np.intp)


def test_log_softmax_rows_are_distributions() -> None:
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    result = log_softmax(logits)
    assert np.all(np.isfinite(result[1]))
    assert np.allclose(np.exp(result).sum(axis=1), 1.0)
    assert result[0, 0] == pytest.approx(0.0)
    assert np.allclose(result[1], np.log(np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()))


def test_linear_head_agrees_with_sklearn() -> None:
    features, targets = _classification_data(seed=1)
    head = LinearHead.fit(features, targets, n_classes=3, c=0.7)
    probabilities = np.exp(head.log_proba(features))
    assert probabilities.shape == (len(features), 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    reference = LogisticRegression(C=0.7, max_iter=1000).fit(features, targets)
    assert np.allclose(probabilities, reference.predict_proba(features), atol=1e-6)
    # and the predictions are not trivial: the head beats chance clearly
    assert (probabilities.argmax(axis=1) == targets).mean() > 0.6


def test_linear_head_gives_absent_class_no_probability() -> None:
    features, targets = _classification_data(seed=2)
    targets = np.where(targets == 2, 3, targets)  # classes 0, 1, 3 of 4; class 2 absent
    head = LinearHead.fit(features, targets, n_classes=4, c=1.0)
    probabilities = np.exp(head.log_proba(features))
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert probabilities[:, 2].max() < 1e-10
    assert np.all(np.isfinite(head.log_proba(features)))
    reference = LogisticRegression(C=1.0, max_iter=1000).fit(features, targets)
    assert np.allclose(probabilities[:, [0, 1, 3]], reference.predict_proba(features), atol=1e-6)


def test_linear_head_binary_case_matches_sklearn() -> None:
    features, targets = _classification_data(seed=3, classes=2)
    targets = np.where(targets == 1, 2, 0).astype(np.intp)  # classes 0 and 2 of 3
    head = LinearHead.fit(features, targets, n_classes=3, c=2.0)
    probabilities = np.exp(head.log_proba(features))
    reference = LogisticRegression(C=2.0, max_iter=1000).fit(features, targets)
    assert np.allclose(probabilities[:, [0, 2]], reference.predict_proba(features), atol=1e-6)
    assert probabilities[:, 1].max() < 1e-10
    assert np.allclose(probabilities.sum(axis=1), 1.0)


def test_linear_head_with_one_present_class_is_certain_of_it() -> None:
    features, _ = _classification_data(seed=4)
    head = LinearHead.fit(features, np.full(len(features), 1, dtype=np.intp), n_classes=3, c=1.0)
    probabilities = np.exp(head.log_proba(features))
    assert np.allclose(probabilities[:, 1], 1.0)


def test_linear_head_on_sparse_text_features() -> None:
    features, matrix = TextFeatures.fit_transform(TEXTS)
    targets = np.array([0, 0, 1, 1, 2, 2], dtype=np.intp)
    head = LinearHead.fit(matrix, targets, n_classes=3, c=10.0)
    probabilities = np.exp(head.log_proba(matrix))
    reference = LogisticRegression(C=10.0, max_iter=1000).fit(matrix, targets)
    assert np.allclose(probabilities, reference.predict_proba(matrix), atol=1e-6)
    assert np.array_equal(probabilities.argmax(axis=1), targets)
    unseen = np.exp(head.log_proba(features.transform(["Die Hundesteuer für meinen Hund."])))
    assert unseen.argmax() == 0


def test_linear_head_state_round_trip() -> None:
    features, targets = _classification_data(seed=5)
    head = LinearHead.fit(features, targets, n_classes=3, c=1.0)
    state = head.to_state("embed")
    assert set(state) == {"embed_weights", "embed_bias"}
    restored = LinearHead.from_state(state, "embed")
    assert restored.weights.dtype == np.float32
    assert restored.bias.dtype == np.float64
    assert np.array_equal(restored.weights, head.weights)
    assert np.array_equal(restored.bias, head.bias)
    assert np.array_equal(restored.log_proba(features), head.log_proba(features))
    with pytest.raises(KeyError):
        LinearHead.from_state(state, "text")
