"""Character n-gram TF-IDF of long letters, fast: counted per distinct word, not per n-gram.

scikit-learn's ``char_wb`` analyzer cuts every word of a document into its n-grams and
counts them one by one in Python, several milliseconds for a 2,600-character news article
(gnad10k): too slow for prediction on long letters. Within word boundaries a
word's n-grams depend on the word alone, so here each distinct word of a document is
looked up once — its in-vocabulary columns are cached per word — and multiplied by how
often it occurs. The result is the same matrix that ``TfidfVectorizer.transform`` gives
for ``analyzer="char_wb"``, ``lowercase=True``, ``sublinear_tf=True``, ``norm="l2"``
(``tests/classify/test_char_grams.py`` checks this against scikit-learn).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.preprocessing import normalize

# Words kept in the cache before it starts afresh: bounds memory on endless new words.
CACHE_WORDS = 200_000
_EMPTY = np.zeros(0, dtype=np.int64)


def word_grams(word: str, *, low: int, high: int) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyzer takes from one word (padded with a
    space each side; a padded word shorter than n counts once, whole)."""
    padded = f" {word} "
    size = len(padded)
    grams: list[str] = []
    for n in range(low, high + 1):
        if size <= n:
            grams.append(padded)
            break
        grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


class CharGramTfidf:
    """TF-IDF of in-word character n-grams over a fixed vocabulary (float32, like the
    vectorizer it stands in for)."""

    def __init__(
        self, *, vocabulary: Mapping[str, int], idf: NDArray[np.float64], low: int, high: int
    ) -> None:
        self._vocabulary = vocabulary
        self._idf = np.asarray(idf, dtype=np.float64)
        self._low, self._high = low, high
        self._columns: dict[str, NDArray[np.int64]] = {}

    def _word_columns(self, word: str) -> NDArray[np.int64]:
        columns = self._columns.get(word)
        if columns is None:
            found = [
                self._vocabulary[gram]
                for gram in word_grams(word, low=self._low, high=self._high)
                if gram in self._vocabulary
            ]
            columns = np.array(found, dtype=np.int64) if found else _EMPTY
            if len(self._columns) >= CACHE_WORDS:
                self._columns.clear()
            self._columns[word] = columns
        return columns

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        indptr = [0]
        indices: list[NDArray[np.intp]] = []
        values: list[NDArray[Any]] = []
        for text in texts:
            words = Counter(text.lower().split())
            parts = [(self._word_columns(word), count) for word, count in words.items()]
            parts = [(columns, count) for columns, count in parts if len(columns)]
            if parts:
                found = np.concatenate([c for c, _ in parts])
                weights = np.concatenate([np.full(len(c), n, dtype=np.float64) for c, n in parts])
                unique, inverse = np.unique(found, return_inverse=True)
                counts = np.bincount(inverse, weights=weights)
                indices.append(unique)
                values.append(counts)
                indptr.append(indptr[-1] + len(unique))
            else:
                indptr.append(indptr[-1])
        columns = np.concatenate(indices) if indices else _EMPTY.astype(np.intp)
        # TfidfVectorizer's steps and float32 arithmetic, so the result is bit-identical:
        # sublinear term frequency, then IDF, then unit length
        data: NDArray[Any] = (np.concatenate(values) if values else np.zeros(0)).astype(np.float32)
        np.log(data, data)
        data += 1
        data *= self._idf[columns]
        matrix = sparse.csr_matrix(
            (data, columns, np.array(indptr)), shape=(len(texts), len(self._idf))
        )
        result: sparse.csr_matrix = normalize(matrix, norm="l2", copy=False)
        return result
