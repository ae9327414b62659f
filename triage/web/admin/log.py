"""The Verwaltung's start page and its Protokoll: every administrative change of the
tenant with who made it, newest first, in German."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from triage.administration.audit import admin_changes
from triage.dependencies import SessionDep
from triage.web.admin.common import ROLE_NAMES, STATE_NAMES, AdminDep, tenant_id
from triage.web.render import templates

router = APIRouter()
PAGE_SIZE = 50
NEWEST_ON_INDEX = 20

# The record's actions in German; a section that records a new one adds its name here.
ACTION_NAMES = {
    "user.created": "Benutzer angelegt",
    "user.disabled": "Benutzer deaktiviert",
    "user.enabled": "Benutzer aktiviert",
    "user.password_reset": "Passwort zurückgesetzt",
    "user.role_changed": "Rolle geändert",
    "user.queues_changed": "Warteschlangen geändert",
    "user.renamed": "Anzeigename geändert",
    "api_key.created": "API-Schlüssel angelegt",
    "api_key.revoked": "API-Schlüssel widerrufen",
    "case_type.changed": "Fallart geändert",
    "priority_policy.changed": "Prioritätsregeln geändert",
    "rules.changed": "Schwellen und Soforthilfe geändert",
    "taxonomy.loaded": "Fallarten geladen",
    "priority_policy.loaded": "Prioritätsregeln geladen",
    "baseline.marked": "Basislinie gesetzt",
    "grant.created": "Freigabe erteilt",
    "grant.revoked": "Freigabe widerrufen",
}
DETAIL_NAMES = {
    "display_name": "Anzeigename",
    "role": "Rolle",
    "queues": "Warteschlangen",
    "sessions_ended": "beendete Sitzungen",
    "state": "Status",
    "prefix": "Präfix",
    "name": "Name",
    "description": "Beschreibung",
    "queue": "Warteschlange",
    "sla_days": "Frist (Tage)",
    "examples": "Beispiele",
    "changed": "geändert",
    "day": "Tag",
    "file": "Datei",
    "case_types": "Fallarten",
    "grant": "Freigabe",
    "starts_at": "von",
    "expires_at": "bis",
    "review_threshold": "Prüfschwelle",
    "relief_case_types": "Fallarten für Aushilfen",
    "relief_min_confidence": "Mindestsicherheit für Aushilfen",
    "second_review_share": "Anteil Zweitprüfung",
    "relief_cases_per_day": "Fälle je Aushilfe und Tag",
}


def _value(field: str, value: Any) -> str:
    if value is None:
        return "alle" if field == "queues" else "–"
    if isinstance(value, list):
        return ", ".join(_value(field, v) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(k, v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "ja" if value else "nein"
    text = str(value)
    if field == "role":
        return ROLE_NAMES.get(text, text)
    if field == "state":
        return STATE_NAMES.get(text, text)
    return text


def describe(detail: dict[str, Any] | None) -> list[str]:
    """One German line per entry: before → after, examples added and removed."""
    lines = []
    for field, value in (detail or {}).items():
        label = DETAIL_NAMES.get(field, field)
        if isinstance(value, dict) and {"before", "after"} <= value.keys():
            before, after = _value(field, value["before"]), _value(field, value["after"])
            lines.append(f"{label}: {before} → {after}")
        elif isinstance(value, dict) and {"added", "removed"} <= value.keys():
            lines.append(
                f"{label}: {len(value['added'])} hinzugefügt, {len(value['removed'])} entfernt"
            )
        else:
            lines.append(f"{label}: {_value(field, value)}")
    return lines


def _context(**extra: Any) -> dict[str, Any]:
    return {"action_names": ACTION_NAMES, "describe": describe, **extra}


def index(request: Request, person: AdminDep, session: SessionDep) -> Response:
    """Verwaltung: the sections and the newest changes (routed at /verwaltung itself)."""
    changes = admin_changes(session, tenant_id=tenant_id(person), limit=NEWEST_ON_INDEX)
    return templates.TemplateResponse(
        request, "admin/index.html", _context(person=person, changes=changes)
    )


@router.get("/protokoll", response_class=HTMLResponse)
def log(
    request: Request, person: AdminDep, session: SessionDep, vor: int | None = None
) -> Response:
    changes = admin_changes(session, tenant_id=tenant_id(person), limit=PAGE_SIZE, before=vor)
    older = changes[-1].id if len(changes) == PAGE_SIZE else None
    return templates.TemplateResponse(
        request,
        "admin/log.html",
        _context(person=person, changes=changes, older=older, paged=vor is not None),
    )
