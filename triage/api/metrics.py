"""``GET /metrics`` on the API: the calling admin's tenant's figures for Prometheus.

Mounted only when no separate metrics address is configured (``TRIAGE_METRICS_BIND``);
that listener serves every tenant's figures without a key."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from triage.api.deps import AdminActorDep
from triage.db.models import Tenant
from triage.dependencies import ServicesDep, SessionDep
from triage.metrics.exposition import tenant_registry

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
def metrics(actor: AdminActorDep, services: ServicesDep, session: SessionDep) -> Response:
    """(admin) Queue depth and oldest waiting age per queue, documents per status, the
    confidence distribution, LLM usage, and the embedded worker's stage timings and
    errors: the caller's tenant's series only."""
    assert actor.tenant_id is not None
    tenant = session.get(Tenant, actor.tenant_id)
    assert tenant is not None
    registry = tenant_registry(services, tenant_id=tenant.id, tenant_name=tenant.name)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
