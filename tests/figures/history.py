"""A tenant's past written straight into the database: documents received, triaged,
claimed, corrected and completed at chosen times, with the events the worker and the
queue services record. The real services always use the clock's now; figures are about
past days."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from triage.db.models import Document, DocumentEvent, DocumentStatus

WORKER = {"actor_kind": "system", "actor_id": "worker-1", "actor_name": "worker"}
PERSON = {"actor_kind": "user", "actor_id": "u-1", "actor_name": "Berger"}


@dataclass
class History:
    session: Session
    tenant_id: uuid.UUID
    count: int = 0
    documents: list[Document] = field(default_factory=list)

    def letter(
        self,
        *,
        received: datetime,
        case_type: str = "wohngeld",
        queue: str = "leistungen",
        routed: bool = True,
        sla_days: int = 14,
        duplicate_of: Document | None = None,
        confidence: float | None = None,
    ) -> Document:
        """A letter received and triaged at ``received`` (auto-routed, or to review)."""
        self.count += 1
        document = Document(
            tenant_id=self.tenant_id,
            sha256=hashlib.sha256(f"{self.tenant_id}:{self.count}".encode()).hexdigest(),
            filename=f"brief-{self.count}.pdf",
            media_type="application/pdf",
            size_bytes=1000,
            channel="upload",
            received_at=received,
            status=DocumentStatus.ROUTED if routed else DocumentStatus.NEEDS_REVIEW,
            case_type=case_type,
            confidence=confidence if confidence is not None else 0.9 if routed else 0.3,
            queue=queue if routed else "review",
            due_at=received + timedelta(days=sla_days),
            routed_at=received,
            duplicate_of_id=duplicate_of.id if duplicate_of is not None else None,
        )
        self.session.add(document)
        self.session.flush()
        action = "routed" if routed else "needs_review"
        detail = {"case_type": case_type, "confidence": 0.9, "queue": document.queue}
        self.event(document, received + timedelta(minutes=1), action, detail, WORKER)
        self.documents.append(document)
        return document

    def event(
        self,
        document: Document,
        at: datetime,
        action: str,
        detail: dict[str, Any] | None = None,
        actor: dict[str, str] | None = None,
    ) -> None:
        self.session.add(
            DocumentEvent(
                tenant_id=self.tenant_id,
                document_id=document.id,
                at=at,
                action=action,
                detail=detail,
                **(actor or PERSON),
            )
        )
        self.session.flush()

    def work(
        self,
        document: Document,
        *,
        claimed: datetime,
        minutes: float,
        relief: bool = False,
    ) -> None:
        """Claimed at ``claimed`` and completed ``minutes`` later."""
        done = claimed + timedelta(minutes=minutes)
        self.event(document, claimed, "claimed")
        detail: dict[str, Any] = {"case_type": document.case_type}
        if relief:
            detail["relief"] = True
        self.event(document, done, "completed", detail)
        document.status = DocumentStatus.DONE
        document.completed_at = done
        self.session.flush()

    def correct(self, document: Document, *, at: datetime, case_type: str, queue: str) -> None:
        before = {"case_type": document.case_type, "confidence": 0.9, "queue": document.queue}
        self.event(
            document, at, "corrected", {"from": before, "case_type": case_type, "queue": queue}
        )
        document.case_type = case_type
        document.queue = queue
        document.status = DocumentStatus.ROUTED
        self.session.flush()
