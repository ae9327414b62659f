"""Grounding: formatting variants are found, invented values are dropped and counted."""

from __future__ import annotations

import datetime as dt

import pytest

from triage.fields.extract import extract_fields
from triage.fields.grounding import (
    DropReason,
    GroundingKind,
    ground,
    ground_llm_fields,
    merge_fields,
)
from triage.fields.schema import (
    FieldSource,
    LlmAmount,
    LlmDeadline,
    LlmFields,
    LlmReference,
)

TEXT = (
    "Jürgen Weiß\nGroße Straße 5\n80331 München\nTel.: +49 89 1234567\n\n"
    "Aktenzeichen: WG-2024-018734\n\n"
    "Sehr geehrte Damen und Herren,\n\n"
    "ich bitte um Erstattung von 1.234,56 € auf DE72 9360 4450 3276 5038 45. Die Frist "
    "läuft bis zum 15. März 2025. Sie können innerhalb von zwei Wochen antworten.\n\n"
    "Mit freundlichen Grüßen\nJürgen Weiß"
)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("Juergen Weiss", GroundingKind.TEXT, "Jürgen Weiß"),
        ("jürgen   WEISS", GroundingKind.TEXT, "Jürgen Weiß"),
        ("Große Straße 5, 80331 München", GroundingKind.TEXT, "Große Straße 5\n80331 München"),
        ("DE72936044503276503845", GroundingKind.NUMBER, "DE72 9360 4450 3276 5038 45"),
        ("wg 2024 018734", GroundingKind.NUMBER, "WG-2024-018734"),
        ("089/1234567", GroundingKind.PHONE, "+49 89 1234567"),
        ("2025-03-15", GroundingKind.DATE, "15. März 2025"),
        ("15.03.2025", GroundingKind.DATE, "15. März 2025"),
        ("1234.56", GroundingKind.AMOUNT, "1.234,56 €"),
    ],
)
def test_ground_accepts_formatting_variants(value: str, kind: GroundingKind, expected: str) -> None:
    span = ground(value, TEXT, kind=kind)
    assert span is not None and span.text == expected
    assert TEXT[span.start : span.end] == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("Hans Müller", GroundingKind.TEXT),
        ("Weiß Jürgen", GroundingKind.TEXT),
        ("Jür", GroundingKind.TEXT),  # part of a word is no match
        ("DE72 9360 4450", GroundingKind.NUMBER),  # a cut IBAN
        ("0891234568", GroundingKind.PHONE),
        ("2025-03-16", GroundingKind.DATE),
        ("1234.57", GroundingKind.AMOUNT),
        ("   ", GroundingKind.TEXT),
    ],
)
def test_ground_rejects_invented_values(value: str, kind: GroundingKind) -> None:
    assert ground(value, TEXT, kind=kind) is None


def test_llm_values_not_in_the_text_are_dropped_and_counted() -> None:
    proposed = LlmFields(
        sender_name="Juergen Weiss",
        sender_street="Hauptstraße 1",  # invented
        references=[
            LlmReference(kind="aktenzeichen", value="WG-2024-018734"),
            LlmReference(kind="kundennummer", value="4711"),  # invented
        ],
        dates=["2025-03-15", "gestern"],
        deadlines=[
            LlmDeadline(text="bis zum 15. März 2025", date="2025-03-15"),
            LlmDeadline(text="innerhalb von zwei Wochen", date="2025-03-01"),
        ],
        amounts=[LlmAmount(value="1.234,56"), LlmAmount(value="99,00")],
        ibans=["DE72936044503276503845", "DE72936044503276503846"],
        phones=["+49 (0)89 1234567"],
        emails=["juergen@example.de", "kein-email"],
    )
    result = ground_llm_fields(proposed, TEXT, reference_date=dt.date(2025, 3, 3))
    fields = result.fields
    assert fields.sender.name is not None and fields.sender.name.span.text == "Jürgen Weiß"
    assert fields.sender.name.source is FieldSource.LLM
    assert fields.sender.street is None
    assert [r.value for r in fields.references] == ["WG-2024-018734"]
    assert [d.value for d in fields.dates] == ["2025-03-15"]
    assert [(d.value, d.due) for d in fields.deadlines] == [
        ("bis zum 15. März 2025", dt.date(2025, 3, 15)),
        # the LLM's date for the relative deadline is not in the text: ours is used
        ("innerhalb von zwei Wochen", dt.date(2025, 3, 17)),
    ]
    assert [a.span.text for a in fields.amounts] == ["1.234,56 €"]
    assert [i.value for i in fields.ibans] == ["DE72936044503276503845"]
    assert [p.span.text for p in fields.phones] == ["+49 89 1234567"]
    assert fields.emails == []
    reasons = sorted((d.field, d.reason) for d in result.dropped)
    assert reasons == sorted(
        [
            ("sender_street", DropReason.NOT_IN_TEXT),
            ("references", DropReason.NOT_IN_TEXT),
            ("dates", DropReason.INVALID_DATE),
            ("deadlines.date", DropReason.NOT_IN_TEXT),
            ("amounts", DropReason.NOT_IN_TEXT),
            ("ibans", DropReason.INVALID_IBAN),
            ("emails", DropReason.NOT_IN_TEXT),
            ("emails", DropReason.INVALID_EMAIL),
        ]
    )
    assert result.dropped_count == 8


def test_merge_keeps_pattern_values_and_fills_gaps_from_the_llm() -> None:
    patterned = extract_fields(TEXT)
    assert patterned.requested_action is not None
    llm = ground_llm_fields(
        LlmFields(
            sender_name="Jürgen Weiß",
            requested_action="Sie können innerhalb von zwei Wochen antworten.",
            references=[LlmReference(kind="kundennummer", value="WG-2024-018734")],
            dates=["2025-03-15"],
        ),
        TEXT,
    ).fields
    merged = merge_fields(patterned, llm)
    assert merged.requested_action == patterned.requested_action
    assert merged.sender.name is not None
    assert merged.sender.name.source is FieldSource.PATTERN
    # the same reference under another kind overlaps the pattern's: not added
    assert [(r.kind, r.source) for r in merged.references] == [
        (patterned.references[0].kind, FieldSource.PATTERN)
    ]
    assert [d.source for d in merged.dates] == [FieldSource.PATTERN]
    only_llm = merge_fields(extract_fields("Kein Absender."), llm)
    assert only_llm.requested_action is not None
    assert only_llm.requested_action.source is FieldSource.LLM
