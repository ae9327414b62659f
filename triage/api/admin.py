"""Administration of the running service: the caller's tenant's classifier, LLM usage and
priority policy."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, HTTPException, status

from triage.administration.audit import record_admin_change
from triage.api.deps import AdminActorDep
from triage.api.schemas import (
    LlmUsageDayRead,
    LlmUsageRead,
    LlmUsageTotalsRead,
    ModelStatusRead,
    PriorityPolicyRead,
    ReloadRead,
)
from triage.assist.store import total_usage, usage_by_day
from triage.db.models import Tenant
from triage.db.session import transaction
from triage.dependencies import ServicesDep, SessionDep
from triage.llm.metering import TenantUsage
from triage.priority.policy import PolicyError, PriorityPolicy
from triage.priority.service import store_tenant_policy, stored_tenant_policy, tenant_policy

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


def _policy_read(
    services: ServicesDep, session: SessionDep, actor: AdminActorDep
) -> PriorityPolicyRead:
    assert actor.tenant_id is not None
    stored = stored_tenant_policy(session, tenant_id=actor.tenant_id)
    policy = tenant_policy(session, tenant_id=actor.tenant_id, default=services.priorities.default)
    return PriorityPolicyRead(
        policy=policy,
        own=stored is not None,
        source=stored.source if stored else None,
        loaded_at=stored.loaded_at if stored else None,
        rescored_at=stored.rescored_at if stored else None,
    )


@router.get("/admin/priority-policy", response_model=PriorityPolicyRead)
def read_priority_policy(
    actor: AdminActorDep, services: ServicesDep, session: SessionDep
) -> PriorityPolicyRead:
    """The policy the tenant's documents are scored with: its own, or the installation's
    default (``own`` false). Edit it and send it back with PUT."""
    return _policy_read(services, session, actor)


@router.put("/admin/priority-policy", response_model=PriorityPolicyRead)
def replace_priority_policy(
    policy: PriorityPolicy, actor: AdminActorDep, services: ServicesDep
) -> PriorityPolicyRead:
    """Gives the tenant this policy. New documents are scored with it at once; the worker
    re-scores the open ones from their stored facts (``rescored_at`` stays empty until it
    has)."""
    assert actor.tenant_id is not None
    try:
        policy.statutory_table()
    except PolicyError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    with transaction(services.session_factory) as session:
        before = tenant_policy(
            session, tenant_id=actor.tenant_id, default=services.priorities.default
        ).model_dump(mode="json")
        store_tenant_policy(
            session, tenant_id=actor.tenant_id, policy=policy, source=f"API, {actor.name}"
        )
        after = policy.model_dump(mode="json")
        record_admin_change(
            session,
            tenant_id=actor.tenant_id,
            actor=actor,
            action="priority_policy.changed",
            target="priority_policy",
            detail={
                field: {"before": before.get(field), "after": value}
                for field, value in after.items()
                if before.get(field) != value
            },
        )
    services.wake_workers.set()
    with services.session_factory() as session:
        return _policy_read(services, session, actor)
