"""Where a prediction goes: the global threshold for zero-shot, the model's own otherwise."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from triage.classify.base import Explanation, Prediction
from triage.db.models import DocumentStatus
from triage.routing.router import REVIEW_QUEUE, route
from triage.taxonomy import load_default_taxonomy

TAXONOMY = load_default_taxonomy()
RECEIVED = datetime(2026, 11, 2, 9, tzinfo=UTC)
DOG_QUEUE = TAXONOMY.get("hundesteuer").queue


def _route(prediction: Prediction, threshold: float = 0.5) -> tuple[str, str | None]:
    decision = route(
        prediction=prediction, taxonomy=TAXONOMY, threshold=threshold, received_at=RECEIVED
    )
    assert (decision.status is DocumentStatus.ROUTED) == (decision.review_reason is None)
    return decision.queue, decision.review_reason


def _dog(confidence: float, threshold: float | None, *, novel: bool = False) -> Prediction:
    return Prediction(
        case_type="hundesteuer",
        confidence=confidence,
        alternatives=[("grundsteuer", 0.1)],
        threshold=threshold,
        explanation=Explanation(novel=novel) if threshold is not None else None,
    )


def test_zero_shot_predictions_use_the_global_threshold() -> None:
    assert _route(_dog(0.6, None)) == (DOG_QUEUE, None)
    assert _route(_dog(0.4, None)) == (
        REVIEW_QUEUE,
        "low confidence 0.40 < 0.50 for hundesteuer (next: grundsteuer)",
    )


def test_a_class_threshold_replaces_the_global_one_both_ways() -> None:
    assert _route(_dog(0.3, 0.2), threshold=0.9) == (DOG_QUEUE, None)
    assert _route(_dog(0.8, 0.85), threshold=0.1) == (
        REVIEW_QUEUE,
        "low confidence 0.80 for hundesteuer < its class threshold 0.85 (next: grundsteuer)",
    )


def test_novel_and_never_routed_classes_go_to_review_with_their_reason() -> None:
    queue, reason = _route(_dog(0.99, math.inf, novel=True), threshold=0.0)
    assert queue == REVIEW_QUEUE
    assert reason == (
        "unlike the training documents (novel) — best guess hundesteuer 0.99 (next: grundsteuer)"
    )
    queue, reason = _route(_dog(0.99, math.inf), threshold=0.0)
    assert queue == REVIEW_QUEUE
    assert reason is not None and reason.startswith("the model never routes hundesteuer")
