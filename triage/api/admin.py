"""Administration of the running service: the caller's tenant's classifier and LLM usage."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from triage.api.deps import AdminActorDep, ServicesDep, SessionDep
from triage.api.schemas import (
    LlmUsageDayRead,
    LlmUsageRead,
    LlmUsageTotalsRead,
    ModelStatusRead,
    ReloadRead,
)
from triage.assist.store import total_usage, usage_by_day
from triage.db.models import Tenant
from triage.llm.metering import TenantUsage

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


def _totals(usage: TenantUsage) -> dict[str, object]:
    return {
        "calls": usage.calls,
        "failed_calls": usage.failed_calls,
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "seconds": round(usage.seconds, 3),
        "calls_by_task": usage.calls_by_task,
    }


@router.get("/admin/llm-usage", response_model=LlmUsageRead)
def llm_usage(
    actor: AdminActorDep,
    services: ServicesDep,
    session: SessionDep,
    since: date | None = None,
    until: date | None = None,
) -> LlmUsageRead:
    """The LLM calls, tokens and seconds of the caller's tenant per UTC day (failed calls
    included, cache hits not), optionally from ``since`` to ``until`` inclusive."""
    assert actor.tenant_id is not None
    tenant = session.get(Tenant, actor.tenant_id)
    assert tenant is not None
    days = usage_by_day(session, tenant_id=actor.tenant_id, since=since, until=until)
    return LlmUsageRead(
        tenant=tenant.name,
        backend=services.settings.effective_llm_backend,
        model=services.llm.backend.model_name,
        since=since,
        until=until,
        total=LlmUsageTotalsRead.model_validate(_totals(total_usage(days))),
        days=[LlmUsageDayRead.model_validate({"day": d.day, **_totals(d.usage)}) for d in days],
    )
