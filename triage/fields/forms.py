"""Filled-in form fields: the values a citizen typed into a PDF form, read by their labels.

The PDF parser appends them under `FORM_FIELDS_HEADING`, one "<label>: <value>" a line,
where the label is the field's tooltip and may itself hold ": " (explanations such as
"Geburtsdatum der 1. Person: Reihenfolge Tag - Monat - Jahr: 011199"), so the value is what
follows the last ": ". Which field a label asks for is `triage.fields.form_labels`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from triage.fields.form_labels import (
    FormFieldKind,
    address_rank,
    is_checkbox_value,
    is_other_party,
    label_head,
    label_kind,
    person_number,
)
from triage.fields.patterns import find_emails, find_phones
from triage.fields.schema import DateValue, FieldSource, FieldValue, Sender, TextSpan
from triage.fields.sender import POSTAL_CITY_PATTERN
from triage.parsing.base import FORM_FIELDS_HEADING

_HEADING_LINE = re.compile(rf"^{re.escape(FORM_FIELDS_HEADING)}$", re.MULTILINE)
_SEPARATOR = ": "
_POSTAL_CODE = re.compile(r"(?:D-)?\d{5}")
_POSTAL_CITY = re.compile(POSTAL_CITY_PATTERN)
_ADDRESS_VALUE = re.compile(rf"(?P<street>[^,]+?),[ ]?(?P<city>{POSTAL_CITY_PATTERN})")
_NAME_VALUE = re.compile(r"[^\W\d_][^\d]*")
_DATE_VALUE = re.compile(
    r"(?P<d>\d{1,2})[./-][ ]?(?P<m>\d{1,2})[./-][ ]?(?P<y>\d{4}|\d{2})"
    r"|(?P<cd>\d{2})(?P<cm>\d{2})(?P<cy>\d{4}|\d{2})"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})"
)
# Two-digit years outside birth dates: 50-99 are 1950-1999, 00-49 are 2000-2049.
_CENTURY_PIVOT = 50


@dataclass(frozen=True)
class FormEntry:
    """One filled field; `start`/`end` delimit its value in the whole document text."""

    label: str
    value: str
    start: int
    end: int

    @property
    def head(self) -> str:
        return label_head(self.label)

    def span(self) -> TextSpan:
        return TextSpan(start=self.start, end=self.end, text=self.value)


@dataclass(frozen=True)
class FormValues:
    """What the form fields say about the sender and which dates, phones, e-mails they hold."""

    sender: Sender
    dates: list[DateValue]
    phones: list[FieldValue]
    emails: list[FieldValue]


def form_sections(text: str) -> list[tuple[int, int]]:
    """Start (at the heading) and end of every form-field section: up to the next blank
    line, where an e-mail's next attachment would begin, or the end of the text."""
    sections: list[tuple[int, int]] = []
    for heading in _HEADING_LINE.finditer(text):
        if sections and heading.start() < sections[-1][1]:
            continue
        end = text.find("\n\n", heading.end())
        sections.append((heading.start(), len(text) if end < 0 else end))
    return sections


def form_entries(text: str) -> list[FormEntry]:
    """The "<label>: <value>" lines of every section; a line without ": " is skipped."""
    entries: list[FormEntry] = []
    for start, end in form_sections(text):
        heading_end = text.find("\n", start, end)
        position = end if heading_end < 0 else heading_end + 1
        while position < end:
            line_end = text.find("\n", position, end)
            line_end = end if line_end < 0 else line_end
            separator = text.rfind(_SEPARATOR, position, line_end)
            value_start = separator + len(_SEPARATOR)
            if separator > position and text[value_start:line_end].strip():
                while text[line_end - 1].isspace():
                    line_end -= 1
                entries.append(
                    FormEntry(
                        label=text[position:separator],
                        value=text[value_start:line_end],
                        start=value_start,
                        end=line_end,
                    )
                )
            position = line_end + 1
    return entries


def form_first(text: str) -> str:
    """The text with its form-field sections (heading kept) in front of the page text, so
    a prompt cut to its first characters still holds what was filled in."""
    sections = form_sections(text)
    if not sections:
        return text
    rest: list[str] = []
    position = 0
    for start, end in sections:
        rest.append(text[position:start])
        position = end
    rest.append(text[position:])
    page_text = re.sub(r"\n{3,}", "\n\n", "".join(rest)).strip("\n")
    moved = "\n\n".join(text[start:end] for start, end in sections)
    return f"{moved}\n\n{page_text}" if page_text else moved


def parse_form_date(value: str, *, birth: bool, today: dt.date) -> dt.date | None:
    """A date as forms hold it: DD.MM.YYYY, D.M.YY, DDMMYY, DDMMYYYY or ISO; None unless it
    is a real calendar date. A two-digit year of a birth date is the latest one not after
    `today`; any other lies in 1950-2049. A birth date after `today` is impossible."""
    match = _DATE_VALUE.fullmatch(value.strip())
    if match is None:
        return None
    groups = match.groupdict()
    if groups["iy"]:
        parts = (groups["id"], groups["im"], groups["iy"])
    elif groups["cd"]:
        parts = (groups["cd"], groups["cm"], groups["cy"])
    else:
        parts = (groups["d"], groups["m"], groups["y"])
    day, month, year = (int(part) for part in parts)
    if len(parts[2]) == 2:
        return _two_digit_year_date(day, month, year, birth=birth, today=today)
    date = _date(year, month, day)
    if date is None or (birth and date > today):
        return None
    return date


def _two_digit_year_date(
    day: int, month: int, year: int, *, birth: bool, today: dt.date
) -> dt.date | None:
    if not birth:
        return _date(year + (2000 if year < _CENTURY_PIVOT else 1900), month, day)
    recent = _date(2000 + year, month, day)
    if recent is not None and recent <= today:
        return recent
    earlier = _date(1900 + year, month, day)
    return earlier if earlier is not None and earlier <= today else None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def read_form(text: str, *, today: dt.date | None = None) -> FormValues | None:
    """The sender, dates, phones and e-mails of the text's form sections; None without one.

    The sender is the first person: numbered labels other than "1. Person" are skipped, an
    unnumbered one counts as the first. Of the addresses the new one wins (a registration
    names the flat moved into and the one left), then one the label calls neither new nor
    old; the parts of the address all come from that one.
    """
    if not form_sections(text):
        return None
    today = today or dt.date.today()
    entries = [
        (entry, kind)
        for entry in form_entries(text)
        if not is_checkbox_value(entry.value) and (kind := label_kind(entry.label)) is not None
    ]
    return FormValues(
        sender=_sender([(e, k) for e, k in entries if k not in _CONTACT_KINDS]),
        dates=_dates(entries, today=today),
        phones=_inside(find_phones(text, require_label=False), entries, FormFieldKind.PHONE),
        emails=_inside(find_emails(text), entries, FormFieldKind.EMAIL),
    )


_CONTACT_KINDS = {FormFieldKind.DATE, FormFieldKind.PHONE, FormFieldKind.EMAIL}
_NAME_KINDS = {FormFieldKind.FULL_NAME, FormFieldKind.FIRST_NAMES, FormFieldKind.FAMILY_NAME}


def _sender(entries: list[tuple[FormEntry, FormFieldKind]]) -> Sender:
    own = [
        (entry, kind)
        for entry, kind in entries
        if person_number(entry.label) == 1 and not is_other_party(entry.label)
    ]
    first: dict[FormFieldKind, FormEntry] = {}
    for entry, kind in own:
        if kind in _NAME_KINDS and _NAME_VALUE.fullmatch(entry.value):
            first.setdefault(kind, entry)
    addresses = [(entry, kind) for entry, kind in own if kind not in _NAME_KINDS]
    best = min((address_rank(entry.label) for entry, _ in addresses), default=1)
    for entry, kind in addresses:
        if address_rank(entry.label) == best:
            first.setdefault(kind, entry)
    street, postal_code_city = _address(first)
    return Sender(name=_name(first), street=street, postal_code_city=postal_code_city)


def _name(entries: dict[FormFieldKind, FormEntry]) -> FieldValue | None:
    """First names and family name joined; the value points at the family name, the name
    that identifies the person, unless the first-names value already holds it."""
    first = entries.get(FormFieldKind.FIRST_NAMES)
    family = entries.get(FormFieldKind.FAMILY_NAME)
    if first is not None and family is not None:
        if first.value.split()[-len(family.value.split()) :] == family.value.split():
            return _value(first)
        return _value(family, f"{first.value} {family.value}")
    full = entries.get(FormFieldKind.FULL_NAME)
    if full is not None:
        # "Müller, Jürgen" is the family name first.
        parts = [part.strip() for part in full.value.split(",")]
        return _value(full, " ".join(reversed(parts)) if len(parts) == 2 else full.value)
    chosen = family or first
    return None if chosen is None else _value(chosen)


def _address(
    entries: dict[FormFieldKind, FormEntry],
) -> tuple[FieldValue | None, FieldValue | None]:
    street = postal_code_city = None
    address = entries.get(FormFieldKind.ADDRESS)
    if address is not None:
        split = _ADDRESS_VALUE.fullmatch(address.value)
        street = _value(address if split is None else _part(address, split, "street"))
        postal_code_city = None if split is None else _value(_part(address, split, "city"))
    street_entry = entries.get(FormFieldKind.STREET)
    if street_entry is not None and any(c.isalpha() for c in street_entry.value):
        street = _street(street_entry, entries.get(FormFieldKind.HOUSE_NUMBER))
    return street, _postal_code_city(entries) or postal_code_city


def _street(street: FormEntry, number: FormEntry | None) -> FieldValue:
    if number is None or any(c.isdigit() for c in street.value):
        return _value(street)
    return _value(street, f"{street.value} {number.value}")


def _postal_code_city(entries: dict[FormFieldKind, FormEntry]) -> FieldValue | None:
    """As the letters write it ("80331 München"); the postal code or city alone where the
    form has only one of them. The value points at the postal code."""
    combined = entries.get(FormFieldKind.POSTAL_CODE_CITY)
    if combined is not None and _POSTAL_CITY.fullmatch(combined.value):
        return _value(combined)
    postal = entries.get(FormFieldKind.POSTAL_CODE)
    if postal is not None and _POSTAL_CITY.fullmatch(postal.value):
        return _value(postal)
    if postal is not None and not _POSTAL_CODE.fullmatch(postal.value):
        postal = None
    city = entries.get(FormFieldKind.CITY)
    if city is not None and not _NAME_VALUE.fullmatch(city.value):
        city = None
    if postal is not None and city is not None:
        return _value(postal, f"{postal.value} {city.value.rstrip(',; ')}")
    chosen = postal or city
    return None if chosen is None else _value(chosen)


def _dates(entries: list[tuple[FormEntry, FormFieldKind]], *, today: dt.date) -> list[DateValue]:
    """Every date field's value, of every person: dates are what the document mentions."""
    found: list[DateValue] = []
    for entry, kind in entries:
        if kind is not FormFieldKind.DATE:
            continue
        birth = "geburt" in entry.head.lower()
        date = parse_form_date(entry.value, birth=birth, today=today)
        if date is not None:
            found.append(
                DateValue(
                    value=date.isoformat(), date=date, source=FieldSource.PATTERN, span=entry.span()
                )
            )
    return found


def _inside(
    values: list[FieldValue], entries: list[tuple[FormEntry, FormFieldKind]], kind: FormFieldKind
) -> list[FieldValue]:
    """The values the patterns validate that stand in a field labelled as `kind`."""
    spans = [entry.span() for entry, entry_kind in entries if entry_kind is kind]
    return [
        value
        for value in values
        if any(s.start <= value.span.start and value.span.end <= s.end for s in spans)
    ]


def _value(entry: FormEntry, value: str | None = None) -> FieldValue:
    return FieldValue(
        value=entry.value if value is None else value, source=FieldSource.PATTERN, span=entry.span()
    )


def _part(entry: FormEntry, match: re.Match[str], group: str) -> FormEntry:
    start, end = entry.start + match.start(group), entry.start + match.end(group)
    return FormEntry(entry.label, match.group(group), start, end)
