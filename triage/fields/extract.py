"""All deterministic extractors over one document text: the fields before any LLM."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from triage.fields.dates import find_dates, find_deadlines, sentence_bounds
from triage.fields.forms import FormValues, read_form
from triage.fields.normalise import phone_digits
from triage.fields.patterns import (
    find_amounts,
    find_emails,
    find_ibans,
    find_phones,
    find_references,
    span_at,
)
from triage.fields.schema import DateValue, DocumentFields, FieldSource, FieldValue, Sender
from triage.fields.sender import find_sender

_SALUTATION = re.compile(
    r"^(?:Sehr[ ]geehrte|Guten[ ]Tag|Hallo|Liebe|Lieber|Moin|Grüß[ ]Gott)\b[^\n]*$", re.MULTILINE
)
# An e-mail's recipients are the authority's addresses, not the sender's contact.
_RECIPIENT_LINE = re.compile(r"^(?:An|To|Cc|CC|Kopie|Bcc)[ ]?:", re.IGNORECASE)
_CLOSING = re.compile(r"^(?:Mit[ ]freundlichen|Freundliche|Viele|Beste|Hochachtungsvoll)", re.M)
# The sentence that asks for something: an explicit request, application or objection.
_REQUEST = re.compile(
    r"\b(?:ich[ ]bitte|wir[ ]bitten|bitte[ ](?!beachten)|beantrage|beantragen|"
    r"(?:lege|legen)[ ](?:ich|wir)[^.\n]{0,60}Widerspruch|Widerspruch[ ]ein|widerspreche|"
    r"erhebe[ ]ich|(?:ich|wir)[ ](?:möchte|möchten|würde[ ]gerne|würden[ ]gerne)|"
    r"möchte[ ]ich|möchten[ ]wir|kündige[ ]ich|melde[ ](?:ich|wir)|Hiermit[ ]\w+[ ](?:ich|wir)|"
    r"fordere[ ]ich|ersuche|hiermit)",
    re.IGNORECASE,
)


def _line_before(text: str, value: FieldValue) -> str:
    return text[text.rfind("\n", 0, value.span.start) + 1 : value.span.start]


def find_requested_action(text: str) -> FieldValue | None:
    """The first sentence of the body that makes a request; the body starts after the
    salutation (when there is one) and ends at the closing formula."""
    salutation = _SALUTATION.search(text)
    body_start = salutation.end() if salutation else 0
    closing = _CLOSING.search(text, body_start)
    body_end = closing.start() if closing else len(text)
    match = _REQUEST.search(text, body_start, body_end)
    if match is None:
        return None
    start, end = sentence_bounds(text, match.start(), match.end())
    end = min(end, body_end)
    while end > start and text[end - 1].isspace():
        end -= 1
    span = span_at(text, start, end)
    return FieldValue(value=span.text, source=FieldSource.PATTERN, span=span)


def extract_fields(
    text: str, *, reference_date: dt.date | None = None, land: str | None = None
) -> DocumentFields:
    """Every field the patterns find; `reference_date` (the day the document came in)
    resolves relative deadlines such as "innerhalb von zwei Wochen" (ending on a working
    day of the `land`, e.g. "BY"; nationwide holidays without one) and is the "today" of
    two-digit birth years in form fields. Filled-in form fields (`triage.fields.forms`) say
    who the sender is better than the printed form's page text, so their values win."""
    fields = DocumentFields(
        sender=find_sender(text),
        references=find_references(text),
        dates=find_dates(text),
        deadlines=find_deadlines(text, reference_date=reference_date, land=land),
        requested_action=find_requested_action(text),
        amounts=find_amounts(text),
        ibans=find_ibans(text),
        phones=find_phones(text),
        emails=[e for e in find_emails(text) if not _RECIPIENT_LINE.match(_line_before(text, e))],
    )
    form = read_form(text, today=reference_date)
    return fields if form is None else _with_form(fields, form)


def _with_form(fields: DocumentFields, form: FormValues) -> DocumentFields:
    """Form values win for the sender; form dates replace a pattern date in the same value
    (a two-digit year may read differently) and join the others once per calendar date."""
    sender = Sender(
        name=form.sender.name or fields.sender.name,
        street=form.sender.street or fields.sender.street,
        postal_code_city=form.sender.postal_code_city or fields.sender.postal_code_city,
    )
    dates: list[DateValue] = [
        d for d in fields.dates if not any(d.span.overlaps(f.span) for f in form.dates)
    ]
    for date in form.dates:
        if all(d.date != date.date for d in dates):
            dates.append(date)
    phones = _added(fields.phones, form.phones, key=lambda p: phone_digits(p.value))
    emails = _added(fields.emails, form.emails, key=lambda e: e.value)
    return fields.model_copy(
        update={
            "sender": sender,
            "dates": sorted(dates, key=lambda d: d.span.start),
            "phones": phones,
            "emails": emails,
        }
    )


def _added(
    found: list[FieldValue], extra: list[FieldValue], *, key: Callable[[FieldValue], str]
) -> list[FieldValue]:
    known = {key(value) for value in found}
    added = [value for value in extra if key(value) not in known]
    return sorted([*found, *added], key=lambda value: value.span.start)
