"""A tenant's priority policy: weights, hardship signals and the Land for holidays.

Configuration, not code: the defaults below are the shipped policy
(``default_policy.yaml``); a tenant may replace it with its own (``triage priority policy
load``, ``PUT /api/v1/admin/priority-policy``). Weights are points: a component's points are
its weight times a share between 0 and 1, except waiting time, which earns its weight per
day without a cap so that every letter eventually reaches the top.
"""

from __future__ import annotations

import re
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from triage.priority.statutory import StatutoryRule, StatutoryTable, load_statutory_table

DEFAULT_POLICY_FILE = Path(__file__).with_name("default_policy.yaml")
LANDS = (
    "BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH",
)  # fmt: skip


class PolicyError(ValueError):
    """The policy file or body is invalid; the message names the place."""


class Weights(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    deadline: Annotated[float, Field(ge=0, le=1000)] = 40.0
    statutory: Annotated[float, Field(ge=0, le=1000)] = 30.0
    sla: Annotated[float, Field(ge=0, le=1000)] = 20.0
    hardship: Annotated[float, Field(ge=0, le=1000)] = 50.0
    waiting_per_day: Annotated[float, Field(ge=0, le=100)] = 1.0


class HardshipSignal(BaseModel):
    """A situation that makes a letter urgent whatever its case type; ``patterns`` are
    regular expressions matched case-insensitively on word boundaries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    label: Annotated[str, Field(min_length=2, max_length=120)]
    patterns: Annotated[list[str], Field(min_length=1)]
    share: Annotated[float, Field(gt=0, le=1)] = 1.0

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"pattern {pattern!r} is no regular expression: {error}") from None
        return patterns

    @cached_property
    def regex(self) -> re.Pattern[str]:
        joined = "|".join(f"(?:{p})" for p in self.patterns)
        return re.compile(rf"\b(?:{joined})", re.IGNORECASE)


class PriorityPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    land: Annotated[str, Field(description="German Land for public holidays")] = "BY"
    weights: Weights = Weights()
    # A deadline this many days or more after the letter arrived earns no deadline points;
    # one due on arrival day (or already past) earns the full weight.
    deadline_horizon_days: Annotated[int, Field(ge=1, le=365)] = 30
    # The SLA share: a 1-day case type earns the full weight, one of this many days none.
    sla_horizon_days: Annotated[int, Field(ge=2, le=365)] = 60
    hardship_signals: list[HardshipSignal] = Field(default_factory=list)
    # Rows over the shipped statutory table (statutory_periods.yaml) by key: a row with a
    # default's key replaces it (``enabled: false`` switches it off), others are added.
    statutory_periods: list[StatutoryRule] = Field(default_factory=list)

    def statutory_table(self) -> StatutoryTable:
        defaults = default_statutory_table()
        overrides = {rule.key: rule for rule in self.statutory_periods}
        merged = [overrides.pop(rule.key, rule) for rule in defaults.rules]
        return StatutoryTable((*merged, *overrides.values()))

    @field_validator("land")
    @classmethod
    def _known_land(cls, land: str) -> str:
        if land.upper() not in LANDS:
            raise ValueError(f"unknown Land {land!r}; one of {', '.join(LANDS)}")
        return land.upper()

    @field_validator("statutory_periods")
    @classmethod
    def _unique_periods(cls, rules: list[StatutoryRule]) -> list[StatutoryRule]:
        keys = [r.key for r in rules]
        if duplicated := sorted({k for k in keys if keys.count(k) > 1}):
            raise ValueError(f"statutory period keys appear twice: {', '.join(duplicated)}")
        return rules

    @field_validator("hardship_signals")
    @classmethod
    def _unique_signals(cls, signals: list[HardshipSignal]) -> list[HardshipSignal]:
        keys = [s.key for s in signals]
        if duplicated := sorted({k for k in keys if keys.count(k) > 1}):
            raise ValueError(f"hardship signal keys appear twice: {', '.join(duplicated)}")
        return signals


def parse_policy(data: object, *, source: str) -> PriorityPolicy:
    try:
        return PriorityPolicy.model_validate(data)
    except ValueError as error:
        raise PolicyError(f"{source}: {error}") from error


def load_policy_file(path: Path) -> PriorityPolicy:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise PolicyError(f"{path}: {error}") from error
    return parse_policy(data, source=str(path))


@cache
def default_statutory_table() -> StatutoryTable:
    return load_statutory_table()


def default_policy() -> PriorityPolicy:
    return load_policy_file(DEFAULT_POLICY_FILE)
