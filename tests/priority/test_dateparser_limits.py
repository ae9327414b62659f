"""What dateparser gets wrong with German deadline text, and how the resolver guards it.

The first tests pin dateparser's own answers (with the settings a careful caller would
choose); if a new dateparser release fixes one, its test fails and the guard can be
revisited. The others show the guarded path gives the right date or none.
"""

from __future__ import annotations

import datetime as dt

import dateparser
import pytest

from triage.fields.dates import find_deadline_expressions
from triage.priority.resolve import parse_day_month

REFERENCE = dt.date(2025, 3, 12)  # a Wednesday
SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DATES_FROM": "future",
    "RELATIVE_BASE": dt.datetime(2025, 3, 12),
}


def raw(text: str, **extra: object) -> dt.datetime | None:
    parsed: dt.datetime | None = dateparser.parse(
        text, languages=["de"], settings={**SETTINGS, **extra}
    )
    return parsed


@pytest.mark.parametrize(
    ("text", "dateparser_says"),
    [
        ("15.03.", dt.datetime(2025, 3, 12, 15, 3)),  # a time of day, not 15 March
        ("10.03.", dt.datetime(2025, 3, 12, 10, 3)),
        ("12.13.", dt.datetime(2025, 3, 12, 12, 13)),  # impossible date, read as a time
        ("32.01.", dt.datetime(2032, 3, 1)),  # "32" taken for the year 2032
        ("12.13.2025", dt.datetime(2025, 12, 13)),  # day and month swapped despite DMY
        ("29.02.", dt.datetime(2028, 2, 29)),  # three years ahead to the next leap year
        ("Mai", dt.datetime(2025, 5, 12)),  # the reference's day invented
        ("März", dt.datetime(2026, 3, 12)),  # a day invented, and next year's March
        ("2025", dt.datetime(2025, 3, 12)),  # month and day invented
    ],
)
def test_dateparser_invents_or_misreads(text: str, dateparser_says: dt.datetime) -> None:
    assert raw(text) == dateparser_says


def test_dateparser_swaps_day_and_month_even_when_parsing_strictly() -> None:
    assert raw("12.13.2025", STRICT_PARSING=True) == dt.datetime(2025, 12, 13)


def test_dateparser_takes_a_weekday_named_on_that_day_for_next_week() -> None:
    friday = dt.datetime(2025, 3, 14)
    assert raw("Freitag", RELATIVE_BASE=friday) == dt.datetime(2025, 3, 21)
    # the resolver takes the same day: the letter was written before it came in
    (found,) = find_deadline_expressions(
        "Bitte antworten Sie bis Freitag.", reference_date=friday.date()
    )
    assert found.due == friday.date()


@pytest.mark.parametrize(
    "text",
    [
        "bis zum 15.03.",
        "bis spätestens Freitag",
        "Freitag nächster Woche",
        "nächsten Freitag",
        "Ende März",
        "Monatsende",
        "innerhalb eines Monats",
        "binnen zwei Wochen",
        "in drei Werktagen",
    ],
)
def test_dateparser_does_not_read_deadline_phrases(text: str) -> None:
    assert raw(text) is None


@pytest.mark.parametrize("text", ["bald", "zeitnah", "demnächst", "umgehend", "Mitte März"])
def test_dateparser_invents_nothing_for_vague_words(text: str) -> None:
    assert raw(text) is None


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("15.03.", (15, 3)),
        ("15.3.", (15, 3)),
        ("29.02.", (29, 2)),
        ("15. März", (15, 3)),
        ("15. Mrz.", (15, 3)),
        ("1. Sept.", (1, 9)),
        ("3. Jänner", (3, 1)),
        ("32.01.", None),
        ("12.13.", None),
        ("31.02.", None),
        ("00.03.", None),
        ("31. April", None),
        ("Mai", None),
        ("2025", None),
    ],
)
def test_the_guarded_parser_reads_the_day_written_or_nothing(
    token: str, expected: tuple[int, int] | None
) -> None:
    assert parse_day_month(token, reference=REFERENCE) == expected


@pytest.mark.parametrize("text", ["Bitte zahlen Sie bis Mai.", "Bitte zahlen Sie bis 2025."])
def test_a_month_or_year_alone_gives_no_deadline(text: str) -> None:
    assert find_deadline_expressions(text, reference_date=REFERENCE) == []
