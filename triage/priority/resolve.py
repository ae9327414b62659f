"""Due dates of German deadline expressions, resolved against a reference date.

The reference date is the day the letter came in. Rules (see docs/decisions.md):

- A day and month without a year ("bis zum 15.03.") is the next such date on or after the
  reference, unless that date in the reference's year lies at most `OVERDUE_WINDOW` before
  it: then the deadline has passed (a letter delayed in the post), which is the reading
  that makes the document more urgent, not less. 29 February without a leap year is none.
- A weekday ("bis Freitag") is the next such day on or after the reference: the letter was
  written before it came in, so a Friday letter saying "bis Freitag" means that Friday.
  "Freitag nächster Woche" is the Friday of the week after the reference's week.
- Periods ("innerhalb eines Monats") follow §§ 187 (1), 188 BGB: the reference day is not
  counted, a period of weeks or months ends on the day with the same weekday or number
  (the month's last day where there is none), and a period ending on a weekend or holiday
  ends on the next working day (§ 193 BGB). Working days ("in drei Werktagen") are
  Monday to Friday without the Land's holidays.
- Named dates and month ends are not moved: the writer named that day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

import dateparser

from triage.priority.calendar import WorkingCalendar, working_calendar

OVERDUE_WINDOW = dt.timedelta(days=60)
WEEKDAYS = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag")


class DeadlineKind(StrEnum):
    ABSOLUTE = "absolute"
    WEEKDAY = "weekday"
    RELATIVE = "relative"
    MONTH_END = "month_end"


class PeriodUnit(StrEnum):
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"
    WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class DeadlineExpression:
    """A deadline phrase in a text: `text` is `source[start:end]`; `due` is None when the
    phrase names no date that can be resolved (no reference date, start unknown);
    `basis` says in English how `due` was reached, for logs and explanations."""

    text: str
    start: int
    end: int
    kind: DeadlineKind
    due: dt.date | None
    sentence: str
    basis: str


def unit_of(word: str) -> PeriodUnit:
    """The unit of a German period word: Tag(e), Woche(n), Monat(e), Werk-/Arbeitstag(e)."""
    word = word.lower()
    if word.startswith(("werktag", "arbeitstag")):
        return PeriodUnit.WORKING_DAYS
    if word.startswith(("tag", "kalendertag")):
        return PeriodUnit.DAYS
    if word.startswith("woche"):
        return PeriodUnit.WEEKS
    if word.startswith("monat"):
        return PeriodUnit.MONTHS
    raise ValueError(f"not a period unit: {word!r}")


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(
    start: dt.date, count: int, unit: PeriodUnit, *, working: WorkingCalendar | None
) -> dt.date:
    """The last day of a period of `count` units starting with the event on `start`;
    moved to the next working day of `working` when it ends on a weekend or holiday."""
    if unit is PeriodUnit.WORKING_DAYS:
        return (working or working_calendar(None)).add_working_days(start, count)
    if unit is PeriodUnit.DAYS:
        end = start + dt.timedelta(days=count)
    elif unit is PeriodUnit.WEEKS:
        end = start + dt.timedelta(weeks=count)
    else:
        end = add_months(start, count)
    return end if working is None else working.period_end(end)


def infer_year(day: int, month: int, reference: dt.date) -> dt.date | None:
    """The date of `day`.`month`. nearest the reference as the module docstring says."""
    try:
        this_year: dt.date | None = dt.date(reference.year, month, day)
    except ValueError:
        this_year = None
    if this_year is not None and this_year >= reference - OVERDUE_WINDOW:
        return this_year
    try:
        return dt.date(reference.year + 1, month, day)
    except ValueError:
        return None


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def resolve_month_end(month: int, reference: dt.date) -> dt.date:
    """The end of `month` ("bis Ende März") in the year `infer_year` picks."""
    this_year = month_end(reference.year, month)
    if this_year >= reference - OVERDUE_WINDOW:
        return this_year
    return month_end(reference.year + 1, month)


def resolve_weekday(weekday: int, reference: dt.date, *, weeks_ahead: int = 0) -> dt.date:
    """`weekday` (0 = Monday) on or after the reference; with `weeks_ahead` that weekday
    in the week `weeks_ahead` after the reference's week ("Freitag nächster Woche")."""
    if weeks_ahead:
        monday = reference - dt.timedelta(days=reference.weekday())
        return monday + dt.timedelta(weeks=weeks_ahead, days=weekday)
    return reference + dt.timedelta(days=(weekday - reference.weekday()) % 7)


# dateparser reads German month names in their spellings ("15. Mrz.", "1. Sept", "3. Jänner")
# and is asked for nothing else: it reads "15.03." as the time 15:03 on the reference day,
# "32.01." as 1 March 2032 and "12.13.2025" as 13 December despite DATE_ORDER; it invents a
# day for "Mai" and a month for "2025"; and as a future date it turns "Freitag" on a Friday
# into next week's (tests/priority/test_dateparser_limits.py). So numeric days and months
# are read here, dateparser must return a day and a month (REQUIRE_PARTS), its day must be
# the day written, and the year is ours (`infer_year`).
_DATEPARSER_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "future",
    "REQUIRE_PARTS": ["day", "month"],
}
_NUMERIC_DAY_MONTH = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.?\s*$")
_LEADING_DAY = re.compile(r"^\s*(\d{1,2})\.")


def parse_day_month(token: str, *, reference: dt.date) -> tuple[int, int] | None:
    """Day and month of a date written without a year ("15.03.", "15. März", "1. Sept."),
    None when no year has that day ("31.02.", "12.13.")."""
    numeric = _NUMERIC_DAY_MONTH.match(token)
    if numeric is not None:
        day, month = int(numeric.group(1)), int(numeric.group(2))
    else:
        written_day = _LEADING_DAY.match(token)
        if written_day is None:
            return None
        parsed = dateparser.parse(
            token,
            languages=["de"],
            settings={
                **_DATEPARSER_SETTINGS,
                "RELATIVE_BASE": dt.datetime.combine(reference, dt.time()),
            },
        )
        if parsed is None or parsed.day != int(written_day.group(1)):
            return None
        day, month = parsed.day, parsed.month
    try:
        dt.date(2000, month, day)  # a leap year: 29 February exists
    except ValueError:
        return None
    return day, month
