"""The deterministic fields of a document, dated by the day it arrived (German time)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from triage.fields.extract import extract_fields
from triage.fields.schema import DocumentFields

# "innerhalb von zwei Wochen" counts from the day the letter arrived at the office.
OFFICE_ZONE = ZoneInfo("Europe/Berlin")


def received_day(received_at: dt.datetime) -> dt.date:
    return received_at.astimezone(OFFICE_ZONE).date()


def pattern_fields(
    text: str, *, received_at: dt.datetime, land: str | None = None
) -> DocumentFields:
    return extract_fields(text, reference_date=received_day(received_at), land=land)
