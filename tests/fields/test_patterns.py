"""Deterministic extractors on realistic German snippets, false-positive traps included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from triage.fields.dates import find_dates, find_deadlines
from triage.fields.extract import extract_fields, find_requested_action
from triage.fields.patterns import (
    find_amounts,
    find_emails,
    find_ibans,
    find_phones,
    find_references,
    iban_is_valid,
)
from triage.fields.schema import ReferenceKind
from triage.fields.sender import find_sender


@pytest.mark.parametrize(
    "iban", ["DE72936044503276503845", "DE72 9360 4450 3276 5038 45", "AT28 2494 8007 2487 4129"]
)
def test_iban_checksum_accepts_valid(iban: str) -> None:
    assert iban_is_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "DE72936044503276503846",  # one digit off
        "DE27936044503276503845",  # check digits swapped
        "DE7293604450327650384",  # DE must have 22 characters
        "DE12 3456 7890 1234 5678 90",
    ],
)
def test_iban_checksum_rejects_invalid(iban: str) -> None:
    assert not iban_is_valid(iban)


def test_iban_found_grouped_and_compact_never_cut() -> None:
    text = (
        "IBAN DE72 9360 4450 3276 5038 45 BIC GENODEF1XXX, alt: DE36724948141673671309.\n"
        "Falsch notiert: DE12 3456 7890 1234 5678 90"
    )
    assert [i.value for i in find_ibans(text)] == [
        "DE72936044503276503845",
        "DE36724948141673671309",
    ]
    first = find_ibans(text)[0]
    assert first.span.text == "DE72 9360 4450 3276 5038 45"
    assert text[first.span.start : first.span.end] == first.span.text


def test_email_found_without_trailing_dot() -> None:
    emails = find_emails("Schreiben Sie an anna.schmidt@example.de. Danke")
    assert [e.value for e in emails] == ["anna.schmidt@example.de"]


def test_phone_needs_a_label_and_a_kundennummer_is_none() -> None:
    text = (
        "Tel.: 089 12345678\n"
        "Kundennummer: 0301234567\n"
        "Fax: 089 12345679\n"
        "Sie erreichen mich unter 0176/1234567.\n"
        "Mobil +49 (0)171 2345678\n"
        "Unsere Nummer im Portal 0341 558 210."
    )
    assert [p.span.text for p in find_phones(text)] == [
        "089 12345678",
        "0176/1234567",
        "+49 (0)171 2345678",
    ]


def test_phone_without_label_only_when_asked() -> None:
    text = "Rückruf bitte: 0341 558210"
    assert find_phones("Rückmeldung an 0341 558210") == []
    assert [p.span.text for p in find_phones(text, require_label=False)] == ["0341 558210"]


def test_dates_are_not_phone_numbers() -> None:
    assert find_phones("Tel. am 03.03.2025 besprochen") == []


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("eine Gebühr von 1.234,56 € wurde", Decimal("1234.56")),
        ("Gebühr: EUR 50 zahlbar", Decimal("50")),
        ("Finderlohn von 50 Euro zahlen", Decimal("50")),
        ("insgesamt 1.250,- € fällig", Decimal("1250")),
        ("je 64,60 EUR monatlich", Decimal("64.60")),
    ],
)
def test_amounts(text: str, amount: Decimal) -> None:
    (found,) = find_amounts(text)
    assert found.amount == amount and found.currency == "EUR"
    assert found.span.text in text


def test_numbers_without_currency_are_no_amounts() -> None:
    assert find_amounts("Zimmer 1.234 und 15 Meter, Kundennummer 4711,00") == []


def test_dates_in_all_forms_and_impossible_ones_skipped() -> None:
    text = "am 03.03.2025, am 15. März 2025, am 2025-04-01, am 1.2.25 und am 31.02.2025"
    assert [d.date for d in find_dates(text)] == [
        dt.date(2025, 3, 3),
        dt.date(2025, 3, 15),
        dt.date(2025, 4, 1),
        dt.date(2025, 2, 1),
    ]


def test_deadlines_keep_their_sentence() -> None:
    text = (
        "Der Bescheid vom 12.02.2025 liegt vor. Bitte reichen Sie die Unterlagen bis zum "
        "15. März 2025 ein. Der Zeitraum vom 01.01.2024 bis 31.12.2024 ist betroffen. "
        "Mein Wohngeld ist bis zum 31.03.2025 bewilligt. Die Rate ist am 15.05.2025 fällig."
    )
    deadlines = find_deadlines(text)
    assert [(d.value, d.due) for d in deadlines] == [
        ("bis zum 15. März 2025", dt.date(2025, 3, 15)),
        ("am 15.05.2025 fällig", dt.date(2025, 5, 15)),
    ]
    assert deadlines[0].sentence == ("Bitte reichen Sie die Unterlagen bis zum 15. März 2025 ein.")


def test_relative_deadline_resolved_only_with_reference_date() -> None:
    text = "Sie können innerhalb eines Monats Widerspruch erheben. Antwort binnen 14 Tagen."
    undated = find_deadlines(text)
    assert [(d.value, d.due) for d in undated] == [
        ("innerhalb eines Monats", None),
        ("binnen 14 Tagen", None),
    ]
    dated = find_deadlines(text, reference_date=dt.date(2025, 1, 31))
    assert [d.due for d in dated] == [dt.date(2025, 2, 28), dt.date(2025, 2, 14)]


def test_references_by_label() -> None:
    text = (
        "Aktenzeichen: WG-2024-018734\n"
        "Ihr Zeichen: BA 2025/0815 – Bauantrag\n"
        "Meine Kundennummer lautet 0697 1234 55.\n"
        "Kassenzeichen: 5.0412.778301.4\n"
        "Steuernummer: 143/123/45678\n"
        "Unsere Steuernummer beim Finanzamt lautet 8606012345678.\n"
        "Az. siehe oben"
    )
    found = [(r.kind, r.value) for r in find_references(text)]
    assert found == [
        (ReferenceKind.AKTENZEICHEN, "WG-2024-018734"),
        (ReferenceKind.AKTENZEICHEN, "BA 2025/0815"),
        (ReferenceKind.KUNDENNUMMER, "0697 1234 55"),
        (ReferenceKind.KASSENZEICHEN, "5.0412.778301.4"),
        (ReferenceKind.STEUERNUMMER, "143/123/45678"),
        (ReferenceKind.STEUERNUMMER, "8606012345678"),
    ]


def test_sender_from_header_return_line_and_signature() -> None:
    header = "Anna Schmidt\nLindenstraße 12\n80331 München\n\nStadt München\nRuppertstraße 19"
    sender = find_sender(header)
    assert (sender.name and sender.name.value, sender.street and sender.street.value) == (
        "Anna Schmidt",
        "Lindenstraße 12",
    )
    din = "Jonas Weber · Am Anger 3 · 91054 Erlangen\n\nStadt Erlangen"
    assert find_sender(din).postal_code_city is not None
    signature = (
        "Stadt Leipzig\nAmt für Jugend\n04092 Leipzig\n\nSehr geehrte Damen und Herren,\n\n"
        "Text.\n\nMit freundlichen Grüßen\nSven Hartwig\nSeestraße 14, 82229 Seefeld"
    )
    found = find_sender(signature)
    assert found.name is not None and found.name.value == "Sven Hartwig"
    assert found.street is not None and found.street.value == "Seestraße 14"
    assert found.postal_code_city is not None and found.postal_code_city.value == "82229 Seefeld"


def test_authority_first_is_no_sender() -> None:
    text = "Landeshauptstadt München\nKreisverwaltungsreferat\n80337 München\n\nText ohne Gruß."
    assert find_sender(text).name is None


def test_requested_action_is_a_sentence_of_the_body() -> None:
    text = (
        "Sehr geehrte Damen und Herren,\n\nich bin umgezogen. Ich bitte Sie, meine Ummeldung "
        "vorzubereiten. Danke.\n\nMit freundlichen Grüßen\nAnna Schmidt"
    )
    action = find_requested_action(text)
    assert action is not None
    assert action.value == "Ich bitte Sie, meine Ummeldung vorzubereiten."


def test_every_extracted_span_is_literally_in_the_text() -> None:
    text = (
        "Anna Schmidt\nLindenstraße 12\n80331 München\nTel.: 089 12345678\n\n"
        "Sehr geehrte Damen und Herren,\n\nich bitte um Erstattung von 85,00 € auf "
        "DE72 9360 4450 3276 5038 45 bis zum 21.03.2025.\n\nMit freundlichen Grüßen\nAnna Schmidt"
    )
    fields = extract_fields(text)
    values = [
        fields.sender.name,
        fields.sender.street,
        fields.sender.postal_code_city,
        fields.requested_action,
        *fields.dates,
        *fields.deadlines,
        *fields.amounts,
        *fields.ibans,
        *fields.phones,
    ]
    assert all(v is not None for v in values) and len(values) == 9
    for value in values:
        assert value is not None
        assert text[value.span.start : value.span.end] == value.span.text
