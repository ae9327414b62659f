"""Statutory periods a letter starts or concerns, from a configurable table.

The table is YAML (`statutory_periods.yaml` in this package holds the defaults; see its
header for the fields). A tenant's file replaces default rows by key and can switch one
off with `enabled: false`. The defaults are configuration, not legal advice.

A row applies when its `trigger` is in the letter. A period that starts with the
notification of a decision also needs the decision (`act`) in the letter: its date is read
from "<act> vom <date>" in the act's sentence, taken as the day it was posted, and the
decision counts as notified `notification_days_after_posting` days later; without a date
the period is reported with no end. A period that starts on receipt runs from the day the
letter came in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from triage.fields.dates import DATE_PATTERN, parse_date, sentence_bounds
from triage.priority.calendar import working_calendar
from triage.priority.resolve import PeriodUnit, period_end

DEFAULT_TABLE = "statutory_periods.yaml"
_PERIOD = re.compile(r"^\s*(?P<count>[1-9]\d{0,2})\s+(?P<unit>days|weeks|months|working_days)\s*$")
_ACT_DATE = re.compile(rf"^[^\n]{{0,60}}?\bvom[ ](?P<date>{DATE_PATTERN})", re.IGNORECASE)


class StatutoryTableError(ValueError):
    pass


class PeriodStart(StrEnum):
    NOTIFICATION = "notification"
    RECEIPT = "receipt"


class StatutoryRule(BaseModel):
    """One row of the table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    law: str
    trigger: str
    act: str | None = None
    period: str
    starts: PeriodStart
    notification_days_after_posting: int = Field(default=0, ge=0, le=30)
    notification_moves_to_working_day: bool = False
    moves_to_working_day: bool = True
    reason: str
    enabled: bool = True

    @field_validator("trigger", "act")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a regular expression: {error}") from error
        return value

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if _PERIOD.match(value) is None:
            raise ValueError("expected '<n> days|weeks|months|working_days', e.g. '1 months'")
        return value

    @property
    def count(self) -> int:
        match = _PERIOD.match(self.period)
        assert match is not None  # checked by the validator
        return int(match.group("count"))

    @property
    def unit(self) -> PeriodUnit:
        match = _PERIOD.match(self.period)
        assert match is not None
        return PeriodUnit(match.group("unit"))


@dataclass(frozen=True)
class StatutoryTable:
    rules: tuple[StatutoryRule, ...]

    def by_key(self, key: str) -> StatutoryRule:
        return next(rule for rule in self.rules if rule.key == key)


@dataclass(frozen=True)
class StatutoryPeriod:
    """A period the letter touches: `ends_on` is None when the letter does not give the
    day it starts. `reason` is German for the UI, `basis` English for logs."""

    key: str
    name: str
    law: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    reason: str
    basis: str
    trigger_start: int
    trigger_end: int


def load_statutory_table(
    path: Path | None = None, *, defaults: StatutoryTable | None = None
) -> StatutoryTable:
    """The packaged defaults (`path` None), or `path`'s rows over `defaults` by key."""
    if path is None:
        text = resources.files("triage.priority").joinpath(DEFAULT_TABLE).read_text("utf-8")
        return StatutoryTable(_parse_rows(text, DEFAULT_TABLE))
    rows = _parse_rows(path.read_text(encoding="utf-8"), str(path))
    if defaults is None:
        return StatutoryTable(rows)
    overrides = {rule.key: rule for rule in rows}
    merged = [overrides.pop(rule.key, rule) for rule in defaults.rules]
    return StatutoryTable((*merged, *overrides.values()))


def _parse_rows(text: str, origin: str) -> tuple[StatutoryRule, ...]:
    try:
        document: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StatutoryTableError(f"{origin}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("periods"), list):
        raise StatutoryTableError(f"{origin}: expected a mapping with a list 'periods'")
    rules: list[StatutoryRule] = []
    for number, row in enumerate(document["periods"], start=1):
        key = row.get("key", "?") if isinstance(row, dict) else "?"
        try:
            rule = StatutoryRule.model_validate(row)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in error.errors()
            )
            raise StatutoryTableError(f"{origin}: row {number} ({key}): {problems}") from None
        if rule.starts is PeriodStart.NOTIFICATION and rule.act is None:
            raise StatutoryTableError(
                f"{origin}: row {number} ({key}): a period from notification needs 'act'"
            )
        if any(other.key == rule.key for other in rules):
            raise StatutoryTableError(f"{origin}: row {number} ({key}): key used twice")
        rules.append(rule)
    return tuple(rules)


def find_statutory_periods(
    text: str, *, received: dt.date, land: str | None, table: StatutoryTable
) -> list[StatutoryPeriod]:
    """The periods of `table` the letter touches, with their end in `land`'s calendar."""
    found: list[StatutoryPeriod] = []
    for rule in table.rules:
        if not rule.enabled:
            continue
        trigger = re.search(rule.trigger, text, re.IGNORECASE)
        if trigger is None:
            continue
        act_date: dt.date | None = None
        start: dt.date | None = received
        if rule.starts is PeriodStart.NOTIFICATION:
            assert rule.act is not None  # checked when the table loads
            acts = list(re.finditer(rule.act, text, re.IGNORECASE))
            if not acts:
                continue
            act_date = _first_act_date(text, acts)
            start = None if act_date is None else _notification(act_date, rule, land)
        found.append(_period(rule, trigger, start, act_date, land))
    return found


def _first_act_date(text: str, acts: list[re.Match[str]]) -> dt.date | None:
    """The date of the first act that names one ("Bescheid vom 05.02.2025")."""
    for match in acts:
        _, s_end = sentence_bounds(text, match.start(), match.end())
        dated = _ACT_DATE.match(text[match.end() : s_end])
        if dated is not None and (date := parse_date(dated.group("date"))) is not None:
            return date
    return None


def _notification(act_date: dt.date, rule: StatutoryRule, land: str | None) -> dt.date:
    notified = act_date + dt.timedelta(days=rule.notification_days_after_posting)
    if rule.notification_moves_to_working_day:
        notified = working_calendar(land).period_end(notified)
    return notified


def _period(
    rule: StatutoryRule,
    trigger: re.Match[str],
    start: dt.date | None,
    act_date: dt.date | None,
    land: str | None,
) -> StatutoryPeriod:
    working = working_calendar(land) if rule.moves_to_working_day else None
    end = None if start is None else period_end(start, rule.count, rule.unit, working=working)
    if end is None:
        reason = f"{rule.name} ({rule.law}): Datum des Bescheids nicht gefunden."
        basis = f"{rule.key}: the letter names no date for the decision"
    else:
        reason = rule.reason.format(
            end=_german(end), start=_german(start), act_date=_german(act_date)
        )
        basis = f"{rule.key}: {rule.period} from {start} ({rule.starts}) ends {end} [{land}]"
    return StatutoryPeriod(
        key=rule.key,
        name=rule.name,
        law=rule.law,
        starts_on=start,
        ends_on=end,
        reason=reason,
        basis=basis,
        trigger_start=trigger.start(),
        trigger_end=trigger.end(),
    )


def _german(day: dt.date | None) -> str:
    return "?" if day is None else day.strftime("%d.%m.%Y")
