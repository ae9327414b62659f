"""Working days per Land from the `holidays` calendar, and the § 193 BGB period end."""

from __future__ import annotations

import datetime as dt

import pytest

from triage.priority.calendar import (
    LANDS,
    UnknownLand,
    WorkingCalendar,
    next_working_day,
    period_end,
)


def test_all_sixteen_lands_are_known() -> None:
    assert {"BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL",
            "SN", "ST", "TH"} <= set(LANDS)  # fmt: skip


@pytest.mark.parametrize("land", [*LANDS, None])
def test_unity_day_is_a_holiday_everywhere(land: str | None) -> None:
    unity_day = dt.date(2025, 10, 3)  # a Friday
    calendar = WorkingCalendar(land)
    assert not calendar.is_working_day(unity_day)
    assert calendar.holiday(unity_day) == "Tag der Deutschen Einheit"
    assert calendar.next_working_day(dt.date(2025, 10, 2)) == dt.date(2025, 10, 6)


@pytest.mark.parametrize(
    ("day", "holiday_in", "working_in"),
    [
        (dt.date(2025, 6, 19), "BY", "BE"),  # Fronleichnam
        (dt.date(2025, 10, 31), "SN", "BY"),  # Reformationstag
        (dt.date(2025, 11, 19), "SN", "BY"),  # Buß- und Bettag
        (dt.date(2024, 3, 8), "BE", "BY"),  # Internationaler Frauentag
        (dt.date(2025, 1, 6), "BW", "NW"),  # Heilige Drei Könige
    ],
)
def test_holidays_differ_between_lands(day: dt.date, holiday_in: str, working_in: str) -> None:
    assert not WorkingCalendar(holiday_in).is_working_day(day)
    assert WorkingCalendar(working_in).is_working_day(day)


def test_without_a_land_only_nationwide_holidays_count() -> None:
    nationwide = WorkingCalendar()
    assert nationwide.is_working_day(dt.date(2025, 6, 19))  # Fronleichnam is regional
    assert not nationwide.is_working_day(dt.date(2025, 12, 25))


def test_a_period_ending_on_a_sunday_ends_on_monday() -> None:
    assert period_end(dt.date(2025, 3, 16), "BY") == dt.date(2025, 3, 17)
    assert period_end(dt.date(2025, 3, 15), "BY") == dt.date(2025, 3, 17)
    assert period_end(dt.date(2025, 3, 14), "BY") == dt.date(2025, 3, 14)


def test_easter_moves_a_period_past_good_friday_and_easter_monday() -> None:
    # Karfreitag 18.04.2025, Ostermontag 21.04.2025
    assert period_end(dt.date(2025, 4, 18), "NW") == dt.date(2025, 4, 22)
    assert period_end(dt.date(2025, 4, 21), "NW") == dt.date(2025, 4, 22)
    assert next_working_day(dt.date(2025, 4, 17), "NW") == dt.date(2025, 4, 22)


def test_a_period_ending_on_a_regional_holiday_moves_only_in_that_land() -> None:
    assert period_end(dt.date(2025, 10, 31), "SN") == dt.date(2025, 11, 3)
    assert period_end(dt.date(2025, 10, 31), "BY") == dt.date(2025, 10, 31)


def test_working_days_are_counted_after_the_day() -> None:
    calendar = WorkingCalendar("BY")
    # Wed 30.04.2025: 1 May is a holiday, then Fri 2 May, Mon 5 May
    assert calendar.add_working_days(dt.date(2025, 4, 30), 2) == dt.date(2025, 5, 5)
    assert calendar.add_working_days(dt.date(2025, 4, 30), 0) == dt.date(2025, 4, 30)


def test_an_unknown_land_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownLand, match=r"'XX'.*BY"):
        WorkingCalendar("XX")
