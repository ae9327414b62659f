"""Zero- and few-shot classification by cosine similarity to case-type prototypes.

Each case type has prototype vectors, all embedded as passages like the letters they are
compared with: "name: description" and each example sentence of the taxonomy, plus the
vectors of labelled letters (``examples``: caseworker corrections, confirmed letters).

Centring. Raw E5 cosines mix topic with genre: any two letters share salutation, address
block and closing formula, so a letter's nearest labelled letter is often one of another
case type. Each source is therefore centred on its own mean before the cosine: taxonomy
texts on the mean taxonomy vector, letters on ``document_mean`` (the mean of the tenant's
letters; it needs no labels) or, without one, also on the taxonomy mean. On the 79 demo
letters (18 case types; ``bench/classifier_loo.py``) centring raised zero-shot macro-F1
from 0.887 to 0.913 and leave-one-out (taxonomy + the other letters) from 0.488 to 0.792
with max scoring.

Scoring, i.e. how a type's prototype cosines become its score (same bench, macro-F1
zero-shot / leave-one-out, centred): ``"max"`` 0.913 / 0.792, ``"top_k"`` mean of the
k closest with k=2 0.900 / 0.792, k=3 0.900 / 0.839, k=5 0.843 / 0.862, ``"centroid"``
(cosine to the mean prototype) 0.853 / 0.850. The default is top-3: best on both
together; max trusts one stray letter too much, larger k and the centroid blur types whose
descriptions and examples cover several situations.

Probabilities are a softmax of the scores at a temperature. Raw E5 cosines sit close
together (~0.75-0.93, a gap of 0.01-0.05 between the first two types; NLL-optimal T for
raw max scoring: 0.007); centred ones spread wider. ``DEFAULT_TEMPERATURE`` 0.03 is the
NLL-optimal value of the default (centred top-3) on the demo letters: 0.027 zero-shot,
0.038 with letters as examples. With labelled letters, ``fit_temperature`` fits it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from triage.classify.base import (
    Prediction,
    fit_temperature,
    predictions_from_probabilities,
    softmax,
)
from triage.embedding import normalize_rows
from triage.taxonomy import Taxonomy

Scoring = Literal["max", "top_k", "centroid"]
DEFAULT_TEMPERATURE = 0.03
DEFAULT_SCORING: Scoring = "top_k"
DEFAULT_TOP_K = 3
Vectors = NDArray[np.float32]


class DocumentEncoder(Protocol):
    """What the classifier needs of an ``Embedder``."""

    model_name: str

    def encode_documents(self, texts: Sequence[str], *, batch_size: int = 32) -> Vectors: ...


class SimilarityClassifier:
    """Scores vectors against per-case-type prototype vectors; see the module docstring."""

    def __init__(
        self,
        *,
        prototypes: Mapping[str, NDArray[np.floating[Any]]],
        examples: Mapping[str, NDArray[np.floating[Any]]] | None = None,
        document_mean: NDArray[np.floating[Any]] | None = None,
        centering: bool = True,
        temperature: float = DEFAULT_TEMPERATURE,
        scoring: Scoring = DEFAULT_SCORING,
        top_k: int = DEFAULT_TOP_K,
    ) -> None:
        """``prototypes`` maps each case type, in output order, to the (k, d) vectors of
        its taxonomy texts (at least one each); ``examples`` maps case types to vectors
        of labelled letters; ``document_mean`` is the mean vector of (unlabelled) letters
        used to centre letters, by default the prototypes' own mean."""
        if len(prototypes) < 2:
            raise ValueError("a classifier needs at least two case types")
        if temperature <= 0:
            raise ValueError("temperature must be positive")
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        self._case_types = list(prototypes)
        self._prototypes = {k: _matrix(m) for k, m in prototypes.items()}
        dimensions = {m.shape[1] for m in self._prototypes.values()}
        if len(dimensions) != 1:
            raise ValueError(f"prototype dimensions differ: {sorted(dimensions)}")
        empty = [key for key, matrix in self._prototypes.items() if len(matrix) == 0]
        if empty:
            raise ValueError(f"case types without prototypes: {', '.join(empty)}")
        extra = dict(examples or {})
        unknown = sorted(set(extra) - set(self._case_types))
        if unknown:
            raise ValueError(f"examples for unknown case types: {', '.join(unknown)}")
        dimension = dimensions.pop()
        self._examples = {k: _matrix(extra.get(k), dimension) for k in self._case_types}
        self.temperature = float(temperature)
        self.scoring: Scoring = scoring
        self.top_k = top_k
        self.centering = centering
        self._document_mean = (
            None if document_mean is None else _matrix(document_mean, dimension)[0]
        )
        # What is subtracted from taxonomy vectors and from letter vectors before cosines.
        self._p_shift = np.zeros(dimension, np.float32)
        self._d_shift = self._p_shift
        if centering:
            self._p_shift = np.concatenate(list(self._prototypes.values())).mean(axis=0)
            if self._document_mean is not None:
                self._d_shift = self._document_mean
            else:
                self._d_shift = self._p_shift
        per_type = [
            normalize_rows(
                np.concatenate(
                    [self._prototypes[key] - self._p_shift, self._examples[key] - self._d_shift]
                )
            )
            for key in self._case_types
        ]
        self._matrix = np.concatenate(per_type)
        bounds = np.cumsum([0, *(len(m) for m in per_type)])
        self._slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        self._centroids = normalize_rows(np.stack([m.mean(axis=0) for m in per_type]))

    @property
    def name(self) -> str:
        detail = f"top_k={self.top_k}" if self.scoring == "top_k" else self.scoring
        centred = "centred" if self.centering else "raw"
        return f"similarity({detail}, {centred}, T={self.temperature:.4f})"

    @property
    def case_types(self) -> list[str]:
        return list(self._case_types)

    @property
    def dimension(self) -> int:
        return int(self._matrix.shape[1])

    def prototypes(self, case_type: str) -> Vectors:
        """The taxonomy texts' vectors of ``case_type``, as given."""
        return self._prototypes[case_type].copy()

    def examples(self, case_type: str) -> Vectors:
        """The labelled letters' vectors of ``case_type``, as given."""
        return self._examples[case_type].copy()

    def _rebuild(self, **changes: Any) -> SimilarityClassifier:
        settings: dict[str, Any] = {
            "prototypes": self._prototypes,
            "examples": self._examples,
            "document_mean": self._document_mean,
            "centering": self.centering,
            "temperature": self.temperature,
            "scoring": self.scoring,
            "top_k": self.top_k,
        }
        settings.update({key: value for key, value in changes.items() if value is not None})
        return SimilarityClassifier(**settings)

    def with_examples(
        self, examples: Mapping[str, NDArray[np.floating[Any]]]
    ) -> SimilarityClassifier:
        """A new classifier with extra labelled letter vectors added to the examples."""
        unknown = sorted(set(examples) - set(self._case_types))
        if unknown:
            raise ValueError(f"examples for unknown case types: {', '.join(unknown)}")
        merged = {
            key: np.concatenate([matrix, _matrix(examples.get(key), self.dimension)])
            for key, matrix in self._examples.items()
        }
        return self._rebuild(examples=merged)

    def reconfigured(
        self,
        *,
        scoring: Scoring | None = None,
        top_k: int | None = None,
        temperature: float | None = None,
        centering: bool | None = None,
        document_mean: NDArray[np.floating[Any]] | None = None,
    ) -> SimilarityClassifier:
        """The same vectors with other settings (``None`` keeps the current one)."""
        return self._rebuild(
            scoring=scoring,
            top_k=top_k,
            temperature=temperature,
            centering=centering,
            document_mean=document_mean,
        )

    def scores(self, vectors: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        """Cosine-based score of every row against every case type, shape (n, types)."""
        rows = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        if rows.shape[1] != self.dimension:
            raise ValueError(f"vectors have dimension {rows.shape[1]}, expected {self.dimension}")
        rows = normalize_rows(rows - self._d_shift)
        if self.scoring == "centroid":
            return (rows @ self._centroids.T).astype(np.float64)
        cosines = (rows @ self._matrix.T).astype(np.float64)
        k = 1 if self.scoring == "max" else self.top_k
        columns = []
        for part in self._slices:
            block = cosines[:, part]
            if k == 1:
                columns.append(block.max(axis=1))
            else:
                take = min(k, block.shape[1])
                columns.append(np.sort(block, axis=1)[:, -take:].mean(axis=1))
        return np.stack(columns, axis=1)

    def probabilities(self, vectors: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        return softmax(self.scores(vectors), temperature=self.temperature)

    def classify(
        self, vectors: NDArray[np.floating[Any]], texts: Sequence[str] | None = None
    ) -> list[Prediction]:
        """``texts`` are not used: this classifier compares vectors only."""
        if len(vectors) == 0:
            return []
        return predictions_from_probabilities(
            self.probabilities(vectors), case_types=self._case_types
        )

    def targets(self, labels: Sequence[str]) -> NDArray[np.intp]:
        """Case-type keys as column indices; unknown keys are an error."""
        index = {key: i for i, key in enumerate(self._case_types)}
        unknown = sorted({label for label in labels if label not in index})
        if unknown:
            raise ValueError(f"labels not in the classifier: {', '.join(unknown)}")
        return np.array([index[label] for label in labels], dtype=np.intp)

    def fit_temperature(self, vectors: NDArray[np.floating[Any]], labels: Sequence[str]) -> float:
        """Set (and return) the temperature that minimises NLL of ``labels`` on ``vectors``.

        Fit on vectors that are not themselves prototypes: a letter scored against its own
        vector has cosine 1 and would push the temperature towards zero.
        """
        self.temperature = fit_temperature(self.scores(vectors), self.targets(labels))
        return self.temperature


def _matrix(
    vectors: NDArray[np.floating[Any]] | None, dimension: int | None = None
) -> NDArray[np.float32]:
    """``vectors`` as a float32 (n, d) matrix; ``None`` or a 1-d vector of size d allowed."""
    if vectors is None:
        return np.zeros((0, dimension or 0), np.float32)
    matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    if dimension is not None and matrix.size == 0:
        return matrix.reshape(0, dimension)
    if dimension is not None and matrix.shape[1] != dimension:
        raise ValueError(f"vectors have dimension {matrix.shape[1]}, expected {dimension}")
    return matrix


def prototype_texts(taxonomy: Taxonomy) -> list[tuple[str, str]]:
    """(case type key, text) pairs: "name: description" and every example sentence."""
    pairs: list[tuple[str, str]] = []
    for case_type in taxonomy.case_types:
        pairs.append((case_type.key, f"{case_type.name}: {case_type.description}"))
        pairs.extend((case_type.key, example) for example in case_type.examples)
    return pairs


def build_similarity_classifier(
    *,
    taxonomy: Taxonomy,
    embedder: DocumentEncoder,
    extra_examples: Mapping[str, Sequence[str]] | None = None,
    document_mean: NDArray[np.floating[Any]] | None = None,
    centering: bool = True,
    temperature: float = DEFAULT_TEMPERATURE,
    scoring: Scoring = DEFAULT_SCORING,
    top_k: int = DEFAULT_TOP_K,
) -> SimilarityClassifier:
    """Embed the taxonomy's descriptions and examples, plus ``extra_examples`` (letter
    texts per case type key, treated as labelled letters), in one call and build a
    classifier from them."""
    pairs = prototype_texts(taxonomy)
    extra = dict(extra_examples or {})
    unknown = sorted(set(extra) - set(taxonomy.keys))
    if unknown:
        raise ValueError(f"extra examples for unknown case types: {', '.join(unknown)}")
    letters = [(key, text) for key, texts in extra.items() for text in texts]
    vectors = embedder.encode_documents([text for _, text in pairs + letters])
    owners = np.array([key for key, _ in pairs + letters])
    is_letter = np.arange(len(owners)) >= len(pairs)
    return SimilarityClassifier(
        prototypes={key: vectors[(owners == key) & ~is_letter] for key in taxonomy.keys},
        examples={key: vectors[(owners == key) & is_letter] for key in extra},
        document_mean=document_mean,
        centering=centering,
        temperature=temperature,
        scoring=scoring,
        top_k=top_k,
    )
