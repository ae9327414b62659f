"""Schwellen und Soforthilfe: the tenant's review threshold, what relief staff may work,
the share of their work that gets a second review, and the forecast's assumption."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from triage.administration.audit import record_admin_change
from triage.administration.rules import WorkRules, store_tenant_rules, tenant_rules
from triage.db.session import transaction
from triage.dependencies import ServicesDep, SessionDep
from triage.web.admin.common import AdminDep, AdminFormDep, back_with, tenant_id
from triage.web.render import templates

router = APIRouter()
PAGE = "/verwaltung/regeln"


@router.get("/regeln", response_class=HTMLResponse)
def rules_page(
    request: Request,
    person: AdminDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
    fehler: str | None = None,
) -> Response:
    taxonomy = services.classifiers.taxonomy_for(tenant_id(person))
    return templates.TemplateResponse(
        request,
        "admin/rules.html",
        {
            "person": person,
            "rules": tenant_rules(session, tenant_id=tenant_id(person)),
            "installation_threshold": services.settings.review_threshold,
            "case_types": taxonomy.case_types,
            "notice": hinweis,
            "error": fehler,
        },
    )


def _percent(value: str) -> float | None:
    return None if not value.strip() else float(value.replace(",", ".")) / 100


def _changes(before: WorkRules, after: WorkRules) -> dict[str, Any]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {key: {"before": old[key], "after": new[key]} for key in new if old[key] != new[key]}


@router.post("/regeln")
def save_rules(
    person: AdminFormDep,
    services: ServicesDep,
    review_threshold: Annotated[str, Form()] = "",
    relief_case_types: Annotated[list[str] | None, Form()] = None,
    relief_min_confidence: Annotated[str, Form()] = "80",
    second_review_share: Annotated[str, Form()] = "10",
    relief_cases_per_day: Annotated[str, Form()] = "25",
) -> Response:
    """Percent fields in, shares stored; the new threshold applies to the next documents."""
    known = set(services.classifiers.taxonomy_for(tenant_id(person)).keys)
    chosen = sorted(set(relief_case_types or ()))
    if not set(chosen) <= known:
        return back_with(PAGE, error="Unbekannte Fallart.")
    try:
        rules = WorkRules(
            review_threshold=_percent(review_threshold),
            relief_case_types=chosen,
            relief_min_confidence=_percent(relief_min_confidence) or 0.0,
            second_review_share=_percent(second_review_share) or 0.0,
            relief_cases_per_day=float(relief_cases_per_day.replace(",", ".")),
        )
    except (ValueError, ValidationError):
        return back_with(
            PAGE,
            error="Bitte Prozentwerte von 0 bis 100 und Fälle pro Tag über 0 (höchstens 500).",
        )
    with transaction(services.session_factory) as session:
        before = tenant_rules(session, tenant_id=tenant_id(person))
        changes = _changes(before, rules)
        if not changes:
            return back_with(PAGE, notice="Nichts geändert.")
        store_tenant_rules(
            session, tenant_id=tenant_id(person), rules=rules, updated_by=person.actor.name
        )
        record_admin_change(
            session,
            tenant_id=tenant_id(person),
            actor=person.actor,
            action="rules.changed",
            target="Schwellen und Soforthilfe",
            detail=changes,
        )
    return back_with(PAGE, notice="Gespeichert.")
