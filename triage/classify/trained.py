"""The trained classifier: two views fused, calibrated, with per-class thresholds.

Views: a TF-IDF logistic regression over the letter's words and character n-grams, and a
logistic regression over its sentence-embedding vector. ``triage.classify.calibration``
fuses them; ``triage.classify.thresholds`` decides per class how confident a prediction
must be to be routed without a person. Every prediction explains itself: the labelled
documents nearest to it, and the words that pushed most towards the chosen case type.

Out of scope. A letter unlike every training document (nearest-neighbour cosine below
``novelty_threshold``, the similarity that all but 1 % of held-out training documents
reach) goes to review whatever its confidence: the classes are all the model knows, and a
softmax always picks one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage.classify.base import Explanation, Neighbour, Prediction, predictions_from_probabilities
from triage.classify.calibration import Calibration
from triage.classify.linear import LinearHead
from triage.classify.text_features import TextFeatures
from triage.embedding import normalize_rows

NEIGHBOURS = 3
WORDS = 5


@dataclass(frozen=True)
class NeighbourIndex:
    """The training documents' vectors, classes and references, for explanations."""

    vectors: NDArray[np.float16]
    targets: NDArray[np.intp]
    references: list[str]

    @classmethod
    def build(
        cls, vectors: NDArray[np.floating[Any]], targets: NDArray[np.intp], references: list[str]
    ) -> NeighbourIndex:
        return cls(
            vectors=normalize_rows(vectors).astype(np.float16),
            targets=np.asarray(targets, dtype=np.intp),
            references=list(references),
        )

    def nearest(
        self, vectors: NDArray[np.floating[Any]], *, k: int = NEIGHBOURS
    ) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        """Indices and cosines of the ``k`` nearest training documents per row, nearest
        first (fewer when there are fewer documents)."""
        if len(self.targets) == 0:
            empty = np.zeros((len(vectors), 0))
            return empty.astype(np.intp), empty.astype(np.float32)
        sims = normalize_rows(vectors) @ self.vectors.astype(np.float32).T
        take = min(k, sims.shape[1])
        top = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        top = np.take_along_axis(top, order, axis=1)
        return top.astype(np.intp), np.take_along_axis(sims, top, axis=1)


@dataclass
class TrainedClassifier:
    """A fitted model; built by ``triage.classify.training``, stored by ``.artefact``."""

    classes: list[str]
    features: TextFeatures
    text_head: LinearHead
    embed_head: LinearHead
    calibration: Calibration
    thresholds: NDArray[np.float64]
    neighbours: NeighbourIndex
    novelty_threshold: float | None
    encoder: str
    version: str = "unsaved"
    card: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"trained {self.version}"

    @property
    def case_types(self) -> list[str]:
        return list(self.classes)

    def threshold_for(self, case_type: str) -> float:
        return float(self.thresholds[self.classes.index(case_type)])

    def thresholds_by_class(self) -> Mapping[str, float]:
        return {key: float(t) for key, t in zip(self.classes, self.thresholds, strict=True)}

    def _views(
        self, vectors: NDArray[np.floating[Any]], texts: Sequence[str]
    ) -> tuple[list[NDArray[np.float64]], Any]:
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts for {len(vectors)} vectors")
        words = self.features.transform(list(texts))
        vectors32 = np.asarray(vectors, dtype=np.float32)
        return [self.text_head.log_proba(words), self.embed_head.log_proba(vectors32)], words

    def probabilities(
        self, vectors: NDArray[np.floating[Any]], texts: Sequence[str]
    ) -> NDArray[np.float64]:
        views, _ = self._views(vectors, texts)
        return self.calibration.apply(views)

    def auto_routed(
        self, vectors: NDArray[np.floating[Any]], probabilities: NDArray[np.float64]
    ) -> NDArray[np.bool_]:
        """Which rows go to a queue without a person: confident enough for their class by
        its own threshold, and not novel (the same rule ``classify`` applies)."""
        best = probabilities.argmax(axis=1)
        routed = probabilities.max(axis=1) >= self.thresholds[best]
        _, cosines = self.neighbours.nearest(np.asarray(vectors, dtype=np.float32), k=1)
        if self.novelty_threshold is not None and cosines.shape[1]:
            routed &= cosines[:, 0] >= self.novelty_threshold
        result: NDArray[np.bool_] = routed
        return result

    def classify(
        self, vectors: NDArray[np.floating[Any]], texts: Sequence[str] | None = None
    ) -> list[Prediction]:
        if texts is None:
            raise ValueError("the trained classifier needs the documents' texts")
        if len(vectors) == 0:
            return []
        views, words = self._views(vectors, texts)
        probabilities = self.calibration.apply(views)
        plain = predictions_from_probabilities(probabilities, case_types=self.classes)
        nearest, cosines = self.neighbours.nearest(np.asarray(vectors, dtype=np.float32))
        results = []
        for row, prediction in enumerate(plain):
            best = self.classes.index(prediction.case_type)
            novel = bool(
                self.novelty_threshold is not None
                and cosines.shape[1] > 0
                and cosines[row, 0] < self.novelty_threshold
            )
            explanation = Explanation(
                neighbours=[
                    Neighbour(
                        reference=self.neighbours.references[int(i)],
                        case_type=self.classes[int(self.neighbours.targets[int(i)])],
                        similarity=round(float(s), 4),
                    )
                    for i, s in zip(nearest[row], cosines[row], strict=True)
                ],
                words=self._top_words(words, row, best),
                novel=novel,
            )
            results.append(
                Prediction(
                    case_type=prediction.case_type,
                    confidence=prediction.confidence,
                    alternatives=prediction.alternatives,
                    threshold=np.inf if novel else float(self.thresholds[best]),
                    explanation=explanation,
                )
            )
        return results

    def _top_words(self, words: Any, row: int, target: int) -> list[tuple[str, float]]:
        """The word n-grams of the document with the largest positive weight for
        ``target`` in the text view (its TF-IDF value times the class's coefficient)."""
        line = words.getrow(row)
        limit = self.features.word_columns
        mask = line.indices < limit
        columns, values = line.indices[mask], line.data[mask]
        if len(columns) == 0:
            return []
        contributions = values * self.text_head.weights[target, columns]
        order = np.argsort(-contributions)[:WORDS]
        terms = self.features.word_terms()
        return [
            (terms[int(columns[i])], round(float(contributions[i]), 4))
            for i in order
            if contributions[i] > 0
        ]
