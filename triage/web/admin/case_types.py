"""Fallarten und Warteschlangen: a case type's name, description, queue, deadline and
examples, edited and checked by the taxonomy's own schema. The first edit of a tenant on
the default case types gives it its own copy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from triage.administration.audit import record_admin_change
from triage.classify.provider import taxonomy_fingerprint
from triage.db.session import transaction
from triage.dependencies import ServicesDep, SessionDep
from triage.taxonomy import Taxonomy
from triage.taxonomy.model import CaseType
from triage.taxonomy.store import has_own_taxonomy, store_tenant_taxonomy, tenant_taxonomy
from triage.web.admin.common import AdminDep, AdminFormDep, back_with, not_found, tenant_id
from triage.web.deps import Person
from triage.web.render import templates

router = APIRouter()
LIST = "/verwaltung/fallarten"
EDITABLE = ("name", "description", "queue", "sla_days", "examples")

_FIELDS = {
    "name": "Name",
    "description": "Beschreibung",
    "queue": "Warteschlange",
    "sla_days": "Bearbeitungsfrist (Tage)",
    "examples": "Beispiele",
}


class CaseTypeFormError(ValueError):
    """The edited case type breaks the taxonomy's schema; the message is German."""


@dataclass(frozen=True)
class CaseTypeEdit:
    taxonomy: Taxonomy
    before: CaseType
    after: CaseType

    def detail(self) -> dict[str, Any]:
        """What changed, before and after; examples as the ones added and removed."""
        old, new = self.before.model_dump(), self.after.model_dump()
        changed: dict[str, Any] = {
            field: {"before": old[field], "after": new[field]}
            for field in EDITABLE
            if field != "examples" and old[field] != new[field]
        }
        added = [e for e in new["examples"] if e not in old["examples"]]
        removed = [e for e in old["examples"] if e not in new["examples"]]
        if added or removed:
            changed["examples"] = {"added": added, "removed": removed}
        return changed


def _german_problem(error: Any) -> str:
    where = [str(part) for part in error["loc"]]
    field = next((p for p in where if p in _FIELDS), where[-1] if where else "")
    label = _FIELDS.get(field, field)
    if field == "examples" and where[-1].isdigit():
        label = f"Beispiel {int(where[-1]) + 1}"
    context = error.get("ctx") or {}
    kind = error["type"]
    if kind == "string_too_short":
        return f"{label}: mindestens {context.get('min_length')} Zeichen."
    if kind == "string_too_long":
        return f"{label}: höchstens {context.get('max_length')} Zeichen."
    if kind == "string_pattern_mismatch":
        return (
            f"{label}: nur Kleinbuchstaben, Ziffern, Bindestrich und Unterstrich, "
            "am Anfang ein Buchstabe (2 bis 64 Zeichen)."
        )
    if kind in ("int_parsing", "int_from_float", "greater_than_equal", "less_than_equal"):
        return f"{label}: eine ganze Zahl von 1 bis 365."
    return f"{label}: ungültig ({error['msg']})."


def edit_case_type(
    taxonomy: Taxonomy,
    *,
    key: str,
    name: str,
    description: str,
    queue: str,
    sla_days: str,
    examples: str,
) -> CaseTypeEdit:
    """The taxonomy with the case type ``key`` changed (``examples``: one per line),
    validated as a taxonomy file would be; raises CaseTypeFormError in German."""
    before = taxonomy.get(key)
    raw = {
        **before.model_dump(),
        "name": name.strip(),
        "description": description.strip(),
        "queue": queue.strip(),
        "sla_days": sla_days.strip(),
        "examples": [line.strip() for line in examples.splitlines() if line.strip()],
    }
    try:
        after = CaseType.model_validate(raw)
        changed = Taxonomy.model_validate(
            {
                **taxonomy.model_dump(),
                "case_types": [
                    after.model_dump() if c.key == key else c.model_dump()
                    for c in taxonomy.case_types
                ],
            }
        )
    except ValidationError as exc:
        raise CaseTypeFormError(" ".join(_german_problem(e) for e in exc.errors())) from exc
    return CaseTypeEdit(taxonomy=changed, before=before, after=after)


def _edit_page(
    request: Request,
    person: Person,
    taxonomy: Taxonomy,
    values: dict[str, str],
    *,
    error: str | None = None,
) -> Response:
    return templates.TemplateResponse(
        request,
        "admin/case_type.html",
        {
            "person": person,
            "values": values,
            "queues": taxonomy.queues,
            "fingerprint": taxonomy_fingerprint(taxonomy),
            "error": error,
        },
    )


@router.get("/fallarten", response_class=HTMLResponse)
def case_types(
    request: Request,
    person: AdminDep,
    services: ServicesDep,
    session: SessionDep,
    hinweis: str | None = None,
) -> Response:
    taxonomy = services.classifiers.taxonomy_for(tenant_id(person))
    return templates.TemplateResponse(
        request,
        "admin/case_types.html",
        {
            "person": person,
            "taxonomy": taxonomy,
            "own": has_own_taxonomy(session, tenant_id=tenant_id(person)),
            "notice": hinweis,
        },
    )


@router.get("/fallarten/{key}", response_class=HTMLResponse)
def case_type(request: Request, key: str, person: AdminDep, services: ServicesDep) -> Response:
    taxonomy = services.classifiers.taxonomy_for(tenant_id(person))
    if key not in taxonomy.keys:
        raise not_found("Fallart")
    current = taxonomy.get(key)
    values = {
        **current.model_dump(include={"key", "name", "description", "queue"}),
        "sla_days": str(current.sla_days),
        "examples": "\n".join(current.examples),
    }
    return _edit_page(request, person, taxonomy, values)


@router.post("/fallarten/{key}", response_class=HTMLResponse)
def save(
    request: Request,
    key: str,
    person: AdminFormDep,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    queue: Annotated[str, Form()] = "",
    sla_days: Annotated[str, Form()] = "",
    examples: Annotated[str, Form()] = "",
    fingerprint: Annotated[str, Form()] = "",
) -> Response:
    tenant = tenant_id(person)
    fields = {"name": name, "description": description, "queue": queue}
    values = {"key": key, **fields, "sla_days": sla_days, "examples": examples}
    with transaction(services.session_factory) as session:
        taxonomy = tenant_taxonomy(
            session, tenant_id=tenant, default=services.classifiers.default_taxonomy
        )
        if key not in taxonomy.keys:
            raise not_found("Fallart")
        try:
            if fingerprint != taxonomy_fingerprint(taxonomy):
                raise CaseTypeFormError(
                    "Die Fallarten wurden inzwischen geändert. Bitte die Seite neu laden."
                )
            edit = edit_case_type(taxonomy, key=key, **fields, sla_days=sla_days, examples=examples)
        except CaseTypeFormError as exc:
            return _edit_page(request, person, taxonomy, values, error=str(exc))
        detail = edit.detail()
        if detail:
            store_tenant_taxonomy(
                session,
                tenant_id=tenant,
                taxonomy=edit.taxonomy,
                source=f"Verwaltung ({person.actor.name})",
            )
            record_admin_change(
                session,
                tenant_id=tenant,
                actor=person.actor,
                action="case_type.changed",
                target=key,
                detail=detail,
            )
    if not detail:
        return back_with(LIST, notice=f"„{edit.after.name}“: nichts geändert.")
    # The zero-shot classifier is built per taxonomy (by its fingerprint), so the next
    # documents get one with the new descriptions; a trained model is checked again.
    services.classifiers.reload([tenant])
    return back_with(LIST, notice=f"„{edit.after.name}“ gespeichert; gilt für neue Dokumente.")
