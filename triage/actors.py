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

    def has_role(self, *roles: Role) -> bool:
        return self.role is not None and self.role in roles

    def may_work(self, queue: str) -> bool:
        return self.queues is None or queue in self.queues


SYSTEM_ACTOR = Actor(kind=ActorKind.SYSTEM, id=None, name="system", tenant_id=None, role=None)


def worker_actor(worker_id: str) -> Actor:
    return Actor(kind=ActorKind.SYSTEM, id=worker_id, name="worker", tenant_id=None, role=None)
