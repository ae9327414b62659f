"""A document's priority: explainable components from stored facts, plus waiting time.

Two steps, so a weight change never needs the letters again:

1. **Facts** (``detect_facts``) are what the letter says and what its case type promises:
   deadlines with their due dates, statutory periods, hardship situations, the SLA. They
   are found once, in the worker, and stored.
2. **Components** (``score``) turn facts into points under a tenant's policy, each with a
   German reason for the caseworker.

Waiting time earns ``weights.waiting_per_day`` per day and is computed when asked, so the
order never goes stale. Because every document of a tenant earns it at the same rate, the
order by "priority now" equals the order by ``sort_key`` = stored points minus the rate
times the arrival day: a constant per document that an index can serve.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from triage.fields.schema import Deadline
from triage.priority.policy import PriorityPolicy

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class StatutoryFact:
    key: str
    ends: dt.date
    reason: str


@dataclass(frozen=True)
class PriorityFacts:
    received: dt.date
    deadlines: list[tuple[dt.date, str]] = field(default_factory=list)  # (due, phrase)
    statutory: list[StatutoryFact] = field(default_factory=list)
    hardship: list[tuple[str, str]] = field(default_factory=list)  # (signal key, words found)
    sla_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "received": self.received.isoformat(),
            "deadlines": [{"due": d.isoformat(), "phrase": p} for d, p in self.deadlines],
            "statutory": [
                {"key": s.key, "ends": s.ends.isoformat(), "reason": s.reason}
                for s in self.statutory
            ],
            "hardship": [{"key": k, "found": f} for k, f in self.hardship],
            "sla_days": self.sla_days,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PriorityFacts:
        return cls(
            received=dt.date.fromisoformat(data["received"]),
            deadlines=[(dt.date.fromisoformat(d["due"]), d["phrase"]) for d in data["deadlines"]],
            statutory=[
                StatutoryFact(s["key"], dt.date.fromisoformat(s["ends"]), s["reason"])
                for s in data.get("statutory", [])
            ],
            hardship=[(h["key"], h["found"]) for h in data.get("hardship", [])],
            sla_days=data.get("sla_days"),
        )

    def with_sla(self, sla_days: int | None) -> PriorityFacts:
        """The same letter under another case type (a caseworker's correction)."""
        return PriorityFacts(self.received, self.deadlines, self.statutory, self.hardship, sla_days)


@dataclass(frozen=True)
class Component:
    kind: str  # deadline | statutory | sla | hardship | waiting
    points: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "weight": round(self.points, 2), "reason": self.reason}


def detect_facts(
    *,
    text: str,
    received: dt.date,
    deadlines: Iterable[Deadline],
    sla_days: int | None,
    policy: PriorityPolicy,
    statutory: Sequence[StatutoryFact] = (),
) -> PriorityFacts:
    """``deadlines`` come from the field extractors (their due dates already resolved
    against the day the letter arrived); only those with a date count."""
    dated = sorted((d.due, d.value) for d in deadlines if d.due is not None)
    hardship: list[tuple[str, str]] = []
    for signal in policy.hardship_signals:
        match = signal.regex.search(text)
        if match is not None:
            hardship.append((signal.key, match.group(0)))
    return PriorityFacts(
        received=received,
        deadlines=dated,
        statutory=sorted(statutory, key=lambda s: s.ends),
        hardship=hardship,
        sla_days=sla_days,
    )


def _closeness(days: int, horizon: int) -> float:
    """1 for due on arrival or earlier, falling linearly to 0 at ``horizon`` days."""
    return min(1.0, max(0.0, 1 - days / horizon))


def _german_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def score(facts: PriorityFacts, policy: PriorityPolicy) -> list[Component]:
    """The stored components (without waiting time), largest first."""
    weights = policy.weights
    components: list[Component] = []
    if facts.deadlines:
        due, phrase = facts.deadlines[0]
        share = _closeness((due - facts.received).days, policy.deadline_horizon_days)
        if share > 0:
            components.append(
                Component(
                    "deadline",
                    weights.deadline * share,
                    f"Frist bis {_german_date(due)} (»{phrase}«)",
                )
            )
    if facts.statutory:
        first = facts.statutory[0]
        share = _closeness((first.ends - facts.received).days, policy.deadline_horizon_days)
        if share > 0:
            components.append(
                # The table's reason names the period, its law and its end.
                Component("statutory", weights.statutory * share, first.reason)
            )
    if facts.sla_days is not None:
        share = _closeness(facts.sla_days - 1, policy.sla_horizon_days - 1)
        if share > 0:
            components.append(
                Component(
                    "sla",
                    weights.sla * share,
                    f"Bearbeitungsziel der Fallart: {facts.sla_days} Tage",
                )
            )
    labels = {signal.key: signal for signal in policy.hardship_signals}
    for key, found in facts.hardship:
        signal = labels.get(key)
        if signal is not None:
            components.append(
                Component(
                    "hardship", weights.hardship * signal.share, f"{signal.label} (»{found}«)"
                )
            )
    # A weight of 0 switches a component off: it is no reason either.
    return sorted((c for c in components if c.points > 0), key=lambda c: -c.points)


def waiting_days(received_at: dt.datetime, now: dt.datetime) -> float:
    return max(0.0, (now - received_at).total_seconds() / SECONDS_PER_DAY)


def waiting_component(received_at: dt.datetime, now: dt.datetime, rate: float) -> Component:
    """``rate``: points per day waited (the policy's ``weights.waiting_per_day``)."""
    days = waiting_days(received_at, now)
    whole = int(days)
    said = "seit heute" if whole == 0 else ("seit 1 Tag" if whole == 1 else f"seit {whole} Tagen")
    return Component("waiting", rate * days, f"wartet {said}")


def _epoch_days(moment: dt.datetime) -> float:
    return (moment - EPOCH).total_seconds() / SECONDS_PER_DAY


def sort_key(base: float, received_at: dt.datetime, rate: float) -> float:
    """Higher first; equals "priority now" minus the same amount for every document."""
    return base - rate * _epoch_days(received_at)


def priority_now(key: float, now: dt.datetime, rate: float) -> float:
    return key + rate * _epoch_days(now)


@dataclass(frozen=True)
class Priority:
    """What is stored on the document: facts, their components, the sum and the sort key."""

    facts: PriorityFacts
    components: list[Component]
    base: float
    key: float
    rate: float  # waiting points per day the key was made with


def prioritise(
    facts: PriorityFacts, *, received_at: dt.datetime, policy: PriorityPolicy
) -> Priority:
    components = score(facts, policy)
    base = sum(c.points for c in components)
    rate = policy.weights.waiting_per_day
    return Priority(facts, components, base, sort_key(base, received_at, rate), rate)
