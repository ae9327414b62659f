"""Filled-in PDF form fields as sender, dates and contacts: real AcroForm PDFs through the
parser registry, and the label rules on the text the parser writes."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures import documents as fx
from triage.fields.extract import extract_fields
from triage.fields.form_labels import (
    FormFieldKind,
    address_rank,
    is_checkbox_value,
    label_kind,
    person_number,
)
from triage.fields.forms import form_entries, form_first, parse_form_date, read_form
from triage.fields.schema import DocumentFields, FieldValue
from triage.parsing import ParserRegistry, build_default_registry
from triage.parsing.base import FORM_FIELDS_HEADING

TODAY = dt.date(2026, 1, 20)
INTRO = "Meldeschein (Anmeldung bei der Meldebehörde)\n\nBitte in Druckbuchstaben ausfüllen."


@pytest.fixture(scope="module")
def registry() -> ParserRegistry:
    return build_default_registry(ocr=None)


def _literal(text: str, value: FieldValue | None) -> str:
    """The text a value's span points at, checked against the whole document text."""
    assert value is not None
    assert text[value.span.start : value.span.end] == value.span.text
    return value.span.text


def _form_text(*lines: str, page: str = "Antrag auf Wohngeld") -> str:
    return f"{page}\n\n{FORM_FIELDS_HEADING}\n" + "\n".join(lines)


# --- real AcroForm PDFs through the parsers -----------------------------------------------


def test_a_filled_registration_form_names_sender_and_dates(registry: ParserRegistry) -> None:
    tooltips = {
        "f1": "Familienname der 1. Person: Es ist der vollständige Familienname anzugeben.",
        "v1": "Vorname(n) (Rufname unterstreichen) der 1. Person: Wie beurkundet angeben.",
        "f2": "Familienname der 2. Person: Es ist der vollständige Familienname anzugeben.",
        "v2": "Vorname(n) (Rufname unterstreichen) der 2. Person: Wie beurkundet angeben.",
        "str": "Neue Wohnung (Straße/Platz, Hausnummer, Stockwerk)",
        "plz": "Neue Wohnung (Postleitzahl)",
        "geb1": "Geburtsdatum der 1. Person: Reihenfolge Tag - Monat - Jahr",
        "gebort": "Geburtsort (Gemeinde, Landkreis) der 1. Person",
        "ein": "Einzugsdatum: Reihenfolge: Tag - Monat - Jahr",
        "aus": "Ort der Ausstellung",
    }
    values = {
        "f1": "Maier",
        "v1": "Frank",
        "f2": "Huber",
        "v2": "Anna",
        "str": "Richard-Wagner-Straße 31",
        "plz": "81457",
        "geb1": "011199",
        "gebort": "Hamburg",
        "ein": "15012025",
        "aus": "München,",
    }
    text = registry.parse(fx.fillable_pdf(values, tooltips=tooltips, intro=INTRO)).text
    fields = extract_fields(text, reference_date=TODAY)

    assert fields.sender.name is not None and fields.sender.name.value == "Frank Maier"
    assert _literal(text, fields.sender.name) == "Maier"
    assert fields.sender.street is not None
    assert _literal(text, fields.sender.street) == "Richard-Wagner-Straße 31"
    assert fields.sender.postal_code_city is not None
    assert _literal(text, fields.sender.postal_code_city) == "81457"
    assert [d.value for d in fields.dates] == ["1999-11-01", "2025-01-15"]
    assert [_literal(text, d) for d in fields.dates] == ["011199", "15012025"]
    # Before this section existed, the patterns found none of it.
    before = text.split(FORM_FIELDS_HEADING)[0]
    assert extract_fields(before).sender.name is None


def test_separate_city_phone_e_mail_and_old_address_in_a_pdf(registry: ParserRegistry) -> None:
    values = {
        "alt_str": "Lindenweg 2",
        "alt_plz": "90402",
        "alt_ort": "Nürnberg",
        "name": "Yılmaz",
        "vorname": "Ayşe",
        "str": "Hauptstraße",
        "hnr": "7a",
        "plz": "80331",
        "ort": "München",
        "tel": "0176 12345678",
        "mail": "ayse.yilmaz@example.org",
        "bank": "Sparkasse Musterstadt",
    }
    tooltips = {
        "alt_str": "Bisherige Wohnung: Straße",
        "alt_plz": "Bisherige Wohnung: PLZ",
        "alt_ort": "Bisherige Wohnung: Ort",
        "str": "Künftige Wohnung – Straße",
        "hnr": "Künftige Wohnung – Hausnummer",
        "plz": "Künftige Wohnung – Postleitzahl",
        "ort": "Künftige Wohnung – Wohnort",
        "tel": "Telefonnummer für Rückfragen während der üblichen Sprechzeiten (freiwillig)",
        "mail": "E-Mail-Adresse",
        "bank": "Name der Bank",
    }
    data = fx.fillable_pdf(
        values, tooltips=tooltips, checkboxes={"Nachname bestätigt": True}, intro=INTRO
    )
    text = registry.parse(data).text
    fields = extract_fields(text, reference_date=TODAY)

    sender = fields.sender
    assert sender.name is not None and sender.name.value == "Ayşe Yılmaz"
    assert sender.street is not None and sender.street.value == "Hauptstraße 7a"
    assert _literal(text, sender.street) == "Hauptstraße"
    assert sender.postal_code_city is not None
    assert sender.postal_code_city.value == "80331 München"
    assert _literal(text, sender.postal_code_city) == "80331"
    # The phone label stands too far before the number for the letter patterns.
    assert [_literal(text, p) for p in fields.phones] == ["0176 12345678"]
    assert [e.value for e in fields.emails] == ["ayse.yilmaz@example.org"]


def test_a_form_attached_to_an_e_mail_is_read_and_moved_first(registry: ParserRegistry) -> None:
    form = fx.fillable_pdf(
        {"n": "Schulz", "v": "Petra", "d": "03.04.1975"},
        tooltips={"n": "Nachname", "v": "Vorname", "d": "Geburtsdatum"},
    )
    mail = fx.eml_with_attachments(
        attachments=[("Antrag.pdf", form), *fx.default_attachments()[1:]]
    )
    text = registry.parse(mail).text
    fields = extract_fields(text, reference_date=TODAY)
    assert fields.sender.name is not None and fields.sender.name.value == "Petra Schulz"
    assert "1975-04-03" in [d.value for d in fields.dates]

    moved = form_first(text)
    assert moved.startswith(f"{FORM_FIELDS_HEADING}\nNachname: Schulz\nVorname: Petra\n")
    assert sorted(moved.split()) == sorted(text.split())
    assert "--- Anhang: Mietbescheinigung.docx ---" in moved


# --- the section and its entries ----------------------------------------------------------


def test_value_is_after_the_last_separator_and_spans_point_into_the_whole_text() -> None:
    text = _form_text(
        "Einzugsdatum: Reihenfolge: Tag - Monat - Jahr: 12.01.26",
        "Familienname der 1. Person: Es ist der Familienname anzugeben.: Khan",
        page="Frau Khan zieht um. Khan",
    )
    entries = form_entries(text)
    assert [(e.label, e.value) for e in entries] == [
        ("Einzugsdatum: Reihenfolge: Tag - Monat - Jahr", "12.01.26"),
        ("Familienname der 1. Person: Es ist der Familienname anzugeben.", "Khan"),
    ]
    khan = entries[1]
    assert text[khan.start : khan.end] == "Khan"
    assert khan.start > text.index(FORM_FIELDS_HEADING)
    name = extract_fields(text).sender.name
    assert name is not None and name.span.start == khan.start


def test_a_text_without_section_has_no_form() -> None:
    assert read_form("Sehr geehrte Damen und Herren,\nName: Jürgen Müller") is None
    assert form_entries("Familienname: Müller") == []


def test_the_section_ends_at_a_blank_line() -> None:
    text = _form_text("Nachname: Weber") + "\n\n--- Anhang: brief.txt ---\nName: Falsch"
    assert [e.value for e in form_entries(text)] == ["Weber"]


# --- labels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Familienname der 1. Person: Es ist der Familienname anzugeben.", "family_name"),
        ("Nachname", "family_name"),
        ("Name", "family_name"),
        ("antragsteller.Familienname_1", "family_name"),
        ("Vorname(n) (Rufname unterstreichen) der 1. Person", "first_names"),
        ("Vor- und Nachname", "full_name"),
        ("Name, Vorname", "full_name"),
        ("Neue Wohnung (Straße/Platz, Hausnummer, Stockwerk)", "street"),
        ("Strasse", "street"),
        ("Hausnummer", "house_number"),
        ("Anschrift (Straße, Hausnummer, PLZ, Ort)", "address"),
        ("Neue Wohnung (Postleitzahl)", "postal_code"),
        ("PLZ", "postal_code"),
        ("PLZ/Ort", "postal_code_city"),
        ("Wohnort", "city"),
        ("Ort", "city"),
        ("Geburtsdatum der 1. Person: Reihenfolge Tag - Monat - Jahr", "date"),
        ("Einzugsdatum: Reihenfolge: Tag - Monat - Jahr", "date"),
        ("Geburtstag", "date"),
        ("Seit wann? (TT.MM.JJJJ)", "date"),
        ("Ort, Datum", "date"),
        ("Telefon (tagsüber)", "phone"),
        ("Tel.", "phone"),
        ("Mobilnummer", "phone"),
        ("E-Mail-Adresse", "email"),
    ],
)
def test_labels_map_to_fields_by_generic_words(label: str, kind: str) -> None:
    assert label_kind(label) == FormFieldKind(kind)


@pytest.mark.parametrize(
    "label",
    [
        "Geburtsort (Gemeinde, Landkreis; falls Ausland auch Staat angeben) der 1. Person",
        "Ort der Ausstellung",
        "Familienstand der 1. Person: : Hier ist der Familienstand anzugeben: LD - ledig",
        "Geburtsname",
        "Geschlecht der 1. Person: Für die Angabe gilt (§ 22 Abs. 3 PStG), Geburtenregister",
        "Staatsangehörigkeit(en)",
        "Telefax",
        "Ausweis-Nr.",
    ],
)
def test_labels_that_name_no_sender_field(label: str) -> None:
    assert label_kind(label) is None


@pytest.mark.parametrize(
    ("label", "number"),
    [
        ("Familienname der 1. Person", 1),
        ("Familienname der 2. Person: Es ist der Familienname anzugeben.", 2),
        ("Vorname Person 3", 3),
        ("Vorname der zweiten Person", 2),
        ("Familienname", 1),
        ("Familienname: Angaben wie in der 2. Person des Ausweises", 1),  # only the head counts
    ],
)
def test_person_numbers(label: str, number: int) -> None:
    assert person_number(label) == number


def test_only_the_first_person_is_the_sender() -> None:
    text = _form_text(
        "Familienname der 2. Person: Maier",
        "Vorname(n) der 2. Person: Anna",
        "Familienname der 1. Person: Huber",
        "Vorname(n) der 1. Person: Josef",
    )
    name = extract_fields(text).sender.name
    assert name is not None and name.value == "Josef Huber"


def test_unnumbered_labels_count_as_the_first_person() -> None:
    form = read_form(_form_text("Vorname der 2. Person: Anna", "Vorname: Lea", "Name: Roth"))
    assert form is not None and form.sender.name is not None
    assert form.sender.name.value == "Lea Roth"


@pytest.mark.parametrize(
    ("first", "family", "expected"),
    [
        ("Bruno Khan", "Khan", "Bruno Khan"),
        ("Bruno", "Teixeira Pinto", "Bruno Teixeira Pinto"),
        ("Ana Teixeira Pinto", "Teixeira Pinto", "Ana Teixeira Pinto"),
    ],
)
def test_first_names_and_family_name_are_not_doubled(
    first: str, family: str, expected: str
) -> None:
    text = _form_text(f"Vorname(n): {first}", f"Familienname: {family}")
    name = extract_fields(text).sender.name
    assert name is not None and name.value == expected


def test_a_full_name_written_family_name_first_is_turned_round() -> None:
    name = extract_fields(_form_text("Name, Vorname: Müller, Jürgen")).sender.name
    assert name is not None and name.value == "Jürgen Müller"


@pytest.mark.parametrize(
    ("label", "rank"),
    [
        ("Neue Wohnung (Postleitzahl)", 0),
        ("Zuziehende Anschrift", 0),
        ("Künftige Wohnung – Straße", 0),
        ("Straße", 1),
        ("Bisherige Wohnung (Straße)", 2),
        ("Alte Anschrift", 2),
        ("Frühere Wohnung: PLZ", 2),
    ],
)
def test_address_ranks(label: str, rank: int) -> None:
    assert address_rank(label) == rank


def test_the_new_address_wins_over_the_old_one_as_a_whole() -> None:
    text = _form_text(
        "Bisherige Wohnung (Straße, Hausnummer): Lindenweg 2",
        "Bisherige Wohnung (PLZ): 90402",
        "Bisherige Wohnung (Ort): Nürnberg",
        "Neue Wohnung (Straße, Hausnummer): Sonnenallee 5 3. Stock",
        "Neue Wohnung (Postleitzahl): 12057",
    )
    sender = extract_fields(text).sender
    assert sender.street is not None and sender.street.value == "Sonnenallee 5 3. Stock"
    # The city of the old address must not be glued to the new postal code.
    assert sender.postal_code_city is not None and sender.postal_code_city.value == "12057"


def test_the_old_address_is_used_when_it_is_the_only_one() -> None:
    text = _form_text("Bisherige Wohnung (Straße): Lindenweg 2", "Bisherige Wohnung (PLZ): 90402")
    sender = extract_fields(text).sender
    assert sender.street is not None and sender.street.value == "Lindenweg 2"


def test_an_address_in_one_field_is_split_into_street_and_city() -> None:
    text = _form_text("Anschrift (Straße, Hausnummer, PLZ, Ort): Goethestraße 12, 50667 Köln")
    sender = extract_fields(text).sender
    assert _literal(text, sender.street) == "Goethestraße 12"
    assert _literal(text, sender.postal_code_city) == "50667 Köln"


def test_other_parties_and_birth_places_are_no_sender() -> None:
    text = _form_text(
        "Name der Bank: Sparkasse",
        "Anschrift des Arbeitgebers: Industriestraße 9, 80939 München",
        "Geburtsort: Hamburg",
        "Ort der Ausstellung: München,",
    )
    assert extract_fields(text).sender.model_dump() == DocumentFields().sender.model_dump()


def test_form_values_win_over_the_page_text_sender() -> None:
    page = "Jürgen Müller\nGoethestraße 12\n50667 Köln\n\nAntrag auf Wohngeld"
    assert extract_fields(page).sender.name is not None
    text = _form_text("Familienname: Schmidt", "Vorname: Klara", page=page)
    sender = extract_fields(text).sender
    assert sender.name is not None and sender.name.value == "Klara Schmidt"
    # What the form does not say still comes from the page.
    assert sender.street is not None and sender.street.value == "Goethestraße 12"


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["ja", "Nein", "Off", "Yes", "X", "on"])
def test_checkbox_values_are_no_values(value: str) -> None:
    assert is_checkbox_value(value)
    text = _form_text(f"Familienname: {value}", f"Straße: {value}", f"Geburtsdatum: {value}")
    fields = extract_fields(text)
    assert fields.sender.name is None and fields.sender.street is None and fields.dates == []


@pytest.mark.parametrize(
    ("value", "birth", "expected"),
    [
        ("12.01.2026", False, dt.date(2026, 1, 12)),
        ("1.2.26", False, dt.date(2026, 2, 1)),
        ("15012025", False, dt.date(2025, 1, 15)),
        ("120126", False, dt.date(2026, 1, 12)),
        ("2025-01-15", False, dt.date(2025, 1, 15)),
        ("01.01.49", False, dt.date(2049, 1, 1)),
        ("01.01.50", False, dt.date(1950, 1, 1)),
        ("011199", True, dt.date(1999, 11, 1)),
        ("01111930", True, dt.date(1930, 11, 1)),
        ("25.01.26", True, dt.date(1926, 1, 25)),  # after today in 2026, so 1926
        ("19.01.26", True, dt.date(2026, 1, 19)),  # the day before today
        ("010120", True, dt.date(2020, 1, 1)),
        ("290200", True, dt.date(2000, 2, 29)),
    ],
)
def test_form_dates(value: str, birth: bool, expected: dt.date) -> None:
    assert parse_form_date(value, birth=birth, today=TODAY) == expected


@pytest.mark.parametrize(
    ("value", "birth"),
    [
        ("310299", False),  # no 31 February
        ("32.01.2020", False),
        ("291302", False),
        ("29.02.2023", False),
        ("TT.MM.JJJJ", False),
        ("1234", False),
        ("01.02.2030", True),  # a birth date after today
        ("19991101", False),  # year first is no form's order
    ],
)
def test_impossible_form_dates_give_none(value: str, birth: bool) -> None:
    assert parse_form_date(value, birth=birth, today=TODAY) is None


def test_an_impossible_date_value_gives_no_date_and_no_error() -> None:
    text = _form_text("Geburtsdatum: 310299", "Einzugsdatum: 15012025")
    assert [d.value for d in extract_fields(text, reference_date=TODAY).dates] == ["2025-01-15"]


def test_a_two_digit_birth_year_replaces_the_letter_reading() -> None:
    # A letter's "01.11.30" is 2030; in a birth-date field it can only be 1930.
    text = _form_text("Geburtsdatum: 01.11.30", page="Termin am 12.01.2026")
    dates = extract_fields(text, reference_date=TODAY).dates
    assert [d.value for d in dates] == ["2026-01-12", "1930-11-01"]
    assert _literal(text, dates[1]) == "01.11.30"


def test_form_dates_already_in_the_page_text_are_not_doubled() -> None:
    text = _form_text("Einzugsdatum: 15012025", page="Eingezogen am 15.01.2025.")
    assert [d.value for d in extract_fields(text).dates] == ["2025-01-15"]


def test_invalid_phone_and_e_mail_values_are_not_taken() -> None:
    text = _form_text("Telefonnummer für Rückfragen (freiwillig): 12", "E-Mail: keine")
    fields = extract_fields(text)
    assert fields.phones == [] and fields.emails == []


# --- form_first ---------------------------------------------------------------------------


def test_form_first_moves_the_section_in_front() -> None:
    page = "Meldeschein\n\nSeite 1 mit viel gedrucktem Text."
    section = f"{FORM_FIELDS_HEADING}\nFamilienname: Khan\nNeue Wohnung (Postleitzahl): 12057"
    assert form_first(f"{page}\n\n{section}") == f"{section}\n\n{page}"


def test_form_first_is_the_identity_without_a_section() -> None:
    text = "Sehr geehrte Damen und Herren,\n\nFamilienname: Khan"
    assert form_first(text) is text


def test_form_first_keeps_the_page_text_after_a_section_in_the_middle() -> None:
    text = f"E-Mail-Text\n\n{FORM_FIELDS_HEADING}\nName: Roth\n\n--- Anhang: b.txt ---\nBrief"
    assert form_first(text) == (
        f"{FORM_FIELDS_HEADING}\nName: Roth\n\nE-Mail-Text\n\n--- Anhang: b.txt ---\nBrief"
    )


def test_form_first_of_a_text_that_is_only_a_section() -> None:
    text = f"{FORM_FIELDS_HEADING}\nName: Roth"
    assert form_first(text) == text
