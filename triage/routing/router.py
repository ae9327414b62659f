"""From a prediction to a place: the case type's queue, or the review queue when unsure.

Priority is an interim urgency score until the priority model arrives: it follows the
case type's SLA (a 5-day case type is more urgent than a 30-day one), and the due date is
the received date plus the SLA days. Claims are served oldest first for now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.classify.base import Prediction
from triage.db.models import DocumentStatus
from triage.taxonomy import CaseType, Taxonomy

MAX_SLA_DAYS = 365
# Where documents wait for a person: below the threshold, needing OCR, or failed.
REVIEW_QUEUE = "review"


@dataclass(frozen=True)
class RouteDecision:
    status: DocumentStatus
    queue: str
    priority: int
    due_at: datetime
    review_reason: str | None = None


def sla_priority(case_type: CaseType) -> int:
    """0–100; higher is more urgent."""
    return round(100 * (1 - min(case_type.sla_days, MAX_SLA_DAYS) / MAX_SLA_DAYS) ** 8)


def due_date(case_type: CaseType, received_at: datetime) -> datetime:
    return received_at + timedelta(days=case_type.sla_days)


def route(
    *, prediction: Prediction, taxonomy: Taxonomy, threshold: float, received_at: datetime
) -> RouteDecision:
    case_type = taxonomy.get(prediction.case_type)
    priority = sla_priority(case_type)
    due_at = due_date(case_type, received_at)
    if prediction.confidence >= threshold:
        return RouteDecision(DocumentStatus.ROUTED, case_type.queue, priority, due_at)
    runner_up = prediction.alternatives[0][0] if prediction.alternatives else None
    reason = (
        f"low confidence {prediction.confidence:.2f} < {threshold:.2f} for "
        f"{prediction.case_type}" + (f" (next: {runner_up})" if runner_up else "")
    )
    return RouteDecision(DocumentStatus.NEEDS_REVIEW, REVIEW_QUEUE, priority, due_at, reason)
