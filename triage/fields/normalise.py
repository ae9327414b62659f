"""Normal forms for comparing a proposed value with the document text.

Every normalisation keeps a map from each normalised character back to the original
offset, so a match in the normal form is always a span of the original text.
"""

from __future__ import annotations

import unicodedata

# One character of the text may expand to several (ß -> ss); all of them map back to it.
_TRANSLITERATION = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",
    "ẞ": "ss",
    "é": "e",
    "è": "e",
}
# Treated as a word gap: an address on two lines and one with a comma read alike.
_GAP = set(",;|·•\u2022")
_DASHES = set("\u2010\u2011\u2012\u2013\u2014\u2212")
_QUOTES = set("„“”‚‘’«»\"'")


def normalise(text: str) -> str:
    """Casefolded, umlauts and ß spelled out, dashes unified, quotes dropped, commas and
    all whitespace runs collapsed to one space."""
    return normalise_with_offsets(text)[0]


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    offsets: list[int] = []
    pending_gap = False
    for index, raw in enumerate(unicodedata.normalize("NFC", text)):
        char = raw.casefold() if raw != "ß" else raw
        if char.isspace() or char in _GAP:
            pending_gap = bool(out)
            continue
        if char in _QUOTES:
            continue
        if char in _DASHES:
            char = "-"
        if pending_gap:
            out.append(" ")
            offsets.append(index)
            pending_gap = False
        for piece in _TRANSLITERATION.get(char, char):
            out.append(piece)
            offsets.append(index)
    return "".join(out), offsets


def alphanumeric_with_offsets(text: str) -> tuple[str, list[int]]:
    """Only letters and digits, casefolded: for IBANs and reference numbers whose
    grouping by spaces, slashes or dashes varies between writers."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char.isalnum():
            for piece in char.casefold():  # "ß" folds to two characters
                out.append(piece)
                offsets.append(index)
    return "".join(out), offsets


def alphanumeric(text: str) -> str:
    return alphanumeric_with_offsets(text)[0]


def phone_digits(text: str) -> str:
    """The national digits of a German phone number: +49 / 0049 become the leading 0, and
    a "(0)" written after the country code is dropped."""
    compact = text.replace("(0)", "")
    digits = "".join(c for c in compact if c.isdigit())
    stripped = compact.lstrip()
    if stripped.startswith("+49"):
        return "0" + digits[2:]
    if stripped.startswith("0049"):
        return "0" + digits[4:]
    return digits
