"""Figures for one classifier on one held-out test set, ready for a report or JSON.

A deployment routes a letter automatically only when the classifier is confident enough,
so besides accuracy and macro-F1 the question is how much can be routed at a precision the
administration accepts (coverage at, say, 95 % precision) and whether the confidences can
be trusted (reliability bins). A test set may hold letters that belong to no known class
(label ``OUT_OF_SCOPE``): the classifier still names a class for them, and only its own
thresholds (``routed``) can keep them away from automatic routing, so they are scored apart
from the in-scope figures.

Everything here takes plain sequences or numpy arrays, so the ``triage eval`` command and
notebooks can feed it from any classifier.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, is_dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage.evaluation.metrics import ECE_BINS, ClassificationReport, classification_report

OUT_OF_SCOPE = "__out_of_scope__"
DEFAULT_TARGET_PRECISION = 0.95
_DIGITS = 6

Labels = Sequence[str] | NDArray[Any]
Floats = Sequence[float] | NDArray[Any]
Flags = Sequence[bool] | NDArray[Any]


@dataclass(frozen=True)
class CoverageCurve:
    """One point per distinct confidence, from the most confident down: routing every row
    with confidence >= ``threshold[i]`` covers ``coverage[i]`` of the rows at
    ``precision[i]``."""

    coverage: list[float]
    precision: list[float]
    threshold: list[float]

    def to_json(self) -> dict[str, list[float]]:
        return {
            "coverage": [_round(x) for x in self.coverage],
            "precision": [_round(x) for x in self.precision],
            "threshold": [_round(x) for x in self.threshold],
        }


@dataclass(frozen=True)
class ReliabilityBin:
    """Rows with confidence in (lower, upper]; the figures are None for an empty bin."""

    lower: float
    upper: float
    count: int
    mean_confidence: float | None
    accuracy: float | None

    def to_json(self) -> dict[str, Any]:
        return _plain_dict(vars(self))


@dataclass(frozen=True)
class AtThresholds:
    """What the model's own per-class thresholds achieve. ``precision`` and ``coverage``
    are over all rows (a routed out-of-scope row is a wrong routing); the ``in_scope_``
    figures over in-scope rows only, comparable with the in-scope curve. A precision is
    None when nothing was routed."""

    routed: int
    precision: float | None
    coverage: float
    in_scope_precision: float | None
    in_scope_coverage: float

    def to_json(self) -> dict[str, Any]:
        return _plain_dict(vars(self))


@dataclass(frozen=True)
class OutOfScope:
    """Out-of-scope rows: ``recall`` is the share sent to review (None without ``routed``);
    ``coverage_at_target_all`` the coverage at the target precision over all rows, with
    out-of-scope rows counted as wrong."""

    n: int
    recall: float | None
    coverage_at_target_all: float

    def to_json(self) -> dict[str, Any]:
        return _plain_dict(vars(self))


@dataclass(frozen=True)
class ModelFigures:
    """One classifier on one test set. ``report``, ``curve``, ``reliability`` and
    ``coverage_at_target`` cover the in-scope rows only; ``n_test`` counts all rows."""

    name: str
    n_test: int
    report: ClassificationReport
    target_precision: float
    coverage_at_target: float
    curve: CoverageCurve
    reliability: list[ReliabilityBin]
    at_thresholds: AtThresholds | None = None
    out_of_scope: OutOfScope | None = None
    train_seconds: float | None = None
    predictions_per_second: float | None = None
    # slowest and fastest of the timed chunks the median above comes from
    predictions_per_second_spread: tuple[float, float] | None = None

    @property
    def coverage_key(self) -> str:
        """JSON key of the coverage figure, e.g. ``coverage_at_95_precision``."""
        return f"coverage_at_{round(self.target_precision * 100)}_precision"

    def to_json(self) -> dict[str, Any]:
        report = self.report
        return _plain_dict(
            {
                "name": self.name,
                "accuracy": report.accuracy,
                "macro_f1": report.macro_f1,
                "ece": report.ece,
                self.coverage_key: self.coverage_at_target,
                "coverage_at_target": self.coverage_at_target,
                "target_precision": self.target_precision,
                "n_test": self.n_test,
                "n_in_scope": report.n,
                "per_class": {
                    key: {
                        "precision": m.precision,
                        "recall": m.recall,
                        "f1": m.f1,
                        "support": m.support,
                    }
                    for key, m in report.per_class.items()
                },
                "confusion": {
                    "classes": list(report.classes),
                    "matrix": report.confusion.tolist(),
                },
                "curve": self.curve.to_json(),
                "reliability": [b.to_json() for b in self.reliability],
                "at_thresholds": self.at_thresholds,
                "out_of_scope": self.out_of_scope,
                "train_seconds": self.train_seconds,
                "predictions_per_second": self.predictions_per_second,
                "predictions_per_second_spread": self.predictions_per_second_spread,
            }
        )


@dataclass(frozen=True)
class FewShotScores:
    """The headline figures of one classifier trained on a few examples per class."""

    accuracy: float
    macro_f1: float
    coverage_at_target: float | None = None

    @classmethod
    def from_figures(cls, figures: ModelFigures) -> FewShotScores:
        return cls(
            accuracy=figures.report.accuracy,
            macro_f1=figures.report.macro_f1,
            coverage_at_target=figures.coverage_at_target,
        )

    def to_json(self) -> dict[str, Any]:
        return _plain_dict(vars(self))


@dataclass(frozen=True)
class FewShotPoint:
    """Model (and peer) trained on ``shots`` labelled examples per class."""

    shots: int
    model: FewShotScores
    peer: FewShotScores | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "shots": int(self.shots),
            "model": self.model.to_json(),
            "peer": None if self.peer is None else self.peer.to_json(),
        }


@dataclass(frozen=True)
class EvaluationRun:
    """Everything one ``triage eval`` run reports; ``settings`` is free-form (dataset
    paths, seed, encoder, method) and only has to be JSON-like."""

    model: ModelFigures
    peer: ModelFigures | None = None
    few_shot: list[FewShotPoint] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The model's keys at the top level, so a run file reads like a model file."""
        out = self.model.to_json()
        out["peer"] = None if self.peer is None else self.peer.to_json()
        out["few_shot"] = [point.to_json() for point in self.few_shot]
        out["settings"] = _plain_dict(self.settings)
        return out


def coverage_precision_curve(*, confidences: Floats, correct: Flags) -> CoverageCurve:
    """Rows tied on confidence enter together, so the curve does not depend on the order
    of ties (a threshold cannot separate them either)."""
    conf, hit = _rows(confidences, correct)
    if conf.size == 0:
        return CoverageCurve(coverage=[], precision=[], threshold=[])
    order = np.argsort(-conf, kind="stable")
    ranked = conf[order]
    hits = np.cumsum(hit[order])
    # last position of each run of equal confidences in the descending ranking
    ends = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))
    counts = ends + 1
    return CoverageCurve(
        coverage=[float(x) for x in counts / conf.size],
        precision=[float(x) for x in hits[ends] / counts],
        threshold=[float(x) for x in ranked[ends]],
    )


def coverage_at_precision(
    *, confidences: Floats, correct: Flags, target: float = DEFAULT_TARGET_PRECISION
) -> float:
    """The largest share of rows a single confidence threshold can route while the routed
    rows keep precision >= ``target``; 0.0 when no threshold gets there."""
    return _coverage_at(coverage_precision_curve(confidences=confidences, correct=correct), target)


def reliability_bins(
    *, confidences: Floats, correct: Flags, bins: int = ECE_BINS
) -> list[ReliabilityBin]:
    """Equal-width bins assigned exactly as ``expected_calibration_error`` does, so the
    diagram and the ECE figure describe the same rows."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    conf, hit = _rows(confidences, correct)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    out: list[ReliabilityBin] = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        out.append(
            ReliabilityBin(
                lower=float(edges[b]),
                upper=float(edges[b + 1]),
                count=count,
                mean_confidence=float(conf[mask].mean()) if count else None,
                accuracy=float(hit[mask].mean()) if count else None,
            )
        )
    return out


def model_figures(
    *,
    name: str,
    labels: Labels,
    predicted: Labels,
    confidences: Floats,
    routed: Flags | None = None,
    classes: Sequence[str] | None = None,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    train_seconds: float | None = None,
    predictions_per_second: float | None = None,
    predictions_per_second_spread: tuple[float, float] | None = None,
) -> ModelFigures:
    """Score one classifier. ``routed[i]`` says whether the model's own thresholds sent row
    i to automatic routing (False: to review); without it the threshold and out-of-scope
    recall figures are None. ``classes`` fixes the confusion-matrix order."""
    truth = [str(x) for x in np.asarray(labels, dtype=object).ravel()]
    guess = [str(x) for x in np.asarray(predicted, dtype=object).ravel()]
    if len(truth) != len(guess):
        raise ValueError("labels and predictions differ in length")
    if OUT_OF_SCOPE in guess:
        raise ValueError(f"predictions must name a class, not {OUT_OF_SCOPE}")
    if classes is not None and OUT_OF_SCOPE in classes:
        raise ValueError(f"{OUT_OF_SCOPE} is not a class")
    conf, correct = _rows(confidences, [t == g for t, g in zip(truth, guess, strict=True)])
    n = len(truth)
    in_scope = np.array([t != OUT_OF_SCOPE for t in truth], dtype=bool)
    sent = None if routed is None else _flags(routed, n, "routed")

    report = classification_report(
        labels=[t for t, keep in zip(truth, in_scope, strict=True) if keep],
        predicted=[g for g, keep in zip(guess, in_scope, strict=True) if keep],
        confidences=[float(c) for c in conf[in_scope]],
        classes=classes,
    )
    curve = coverage_precision_curve(confidences=conf[in_scope], correct=correct[in_scope])

    at_thresholds = None
    if sent is not None:
        at_thresholds = AtThresholds(
            routed=int(sent.sum()),
            precision=_share(correct[sent]),
            coverage=_share(sent) or 0.0,
            in_scope_precision=_share(correct[sent & in_scope]),
            in_scope_coverage=_share(sent[in_scope]) or 0.0,
        )

    out_of_scope = None
    if not in_scope.all():
        outside = ~in_scope
        out_of_scope = OutOfScope(
            n=int(outside.sum()),
            recall=None if sent is None else _share(~sent[outside]),
            coverage_at_target_all=coverage_at_precision(
                confidences=conf, correct=correct, target=target_precision
            ),
        )

    return ModelFigures(
        name=name,
        n_test=n,
        report=report,
        target_precision=target_precision,
        coverage_at_target=_coverage_at(curve, target_precision),
        curve=curve,
        reliability=reliability_bins(confidences=conf[in_scope], correct=correct[in_scope]),
        at_thresholds=at_thresholds,
        out_of_scope=out_of_scope,
        train_seconds=train_seconds,
        predictions_per_second=predictions_per_second,
        predictions_per_second_spread=predictions_per_second_spread,
    )


def _coverage_at(curve: CoverageCurve, target: float) -> float:
    reached = [c for c, p in zip(curve.coverage, curve.precision, strict=True) if p >= target]
    return max(reached, default=0.0)


def _rows(confidences: Floats, correct: Flags) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    conf = np.asarray(confidences, dtype=np.float64).ravel()
    if not np.isfinite(conf).all():
        raise ValueError("confidences must be finite")
    return conf, _flags(correct, conf.size, "correct")


def _flags(values: Flags, n: int, what: str) -> NDArray[np.bool_]:
    flags = np.asarray(values).ravel()
    if flags.size != n:
        raise ValueError(f"{what} and confidences differ in length")
    return flags.astype(bool) if flags.size else np.zeros(0, dtype=bool)


def _share(mask: NDArray[np.bool_]) -> float | None:
    return float(mask.mean()) if mask.size else None


def _round(value: float) -> float:
    return round(float(value), _DIGITS)


def _plain_dict(value: dict[str, Any]) -> dict[str, Any]:
    return {str(k): _plain(v) for k, v in value.items()}


def _plain(value: Any) -> Any:
    """JSON types only: dataclasses as dicts, numpy scalars and arrays unwrapped, floats
    rounded, non-finite floats as None (strict JSON has no NaN), anything else (paths) as
    strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return _plain_dict(vars(value))
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return _round(value) if math.isfinite(value) else None
    return str(value)
