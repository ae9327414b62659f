"""Dates (dd.mm.yyyy, "15. März 2025", ISO) and deadlines with the sentence they stand in.

A date is a deadline only after a deadline phrase ("bis zum", "spätestens am", "Frist …
bis"); "vom 01.01. bis 31.12.2024" is a period, not a deadline. Deadline phrases also name
a day without a year ("bis zum 15.03."), a weekday ("bis spätestens Freitag"), a month's
end ("bis Ende März") or a period ("binnen zwei Wochen nach Zugang", "in drei Werktagen").
Those get a due date only when the caller gives a reference date (the day the letter was
received), resolved by `triage.priority.resolve`; never a guessed one.
"""

from __future__ import annotations

import datetime as dt
import re

from triage.fields.patterns import span_at
from triage.fields.schema import DateValue, Deadline, FieldSource
from triage.priority.calendar import working_calendar
from triage.priority.resolve import (
    WEEKDAYS,
    DeadlineExpression,
    DeadlineKind,
    add_months,
    infer_year,
    month_end,
    parse_day_month,
    period_end,
    resolve_month_end,
    resolve_weekday,
    unit_of,
)

MONTHS = {
    "januar": 1, "jänner": 1, "jan": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3,
    "mär": 3, "mrz": 3, "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7,
    "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "okt": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12,
}  # fmt: skip
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
# A month name standing alone; only an abbreviation takes a full stop ("1. Sept."), so
# "bis zum 2. April." does not swallow the sentence's end.
_FULL_MONTHS = ("januar", "jänner", "februar", "märz", "maerz", "april", "mai", "juni", "juli",
                "august", "september", "oktober", "november", "dezember")  # fmt: skip
_MONTH_WORD = (
    "(?:" + "|".join(sorted(_FULL_MONTHS, key=len, reverse=True)) + r")\b"
    "|(?:" + "|".join(sorted(set(MONTHS) - set(_FULL_MONTHS), key=len, reverse=True)) + r")\b\.?"
)
DATE_PATTERN = (
    r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4}|\d{2})(?![\d])"
    rf"|(?<![\d.])(?P<nd>\d{{1,2}})\.[ ]?(?P<nm>{_MONTH_NAMES})\.?[ ](?P<ny>\d{{4}})(?!\d)"
    r"|(?<![\d.\-])(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})(?![\d\-])"
)
_DATE = re.compile(DATE_PATTERN, re.IGNORECASE)
_NUMBER_WORDS = {
    "einem": 1, "einer": 1, "eines": 1, "ein": 1, "eine": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwölf": 12, "vierzehn": 14, "zwanzig": 20, "einundzwanzig": 21,
    "dreißig": 30,
}  # fmt: skip
_COUNT = r"\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_UNIT = r"(?P<unit>(?:Werk|Arbeits|Kalender)?Tag(?:e|en|es)?|Woche(?:n)?|Monat(?:e|en|s)?)"
# "nach Zugang dieses Schreibens" starts with the letter's arrival; "nach Bekanntgabe"
# or "nach Erhalt der Rechnung" with an event whose day the letter does not give.
_RELATIVE = re.compile(
    rf"\b(?P<lead>(?:innerhalb|binnen)(?:[ ]von)?|Frist[ ]von|in)[ ](?P<count>{_COUNT})[ ]{_UNIT}\b"
    r"(?:[ ](?:nach|ab|seit)[ ](?P<event>Zugang|Erhalt|Eingang|Empfang|Zustellung|Bekanntgabe|"
    r"Datum|Ausstellung)\w*(?:[ ](?:dieses|des|dieser|der|meines|meiner|unseres|unserer|"
    r"Ihres|Ihrer)[ ](?P<object>[\w-]+))?)?",
    re.IGNORECASE,
)
_ARRIVAL_EVENTS = {"zugang", "erhalt", "eingang", "empfang"}
_THIS_LETTER = re.compile(r"Schreiben|Brief|Nachricht|Mail|Post|Antrag|Widerspruch", re.I)
_YEARLESS = re.compile(
    r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?!\d)"
    rf"|(?<![\d.])(?P<nd>\d{{1,2}})\.[ ]?(?P<nm>{_MONTH_WORD})(?![ ]?\d)",
    re.IGNORECASE,
)
_WEEKDAY_NAMES = "|".join(WEEKDAYS)
_LEAD = r"\b(?P<lead>bis(?:[ ]spätestens)?|spätestens)[ ](?:(?:zum|am)[ ])?"
_WEEKDAY_DEADLINE = re.compile(
    rf"{_LEAD}(?:(?:kommenden|nächsten|diesen)[ ])?(?P<weekday>{_WEEKDAY_NAMES})"
    r"(?:[ ](?P<next>(?:der[ ])?(?:nächsten|kommenden)|nächster|kommender)[ ]Woche"
    r"|[ ](?:dieser|der)[ ]Woche)?\b(?!,?[ ](?:den[ ])?\d{1,2}\.)",
    re.IGNORECASE,
)
_END_OF = re.compile(
    rf"{_LEAD}(?:"
    r"(?P<this_month>Monatsende|Ende[ ](?:des|dieses)[ ](?:laufenden[ ])?Monats)"
    r"|(?P<next_month>Ende[ ](?:des[ ])?(?:nächsten|kommenden|folgenden)[ ]Monats"
    r"|Ende[ ]des[ ]Folgemonats)"
    r"|(?P<year_end>Jahresende|Ende[ ](?:des|dieses)[ ]Jahres)"
    r"|(?P<this_week>Ende[ ](?:der|dieser)[ ]Woche)"
    r"|(?P<next_week>Ende[ ](?:(?:der[ ])?(?:nächsten|kommenden)|nächster|kommender)[ ]Woche)"
    rf"|Ende[ ](?P<month>{_MONTH_WORD})(?:[ ](?P<year>\d{{4}}))?)",
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
_DATE_BEFORE = re.compile(
    rf"(?:{DATE_PATTERN}|(?<![\d.])\d{{1,2}}\.\d{{1,2}}\.)[ ]$", re.IGNORECASE
)
_PERIOD_START = re.compile(
    rf"\b(?:vom|von|ab|seit)[ ](?:(?:Anfang|Mitte)[ ](?:{_MONTH_NAMES})[ ])?$"
    rf"|\b(?:{_WEEKDAY_NAMES})[ ]$",
    re.IGNORECASE,
)
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


def find_deadlines(
    text: str, *, reference_date: dt.date | None = None, land: str | None = None
) -> list[Deadline]:
    return [
        Deadline(
            value=found.text,
            due=found.due,
            sentence=found.sentence,
            source=FieldSource.PATTERN,
            span=span_at(text, found.start, found.end),
        )
        for found in find_deadline_expressions(text, reference_date=reference_date, land=land)
    ]


def find_deadline_expressions(
    text: str, *, reference_date: dt.date | None = None, land: str | None = None
) -> list[DeadlineExpression]:
    """Deadline phrases with their kind and due date; `land` (e.g. "BY") decides which
    holidays move the end of a period, nationwide ones only without it."""
    found = [
        *_absolute_deadlines(text, reference_date),
        *_weekday_deadlines(text, reference_date),
        *_end_of_deadlines(text, reference_date),
        *_relative_deadlines(text, reference_date, land),
    ]
    kept: list[DeadlineExpression] = []
    for expression in sorted(found, key=lambda e: (e.start, e.start - e.end)):
        if not any(expression.start < other.end and other.start < expression.end for other in kept):
            kept.append(expression)
    return kept


def _absolute_deadlines(text: str, reference: dt.date | None) -> list[DeadlineExpression]:
    found: list[DeadlineExpression] = []
    full = list(_DATE.finditer(text))
    for match in full:
        span = _deadline_span(text, match.start(), match.end())
        date = parse_date_match(match)
        if span is not None and date is not None:
            found.append(_expression(text, *span, date, "date written in full"))
    for match in _YEARLESS.finditer(text):
        if any(match.start() < other.end() and other.start() < match.end() for other in full):
            continue
        span = _deadline_span(text, match.start(), match.end())
        if span is None:
            continue
        day_month = parse_day_month(match.group(), reference=reference or _LEAP_YEAR_DAY)
        if day_month is None:
            continue  # "31.02.", "12.13."
        if reference is None:
            found.append(_expression(text, *span, None, "no reference date"))
        elif (date := infer_year(*day_month, reference)) is not None:
            basis = f"no year written; {date.year} from the reference {reference.isoformat()}"
            found.append(_expression(text, *span, date, basis))
    return found


_LEAP_YEAR_DAY = dt.date(2000, 1, 1)  # any reference that admits 29 February


def _deadline_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The deadline phrase a date at [start, end) stands in, if a deadline phrase leads
    to it: "bis zum <date>", "fällig am <date>", "am <date> fällig"."""
    line_start = text.rfind("\n", 0, start) + 1
    before = text[max(line_start, start - 40) : start]
    trigger = _ABSOLUTE_TRIGGER.search(before) or _DUE.search(before)
    if trigger is None:
        prefix = next((p for p in ("am ", "zum ") if before.endswith(p)), None)
        due_after = _DUE_AFTER.match(text[end : end + 30])
        if due_after is None or prefix is None:
            return None
        return start - len(prefix), end + due_after.end()
    phrase_start = start - len(before) + trigger.start()
    if not _is_deadline(text, phrase_start, end, bare=trigger.group().lower().strip()):
        return None
    return phrase_start, end


def _is_deadline(text: str, start: int, end: int, *, bare: str) -> bool:
    """Not a validity ("bis … bewilligt"), not the end of a period ("vom … bis …"), and a
    bare "bis" only in a sentence that speaks of a deadline."""
    if _VALIDITY_AFTER.match(text[end : end + 30]):
        return False
    ahead = text[max(0, start - 30) : start]
    if _PERIOD_START.search(ahead) or _DATE_BEFORE.search(ahead):
        return False
    if bare in {"bis", "bis am", "in"}:
        s_start, s_end = sentence_bounds(text, start, end)
        return _DEADLINE_WORDS.search(text[s_start:s_end]) is not None
    return True


def _weekday_deadlines(text: str, reference: dt.date | None) -> list[DeadlineExpression]:
    found: list[DeadlineExpression] = []
    for match in _WEEKDAY_DEADLINE.finditer(text):
        if not _is_deadline(text, match.start(), match.end(), bare=match.group("lead").lower()):
            continue
        weekday = WEEKDAYS.index(match.group("weekday").lower())
        weeks_ahead = 1 if match.group("next") else 0
        due, basis = None, "no reference date"
        if reference is not None:
            due = resolve_weekday(weekday, reference, weeks_ahead=weeks_ahead)
            basis = (
                f"{match.group('weekday')} of the week after the reference {reference}"
                if weeks_ahead
                else f"first {match.group('weekday')} on or after the reference {reference}"
            )
        found.append(
            _expression(text, match.start(), match.end(), due, basis, DeadlineKind.WEEKDAY)
        )
    return found


def _end_of_deadlines(text: str, reference: dt.date | None) -> list[DeadlineExpression]:
    found: list[DeadlineExpression] = []
    for match in _END_OF.finditer(text):
        if not _is_deadline(text, match.start(), match.end(), bare=match.group("lead").lower()):
            continue
        kind, due, basis = _end_of(match, reference)
        found.append(_expression(text, match.start(), match.end(), due, basis, kind))
    return found


def _end_of(
    match: re.Match[str], reference: dt.date | None
) -> tuple[DeadlineKind, dt.date | None, str]:
    if match.group("month") and match.group("year"):
        due = month_end(int(match.group("year")), MONTHS[match.group("month").lower().rstrip(".")])
        return DeadlineKind.MONTH_END, due, "end of the month written with its year"
    week = match.group("this_week") or match.group("next_week")
    kind = DeadlineKind.WEEKDAY if week else DeadlineKind.MONTH_END
    if reference is None:
        return kind, None, "no reference date"
    if week:
        weeks_ahead = 1 if match.group("next_week") else 0
        monday = reference - dt.timedelta(days=reference.weekday())
        due = monday + dt.timedelta(weeks=weeks_ahead, days=4)
        return kind, due, f"Friday of the week {weeks_ahead} after the reference {reference}"
    if match.group("month"):
        due = resolve_month_end(MONTHS[match.group("month").lower().rstrip(".")], reference)
        return kind, due, f"no year written; {due.year} from the reference {reference}"
    if match.group("year_end"):
        return kind, dt.date(reference.year, 12, 31), f"end of the reference's year {reference}"
    month = add_months(reference.replace(day=1), 1 if match.group("next_month") else 0)
    return kind, month_end(month.year, month.month), f"end of that month from {reference}"


def _relative_deadlines(
    text: str, reference: dt.date | None, land: str | None
) -> list[DeadlineExpression]:
    found: list[DeadlineExpression] = []
    for match in _RELATIVE.finditer(text):
        lead = match.group("lead").lower()
        if lead == "in" and not _is_deadline(text, match.start(), match.end(), bare="in"):
            continue
        count_word = match.group("count").lower()
        count = int(count_word) if count_word.isdigit() else _NUMBER_WORDS[count_word]
        unit = unit_of(match.group("unit"))
        due, basis = None, "no reference date"
        event, subject = match.group("event"), match.group("object")
        from_arrival = event is None or (
            event.lower() in _ARRIVAL_EVENTS and (subject is None or _THIS_LETTER.match(subject))
        )
        if not from_arrival:
            basis = f"starts with an event on a day not given ({match.group('event')})"
        elif reference is not None and count > 0:
            due = period_end(reference, count, unit, working=working_calendar(land))
            basis = f"{count} {unit} from the reference {reference} (§§ 187, 188, 193 BGB)"
        found.append(
            _expression(text, match.start(), match.end(), due, basis, DeadlineKind.RELATIVE)
        )
    return found


def _expression(
    text: str,
    start: int,
    end: int,
    due: dt.date | None,
    basis: str,
    kind: DeadlineKind = DeadlineKind.ABSOLUTE,
) -> DeadlineExpression:
    s_start, s_end = sentence_bounds(text, start, end)
    return DeadlineExpression(
        text=text[start:end],
        start=start,
        end=end,
        kind=kind,
        due=due,
        sentence=text[s_start:s_end],
        basis=basis,
    )
