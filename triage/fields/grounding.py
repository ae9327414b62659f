"""Grounding: a value counts only where the document text holds it.

`ground` finds a proposed value in the text under a normalised comparison that fits its
kind (case, whitespace, umlaut spellings for words; letters and digits only for IBANs and
reference numbers; the national digits for phone numbers; the calendar date for dates; the
amount for amounts) and returns the span of the original text, or None. An LLM's answer
passes through `ground_llm_fields`, which keeps grounded values with their spans and counts
every dropped one with its reason; `merge_fields` lets the LLM fill only what the patterns
left empty.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from triage.fields.dates import find_dates, find_deadlines, parse_date, sentence_bounds
from triage.fields.normalise import alphanumeric_with_offsets, normalise_with_offsets, phone_digits
from triage.fields.patterns import (
    find_amounts,
    find_phones,
    iban_is_valid,
    parse_amount,
    span_at,
)
from triage.fields.schema import (
    Amount,
    DateValue,
    Deadline,
    DocumentFields,
    FieldSource,
    FieldValue,
    LlmFields,
    Reference,
    ReferenceKind,
    Sender,
    TextSpan,
)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,24}")
_NUMBER_SEPARATORS = " /-."
_CURRENCIES = {"eur", "€", "euro"}


class GroundingKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    PHONE = "phone"
    DATE = "date"
    AMOUNT = "amount"


class DropReason(StrEnum):
    NOT_IN_TEXT = "not_in_text"
    INVALID_IBAN = "invalid_iban"
    INVALID_DATE = "invalid_date"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_EMAIL = "invalid_email"


@dataclass(frozen=True)
class DroppedValue:
    field: str
    value: str
    reason: DropReason


@dataclass(frozen=True)
class GroundedFields:
    """The LLM's values that were found in the text (source `llm`) and those dropped."""

    fields: DocumentFields
    dropped: list[DroppedValue]

    @property
    def dropped_count(self) -> int:
        return len(self.dropped)


def ground(value: str, text: str, *, kind: GroundingKind = GroundingKind.TEXT) -> TextSpan | None:
    """The first span of `text` that holds `value` under the comparison for `kind`."""
    if not value.strip():
        return None
    if kind is GroundingKind.NUMBER:
        return _ground_number(value, text)
    if kind is GroundingKind.PHONE:
        digits = phone_digits(value)
        return next(
            (
                p.span
                for p in find_phones(text, require_label=False)
                if phone_digits(p.span.text) == digits
            ),
            None,
        )
    if kind is GroundingKind.DATE:
        date = parse_date(value)
        return next((d.span for d in find_dates(text) if d.date == date), None)
    if kind is GroundingKind.AMOUNT:
        amount = parse_amount(value)
        return next((a.span for a in find_amounts(text) if a.amount == amount), None)
    return _ground_text(value, text)


def _ground_text(value: str, text: str) -> TextSpan | None:
    needle = normalise_with_offsets(value)[0]
    haystack, offsets = normalise_with_offsets(text)
    if not needle:
        return None
    position = haystack.find(needle)
    while position >= 0:
        end = position + len(needle)
        before_ok = position == 0 or not haystack[position - 1].isalnum() or not needle[0].isalnum()
        after_ok = end == len(haystack) or not haystack[end].isalnum() or not needle[-1].isalnum()
        if before_ok and after_ok:
            return span_at(text, offsets[position], offsets[end - 1] + 1)
        position = haystack.find(needle, position + 1)
    return None


def _ground_number(value: str, text: str) -> TextSpan | None:
    needle = alphanumeric_with_offsets(value)[0]
    haystack, offsets = alphanumeric_with_offsets(text)
    if not needle:
        return None
    position = haystack.find(needle)
    while position >= 0:
        start, end = offsets[position], offsets[position + len(needle) - 1] + 1
        if not _continues(text, start - 1, -1) and not _continues(text, end, 1):
            return span_at(text, start, end)
        position = haystack.find(needle, position + 1)
    return None


def _continues(text: str, index: int, step: int) -> bool:
    """Whether the number goes on past `index`: directly, or after one separator with a
    digit behind it (a cut IBAN group or half a phone number is no match)."""
    if not 0 <= index < len(text):
        return False
    if text[index].isalnum():
        return True
    behind = index + step
    return text[index] in _NUMBER_SEPARATORS and 0 <= behind < len(text) and text[behind].isdigit()


def _text_field(
    value: str | None, text: str, name: str, dropped: list[DroppedValue]
) -> FieldValue | None:
    if value is None or not value.strip():
        return None
    span = ground(value, text)
    if span is None:
        dropped.append(DroppedValue(name, value, DropReason.NOT_IN_TEXT))
        return None
    return FieldValue(value=span.text, source=FieldSource.LLM, span=span)


def ground_llm_fields(
    llm: LlmFields, text: str, *, reference_date: dt.date | None = None, land: str | None = None
) -> GroundedFields:
    """Keep the LLM's values found in `text`, each with its span and source `llm`."""
    dropped: list[DroppedValue] = []

    def keep(name: str, value: str, kind: GroundingKind) -> TextSpan | None:
        span = ground(value, text, kind=kind)
        if span is None:
            dropped.append(DroppedValue(name, value, DropReason.NOT_IN_TEXT))
        return span

    references: list[Reference] = []
    for reference in llm.references:
        if span := keep("references", reference.value, GroundingKind.NUMBER):
            kind = ReferenceKind(reference.kind)
            references.append(
                Reference(kind=kind, value=span.text, source=FieldSource.LLM, span=span)
            )
    dates: list[DateValue] = []
    for value in llm.dates:
        date = parse_date(value)
        if date is None:
            dropped.append(DroppedValue("dates", value, DropReason.INVALID_DATE))
        elif span := keep("dates", value, GroundingKind.DATE):
            dates.append(
                DateValue(value=date.isoformat(), date=date, source=FieldSource.LLM, span=span)
            )
    amounts: list[Amount] = []
    for proposed in llm.amounts:
        amount = parse_amount(proposed.value)
        if amount is None or proposed.currency.strip().lower() not in _CURRENCIES:
            dropped.append(DroppedValue("amounts", proposed.value, DropReason.INVALID_AMOUNT))
        elif span := keep("amounts", proposed.value, GroundingKind.AMOUNT):
            amounts.append(
                Amount(
                    value=span.text,
                    amount=amount,
                    currency="EUR",
                    source=FieldSource.LLM,
                    span=span,
                )
            )
    ibans: list[FieldValue] = []
    for value in llm.ibans:
        if not iban_is_valid(value):
            dropped.append(DroppedValue("ibans", value, DropReason.INVALID_IBAN))
        elif span := keep("ibans", value, GroundingKind.NUMBER):
            compact = "".join(c for c in span.text if c.isalnum()).upper()
            ibans.append(FieldValue(value=compact, source=FieldSource.LLM, span=span))
    phones = [
        FieldValue(value=span.text, source=FieldSource.LLM, span=span)
        for value in llm.phones
        if (span := keep("phones", value, GroundingKind.PHONE))
    ]
    emails: list[FieldValue] = []
    for value in llm.emails:
        if _EMAIL.fullmatch(value.strip()) is None:
            dropped.append(DroppedValue("emails", value, DropReason.INVALID_EMAIL))
        elif span := keep("emails", value.strip(), GroundingKind.TEXT):
            emails.append(FieldValue(value=span.text.lower(), source=FieldSource.LLM, span=span))
    fields = DocumentFields(
        sender=Sender(
            name=_text_field(llm.sender_name, text, "sender_name", dropped),
            street=_text_field(llm.sender_street, text, "sender_street", dropped),
            postal_code_city=_text_field(
                llm.sender_postal_code_city, text, "sender_postal_code_city", dropped
            ),
        ),
        references=_unique(references),
        dates=_unique(dates),
        deadlines=_ground_deadlines(llm, text, reference_date, land, dropped),
        requested_action=_text_field(llm.requested_action, text, "requested_action", dropped),
        amounts=_unique(amounts),
        ibans=_unique(ibans),
        phones=_unique(phones),
        emails=_unique(emails),
    )
    return GroundedFields(fields=fields, dropped=dropped)


def _ground_deadlines(
    llm: LlmFields,
    text: str,
    reference_date: dt.date | None,
    land: str | None,
    dropped: list[DroppedValue],
) -> list[Deadline]:
    """A deadline's phrase must be in the text; its due date is taken only from a date in
    its own sentence or from resolving the phrase against `reference_date`."""
    patterned = find_deadlines(text, reference_date=reference_date, land=land)
    deadlines: list[Deadline] = []
    for proposed in llm.deadlines:
        span = ground(proposed.text, text)
        if span is None:
            dropped.append(DroppedValue("deadlines", proposed.text, DropReason.NOT_IN_TEXT))
            continue
        s_start, s_end = sentence_bounds(text, span.start, span.end)
        sentence = text[s_start:s_end]
        due = next((d.due for d in patterned if d.span.overlaps(span) and d.due), None)
        if proposed.date is not None:
            claimed = parse_date(proposed.date)
            in_sentence = {d.date for d in find_dates(sentence)}
            if claimed is not None and claimed in in_sentence:
                due = claimed
            elif claimed != due:
                dropped.append(
                    DroppedValue("deadlines.date", proposed.date, DropReason.NOT_IN_TEXT)
                )
        deadlines.append(
            Deadline(value=span.text, due=due, sentence=sentence, source=FieldSource.LLM, span=span)
        )
    return _unique(deadlines)


_F = TypeVar("_F", bound=FieldValue)


def _unique(values: list[_F]) -> list[_F]:
    kept: list[_F] = []
    for value in values:
        if not any(value.span.overlaps(other.span) for other in kept):
            kept.append(value)
    return kept


def _fill(patterned: list[_F], proposed: list[_F]) -> list[_F]:
    added = [
        value
        for value in proposed
        if not any(
            value.span.overlaps(other.span) or value.value == other.value for other in patterned
        )
    ]
    return sorted([*patterned, *added], key=lambda v: v.span.start)


def merge_fields(patterned: DocumentFields, llm: DocumentFields) -> DocumentFields:
    """Pattern values win; the LLM's grounded values only fill empty fields and add list
    entries the patterns did not find (neither the same value nor an overlapping span)."""
    return DocumentFields(
        sender=Sender(
            name=patterned.sender.name or llm.sender.name,
            street=patterned.sender.street or llm.sender.street,
            postal_code_city=patterned.sender.postal_code_city or llm.sender.postal_code_city,
        ),
        references=_fill(patterned.references, llm.references),
        dates=_fill(patterned.dates, llm.dates),
        deadlines=_fill(patterned.deadlines, llm.deadlines),
        requested_action=patterned.requested_action or llm.requested_action,
        amounts=_fill(patterned.amounts, llm.amounts),
        ibans=_fill(patterned.ibans, llm.ibans),
        phones=_fill(patterned.phones, llm.phones),
        emails=_fill(patterned.emails, llm.emails),
    )
