"""Turning two views' log-probabilities into one calibrated distribution.

Fusion. The text view (TF-IDF) and the embedding view each give log-probabilities; the
fused distribution is ``softmax(a·log p_text + b·log p_embed)`` — a weighted log-linear
pool. ``a`` and ``b`` are fitted by minimising the negative log-likelihood of
cross-validated (out-of-fold) predictions, so they act both as the mixing weight and as a
temperature for each view. Measured on banking77 (``bench/classifier_benchmarks.py``):
the plain average of the two views' probabilities gains accuracy but keeps an ECE of 0.09;
the fitted pool gains the same and brings ECE to 0.01.

Top-label calibration. NLL fitting leaves the *top* probability somewhat over-confident
on skewed data (GermEval 2017: 0.94 stated, 0.92 right on held-out folds). A logistic map
of the top probability's logit, fitted on the same out-of-fold predictions to whether the
top class was right (Platt scaling of the confidence), corrects that while keeping the
order of confidences (the map is increasing), so the ranking for auto-routing is the same.
The other classes keep their ratios and share what is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from triage.classify.linear import log_softmax

_EPS = 1e-6


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, _EPS, 1 - _EPS)
    result: NDArray[np.float64] = np.log(q / (1 - q))
    return result


@dataclass(frozen=True)
class Calibration:
    """Fusion weights (one per view) and the top-label map ``sigmoid(slope·logit + shift)``."""

    weights: tuple[float, ...]
    slope: float = 1.0
    shift: float = 0.0

    def fuse(self, views: list[NDArray[np.float64]]) -> NDArray[np.float64]:
        """Fused probabilities, before the top-label map."""
        if len(views) != len(self.weights):
            raise ValueError(f"{len(views)} views for {len(self.weights)} weights")
        total = sum(w * v for w, v in zip(self.weights, views, strict=True))
        return np.exp(log_softmax(np.asarray(total)))

    def top_label(self, probabilities: NDArray[np.float64]) -> NDArray[np.float64]:
        """Replace each row's top probability by its calibrated value; the rest keep their
        ratios. Never lets the top class fall below the runner-up."""
        result = np.array(probabilities, dtype=np.float64, copy=True)
        if result.shape[1] < 2 or len(result) == 0:
            return result
        rows = np.arange(len(result))
        top = result.argmax(axis=1)
        raw = result[rows, top]
        calibrated = 1.0 / (1.0 + np.exp(-(self.slope * _logit(raw) + self.shift)))
        second = np.sort(result, axis=1)[:, -2]
        others = np.maximum(result.sum(axis=1) - raw, 0.0)
        # the runner-up after rescaling is p2·(1-c)/S; it stays below c iff c > p2/(S+p2);
        # a relative margin keeps the top strictly ahead, so rounding never changes the choice
        floor = second / np.maximum(others + second, _EPS) * (1.0 + 1e-9)
        calibrated = np.minimum(np.maximum(calibrated, floor), 1.0)
        rest = np.divide(1.0 - calibrated, others, out=np.zeros_like(others), where=others > 0)
        result *= rest[:, None]
        result[rows, top] = calibrated
        return result

    def apply(self, views: list[NDArray[np.float64]]) -> NDArray[np.float64]:
        return self.top_label(self.fuse(views))

    def to_json(self) -> dict[str, Any]:
        return {
            "method": "log-linear pool + top-label Platt",
            "weights": list(self.weights),
            "slope": self.slope,
            "shift": self.shift,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            slope=float(data["slope"]),
            shift=float(data["shift"]),
        )


def fit_calibration(views: list[NDArray[np.float64]], targets: NDArray[np.intp]) -> Calibration:
    """Fit fusion weights by NLL, then the top-label map by log-loss, both on out-of-fold
    log-probabilities ``views`` of the true classes ``targets``."""
    rows = np.arange(len(targets))

    def nll(weights: NDArray[np.float64]) -> float:
        total = sum(w * v for w, v in zip(weights, views, strict=True))
        return float(-log_softmax(np.asarray(total))[rows, targets].mean())

    start = np.ones(len(views))
    fitted = minimize(nll, start, method="L-BFGS-B", bounds=[(0.0, 20.0)] * len(views))
    weights = tuple(float(w) for w in fitted.x)
    fused = Calibration(weights=weights).fuse(views)
    top = fused.argmax(axis=1)
    x = _logit(fused[rows, top])
    y = (top == targets).astype(np.float64)

    # One pseudo-row right and one wrong at the mean logit (Laplace smoothing): a tiny
    # training set whose held-out rows were all right (or all wrong) must not be mapped
    # to certainty (or to zero).
    x = np.r_[x, x.mean(), x.mean()]
    y = np.r_[y, 1.0, 0.0]

    def log_loss(params: NDArray[np.float64]) -> float:
        z = params[0] * x + params[1]
        # log(1 + e^z) - y·z, written stably
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    mapped = minimize(
        log_loss,
        np.array([1.0, 0.0]),
        method="L-BFGS-B",
        bounds=[(0.05, 20.0), (-20.0, 20.0)],
    )
    slope, shift = float(mapped.x[0]), float(mapped.x[1])
    return Calibration(weights=weights, slope=slope, shift=shift)
