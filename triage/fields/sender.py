"""Who wrote a letter: the sender block at its top or the signature under it.

German letters put the sender first (the block before the recipient, or one return line
"Name · Straße 1 · 12345 Ort" in DIN 5008 layout) or only under the closing formula; an
e-mail names the sender in its "Von:" line. A line is a name only if it looks like one
(two to four capitalised words, an optional title) and is no authority's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from triage.fields.patterns import span_at
from triage.fields.schema import FieldSource, FieldValue, Sender

# Letters of names as they occur in German mail, Turkish and Slavic ones included.
UPPER = "A-ZÄÖÜÀ-ÖØ-ÞĆČĐŁŃŘŚŠŞŽŻİĞ"
LOWER = "a-zäöüßà-öø-ÿćčđłńřśšşžżığ"
NAME_WORD = rf"[{UPPER}][{LOWER}]+(?:-[{UPPER}][{LOWER}]+)?"
_PARTICLE = r"(?:von|van|de|zu|von[ ]der|ter)[ ]"
_PERSON = (
    rf"(?:(?:Dr\.|Prof\.)[ ](?:Dr\.[ ])?)?{NAME_WORD}(?:[ ](?:{_PARTICLE})?{NAME_WORD}){{1,3}}"
)
# "Heinrich und Maria Zimmermann", "Lukas Hartmann und Sophie Hartmann" sign together.
NAME_PATTERN = rf"(?:{NAME_WORD}[ ]und[ ])?{_PERSON}(?:[ ]und[ ]{_PERSON})?"
_NAME = re.compile(NAME_PATTERN)
_COMPANY = re.compile(
    r"[A-ZÄÖÜ0-9][\w&.\- ]{1,60}[ ](?:GmbH(?:[ ]&[ ]Co\.[ ]KG)?|AG|KG|OHG|GbR|UG|e\.[ ]?V\.|eG)"
)
_AUTHORITY = re.compile(
    r"\b(?:Stadt|Gemeinde|Landeshauptstadt|Landratsamt|Amt|Referat|Bürgerbüro|Bürgeramt|"
    r"Verwaltung|Abteilung|Behörde|Kreis|Landkreis|Rathaus|Finanzamt|Jobcenter|Damen|Herren|"
    r"Sachgebiet|Fachbereich|Dezernat|Ordnungsamt|Standesamt|Kasse|Kämmerei|An[ ]die|An[ ]das)\b"
)
STREET_PATTERN = (
    r"(?:[A-ZÄÖÜ][\wäöüßÄÖÜ.\-]*[ ]){0,3}[A-ZÄÖÜ][\wäöüßÄÖÜ.\-]*"
    r"[ ]\d{1,4}(?:[ ]?[a-h])?(?:[ ]?[-/][ ]?\d{1,4}[a-h]?)?"
)
_STREET = re.compile(STREET_PATTERN)
POSTAL_CITY_PATTERN = r"(?:D-)?\d{5}[ ][A-ZÄÖÜ][\wäöüßÄÖÜ.\-]*(?:[ ](?:\(?[\wäöüßÄÖÜ.\-]+\)?)){0,3}"
_POSTAL_CITY = re.compile(POSTAL_CITY_PATTERN)
_NOT_STREET = re.compile(r"^(?:Postfach|Tel|Telefon|Fax|Mobil|Zimmer|Raum|Az|Nr|Kunden)", re.I)
_CLOSING = re.compile(
    r"^(?:Mit[ ]freundlichen[ ]Grüßen|Freundliche[ ]Grüße|Mit[ ]besten[ ]Grüßen|"
    r"Viele[ ]Grüße|Beste[ ]Grüße|Mit[ ]freundlichem[ ]Gruß|Hochachtungsvoll|"
    r"Mit[ ]freundlichen[ ]Grüssen)[,.!]?$",
    re.MULTILINE,
)
_FROM_LINE = re.compile(rf"^Von:[ ]*(?P<name>{NAME_PATTERN})[ ]*<", re.MULTILINE)
_RETURN_SEPARATOR = re.compile(r"[ ]*[·•|,][ ]+|[ ]+[\-–][ ]+")


@dataclass(frozen=True)
class Line:
    start: int
    end: int
    text: str


def lines_of(text: str, start: int = 0, end: int | None = None) -> Iterator[Line]:
    position = start
    stop = len(text) if end is None else end
    while position < stop:
        line_end = text.find("\n", position, stop)
        line_end = stop if line_end < 0 else line_end
        yield Line(position, line_end, text[position:line_end])
        position = line_end + 1


def is_name(line: str) -> bool:
    return _NAME.fullmatch(line) is not None and _AUTHORITY.search(line) is None


def _is_sender_name(line: str) -> bool:
    return is_name(line) or (
        _COMPANY.fullmatch(line) is not None and _AUTHORITY.search(line) is None
    )


def _field(text: str, start: int, end: int) -> FieldValue:
    span = span_at(text, start, end)
    return FieldValue(value=span.text, source=FieldSource.PATTERN, span=span)


def _address_in(text: str, lines: list[Line]) -> tuple[FieldValue | None, FieldValue | None]:
    """The first street line and the first PLZ-and-city line; "Seestraße 14, 82229
    Seefeld" on one line counts as both."""
    street = city = None
    parts = [part for line in lines for part in _with_text(text, _return_line_parts(line))]
    for line in parts:
        if street is None and not _NOT_STREET.match(line.text) and _STREET.fullmatch(line.text):
            street = _field(text, line.start, line.end)
        elif city is None and _POSTAL_CITY.fullmatch(line.text):
            city = _field(text, line.start, line.end)
    return street, city


def _header(text: str) -> Sender:
    lines = [line for line in lines_of(text, 0, _first_blank(text)) if line.text]
    if not lines:
        return Sender()
    first = lines[0]
    parts = list(_with_text(text, _return_line_parts(first)))
    if len(parts) == 3 and _is_sender_name(parts[0].text):
        name_part, street_part, city_part = parts
        if _STREET.fullmatch(street_part.text) and _POSTAL_CITY.fullmatch(city_part.text):
            return Sender(
                name=_field(text, name_part.start, name_part.end),
                street=_field(text, street_part.start, street_part.end),
                postal_code_city=_field(text, city_part.start, city_part.end),
            )
    if not _is_sender_name(first.text):
        return Sender()
    street, city = _address_in(text, lines[1:8])
    return Sender(name=_field(text, first.start, first.end), street=street, postal_code_city=city)


def _first_blank(text: str) -> int:
    stripped = len(text) - len(text.lstrip("\n"))
    blank = text.find("\n\n", stripped)
    return len(text) if blank < 0 else blank


def _return_line_parts(line: Line) -> Iterator[Line]:
    position = line.start
    for separator in _RETURN_SEPARATOR.finditer(line.text):
        yield Line(position, line.start + separator.start(), "")
        position = line.start + separator.end()
    yield Line(position, line.end, "")


def _with_text(text: str, parts: Iterator[Line]) -> Iterator[Line]:
    for part in parts:
        yield Line(part.start, part.end, text[part.start : part.end])


def _signature(text: str) -> Sender:
    closings = list(_CLOSING.finditer(text))
    if not closings:
        return Sender()
    after = [line for line in lines_of(text, closings[-1].end() + 1) if line.text.strip()]
    after = after[:7]
    for index, line in enumerate(after[:3]):
        if _is_sender_name(line.text):
            street, city = _address_in(text, after[index + 1 :])
            return Sender(
                name=_field(text, line.start, line.end), street=street, postal_code_city=city
            )
    return Sender()


def find_sender(text: str) -> Sender:
    """The header block first, then an e-mail's "Von:" line, then the signature; each part
    (name, street, PLZ and city) comes from the first place that has it."""
    candidates = [_header(text)]
    from_line = _FROM_LINE.search(text)
    if from_line is not None:
        candidates.append(Sender(name=_field(text, from_line.start("name"), from_line.end("name"))))
    candidates.append(_signature(text))
    return Sender(
        name=next((c.name for c in candidates if c.name is not None), None),
        street=next((c.street for c in candidates if c.street is not None), None),
        postal_code_city=next((c.postal_code_city for c in candidates if c.postal_code_city), None),
    )
