"""Pseudonymisation of personal data before text leaves the house for a remote LLM.

No NER model is available offline, so personal data is found by German patterns and the
context letters give it: salutations ("Sehr geehrte Frau X", "Herrn X"), family words
("meine Tochter X"), labelled form lines ("Name: X"), the sender block and the signature
under the closing formula; streets with house numbers and PLZ with city; birth dates after
"geb." or "Geburtsdatum"; IBANs, phone numbers and e-mail addresses. Every name found is
also replaced wherever else it (or its surname alone) occurs in the text.

Placeholders look like "[PERSON_1]": brackets and an upper-case word survive LLM output
unchanged far more reliably than look-alike fake names, and they never collide with a word
of a German letter. The same original value gets the same placeholder within one text, so
the LLM can still tell that the header and the signature name one person.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from triage.fields.dates import DATE_PATTERN
from triage.fields.patterns import find_emails, find_ibans, find_phones
from triage.fields.sender import NAME_PATTERN, NAME_WORD, find_sender, is_name

_WORD = NAME_WORD
_TWO_WORDS = rf"{_WORD}(?:[ ](?:von[ ]|van[ ]|de[ ]|zu[ ])?{_WORD})?"
_TITLE = r"(?:(?:Dr\.|Prof\.)[ ])*"
_NAME_CONTEXTS = [
    re.compile(rf"\b(?:Frau|Herrn?|Familie|Eheleute)[ ]{_TITLE}(?P<name>{_TWO_WORDS})"),
    re.compile(
        r"\b(?:[Mm]ein(?:e[rsm]?)?|[Uu]nser(?:e[rsm]?)?|[Dd]e[rsmn]|[Dd]ie)[ ]"
        r"(?:[a-zäöüß]+e[nrm]?[ ])?"  # "meiner verstorbenen Mutter", "unseres jüngsten Sohnes"
        r"(?:Tochter|Sohn(?:es)?|Kind(?:es)?|Ehefrau|Ehemann|Frau|Mann(?:es)?|Mutter|Vater|"
        r"Partner(?:in)?|Verlobte[rn]?|Lebensgefährt(?:in|e)|Enkel(?:in)?|Nachbar(?:in|n)?|"
        r"Vermieter(?:in)?|Bruder|Schwester|Oma|Opa|Großmutter|Großvater|Betreuer(?:in)?)"
        rf",?[ ]{_TITLE}(?P<name>{_TWO_WORDS})"
    ),
    re.compile(
        r"(?:^|\n)(?:Name|Vorname|Nachname|Familienname|Vor-[ ]und[ ]Nachname|Antragsteller(?:in)?|"
        r"Kind|Name[ ]des[ ]Kindes|Ansprechpartner(?:in)?|Inhaber(?:in)?)[ ]*:[ ]*"
        rf"{_TITLE}(?P<name>{_WORD}(?:[ ]{_WORD}){{0,3}})"
    ),
    re.compile(rf"\bgeb\.[ ](?P<name>{_WORD})(?=[,) \n])"),
    re.compile(rf"^Von:[ ]*(?P<name>{NAME_PATTERN})", re.MULTILINE),
    re.compile(rf"\b(?:[Ii]ch|[Ww]ir),[ ](?P<name>{NAME_PATTERN}),"),
]
# Capitalised words that follow "Herr X" or "meine Tochter" without being names.
_NOT_NAME_WORDS = {
    "Herr", "Herrn", "Frau", "Familie", "Sie", "Ihnen", "Ihr", "Ihre", "Ihren", "Ihrem",
    "Ihrer", "Bescheid", "Antrag", "Stadt", "Gemeinde", "Amt", "Kind", "Tochter", "Sohn",
    "Mit", "Und", "Der", "Die", "Das", "Den", "Dem", "Des", "Ein", "Eine", "Bitte", "Dank",
    "Grüßen", "Damen", "Herren", "Kollegin", "Kollege", "Oberbürgermeister", "Bürgermeister",
    "Bürgermeisterin", "Oberbürgermeisterin", "Sachbearbeiter", "Sachbearbeiterin",
}  # fmt: skip
_CLOSING = re.compile(
    r"^(?:Mit[ ]freundlichen[ ]Grü(?:ß|ss)en|Freundliche[ ]Grüße|Mit[ ]besten[ ]Grüßen|"
    r"Viele[ ]Grüße|Beste[ ]Grüße|Mit[ ]freundlichem[ ]Gruß|Hochachtungsvoll)[,.!]?[ ]*\n",
    re.MULTILINE,
)
_STREET_SUFFIX = (
    r"(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer|steig|pfad|chaussee|"
    r"markt|hof|berg|feld|garten|anger|graben|wall|park|siedlung|zeile|bogen|winkel|höhe)"
)
_STREET_WORD = r"(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee|Markt)"
_STREET = re.compile(
    r"(?<![\wÄÖÜäöüß])(?:"
    r"(?:Am|An[ ]der|An[ ]den|Auf[ ]dem|Auf[ ]der|Im|In[ ]der|In[ ]den|Zum|Zur|Unter[ ]den|"
    r"Hinter[ ]der|Vor[ ]dem)[ ][A-ZÄÖÜ][a-zäöüß\-]+"
    r"|(?:(?:Alte|Neue|Große|Kleine|Obere|Untere|Lange|Hohe)[ ])?(?:[A-ZÄÖÜ][a-zäöüß]+-){0,3}"
    rf"[A-ZÄÖÜ][a-zäöüß]*{_STREET_SUFFIX}"
    rf"|(?:[A-ZÄÖÜ][a-zäöüß]+[ -]){{1,3}}{_STREET_WORD}"
    r")[ ]\d{1,4}(?:[ ]?[a-h](?![\wäöüß]))?(?:[ ]?[-/][ ]?\d{1,4}[a-h]?)?(?!\d)"
)
# PLZ and city inside running text: a second word only where city names have one
# ("Frankfurt am Main", "Halle (Saale)"); "10000 Euro" is no place.
_POSTAL_CITY = re.compile(
    r"(?<![\d/.,])(?:D-)?\d{5}[ ](?!(?:Euro|EUR|Tage|Wochen|Monate|Jahre|Stück)\b)"
    r"[A-ZÄÖÜ][a-zäöüß\-]+(?:[ ](?:am|an[ ]der|ob[ ]der|im|in[ ]der|bei)[ ][A-ZÄÖÜ][a-zäöüß]+"
    r"|[ ]\([A-ZÄÖÜ][\wäöüß.\- ]+\)|[ ]i\.[ ]?[A-Z][\w.]*)?"
)
_BIRTH_DATE = re.compile(
    r"(?:\bgeb\.|\bgeboren|\bGeburtsdatum|\bGeb\.-Datum|\bgeb\.[ ]am)(?:[ ]am)?[ ]*:?[ ]*"
    rf"(?P<date>{DATE_PATTERN})",
    re.IGNORECASE,
)
# "am 03.02.2017 und am 19.10.2020 geboren": a date with "geboren" later in its clause.
_BORN_ON = re.compile(rf"\bam[ ](?P<date>{DATE_PATTERN})(?=(?:[^.\n]|\.(?=\d)){{0,40}}\bgeboren\b)")
# Shaped like a German IBAN: personal data even where a typo spoils the check digits.
_IBAN_SHAPE = re.compile(r"(?<![A-Za-z0-9])DE\d{2}(?:[ ]?\d{4}){4}[ ]?\d{2}(?![0-9])")
PLACEHOLDER = re.compile(r"\[(PERSON|ADRESSE|GEBURTSDATUM|IBAN|TELEFON|EMAIL)_(\d+)\]")


class PersonalDataKind(StrEnum):
    NAME = "name"
    ADDRESS = "address"
    BIRTH_DATE = "birth_date"
    IBAN = "iban"
    PHONE = "phone"
    EMAIL = "email"


_LABELS = {
    PersonalDataKind.NAME: "PERSON",
    PersonalDataKind.ADDRESS: "ADRESSE",
    PersonalDataKind.BIRTH_DATE: "GEBURTSDATUM",
    PersonalDataKind.IBAN: "IBAN",
    PersonalDataKind.PHONE: "TELEFON",
    PersonalDataKind.EMAIL: "EMAIL",
}
# Where two findings overlap, the more specific one wins (an IBAN over a phone number
# inside it, a birth date over a plain date).
_PRIORITY = [
    PersonalDataKind.IBAN,
    PersonalDataKind.EMAIL,
    PersonalDataKind.BIRTH_DATE,
    PersonalDataKind.PHONE,
    PersonalDataKind.ADDRESS,
    PersonalDataKind.NAME,
]


@dataclass(frozen=True)
class PersonalSpan:
    kind: PersonalDataKind
    start: int
    end: int
    text: str


def find_personal_data(text: str) -> list[PersonalSpan]:
    """Non-overlapping personal-data spans of `text`, in text order."""
    found: list[PersonalSpan] = []

    def add(kind: PersonalDataKind, start: int, end: int) -> None:
        if end > start:
            found.append(PersonalSpan(kind, start, end, text[start:end]))

    for iban in find_ibans(text):
        add(PersonalDataKind.IBAN, iban.span.start, iban.span.end)
    for shaped in _IBAN_SHAPE.finditer(text):
        add(PersonalDataKind.IBAN, shaped.start(), shaped.end())
    for email in find_emails(text):
        add(PersonalDataKind.EMAIL, email.span.start, email.span.end)
    for phone in find_phones(text, require_label=False):
        add(PersonalDataKind.PHONE, phone.span.start, phone.span.end)
    for pattern in (_BIRTH_DATE, _BORN_ON):
        for birth in pattern.finditer(text):
            add(PersonalDataKind.BIRTH_DATE, birth.start("date"), birth.end("date"))
    for pattern in (_STREET, _POSTAL_CITY):
        for match in pattern.finditer(text):
            add(PersonalDataKind.ADDRESS, match.start(), match.end())
    sender = find_sender(text)
    for part in (sender.street, sender.postal_code_city):
        if part is not None:
            add(PersonalDataKind.ADDRESS, part.span.start, part.span.end)
    for name in _names(text):
        for match in re.finditer(rf"(?<![\wÄÖÜäöüß]){re.escape(name)}(?![\wÄÖÜäöüß])", text):
            add(PersonalDataKind.NAME, match.start(), match.end())
    return _without_overlaps(found)


def _names(text: str) -> list[str]:
    """Names from context, then their single words (a surname alone, "Frau Schmidt"),
    longest first so that a full name is replaced as one."""
    names: set[str] = set()
    for pattern in _NAME_CONTEXTS:
        for match in pattern.finditer(text):
            words = match.group("name").split()
            while words and words[-1] in _NOT_NAME_WORDS:
                words.pop()
            if words and not any(word in _NOT_NAME_WORDS for word in words):
                names.add(" ".join(words))
    sender = find_sender(text)
    if sender.name is not None:
        names.add(sender.name.span.text)
    for closing in _CLOSING.finditer(text):
        for line in text[closing.end() :].split("\n")[:3]:
            candidate = line.strip()
            if is_name(candidate):
                names.add(candidate)
                break
    words = {
        word
        for name in names
        for word in name.split()
        if len(word) >= 3 and not word.endswith(".") and word[0].isupper()
    }
    return sorted(names | words, key=len, reverse=True)


def _without_overlaps(spans: list[PersonalSpan]) -> list[PersonalSpan]:
    ordered = sorted(spans, key=lambda s: (_PRIORITY.index(s.kind), -(s.end - s.start), s.start))
    kept: list[PersonalSpan] = []
    for span in ordered:
        if not any(span.start < other.end and other.start < span.end for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


class Pseudonymiser:
    """Replaces personal data by placeholders and puts the originals back into results."""

    def pseudonymise(self, text: str) -> tuple[str, dict[str, str]]:
        """The text with placeholders and the mapping placeholder -> original value."""
        by_value: dict[tuple[PersonalDataKind, str], str] = {}
        counters: dict[PersonalDataKind, int] = {}
        pieces: list[str] = []
        position = 0
        for span in find_personal_data(text):
            key = (span.kind, " ".join(span.text.split()))
            if key not in by_value:
                counters[span.kind] = counters.get(span.kind, 0) + 1
                by_value[key] = f"[{_LABELS[span.kind]}_{counters[span.kind]}]"
            pieces += [text[position : span.start], by_value[key]]
            position = span.end
        pieces.append(text[position:])
        mapping = {placeholder: value for (_, value), placeholder in by_value.items()}
        return "".join(pieces), mapping

    def restore(self, obj: Any, mapping: Mapping[str, str]) -> Any:
        """`obj` with every known placeholder in its strings (also inside nested dicts,
        lists and tuples) replaced by the original value; unknown placeholders stay."""
        if isinstance(obj, str):
            return PLACEHOLDER.sub(lambda m: mapping.get(m.group(), m.group()), obj)
        if isinstance(obj, dict):
            return {
                self.restore(key, mapping): self.restore(value, mapping)
                for key, value in obj.items()
            }
        if isinstance(obj, list):
            return [self.restore(item, mapping) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.restore(item, mapping) for item in obj)
        return obj
