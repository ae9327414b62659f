"""Die Verwaltung: the admin pages of a tenant (German). Every change is recorded with
its actor through ``triage.administration.audit``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/verwaltung", include_in_schema=False)
