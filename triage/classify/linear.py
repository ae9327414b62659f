"""A multinomial logistic-regression head, fitted by scikit-learn, stored as plain arrays."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

# The logit given to a class the head never saw in training (a fold of cross-validation may
# lack a rare class): e^-30 is zero for every purpose, yet finite, so fusion stays defined.
_ABSENT_LOGIT = -30.0


def log_softmax(logits: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    result: NDArray[np.float64] = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return result


@dataclass(frozen=True)
class LinearHead:
    """``log_softmax(X @ weights.T + bias)`` over ``n_classes`` columns."""

    weights: NDArray[np.float32]
    bias: NDArray[np.float64]

    @classmethod
    def fit(
        cls,
        features: Any,
        targets: NDArray[np.intp],
        *,
        n_classes: int,
        c: float,
        max_iter: int = 1000,
    ) -> LinearHead:
        """Fit on rows whose class indices are ``targets``; classes absent from ``targets``
        get a weight row of zeros and a bias that makes them practically impossible."""
        present = np.unique(targets)
        dimension = features.shape[1]
        weights = np.zeros((n_classes, dimension), dtype=np.float32)
        bias = np.full(n_classes, _ABSENT_LOGIT, dtype=np.float64)
        if len(present) == 1:
            bias[present[0]] = 0.0
            return cls(weights=weights, bias=bias)
        model = LogisticRegression(C=c, max_iter=max_iter)
        with warnings.catch_warnings():
            # lbfgs stopping at max_iter leaves a usable model; calibration absorbs the rest.
            warnings.simplefilter("ignore", ConvergenceWarning)
            # with one or two examples per class scikit-learn suspects a regression problem
            warnings.filterwarnings("ignore", message="The number of unique classes")
            model.fit(features, targets)
        classes = np.asarray(model.classes_, dtype=np.intp)
        coef = np.asarray(model.coef_)
        intercept = np.asarray(model.intercept_)
        if len(classes) == 2:
            # scikit-learn stores a binary problem as one row for the second class.
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        weights[classes] = coef
        bias[classes] = intercept
        return cls(weights=weights, bias=bias)

    def logits(self, features: Any) -> NDArray[np.float64]:
        product = features @ self.weights.T
        return np.asarray(product, dtype=np.float64) + self.bias

    def log_proba(self, features: Any) -> NDArray[np.float64]:
        return log_softmax(self.logits(features))

    def to_state(self, prefix: str) -> dict[str, NDArray[Any]]:
        return {f"{prefix}_weights": self.weights, f"{prefix}_bias": self.bias}

    @classmethod
    def from_state(cls, state: Mapping[str, NDArray[Any]], prefix: str) -> LinearHead:
        return cls(
            weights=np.asarray(state[f"{prefix}_weights"], dtype=np.float32),
            bias=np.asarray(state[f"{prefix}_bias"], dtype=np.float64),
        )
