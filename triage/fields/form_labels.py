"""What a form field's label asks for, by generic German form vocabulary.

Labels are tooltips and often explain themselves after a ": " ("Familienname der 1. Person:
Es ist der vollständige Familienname anzugeben."). What decides a field is the label's head
(the text before its first ": "): the explanations after it mention all sorts of words
("Geburtenregister", "Familienstand … Lebenspartner") that name no field. Only the format
hints of dates ("Tag - Monat - Jahr", "TT.MM.JJJJ") count anywhere in the label. The words
are those of German forms in general, never one form's field names.
"""

from __future__ import annotations

import re
from enum import StrEnum

_SEPARATOR = ": "
_I = re.IGNORECASE
# A word that goes on ("Name" but not "Namensbestandteile"); field names such as
# "Familienname_1" end with an underscore, so a plain \b would not do.
_END = r"(?![a-zäöüß])"


class FormFieldKind(StrEnum):
    FULL_NAME = "full_name"
    FIRST_NAMES = "first_names"
    FAMILY_NAME = "family_name"
    ADDRESS = "address"  # street, postal code and city in one field
    STREET = "street"
    HOUSE_NUMBER = "house_number"
    POSTAL_CODE_CITY = "postal_code_city"
    POSTAL_CODE = "postal_code"
    CITY = "city"
    DATE = "date"
    PHONE = "phone"
    EMAIL = "email"


_EMAIL_LABEL = re.compile(r"e-?mail|\bmail", _I)
_PHONE_LABEL = re.compile(r"\btelefon|\btel\b|\bmobil|\bhandy|\brufnummer", _I)
_DATE_LABEL = re.compile(r"datum" + _END + r"|\bgeburtstag" + _END, _I)
_DATE_HINT = re.compile(r"\btag\s*[-–/]\s*monat\s*[-–/]\s*jahr|\bTT\.?\s?MM\.?\s?JJ", _I)
_STREET_LABEL = re.compile(r"stra(?:ß|ss)e|\bstr\.|\banschrift|\badresse" + _END, _I)
_HOUSE_NUMBER_LABEL = re.compile(r"\bhausnummer|\bhausnr\b|\bhaus-nr\b", _I)
_POSTAL_LABEL = re.compile(r"\bpostleitzahl|\bplz" + _END, _I)
_CITY_LABEL = re.compile(r"\b(?:wohn)?ort" + _END + r"|\bstadt" + _END, _I)
# Places that are not where the person lives.
_NOT_CITY = re.compile(r"geburt|ausstellung|unterschrift|datum|sterbe|heirat|eheschließung", _I)
_FIRST_NAMES_LABEL = re.compile(r"\bvorname|\brufname", _I)
_FAMILY_NAME_LABEL = re.compile(r"\bfamilienname|\bnachname|\bzuname|\bname" + _END, _I)
_BOTH_NAMES_LABEL = re.compile(r"\bvor-\s*und\s+(?:familien|nach|zu)?name", _I)
_NOT_NAME = re.compile(r"geburtsname|bei\s+(?:der\s+)?geburt|früher", _I)
# Fields about someone else than the person the form is about.
_OTHER_PARTY = re.compile(
    r"\b(?:bank|kreditinstitut\w*|geldinstitut\w*|kontoinhaber\w*|arbeitgeber\w*|vermieter\w*|"
    r"eigentümer\w*|wohnungsgeber\w*|firma|schule|kind(?:es|er|ern)?|ehegatt\w*|ehepartner\w*|"
    r"lebenspartner\w*|vater|mutter|eltern|bevollmächtigt\w*|vertreter\w*)" + _END,
    _I,
)
_PERSON_NUMBER = re.compile(
    r"\b(?P<before>\d{1,2})\.\s*(?:person|antragsteller|haushaltsmitglied|mitglied)"
    r"|\b(?:person|antragsteller\w*)\s*(?:nr\.?\s*)?(?P<after>\d{1,2})\b"
    r"|\b(?P<word>erst|zweit|dritt|viert|fünft)e[nrs]?\s+person",
    _I,
)
_ORDINALS = {"erst": 1, "zweit": 2, "dritt": 3, "viert": 4, "fünft": 5}
_NEW_ADDRESS = re.compile(r"\bneu\w*|\bzuziehend\w*|\b(?:zu)?künftig\w*|\bzuzug\w*", _I)
_OLD_ADDRESS = re.compile(
    r"\bbisherig\w*|\balt(?:e|en|er|es)?\b|\bfrüher\w*|\bvorherig\w*|\bwegzug\w*|\bauszug\w*", _I
)
# What a ticked or unticked checkbox reads; no field's value.
_CHECKBOX_VALUES = {"ja", "nein", "yes", "no", "on", "off", "true", "false", "x", "wahr", "falsch"}


def label_head(label: str) -> str:
    return label.split(_SEPARATOR, 1)[0]


def is_other_party(label: str) -> bool:
    """A field about someone else than the person the form is about (bank, employer, …)."""
    return _OTHER_PARTY.search(label_head(label)) is not None


def label_kind(label: str) -> FormFieldKind | None:
    """Which field a label asks for, from generic German form words in its head."""
    head = label_head(label)
    if _EMAIL_LABEL.search(head):
        return FormFieldKind.EMAIL
    if _PHONE_LABEL.search(head):
        return FormFieldKind.PHONE
    if _DATE_LABEL.search(head) or _DATE_HINT.search(label):
        return FormFieldKind.DATE
    street = _STREET_LABEL.search(head) is not None
    postal = _POSTAL_LABEL.search(head) is not None
    city = _CITY_LABEL.search(head) is not None and _NOT_CITY.search(head) is None
    if street and (postal or city):
        return FormFieldKind.ADDRESS
    if street:
        return FormFieldKind.STREET
    if postal and city:
        return FormFieldKind.POSTAL_CODE_CITY
    if postal:
        return FormFieldKind.POSTAL_CODE
    if city:
        return FormFieldKind.CITY
    if _HOUSE_NUMBER_LABEL.search(head):
        return FormFieldKind.HOUSE_NUMBER
    if _NOT_NAME.search(head):
        return None
    first = _FIRST_NAMES_LABEL.search(head) is not None
    family = _FAMILY_NAME_LABEL.search(head) is not None
    if _BOTH_NAMES_LABEL.search(head) or (first and family):
        return FormFieldKind.FULL_NAME
    if first:
        return FormFieldKind.FIRST_NAMES
    if family:
        return FormFieldKind.FAMILY_NAME
    return None


def person_number(label: str) -> int:
    """The number of the person a label is about ("der 2. Person"); 1 when unnumbered."""
    match = _PERSON_NUMBER.search(label_head(label))
    if match is None:
        return 1
    if match.group("word"):
        return _ORDINALS[match.group("word").lower()]
    return int(match.group("before") or match.group("after"))


def address_rank(label: str) -> int:
    """0 for the new address (moving in), 2 for the old one, 1 where the label says neither."""
    head = label_head(label)
    if _NEW_ADDRESS.search(head):
        return 0
    return 2 if _OLD_ADDRESS.search(head) else 1


def is_checkbox_value(value: str) -> bool:
    return value.strip().lower() in _CHECKBOX_VALUES
