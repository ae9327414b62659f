"""Bag-of-n-grams features of a letter: TF-IDF over word 1-2-grams and character 2-5-grams.

This is the representation the classic peers use (``../shared/data/README.md``), and it is
one of the two views the trained classifier fuses: it sees the exact words, numbers and
spellings (a street name, "Hundesteuer", a form number) that a small sentence encoder
blurs. Character n-grams within word boundaries make it robust to German compounds,
inflection and OCR noise.

The fitted state is two vocabularies and their IDF weights, stored as plain arrays so that
an artefact never needs pickle (a model file from a data folder must not execute code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.classify.char_grams import CharGramTfidf

WORD = "word"
CHAR = "char"
_SETTINGS: dict[str, dict[str, Any]] = {
    WORD: {"analyzer": "word", "ngram_range": (1, 2)},
    CHAR: {"analyzer": "char_wb", "ngram_range": (2, 5)},
}


def _vectorizer(
    kind: str, vocabulary: Mapping[str, int] | None = None, min_df: int = 1
) -> TfidfVectorizer:
    return TfidfVectorizer(
        **_SETTINGS[kind],
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary=vocabulary,
        min_df=min_df,
    )


class TextFeatures:
    """Word and character TF-IDF, each block L2-normalised, side by side."""

    def __init__(self, vectorizers: Mapping[str, TfidfVectorizer]) -> None:
        self._vectorizers = dict(vectorizers)
        self._word_terms: list[str] | None = None
        char = self._vectorizers[CHAR]
        low, high = _SETTINGS[CHAR]["ngram_range"]
        # the same char block as ``char.transform``, several times faster on long letters
        self._char = CharGramTfidf(vocabulary=char.vocabulary_, idf=char.idf_, low=low, high=high)

    @classmethod
    def fit_transform(
        cls, texts: Sequence[str], *, min_df: int = 1
    ) -> tuple[TextFeatures, sparse.csr_matrix]:
        """Fit on ``texts`` and return their features. ``min_df=2`` drops n-grams seen in
        one document only: on thousands of documents they are mostly noise and make the
        regression several times slower (banking77: 44k → 24k columns, 23 s → 8 s per fit,
        same test accuracy)."""
        vectorizers = {kind: _vectorizer(kind, min_df=min_df) for kind in _SETTINGS}
        blocks = [vectorizer.fit_transform(texts) for vectorizer in vectorizers.values()]
        return cls(vectorizers), sparse.hstack(blocks, format="csr")

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        words = self._vectorizers[WORD].transform(texts)
        return sparse.hstack([words, self._char.transform(texts)], format="csr")

    @property
    def size(self) -> int:
        return sum(len(v.vocabulary_) for v in self._vectorizers.values())

    @property
    def word_columns(self) -> int:
        """Word features come first; columns from here on are character n-grams."""
        return len(self._vectorizers[WORD].vocabulary_)

    def word_terms(self) -> list[str]:
        """The word n-gram of each of the first ``word_columns`` columns."""
        if self._word_terms is None:
            self._word_terms = _terms(self._vectorizers[WORD])
        return self._word_terms

    def to_state(self) -> dict[str, NDArray[Any]]:
        """Arrays that ``from_state`` turns back into the same features."""
        state: dict[str, NDArray[Any]] = {}
        for kind, vectorizer in self._vectorizers.items():
            state[f"{kind}_terms"] = np.array(_terms(vectorizer), dtype=np.str_)
            state[f"{kind}_idf"] = np.asarray(vectorizer.idf_, dtype=np.float64)
        return state

    @classmethod
    def from_state(cls, state: Mapping[str, NDArray[Any]]) -> TextFeatures:
        vectorizers = {}
        for kind in _SETTINGS:
            terms = [str(term) for term in state[f"{kind}_terms"]]
            vectorizer = _vectorizer(kind, {term: i for i, term in enumerate(terms)})
            vectorizer.idf_ = np.asarray(state[f"{kind}_idf"], dtype=np.float64)
            vectorizers[kind] = vectorizer
        return cls(vectorizers)


def _terms(vectorizer: TfidfVectorizer) -> list[str]:
    terms = [""] * len(vectorizer.vocabulary_)
    for term, column in vectorizer.vocabulary_.items():
        terms[int(column)] = str(term)
    return terms
