"""All deterministic extractors over one document text: the fields before any LLM."""

from __future__ import annotations

import datetime as dt
import re

from triage.fields.dates import find_dates, find_deadlines, sentence_bounds
from triage.fields.patterns import (
    find_amounts,
    find_emails,
    find_ibans,
    find_phones,
    find_references,
    span_at,
)
from triage.fields.schema import DocumentFields, FieldSource, FieldValue
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


def extract_fields(text: str, *, reference_date: dt.date | None = None) -> DocumentFields:
    """Every field the patterns find; `reference_date` (the day the document came in)
    resolves relative deadlines such as "innerhalb von zwei Wochen"."""
    return DocumentFields(
        sender=find_sender(text),
        references=find_references(text),
        dates=find_dates(text),
        deadlines=find_deadlines(text, reference_date=reference_date),
        requested_action=find_requested_action(text),
        amounts=find_amounts(text),
        ibans=find_ibans(text),
        phones=find_phones(text),
        emails=[e for e in find_emails(text) if not _RECIPIENT_LINE.match(_line_before(text, e))],
    )
