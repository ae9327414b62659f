"""Per-class confidence thresholds that reach a target precision, for abstention.

A document is routed automatically when its confidence reaches the threshold of the class
it was assigned; otherwise it goes to review. Each class's threshold is the lowest
confidence at which the documents *assigned to that class* in cross-validation were right
at least ``target`` of the time — so a class that is easily confused with another needs
more confidence than one that is not.

Small classes make that estimate noisy: three right out of three is "precision 1.0". The
class's hit count is therefore shrunk towards the pooled precision of all classes at the
same threshold, with the weight of ``strength`` pseudo-documents:
``(hits + m·pooled) / (n + m)``. A class with many held-out predictions gets its own
threshold; a class with few gets about the pooled one. A class for which no threshold
reaches the target never routes automatically (``inf``).

Thresholds are only ever placed at the confidence of a prediction that was *right*: a
lower level would only add wrong rows (stand-ins for out-of-scope mail, say), and
"precision still reached" would then lower the threshold for nothing gained.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

DEFAULT_TARGET_PRECISION = 0.95
DEFAULT_STRENGTH = 20.0


def _precision_at(
    confidences: NDArray[np.float64], correct: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distinct confidences (descending) and the precision of rows at or above each."""
    order = np.argsort(-confidences, kind="stable")
    conf = confidences[order]
    hits = np.cumsum(correct[order])
    # the last row of each run of equal confidences closes that threshold's group
    last = np.r_[conf[1:] != conf[:-1], True]
    counts = np.arange(1, len(conf) + 1)[last]
    return conf[last], hits[last] / counts


def choose_thresholds(
    *,
    confidences: NDArray[np.floating[Any]],
    predicted: NDArray[np.intp],
    correct: NDArray[np.bool_],
    n_classes: int,
    target: float = DEFAULT_TARGET_PRECISION,
    strength: float = DEFAULT_STRENGTH,
) -> NDArray[np.float64]:
    """One threshold per class from held-out ``confidences`` of ``predicted`` classes."""
    if not 0.0 < target <= 1.0:
        raise ValueError("target precision must be in (0, 1]")
    conf = np.asarray(confidences, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    thresholds = np.full(n_classes, np.inf)
    if len(conf) == 0:
        return thresholds
    pooled_levels, pooled_precision = _precision_at(conf, right)
    ascending = pooled_levels[::-1]

    def pooled_at(levels: NDArray[np.float64]) -> NDArray[np.float64]:
        # precision of all rows with confidence >= level: the group of the smallest
        # distinct pooled confidence that is still >= level
        index = np.searchsorted(ascending, levels, side="left")
        return np.asarray(pooled_precision[::-1][np.minimum(index, len(ascending) - 1)])

    right_levels = np.isin(pooled_levels, conf[right])
    reached = pooled_levels[(pooled_precision >= target) & right_levels]
    pooled_threshold = float(reached.min()) if len(reached) else np.inf
    for c in range(n_classes):
        mask = predicted == c
        if not mask.any():
            thresholds[c] = pooled_threshold
            continue
        own, own_right = conf[mask], right[mask]
        levels = np.unique(own[own_right])
        if np.isfinite(pooled_threshold):
            # above all of the class's own confidences its estimate is the pooled one
            levels = np.union1d(levels, [pooled_threshold])
        at_or_above = own[None, :] >= levels[:, None]
        counts = at_or_above.sum(axis=1).astype(np.float64)
        hits = (at_or_above & own_right[None, :]).sum(axis=1)
        prior = pooled_at(levels)
        weight = counts + strength
        smoothed = np.divide(hits + strength * prior, weight, out=prior.copy(), where=weight > 0)
        good = levels[smoothed >= target]
        thresholds[c] = float(good.min()) if len(good) else np.inf
    return thresholds
