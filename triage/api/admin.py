"""Administration of the running service: which classifier serves the caller's tenant."""

from __future__ import annotations

from fastapi import APIRouter

from triage.api.deps import AdminActorDep, ServicesDep
from triage.api.schemas import ModelStatusRead, ReloadRead

router = APIRouter(tags=["admin"])


@router.post("/admin/reload", response_model=ReloadRead)
def reload_classifiers(actor: AdminActorDep, services: ServicesDep) -> ReloadRead:
    """Loads the tenant's trained model in service again (after ``triage train`` or
    ``triage models use``) and says which version now classifies its documents, or why
    the zero-shot classifier does. Affects this process and its embedded worker; a
    separate ``triage worker`` reads the model pointer on every batch by itself."""
    assert actor.tenant_id is not None
    statuses = services.classifiers.reload([actor.tenant_id])
    return ReloadRead(
        tenants=[
            ModelStatusRead(
                tenant=s.tenant,
                classifier=s.classifier,
                model_version=s.version,
                problem=s.problem,
            )
            for s in statuses
        ]
    )
