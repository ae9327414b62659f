"""From a prediction to a place: the case type's queue, or the review queue when unsure.

The due date is the received date plus the case type's SLA days; the priority, with its
reasons, comes from ``triage.priority``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.classify.base import Prediction
from triage.db.models import DocumentStatus
from triage.taxonomy import CaseType, Taxonomy

# Where documents wait for a person: below the threshold, novel, needing OCR, or failed.
REVIEW_QUEUE = "review"


@dataclass(frozen=True)
class RouteDecision:
    status: DocumentStatus
    queue: str
    due_at: datetime
    review_reason: str | None = None


def due_date(case_type: CaseType, received_at: datetime) -> datetime:
    return received_at + timedelta(days=case_type.sla_days)


def route(
    *, prediction: Prediction, taxonomy: Taxonomy, threshold: float, received_at: datetime
) -> RouteDecision:
    """``threshold`` is the global one; a trained model's per-class threshold in the
    prediction replaces it."""
    case_type = taxonomy.get(prediction.case_type)
    due_at = due_date(case_type, received_at)
    own = prediction.threshold
    needed = threshold if own is None else own
    if prediction.confidence >= needed:
        return RouteDecision(DocumentStatus.ROUTED, case_type.queue, due_at)
    reason = _review_reason(prediction, threshold=needed, per_class=own is not None)
    return RouteDecision(DocumentStatus.NEEDS_REVIEW, REVIEW_QUEUE, due_at, reason)


def _review_reason(prediction: Prediction, *, threshold: float, per_class: bool) -> str:
    best = prediction.case_type
    runner_up = prediction.alternatives[0][0] if prediction.alternatives else None
    following = f" (next: {runner_up})" if runner_up else ""
    if prediction.explanation is not None and prediction.explanation.novel:
        return (
            f"unlike the training documents (novel) — best guess {best} "
            f"{prediction.confidence:.2f}{following}"
        )
    if math.isinf(threshold):
        return (
            f"the model never routes {best} automatically (it did not reach the target "
            f"precision in training) — best guess {best} {prediction.confidence:.2f}{following}"
        )
    if per_class:
        return (
            f"low confidence {prediction.confidence:.2f} for {best} < its class threshold "
            f"{threshold:.2f}{following}"
        )
    return f"low confidence {prediction.confidence:.2f} < {threshold:.2f} for {best}{following}"
