"""What every classifier returns and the interface the pipeline calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

ALTERNATIVES = 3


@dataclass(frozen=True)
class Neighbour:
    """A labelled training document close to the predicted one."""

    reference: str
    case_type: str
    similarity: float


@dataclass(frozen=True)
class Explanation:
    """Why a trained model decided as it did: its nearest labelled documents, the words that
    weighed most for the chosen case type, and whether the document looked unlike anything
    it was trained on (``novel``; then it goes to review whatever the confidence)."""

    neighbours: list[Neighbour] = field(default_factory=list)
    words: list[tuple[str, float]] = field(default_factory=list)
    novel: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "neighbours": [
                {"reference": n.reference, "case_type": n.case_type, "similarity": n.similarity}
                for n in self.neighbours
            ],
            "words": [{"term": term, "weight": weight} for term, weight in self.words],
            "novel": self.novel,
        }


@dataclass(frozen=True)
class Prediction:
    """The chosen case type, its probability, and the next most likely ones, best first.

    ``threshold`` is the model's own confidence needed to route this case type
    automatically (``None``: the configured global threshold applies; ``inf``: never).
    """

    case_type: str
    confidence: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)
    threshold: float | None = None
    explanation: Explanation | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is not in [0, 1]")


@runtime_checkable
class Classifier(Protocol):
    """Maps document vectors (one L2-normalised row each) to case-type predictions."""

    @property
    def name(self) -> str: ...

    @property
    def case_types(self) -> list[str]: ...

    def classify(
        self, vectors: NDArray[np.float32], texts: Sequence[str] | None = None
    ) -> list[Prediction]:
        """One prediction per row of ``vectors``; ``texts`` are the same documents' texts,
        for classifiers that also read words (required by those)."""
        ...


def softmax(scores: NDArray[np.floating[Any]], *, temperature: float) -> NDArray[np.float64]:
    """Row-wise softmax of ``scores / temperature``, computed stably."""
    if temperature <= 0:
        raise ValueError("temperature must be positive")
    logits = np.asarray(scores, dtype=np.float64) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    result: NDArray[np.float64] = weights / weights.sum(axis=1, keepdims=True)
    return result


def predictions_from_probabilities(
    probabilities: NDArray[np.floating[Any]], *, case_types: Sequence[str]
) -> list[Prediction]:
    """The top case type per row with its probability and the next ``ALTERNATIVES``."""
    predictions: list[Prediction] = []
    for row in np.asarray(probabilities, dtype=np.float64):
        order = np.argsort(-row, kind="stable")
        best = int(order[0])
        predictions.append(
            Prediction(
                case_type=case_types[best],
                confidence=float(min(max(row[best], 0.0), 1.0)),
                alternatives=[
                    (case_types[int(i)], float(row[int(i)])) for i in order[1 : 1 + ALTERNATIVES]
                ],
            )
        )
    return predictions


def negative_log_likelihood(
    scores: NDArray[np.floating[Any]], targets: NDArray[np.intp], *, temperature: float
) -> float:
    """Mean NLL of the true class under ``softmax(scores / temperature)``."""
    logits = np.asarray(scores, dtype=np.float64) / temperature
    top = logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_norm - logits[np.arange(len(targets)), targets]))


def fit_temperature(
    scores: NDArray[np.floating[Any]],
    targets: NDArray[np.intp],
    *,
    low: float = 5e-3,
    high: float = 1.0,
    iterations: int = 60,
) -> float:
    """The temperature in ``[low, high]`` that minimises the mean NLL of ``targets``.

    The NLL is convex in the inverse temperature, hence unimodal in ``log T``, so a
    golden-section search over ``log T`` finds the minimum without any dependency. When
    every row is classified right the NLL keeps falling as T goes to 0; the floor ``low``
    keeps confidences from all becoming 1 on a small, perfectly separated set.
    """
    if len(targets) == 0:
        raise ValueError("no labelled rows to fit a temperature on")
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = np.log(low), np.log(high)

    def loss(log_t: float) -> float:
        return negative_log_likelihood(scores, targets, temperature=float(np.exp(log_t)))

    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = loss(c), loss(d)
    for _ in range(iterations):
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = loss(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = loss(d)
    return float(np.exp((a + b) / 2.0))
