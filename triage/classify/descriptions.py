"""Rows that describe case types, learnt from beside the letters.

A case type's name and description say what it is about before a single letter has been
labelled; with few letters they are worth as much as several examples (banking77 with 8
letters per class: macro-F1 0.80 without its label names, 0.82 with them,
``docs/figures.md``). The classifier learns from them like from letters, but never
calibrates or sets thresholds on them (``TrainingSet.descriptions``).

- A tenant's model: the taxonomy's "name: description" and its example sentences, the
  same texts the zero-shot classifier starts from.
- A labelled file without a taxonomy (``triage eval``): the label itself in words
  (``card_arrival`` → "card arrival"), the only description such a file carries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from triage.classify.similarity import prototype_texts
from triage.classify.training import TrainingSet
from triage.taxonomy import Taxonomy

Encode = Callable[[Sequence[str]], NDArray[np.float32]]


def label_words(label: str) -> str:
    words = re.sub(r"[_\-./]+", " ", label).strip()
    return words or label


def description_rows(
    labels: Sequence[str], *, taxonomy: Taxonomy | None = None
) -> list[tuple[str, str]]:
    """(case type, text) pairs for the case types among ``labels``."""
    wanted = sorted(set(labels))
    if taxonomy is None:
        return [(label, label_words(label)) for label in wanted]
    keep = set(wanted)
    return [(key, text) for key, text in prototype_texts(taxonomy) if key in keep]


@dataclass(frozen=True)
class Descriptions:
    """Embedded description rows, ready to join any training set of the same case types."""

    labels: list[str]
    texts: list[str]
    vectors: NDArray[np.float32]

    @classmethod
    def embed(cls, rows: Sequence[tuple[str, str]], *, encode: Encode) -> Descriptions:
        texts = [text for _, text in rows]
        vectors = encode(texts) if texts else np.zeros((0, 0), dtype=np.float32)
        return cls(labels=[label for label, _ in rows], texts=texts, vectors=vectors)

    def __len__(self) -> int:
        return len(self.labels)

    def add_to(self, data: TrainingSet) -> TrainingSet:
        if not self.labels:
            return data
        return data.plus_descriptions(texts=self.texts, labels=self.labels, vectors=self.vectors)
