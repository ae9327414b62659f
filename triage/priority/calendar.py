"""Working days per German Land from the maintained `holidays` calendar.

A period that ends on a Saturday, Sunday or public holiday of the Land ends on the next
working day (§ 193 BGB, § 31 (3) VwVfG, § 108 (3) AO). Without a Land only the nationwide
holidays count, which is right for most of the year and never moves a date earlier.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

# The 16 Länder by ISO code, and "Augsburg" (Bavaria plus the Augsburger Friedensfest).
LANDS: tuple[str, ...] = tuple(holidays.list_supported_countries()["DE"])


class UnknownLand(ValueError):
    pass


class WorkingCalendar:
    """Monday to Friday without the public holidays of one Land (or nationwide ones)."""

    def __init__(self, land: str | None = None) -> None:
        if land is not None and land not in LANDS:
            raise UnknownLand(f"unknown Land {land!r}; known: {', '.join(LANDS)}")
        self.land = land
        # The holidays object fills in each year on first lookup and keeps it.
        self._holidays = holidays.country_holidays("DE", subdiv=land, language="de")

    def holiday(self, day: dt.date) -> str | None:
        """The public holiday's German name on `day` ("Tag der Deutschen Einheit")."""
        name = self._holidays.get(day)
        return None if name is None else str(name)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after `day`."""
        following = day + dt.timedelta(days=1)
        while not self.is_working_day(following):
            following += dt.timedelta(days=1)
        return following

    def period_end(self, day: dt.date) -> dt.date:
        """`day` if it is a working day, else the next working day (§ 193 BGB)."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` ("in drei Werktagen")."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day


@lru_cache(maxsize=32)
def working_calendar(land: str | None = None) -> WorkingCalendar:
    """One calendar per Land; the holidays it has looked up stay cached."""
    return WorkingCalendar(land)


def next_working_day(day: dt.date, land: str | None = None) -> dt.date:
    return working_calendar(land).next_working_day(day)


def period_end(day: dt.date, land: str | None = None) -> dt.date:
    return working_calendar(land).period_end(day)
