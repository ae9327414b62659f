"""The fields of one document, each value tied to the text span it came from.

Two shapes: `DocumentFields` is what the service keeps (every value with its source and its
span in the document text, so a caseworker can see where it stands and nothing can be
invented), and `LlmFields` is the flat, values-only shape an LLM is asked to fill (and the
shape the annotated letters use for their ground truth). An LLM's answer only becomes
`DocumentFields` through grounding (`triage.fields.grounding`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class FieldSource(StrEnum):
    PATTERN = "pattern"
    LLM = "llm"


class ReferenceKind(StrEnum):
    AKTENZEICHEN = "aktenzeichen"
    KUNDENNUMMER = "kundennummer"
    # Municipal payment letters (Hundesteuer, Gebühren) carry a Kassenzeichen rather than
    # a Kundennummer; it is the number the treasury needs, so it is kept as its own kind.
    KASSENZEICHEN = "kassenzeichen"
    STEUERNUMMER = "steuernummer"


class TextSpan(BaseModel):
    """Half-open character offsets into the document text and the literal text there."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str

    @model_validator(mode="after")
    def _consistent(self) -> TextSpan:
        if self.end - self.start != len(self.text) or self.end <= self.start:
            raise ValueError("span offsets do not fit its text")
        return self

    def overlaps(self, other: TextSpan) -> bool:
        return self.start < other.end and other.start < self.end


class FieldValue(BaseModel):
    """One extracted value. `value` is the canonical form of `span.text` (an IBAN without
    spaces, a date in ISO form); `span.text` is always literally in the document."""

    model_config = ConfigDict(frozen=True)

    value: str
    source: FieldSource
    span: TextSpan


class Reference(FieldValue):
    kind: ReferenceKind


class DateValue(FieldValue):
    date: dt.date


class Deadline(FieldValue):
    """`value` is the deadline phrase ("bis zum 15. März 2025", "innerhalb von zwei
    Wochen"); `due` is its date when the phrase names one or a reference date resolves it."""

    due: dt.date | None = None
    sentence: str


class Amount(FieldValue):
    amount: Decimal
    currency: str = "EUR"


class Sender(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: FieldValue | None = None
    street: FieldValue | None = None
    postal_code_city: FieldValue | None = None


class DocumentFields(BaseModel):
    model_config = ConfigDict(frozen=True)

    sender: Sender = Sender()
    references: list[Reference] = []
    dates: list[DateValue] = []
    deadlines: list[Deadline] = []
    requested_action: FieldValue | None = None
    amounts: list[Amount] = []
    ibans: list[FieldValue] = []
    phones: list[FieldValue] = []
    emails: list[FieldValue] = []

    def to_llm_fields(self) -> LlmFields:
        """The values only, in the shape an LLM fills: for comparison and evaluation."""
        return LlmFields(
            sender_name=_value(self.sender.name),
            sender_street=_value(self.sender.street),
            sender_postal_code_city=_value(self.sender.postal_code_city),
            references=[LlmReference(kind=r.kind, value=r.value) for r in self.references],
            dates=[d.date.isoformat() for d in self.dates],
            deadlines=[
                LlmDeadline(text=d.value, date=d.due.isoformat() if d.due else None)
                for d in self.deadlines
            ],
            requested_action=_value(self.requested_action),
            amounts=[LlmAmount(value=str(a.amount), currency=a.currency) for a in self.amounts],
            ibans=[v.value for v in self.ibans],
            phones=[v.value for v in self.phones],
            emails=[v.value for v in self.emails],
        )


def _value(field: FieldValue | None) -> str | None:
    return None if field is None else field.value


# --- the values-only shape an LLM fills -------------------------------------------------


class _LlmModel(BaseModel):
    # `forbid` puts additionalProperties: false into the JSON schema, which constrained
    # decoding servers (vLLM, llama.cpp) honour, and makes stray keys a parse error.
    model_config = ConfigDict(extra="forbid")


class LlmReference(_LlmModel):
    kind: Literal["aktenzeichen", "kundennummer", "kassenzeichen", "steuernummer"]
    value: str = Field(description="the number exactly as written in the letter")


class LlmDeadline(_LlmModel):
    text: str = Field(description='the deadline phrase as written, e.g. "bis zum 15. März 2025"')
    date: str | None = Field(default=None, description="the due date as YYYY-MM-DD if named")


class LlmAmount(_LlmModel):
    value: str = Field(description='the amount as written, e.g. "1.234,56"')
    currency: str = "EUR"


class LlmFields(_LlmModel):
    """Fields of a letter, values as written in it; null or [] where the letter has none."""

    sender_name: str | None = None
    sender_street: str | None = Field(default=None, description="street and house number")
    sender_postal_code_city: str | None = Field(default=None, description="PLZ and city")
    references: list[LlmReference] = []
    dates: list[str] = Field(default=[], description="every date mentioned, YYYY-MM-DD")
    deadlines: list[LlmDeadline] = []
    requested_action: str | None = Field(
        default=None, description="the sentence stating what the writer asks for"
    )
    amounts: list[LlmAmount] = []
    ibans: list[str] = []
    phones: list[str] = []
    emails: list[str] = []
