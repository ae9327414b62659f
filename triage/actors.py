"""Who does something: an API key today, a person's account later; both carry tenant and role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from triage.db.models import Role


class ActorKind(StrEnum):
    API_KEY = "api_key"
    USER = "user"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str | None
    name: str
    tenant_id: uuid.UUID | None
    role: Role | None
    # The queues a person may work (None: all of the tenant's).
    queues: frozenset[str] | None = None
    # Relief staff see only these case types, and only documents at least this confident.
    case_types: frozenset[str] | None = None
    min_confidence: float | None = None
    # A person of another tenant working this tenant's queues under a grant: only those
    # queues' documents are visible, and every event they cause names the grant.
    grant_id: int | None = None
    home_tenant: str | None = None

    def has_role(self, *roles: Role) -> bool:
        return self.role is not None and self.role in roles

    def may_work(self, queue: str) -> bool:
        return self.queues is None or queue in self.queues


SYSTEM_ACTOR = Actor(kind=ActorKind.SYSTEM, id=None, name="system", tenant_id=None, role=None)


def worker_actor(worker_id: str) -> Actor:
    return Actor(kind=ActorKind.SYSTEM, id=worker_id, name="worker", tenant_id=None, role=None)
