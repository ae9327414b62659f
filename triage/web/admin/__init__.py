"""Die Verwaltung: the admin pages of a tenant (German). Every change is recorded with
its actor through ``triage.administration.audit``.

Each section is a module with its own ``router``; ``SECTIONS`` puts them under
/verwaltung, where every page is for the tenant's admins only (``common.AdminDep``, and
``common.AdminFormDep`` for forms, which also checks the CSRF token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from triage.web.admin import baseline, case_types, grants, keys, log, rules, users
from triage.web.admin.common import admin_person

# The admin check on the whole prefix too: a section that forgets it is still closed.
router = APIRouter(
    prefix="/verwaltung", include_in_schema=False, dependencies=[Depends(admin_person)]
)
router.add_api_route("", log.index, methods=["GET"], response_class=HTMLResponse)

SECTIONS: list[APIRouter] = [
    users.router,
    keys.router,
    case_types.router,
    rules.router,
    baseline.router,
    grants.router,
    log.router,
]
for section in SECTIONS:
    router.include_router(section)
