"""Dates (dd.mm.yyyy, "15. März 2025", ISO) and deadlines with the sentence they stand in.

A date is a deadline only after a deadline phrase ("bis zum", "spätestens am", "Frist …
bis"); "vom 01.01. bis 31.12.2024" is a period, not a deadline. Relative deadlines
("innerhalb von zwei Wochen") get a due date only when the caller gives a reference date
(the day the letter was received), never a guessed one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from triage.fields.patterns import span_at
from triage.fields.schema import DateValue, Deadline, FieldSource

MONTHS = {
    "januar": 1, "jänner": 1, "jan": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3,
    "mär": 3, "mrz": 3, "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7,
    "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "okt": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
DATE_PATTERN = (
    r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})(?![\d])"
    rf"|(?<![\d.])(?P<nd>\d{{1,2}})\.[ ]?(?P<nm>{_MONTH_NAMES})\.?[ ](?P<ny>\d{{4}})(?!\d)"
    r"|(?<![\d.\-])(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?![\d\-])"
)
_DATE = re.compile(DATE_PATTERN, re.IGNORECASE)
_NUMBER_WORDS = {
    "einem": 1, "einer": 1, "eines": 1, "ein": 1, "eine": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwölf": 12, "vierzehn": 14,
}  # fmt: skip
_COUNT = r"\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_UNIT = r"(?P<unit>Tag(?:e|en|es)?|Woche(?:n)?|Monat(?:e|en|s)?)"
_RELATIVE = re.compile(
    rf"\b(?:(?:innerhalb|binnen)(?:[ ]von)?|Frist[ ]von)[ ](?P<count>{_COUNT})[ ]{_UNIT}\b",
    re.IGNORECASE,
)
_ABSOLUTE_TRIGGER = re.compile(
    r"\b(?:bis[ ](?:spätestens[ ])?(?:zum[ ]|am[ ])?"
    r"|spätestens[ ](?:am[ ]|zum[ ]|bis[ ](?:zum[ ])?)?)"
    r"(?:(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag),?[ ](?:den[ ])?)?$",
    re.IGNORECASE,
)
# "bis <date>" alone is a deadline only in a sentence that speaks of one.
_DEADLINE_WORDS = re.compile(
    r"Frist|spätestens|einreichen|nachreichen|vorlegen|zahlen|überweisen|begleichen|"
    r"Rückmeldung|mitteilen|zurücksenden|Widerspruch|Stellungnahme|erbitte|bitte",
    re.IGNORECASE,
)
# "bis zum 31.03.2025 bewilligt" states how long something holds, not a deadline.
_VALIDITY_AFTER = re.compile(
    r"^[ ]*(?:bewilligt|gültig|befristet|genehmigt|zugelassen|geschlossen|geöffnet|"
    r"beurlaubt|krankgeschrieben|verreist|abwesend|im[ ]Urlaub)\b",
    re.IGNORECASE,
)
_DUE = re.compile(r"\bfällig[ ](?:am|zum|bis)?[ ]?$", re.IGNORECASE)
_DUE_AFTER = re.compile(r"^[ ]+fällig\b", re.IGNORECASE)
_DATE_BEFORE = re.compile(rf"(?:{DATE_PATTERN})[ ]$", re.IGNORECASE)
_PERIOD_START = re.compile(r"\b(?:vom|von|ab|seit)[ ]$", re.IGNORECASE)
# Abbreviations whose full stop ends no sentence.
_ABBREVIATIONS = {
    "nr", "az", "str", "bzw", "ggf", "usw", "ca", "geb", "tel", "dr", "prof", "hr", "fr",
    "z", "b", "d", "h", "u", "a", "i", "v", "vgl", "evtl", "inkl", "zzgl", "abs", "gz",
    "st", "kd", "mio", "jan", "feb", "apr", "aug", "sep", "sept", "okt", "nov", "dez",
}  # fmt: skip


def parse_date_match(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    try:
        if groups["d"]:
            year = int(groups["y"])
            if len(groups["y"]) == 2:
                year += 2000 if year < 70 else 1900
            return dt.date(year, int(groups["m"]), int(groups["d"]))
        if groups["nd"]:
            month = MONTHS[groups["nm"].lower()]
            return dt.date(int(groups["ny"]), month, int(groups["nd"]))
        return dt.date(int(groups["iy"]), int(groups["im"]), int(groups["id"]))
    except ValueError:
        return None


def parse_date(value: str) -> dt.date | None:
    """A date written as a whole value in any of the supported forms."""
    match = _DATE.fullmatch(value.strip())
    return None if match is None else parse_date_match(match)


def find_dates(text: str) -> list[DateValue]:
    found: list[DateValue] = []
    for match in _DATE.finditer(text):
        date = parse_date_match(match)
        if date is None:
            continue
        found.append(
            DateValue(
                value=date.isoformat(),
                date=date,
                source=FieldSource.PATTERN,
                span=span_at(text, match.start(), match.end()),
            )
        )
    return found


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from after the previous sentence end or blank
    line to the next one, without treating "15. März" or "Az." as sentence ends."""
    left = start
    while left > 0:
        if text.startswith("\n\n", left - 2) or _ends_sentence(text, left - 1):
            break
        left -= 1
    right = end
    while right < len(text):
        if text.startswith("\n\n", right) or _ends_sentence(text, right):
            right += 0 if text.startswith("\n\n", right) else 1
            break
        right += 1
    while left < right and text[left].isspace():
        left += 1
    return left, right


def _ends_sentence(text: str, index: int) -> bool:
    if text[index] not in ".!?" or index + 1 >= len(text) or not text[index + 1].isspace():
        return False
    if text[index] != ".":
        return True
    word = re.search(r"([A-Za-zÄÖÜäöüß]+)$", text[max(0, index - 12) : index])
    if word is None:  # after a digit: a date or an ordinal
        return False
    following = text[index + 1 :].lstrip()
    return word.group(1).lower() not in _ABBREVIATIONS and following[:1].isupper()


def _add_months(date: dt.date, months: int) -> dt.date:
    month_index = date.month - 1 + months
    year, month = date.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def resolve_relative(count: int, unit: str, reference: dt.date) -> dt.date:
    unit = unit.lower()
    if unit.startswith("tag"):
        return reference + dt.timedelta(days=count)
    if unit.startswith("woche"):
        return reference + dt.timedelta(weeks=count)
    return _add_months(reference, count)


def find_deadlines(text: str, *, reference_date: dt.date | None = None) -> list[Deadline]:
    found: list[Deadline] = []
    for match in _DATE.finditer(text):
        date = parse_date_match(match)
        if date is None:
            continue
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[max(line_start, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 30]
        trigger = _ABSOLUTE_TRIGGER.search(before) or _DUE.search(before)
        due_after = _DUE_AFTER.match(after)
        if trigger is None:
            prefix = next((p for p in ("am ", "zum ") if before.endswith(p)), None)
            if due_after is not None and prefix is not None:
                # "am 15.05.2025 fällig": the phrase runs from "am" to "fällig"
                start, end = match.start() - len(prefix), match.end() + due_after.end()
                s_start, s_end = sentence_bounds(text, start, end)
                found.append(_deadline(text, start, end, date, text[s_start:s_end]))
            continue
        if _VALIDITY_AFTER.match(after):
            continue
        start = match.start() - len(before) + trigger.start()
        ahead = text[max(0, start - 30) : start]
        if _PERIOD_START.search(ahead) or _DATE_BEFORE.search(ahead):
            continue  # "vom 01.01.2024 bis 31.12.2024" is a period
        s_start, s_end = sentence_bounds(text, start, match.end())
        sentence = text[s_start:s_end]
        bare_bis = trigger.group().lower().strip() in {"bis", "bis am"}
        if bare_bis and not _DEADLINE_WORDS.search(sentence):
            continue
        found.append(_deadline(text, start, match.end(), date, sentence))
    for match in _RELATIVE.finditer(text):
        count_word = match.group("count").lower()
        count = int(count_word) if count_word.isdigit() else _NUMBER_WORDS[count_word]
        due = None
        if reference_date is not None:
            due = resolve_relative(count, match.group("unit"), reference_date)
        s_start, s_end = sentence_bounds(text, match.start(), match.end())
        found.append(_deadline(text, match.start(), match.end(), due, text[s_start:s_end]))
    return sorted(found, key=lambda d: d.span.start)


def _deadline(text: str, start: int, end: int, due: dt.date | None, sentence: str) -> Deadline:
    span = span_at(text, start, end)
    return Deadline(
        value=span.text, due=due, sentence=sentence, source=FieldSource.PATTERN, span=span
    )
