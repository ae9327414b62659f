"""Whether the LLM's second opinion should be combined with the classifier, measured.

The service asks the LLM to choose among the classifier's top-k case types when the
top-1 confidence lies in the grey zone ``[low, high)`` (``TRIAGE_LLM_GREY_ZONE``) and
stores the answer without applying it. Here three ways of applying it are scored against
the classifier alone on the same rows:

- ``confirm``: a grey-zone row the classifier's thresholds do not route is routed when
  the LLM picks the classifier's top-1; labels are unchanged.
- ``override``: in the grey zone an LLM answer replaces the label; routing is unchanged
  (a routed row keeps going to a queue, now possibly another one).
- ``confirm+override``: both. The two touch disjoint rows (confirm only where the LLM
  agrees, override only where it does not).

Each rule gets accuracy (its label against the truth, over all rows), auto-route coverage
(the routed share) and the precision of its routed rows. Rows labelled ``OUT_OF_SCOPE``
are never correct. An abstention, or a dropped answer, leaves a row as the classifier had it.

Verdict per rule, against the classifier: ``worse`` when its accuracy falls or its routed
precision falls below the floor (the classifier's own routed precision; the model's target
precision when the classifier routes nothing); ``better`` when it is not worse and its
coverage rises, or its accuracy rises significantly (exact McNemar test on the rows where
exactly one of the two is right, two-sided p < 0.05: a sample of a hundred letters where
the LLM fixes three and breaks two is no evidence); else ``no gain``.

Primary metric ``gain``: among the rules judged ``better``, the largest coverage gain plus
accuracy gain (the net share of rows handled better: routed without a person, or given the
right label); that rule is the one to adopt. 0 and no rule when none is better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import binomtest

from triage.evaluation.figures import DEFAULT_TARGET_PRECISION, OUT_OF_SCOPE

CLASSIFIER, CONFIRM, OVERRIDE, CONFIRM_OVERRIDE = (
    "classifier",
    "confirm",
    "override",
    "confirm+override",
)
RULES = (CLASSIFIER, CONFIRM, OVERRIDE, CONFIRM_OVERRIDE)
BETTER, NO_GAIN, WORSE, BASELINE = "better", "no gain", "worse", "baseline"
SIGNIFICANCE = 0.05
_DIGITS = 6


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def _share(hits: NDArray[np.bool_]) -> float | None:
    return float(hits.mean()) if hits.size else None


def mcnemar_exact(fixed: int, broken: int) -> float:
    """Two-sided exact McNemar p-value: under "no difference" each row where exactly one
    of two labellings is right is a fair coin."""
    if fixed + broken == 0:
        return 1.0
    return float(binomtest(fixed, fixed + broken, 0.5).pvalue)


def top1_confidences(probabilities: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    """The top-1 probability per row, clipped to [0, 1] as a ``Prediction``'s confidence."""
    clipped: NDArray[np.float64] = np.clip(
        np.asarray(probabilities, dtype=np.float64).max(axis=1), 0.0, 1.0
    )
    return clipped


def grey_zone_mask(
    probabilities: NDArray[np.floating[Any]], grey_zone: tuple[float, float]
) -> NDArray[np.bool_]:
    """Rows whose top-1 confidence is in ``[low, high)``, the service's rule
    (``triage.assist.service.in_grey_zone``)."""
    low, high = grey_zone
    confidence = top1_confidences(probabilities)
    mask: NDArray[np.bool_] = (confidence >= low) & (confidence < high)
    return mask


def top_classes(
    probabilities: NDArray[np.floating[Any]], classes: Sequence[str], *, row: int, k: int
) -> list[str]:
    """The ``k`` most probable classes of ``row``, best first; ties keep the class order,
    as in ``predictions_from_probabilities``."""
    order = np.argsort(-np.asarray(probabilities[row], dtype=np.float64), kind="stable")
    return [classes[int(i)] for i in order[:k]]


@dataclass(frozen=True)
class RuleFigures:
    """One way of combining: its labels and routing scored over all rows. ``gain`` is the
    verdict against the classifier (``baseline`` for the classifier itself)."""

    name: str
    accuracy: float
    routed: int
    coverage: float
    routed_precision: float | None  # None: nothing routed
    labels_changed: int
    routed_added: int
    accuracy_gain: float
    coverage_gain: float
    gain: str
    fixed: int = 0  # rows the rule gets right and the classifier wrong
    broken: int = 0  # rows the classifier gets right and the rule wrong
    accuracy_p_value: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "fixed": self.fixed,
            "broken": self.broken,
            "accuracy_p_value": _round(self.accuracy_p_value),
            "accuracy": _round(self.accuracy),
            "routed": self.routed,
            "coverage": _round(self.coverage),
            "routed_precision": _round(self.routed_precision),
            "labels_changed": self.labels_changed,
            "routed_added": self.routed_added,
            "accuracy_gain": _round(self.accuracy_gain),
            "coverage_gain": _round(self.coverage_gain),
            "gain": self.gain,
        }


@dataclass(frozen=True)
class GreyZoneFigures:
    """The grey zone alone. The classifier and the LLM are compared on the rows the LLM
    answered; ``classifier_accuracy`` covers every grey-zone row."""

    rows: int
    asked: int
    answered: int
    abstained: int
    classifier_accuracy: float | None
    classifier_accuracy_answered: float | None
    llm_accuracy_answered: float | None
    agreement: float | None
    accuracy_when_agreeing: float | None
    disagreed: int
    classifier_right_when_disagreeing: int
    llm_right_when_disagreeing: int

    def to_json(self) -> dict[str, Any]:
        return {key: _round(v) if isinstance(v, float) else v for key, v in vars(self).items()}


@dataclass(frozen=True)
class SecondOpinionReport:
    n: int
    grey_zone: tuple[float, float]
    precision_floor: float
    in_grey_zone: GreyZoneFigures
    rules: dict[str, RuleFigures]

    primary_metric = "gain"

    @property
    def adopted(self) -> str | None:
        """The rule to adopt: the ``better`` one with the largest gain, else None."""
        better = [r for r in self.rules.values() if r.gain == BETTER]
        if not better:
            return None
        # max keeps the first of equals: the simpler rule in RULES order.
        return max(better, key=lambda r: r.coverage_gain + r.accuracy_gain).name

    @property
    def primary(self) -> float:
        if (adopted := self.adopted) is None:
            return 0.0
        rule = self.rules[adopted]
        return rule.coverage_gain + rule.accuracy_gain

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "grey_zone": list(self.grey_zone),
            "precision_floor": _round(self.precision_floor),
            "primary_metric": self.primary_metric,
            "primary": _round(self.primary),
            "adopted": self.adopted,
            "grey_zone_figures": self.in_grey_zone.to_json(),
            "rules": {name: rule.to_json() for name, rule in self.rules.items()},
        }


class SecondOpinionEvaluator:
    """Scores the classifier with and without the LLM's second opinion on the same rows.

    ``target_precision`` is the model's own (its card); it is the precision floor only when
    the classifier routes nothing."""

    primary_metric = SecondOpinionReport.primary_metric

    def __init__(
        self,
        *,
        classes: Sequence[str],
        grey_zone: tuple[float, float],
        target_precision: float = DEFAULT_TARGET_PRECISION,
    ) -> None:
        if OUT_OF_SCOPE in classes:
            raise ValueError(f"{OUT_OF_SCOPE} is not a class")
        low, high = grey_zone
        if not 0 <= low <= high <= 1:
            raise ValueError("the grey zone must be (low, high) with 0 <= low <= high <= 1")
        self.classes = list(classes)
        self.grey_zone = (float(low), float(high))
        self.target_precision = target_precision

    def evaluate(
        self,
        *,
        labels: Sequence[str],
        probabilities: NDArray[np.floating[Any]],
        routed: NDArray[np.bool_] | Sequence[bool],
        answers: Mapping[int, str | None],
    ) -> SecondOpinionReport:
        """``answers``: row → the LLM's choice, or None for an abstention or a dropped
        answer; only grey-zone rows may be asked, and rows left out were not asked."""
        probabilities = np.asarray(probabilities, dtype=np.float64)
        n = len(labels)
        if probabilities.shape != (n, len(self.classes)):
            raise ValueError(
                f"probabilities of shape {probabilities.shape}, expected ({n}, {len(self.classes)})"
            )
        routed = np.asarray(routed, dtype=bool)
        if routed.shape != (n,):
            raise ValueError("routed and labels differ in length")
        grey = grey_zone_mask(probabilities, self.grey_zone) if n else np.zeros(0, dtype=bool)
        for row, answer in answers.items():
            if not 0 <= row < n or not grey[row]:
                raise ValueError(f"row {row} was asked but is not a grey-zone row")
            if answer is not None and answer not in self.classes:
                raise ValueError(f"row {row}: the answer {answer!r} is not a class")

        truth = np.array(list(labels), dtype=object)
        in_scope = truth != OUT_OF_SCOPE
        top1 = np.array(
            [self.classes[int(i)] for i in probabilities.argmax(axis=1)] if n else [], dtype=object
        )
        asked = np.zeros(n, dtype=bool)
        answered = np.zeros(n, dtype=bool)
        llm = top1.copy()
        for row, answer in answers.items():
            asked[row] = True
            if answer is not None:
                answered[row] = True
                llm[row] = answer
        agrees = answered & (llm == top1)

        def correct(predicted: NDArray[Any]) -> NDArray[np.bool_]:
            hits: NDArray[np.bool_] = (predicted == truth) & in_scope
            return hits

        baseline_correct = correct(top1)
        llm_correct = correct(llm)
        grey_figures = GreyZoneFigures(
            rows=int(grey.sum()),
            asked=int(asked.sum()),
            answered=int(answered.sum()),
            abstained=int((asked & ~answered).sum()),
            classifier_accuracy=_share(baseline_correct[grey]),
            classifier_accuracy_answered=_share(baseline_correct[answered]),
            llm_accuracy_answered=_share(llm_correct[answered]),
            agreement=_share(agrees[answered]),
            accuracy_when_agreeing=_share(baseline_correct[agrees]),
            disagreed=int((answered & ~agrees).sum()),
            classifier_right_when_disagreeing=int((baseline_correct & answered & ~agrees).sum()),
            llm_right_when_disagreeing=int((llm_correct & answered & ~agrees).sum()),
        )

        confirmed = routed | agrees
        variants = {
            CLASSIFIER: (top1, routed),
            CONFIRM: (top1, confirmed),
            OVERRIDE: (llm, routed),
            CONFIRM_OVERRIDE: (llm, confirmed),
        }
        base_accuracy = _share(baseline_correct) or 0.0
        base_coverage = _share(routed) or 0.0
        base_precision = _share(baseline_correct[routed])
        floor = self.target_precision if base_precision is None else base_precision
        rules: dict[str, RuleFigures] = {}
        for name, (predicted, sent) in variants.items():
            hits = correct(predicted)
            accuracy = _share(hits) or 0.0
            coverage = _share(sent) or 0.0
            precision = _share(hits[sent])
            fixed = int((hits & ~baseline_correct).sum())
            broken = int((baseline_correct & ~hits).sum())
            p_value = mcnemar_exact(fixed, broken)
            if name == CLASSIFIER:
                verdict = BASELINE
            elif accuracy < base_accuracy or (precision is not None and precision < floor):
                verdict = WORSE
            elif coverage > base_coverage or (accuracy > base_accuracy and p_value < SIGNIFICANCE):
                verdict = BETTER
            else:
                verdict = NO_GAIN
            rules[name] = RuleFigures(
                name=name,
                accuracy=accuracy,
                routed=int(sent.sum()),
                coverage=coverage,
                routed_precision=precision,
                labels_changed=int((predicted != top1).sum()),
                routed_added=int((sent & ~routed).sum()),
                accuracy_gain=accuracy - base_accuracy,
                coverage_gain=coverage - base_coverage,
                gain=verdict,
                fixed=fixed,
                broken=broken,
                accuracy_p_value=p_value,
            )
        return SecondOpinionReport(
            n=n,
            grey_zone=self.grey_zone,
            precision_floor=floor,
            in_grey_zone=grey_figures,
            rules=rules,
        )
