"""Deterministic extractors with German patterns and validators.

Precision before recall: an extractor returns a value only where the text literally holds
it and, for numbers that could be anything (a Kundennummer looks like a phone number), only
where a label or an unmistakable format says what it is.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from triage.fields.normalise import alphanumeric, phone_digits
from triage.fields.schema import Amount, FieldSource, FieldValue, Reference, ReferenceKind, TextSpan

# ISO 13616 lengths of the countries a German municipality meets in its mail.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FR": 27,
    "GB": 22, "HR": 21, "HU": 28, "IT": 27, "LU": 20, "NL": 18, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "TR": 26,
}  # fmt: skip
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?=[ ]?[A-Z0-9])")
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
# A German number: +49 / 0049 / a leading 0, then digits in groups separated by a space,
# slash, dash or brackets; never across a line break.
_PHONE = re.compile(r"(?<![\w+])(?:\+49|0049|\(0|0)(?:[ ]?\(0\))?(?:[ /\-()]{0,2}\d){5,13}(?!\d)")
_PHONE_LABEL = re.compile(
    r"\bTel\b|\bTelefon|\bFon\b|\bMobil|\bHandy|\bRufnummer|telefonisch|\bunter\b",
    re.IGNORECASE,
)
_NOT_PHONE_LABEL = re.compile(
    r"Fax|Kunden|Kassen|Akten|Geschäfts|Steuer|St\.-?Nr|\bAz\b|IBAN|BIC|Konto|Zeichen|"
    r"Vertrag|Bescheid|Personal|Ausweis|Versicherten|Geburt|geb\.",
    re.IGNORECASE,
)
# How far before a number its label may stand on the same line.
_LABEL_REACH = 48
_NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?"
_AMOUNT = re.compile(
    rf"(?:(?<![\w.,])(?P<pre_cur>€|EUR\b)[ ]?(?P<pre>{_NUMBER})(?:,-{{1,2}})?(?![\d.,]\d)"
    rf"|(?<![\w.,])(?P<post>{_NUMBER})(?:,-{{1,2}})?[ ]?(?P<post_cur>€|EUR\b|Euro\b))"
)
# After a label: a colon, or a few words up to "lautet", "ist" or a colon ("Meine
# Kundennummer bei der Abfallwirtschaft: 4711-0098", "Kundennummer lautet 0697 1234 55").
_LABEL_TAIL = r"(?:[ ]?[:.]|[ ](?:lautet|ist)|[ ][^\n:.]{1,50}?(?::|[ ]lautet|[ ]ist))?[ ]*"
# Labels and the value after them, on the same line.
_REFERENCE_LABELS: list[tuple[ReferenceKind, re.Pattern[str]]] = [
    (
        ReferenceKind.STEUERNUMMER,
        re.compile(rf"\b(?:Steuernummer|Steuer-Nr\.?|St\.-?Nr\.?){_LABEL_TAIL}", re.I),
    ),
    (
        ReferenceKind.KASSENZEICHEN,
        re.compile(rf"\bKassenzeichen{_LABEL_TAIL}", re.I),
    ),
    (
        ReferenceKind.KUNDENNUMMER,
        re.compile(rf"\b(?:Kundennummer|Kunden-?Nr\.?|Kd\.-?Nr\.?){_LABEL_TAIL}", re.I),
    ),
    (
        ReferenceKind.AKTENZEICHEN,
        re.compile(
            r"(?:\bAktenzeichen|\bGeschäftszeichen|\bAz\.|\bAZ\b|\bGz\.|"
            rf"\b(?:Ihr|Unser|Mein)(?:e)?\s+Zeichen){_LABEL_TAIL}",
        ),
    ),
]
# One token of a reference: letters, digits and the separators files use.
_REFERENCE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9./\-_]*")
_STEUERNUMMER = re.compile(
    r"\d{2,3}/\d{3,4}/\d{4,5}|\d{5}/\d{5}|\d{3}[ ]\d{3,4}[ ]\d{4,5}|\d{13}|\d{10,11}"
)
_STRIP = ".,;:)"


def span_at(text: str, start: int, end: int) -> TextSpan:
    return TextSpan(start=start, end=end, text=text[start:end])


def _field(text: str, start: int, end: int, value: str) -> FieldValue:
    return FieldValue(value=value, source=FieldSource.PATTERN, span=span_at(text, start, end))


# --- IBAN -------------------------------------------------------------------------------


def iban_is_valid(candidate: str) -> bool:
    """ISO 13616: known country length (where known) and the mod-97 check digits."""
    iban = alphanumeric(candidate).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def find_ibans(text: str) -> list[FieldValue]:
    """IBANs written compact or in groups of four; a group is never cut in the middle."""
    found: list[FieldValue] = []
    for start_match in _IBAN_START.finditer(text):
        start = start_match.start()
        if found and start < found[-1].span.end:
            continue
        ends: list[int] = []  # end offset after the n-th alphanumeric character
        index = start
        while index < len(text) and len(ends) < 34:
            char = text[index]
            if char.isdigit() or char.isupper():
                ends.append(index + 1)
            elif not (char == " " and index + 1 < len(text) and text[index + 1].isalnum()):
                break
            index += 1
        country = text[start : start + 2]
        lengths = [IBAN_LENGTHS[country]] if country in IBAN_LENGTHS else range(34, 14, -1)
        for length in lengths:
            if length > len(ends):
                continue
            end = ends[length - 1]
            if end < len(text) and text[end].isalnum():
                continue
            if iban_is_valid(text[start:end]):
                found.append(_field(text, start, end, alphanumeric(text[start:end]).upper()))
                break
    return found


# --- e-mail and phone -------------------------------------------------------------------


def find_emails(text: str) -> list[FieldValue]:
    return [_field(text, m.start(), m.end(), m.group().lower()) for m in _EMAIL.finditer(text)]


def find_phones(text: str, *, require_label: bool = True) -> list[FieldValue]:
    """German phone numbers. With `require_label` (extraction) a number needs a phone
    label before it on its line ("Tel.", "Mobil", "erreichen Sie mich unter") or the +49
    prefix; a number after a reference label (Kundennummer, Steuernummer, Fax) never counts.
    Without it (pseudonymisation, where recall matters) only the latter rule applies."""
    found: list[FieldValue] = []
    for match in _PHONE.finditer(text):
        start, end = match.start(), match.end()
        while text[end - 1] in " /-(":
            end -= 1
        raw = text[start:end]
        if raw.count("(") != raw.count(")"):
            continue
        digits = phone_digits(raw)
        if not 7 <= len(digits) <= 14 or not digits.startswith("0") or digits.startswith("00"):
            continue
        line_start = max(text.rfind("\n", 0, start) + 1, start - _LABEL_REACH)
        before = text[line_start:start]
        phone_label = _last_start(_PHONE_LABEL, before)
        if _last_start(_NOT_PHONE_LABEL, before) > phone_label:
            continue
        international = raw.startswith(("+49", "0049"))
        if require_label and not international and phone_label < 0:
            continue
        found.append(_field(text, start, end, raw))
    return found


def _last_start(pattern: re.Pattern[str], text: str) -> int:
    return max((m.start() for m in pattern.finditer(text)), default=-1)


# --- amounts ----------------------------------------------------------------------------


def parse_amount(value: str) -> Decimal | None:
    """A German amount ("1.234,56", "50,-", "50") or a plain decimal ("1234.56")."""
    cleaned = value.strip().replace("€", "").replace("EUR", "").replace("Euro", "").strip()
    cleaned = cleaned.removesuffix(",--").removesuffix(",-").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:,\d{1,2})?", cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif not re.fullmatch(r"\d+(?:\.\d{1,2})?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> list[Amount]:
    found: list[Amount] = []
    for match in _AMOUNT.finditer(text):
        number = match.group("pre") or match.group("post")
        amount = parse_amount(number)
        if amount is None:
            continue
        found.append(
            Amount(
                value=number,
                amount=amount,
                currency="EUR",
                source=FieldSource.PATTERN,
                span=span_at(text, match.start(), match.end()),
            )
        )
    return found


# --- reference numbers ------------------------------------------------------------------


def _reference_value(text: str, start: int) -> tuple[int, int] | None:
    """The reference after a label: tokens until the line ends or a plain word starts.
    A leading short upper-case prefix ("BA 2024/0815", "KVR-I/21") belongs to it."""
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    end = start
    position = start
    while position < line_end:
        token = _REFERENCE_TOKEN.match(text, position)
        if token is None:
            break
        word = token.group().rstrip(_STRIP)
        has_digit = any(c.isdigit() for c in word)
        is_prefix = word.isupper() and len(word) <= 4 and end == start
        if not (has_digit or is_prefix):
            break
        end = token.start() + len(word)
        position = token.end()
        if word != token.group() or position >= line_end or text[position] != " ":
            break
        position += 1
    value = text[start:end]
    if not any(c.isdigit() for c in value):
        return None
    return start, end


def find_references(text: str) -> list[Reference]:
    found: list[Reference] = []
    taken: list[TextSpan] = []
    for kind, label in _REFERENCE_LABELS:
        for match in label.finditer(text):
            bounds = _reference_value(text, match.end())
            if bounds is None:
                continue
            start, end = bounds
            if kind is ReferenceKind.STEUERNUMMER:
                number = _STEUERNUMMER.match(text, start)
                if number is None:
                    continue
                end = number.end()
            span = span_at(text, start, end)
            if any(span.overlaps(other) for other in taken):
                continue
            taken.append(span)
            found.append(
                Reference(kind=kind, value=span.text, source=FieldSource.PATTERN, span=span)
            )
    return sorted(found, key=lambda r: r.span.start)
