"""Field extraction and pseudonymisation figures on annotated letters.

Fields compare by kind: sender parts, references, e-mails and the requested action under
the grounding normaliser (case, whitespace, umlaut spellings); IBANs and references by
their letters and digits; phones by their national digits; dates by calendar date;
amounts by value; deadlines by due date where both sides have one, else by phrase. A
requested action or an undated deadline also matches when one normalised phrase contains
the other, since where a sentence starts is a matter of taste. Within one letter each true
value matches at most one predicted value. The primary metric is micro-F1 over all kinds.

Pseudonymisation recall is the share of annotated personal-data spans that lie wholly
inside replaced spans: a half-replaced name still leaks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from triage.fields.dates import parse_date
from triage.fields.normalise import alphanumeric, normalise, phone_digits
from triage.fields.patterns import parse_amount
from triage.fields.pseudonymise import PersonalDataKind
from triage.fields.schema import LlmFields

FIELD_KINDS = (
    "sender_name",
    "sender_street",
    "sender_postal_code_city",
    "references",
    "dates",
    "deadlines",
    "requested_action",
    "amounts",
    "ibans",
    "phones",
    "emails",
)


@dataclass(frozen=True)
class FieldScore:
    kind: str
    true_positives: int
    predicted: int
    expected: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class FieldExtractionReport:
    per_kind: dict[str, FieldScore]
    overall: FieldScore

    primary_metric = "micro_f1"

    @property
    def primary(self) -> float:
        return self.overall.f1


@dataclass(frozen=True)
class PseudonymisationReport:
    spans: int
    replaced: int
    per_kind: dict[str, tuple[int, int]]  # kind -> (replaced, annotated)

    primary_metric = "recall"

    @property
    def recall(self) -> float:
        return self.replaced / self.spans if self.spans else 0.0

    @property
    def primary(self) -> float:
        return self.recall


class AnnotatedSpan(Protocol):
    @property
    def kind(self) -> PersonalDataKind: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


def field_keys(fields: LlmFields, kind: str) -> list[str]:
    if kind == "references":
        return [f"{r.kind}:{alphanumeric(r.value)}" for r in fields.references]
    if kind == "dates":
        return [str(parse_date(value) or value) for value in fields.dates]
    if kind == "deadlines":
        return [d.date if d.date else f"~{normalise(d.text)}" for d in fields.deadlines]
    if kind == "amounts":
        return [str(parse_amount(a.value) or a.value) for a in fields.amounts]
    if kind == "ibans":
        return [alphanumeric(value) for value in fields.ibans]
    if kind == "phones":
        return [phone_digits(value) for value in fields.phones]
    if kind == "emails":
        return [normalise(value) for value in fields.emails]
    value = getattr(fields, kind)
    return [] if value is None else [f"~{normalise(value)}"]


def same_value(predicted: str, expected: str) -> bool:
    if predicted == expected:
        return True
    if predicted.startswith("~") and expected.startswith("~"):
        return expected[1:] in predicted[1:] or predicted[1:] in expected[1:]
    return False


def _match(predicted: list[str], expected: list[str]) -> int:
    remaining = list(dict.fromkeys(expected))
    hits = 0
    for key in dict.fromkeys(predicted):
        found = next((e for e in remaining if same_value(key, e)), None)
        if found is not None:
            remaining.remove(found)
            hits += 1
    return hits


def field_scores(
    *, predicted: Sequence[LlmFields], expected: Sequence[LlmFields]
) -> FieldExtractionReport:
    """Per-kind and micro-averaged precision and recall; duplicates within a letter count
    once (a date mentioned twice is one date)."""
    if len(predicted) != len(expected):
        raise ValueError("one prediction per annotated letter is needed")
    totals = {kind: [0, 0, 0] for kind in FIELD_KINDS}
    for guess, truth in zip(predicted, expected, strict=True):
        for kind in FIELD_KINDS:
            p_keys = list(dict.fromkeys(field_keys(guess, kind)))
            e_keys = list(dict.fromkeys(field_keys(truth, kind)))
            totals[kind][0] += _match(p_keys, e_keys)
            totals[kind][1] += len(p_keys)
            totals[kind][2] += len(e_keys)
    per_kind = {kind: FieldScore(kind, *counts) for kind, counts in totals.items()}
    overall = FieldScore(
        "all",
        sum(s.true_positives for s in per_kind.values()),
        sum(s.predicted for s in per_kind.values()),
        sum(s.expected for s in per_kind.values()),
    )
    return FieldExtractionReport(per_kind=per_kind, overall=overall)


def pseudonymisation_recall(
    *,
    annotated: Sequence[Sequence[AnnotatedSpan]],
    replaced: Sequence[Sequence[tuple[int, int]]],
) -> PseudonymisationReport:
    """`annotated[i]` are letter i's personal-data spans, `replaced[i]` the (start, end)
    ranges the pseudonymiser replaced in it."""
    if len(annotated) != len(replaced):
        raise ValueError("one list of replaced ranges per letter is needed")
    per_kind: dict[str, list[int]] = {}
    for spans, ranges in zip(annotated, replaced, strict=True):
        covered = _coverage(ranges)
        for span in spans:
            counts = per_kind.setdefault(span.kind.value, [0, 0])
            counts[1] += 1
            if all(covered(index) for index in range(span.start, span.end)):
                counts[0] += 1
    return PseudonymisationReport(
        spans=sum(c[1] for c in per_kind.values()),
        replaced=sum(c[0] for c in per_kind.values()),
        per_kind={kind: (c[0], c[1]) for kind, c in per_kind.items()},
    )


def _coverage(ranges: Sequence[tuple[int, int]]) -> Callable[[int], bool]:
    indices = {index for start, end in ranges for index in range(start, end)}
    return indices.__contains__
