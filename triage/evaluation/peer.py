"""The classic peer every evaluation reports next to the model: TF-IDF word 1-2-grams and
character 2-5-grams with logistic regression (C=10), as in ``../shared/data/README.md``
(its published banking77 figures, 0.913 / 0.914 / 0.919 / 0.091, are reproduced by this
class within 0.001). No calibration, no thresholds: what a capture suite would ship."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from triage.classify.linear import LinearHead
from triage.classify.text_features import TextFeatures

PEER_C = 10.0


class ClassicPeer:
    name = "tfidf+lr peer"

    def __init__(self, *, classes: list[str], features: TextFeatures, head: LinearHead) -> None:
        self.classes = classes
        self._features = features
        self._head = head

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[str]) -> ClassicPeer:
        classes = sorted(set(labels))
        targets = np.searchsorted(np.array(classes), np.array(list(labels))).astype(np.intp)
        features, words = TextFeatures.fit_transform(list(texts))
        head = LinearHead.fit(words, targets, n_classes=len(classes), c=PEER_C)
        return cls(classes=classes, features=features, head=head)

    def probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return np.exp(self._head.log_proba(self._features.transform(list(texts))))
