"""Priority components from facts, the policy that weighs them, and the sort key that keeps
the order right as time passes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from triage.fields.extract import extract_fields
from triage.priority.policy import (
    PolicyError,
    PriorityPolicy,
    default_policy,
    load_policy_file,
    parse_policy,
)
from triage.priority.score import (
    PriorityFacts,
    StatutoryFact,
    detect_facts,
    prioritise,
    priority_now,
    score,
    waiting_component,
)
from triage.priority.statutory import find_statutory_periods

RECEIVED = dt.date(2025, 3, 3)
RECEIVED_AT = dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.UTC)
EVICTION = (
    "Sehr geehrte Damen und Herren,\n\nder Gerichtsvollzieher hat die Zwangsräumung unserer "
    "Wohnung angekündigt. Bitte entscheiden Sie über meinen Antrag bis zum 10.03.2025.\n\n"
    "Mit freundlichen Grüßen\nPetra Lang"
)
ADDRESS_CHANGE = (
    "Sehr geehrte Damen und Herren,\n\nich bin umgezogen und bitte um Ummeldung.\n\n"
    "Mit freundlichen Grüßen\nJonas Berg"
)


def _facts(text: str, *, sla_days: int | None, policy: PriorityPolicy) -> PriorityFacts:
    fields = extract_fields(text, reference_date=RECEIVED)
    return detect_facts(
        text=text, received=RECEIVED, deadlines=fields.deadlines, sla_days=sla_days, policy=policy
    )


def test_an_eviction_letter_with_a_deadline_outranks_an_ordinary_one() -> None:
    policy = default_policy()
    urgent = prioritise(
        _facts(EVICTION, sla_days=30, policy=policy), received_at=RECEIVED_AT, policy=policy
    )
    ordinary = prioritise(
        _facts(ADDRESS_CHANGE, sla_days=14, policy=policy), received_at=RECEIVED_AT, policy=policy
    )

    assert urgent.base > ordinary.base
    kinds = {c.kind: c for c in urgent.components}
    assert set(kinds) == {"deadline", "hardship", "sla"}
    # due 7 days after arrival, horizon 30 days: 40 * (1 - 7/30)
    assert kinds["deadline"].points == pytest.approx(40 * (1 - 7 / 30))
    assert kinds["deadline"].reason.startswith("Frist bis 10.03.2025 (»bis zum 10.03.2025")
    hardships = [c.reason for c in urgent.components if c.kind == "hardship"]
    assert any("Räumung" in reason and "Zwangsräumung" in reason for reason in hardships)
    assert any("Pfändung" in reason and "Gerichtsvollzieher" in reason for reason in hardships)
    assert [c.kind for c in ordinary.components] == ["sla"]
    # SLA 14 days on a 60-day horizon: 20 * (1 - 13/59)
    assert ordinary.components[0].points == pytest.approx(20 * (1 - 13 / 59))
    assert ordinary.components[0].reason == "Bearbeitungsziel der Fallart: 14 Tage"


def test_components_follow_the_weights_and_vanish_beyond_their_horizon() -> None:
    facts = PriorityFacts(
        received=RECEIVED,
        deadlines=[(RECEIVED + dt.timedelta(days=45), "bis zum 17.04.2025")],
        statutory=[StatutoryFact("widerspruch", RECEIVED, "Widerspruchsfrist")],
        hardship=[("medical", "im Krankenhaus"), ("unknown_signal", "x")],
        sla_days=60,
    )
    policy = default_policy()
    components = {c.kind: c for c in score(facts, policy)}
    assert "deadline" not in components  # 45 days out: beyond the 30-day horizon
    assert "sla" not in components  # a 60-day SLA earns nothing
    assert components["statutory"].points == 30  # ends on arrival day: full weight
    assert components["statutory"].reason == "Widerspruchsfrist"
    assert components["hardship"].points == 50  # the unknown signal of an old policy is skipped

    heavier = parse_policy(
        {"weights": {"statutory": 10, "hardship": 5}, "hardship_signals": []}, source="test"
    )
    assert [(c.kind, c.points) for c in score(facts, heavier)] == [("statutory", 10)]


def test_the_sort_key_orders_as_the_priority_with_waiting_time_does() -> None:
    policy = default_policy()
    rate = policy.weights.waiting_per_day
    old = prioritise(
        PriorityFacts(received=RECEIVED, sla_days=30),
        received_at=RECEIVED_AT - dt.timedelta(days=20),
        policy=policy,
    )
    fresh_urgent = prioritise(
        PriorityFacts(received=RECEIVED, hardship=[("eviction", "Räumung")], sla_days=30),
        received_at=RECEIVED_AT,
        policy=policy,
    )
    for days_later in (0, 10, 40, 400):
        now = RECEIVED_AT + dt.timedelta(days=days_later)
        old_now = (
            old.base + waiting_component(RECEIVED_AT - dt.timedelta(days=20), now, rate).points
        )
        fresh_now = fresh_urgent.base + waiting_component(RECEIVED_AT, now, rate).points
        assert priority_now(old.key, now, rate) == pytest.approx(old_now)
        assert priority_now(fresh_urgent.key, now, rate) == pytest.approx(fresh_now)
        assert (old.key > fresh_urgent.key) == (old_now > fresh_now)
    # 50 hardship points against 20 days of waiting: the eviction letter still comes first
    assert fresh_urgent.key > old.key


def test_waiting_reason_in_german() -> None:
    now = RECEIVED_AT + dt.timedelta(days=3, hours=2)
    waiting = waiting_component(RECEIVED_AT, now, 1.5)
    assert waiting.reason == "wartet seit 3 Tagen"
    assert waiting.points == pytest.approx(1.5 * (3 + 2 / 24))
    assert waiting_component(RECEIVED_AT, RECEIVED_AT, 1).reason == "wartet seit heute"


def test_facts_survive_storage_and_a_new_case_type() -> None:
    policy = default_policy()
    facts = _facts(EVICTION, sla_days=30, policy=policy)
    restored = PriorityFacts.from_json(facts.to_json())
    assert restored == facts
    assert restored.with_sla(5).sla_days == 5 and restored.with_sla(5).deadlines == facts.deadlines


def test_a_letter_that_starts_a_statutory_period_earns_its_points() -> None:
    policy = parse_policy({"statutory_periods": [], "weights": {"statutory": 30}}, source="test")
    text = (
        "Sehr geehrte Damen und Herren,\n\ngegen Ihren Bescheid vom 24.02.2025 lege ich "
        "hiermit Widerspruch ein.\n\nMit freundlichen Grüßen\nJonas Berg"
    )
    periods = find_statutory_periods(
        text, received=RECEIVED, land=policy.land, table=policy.statutory_table()
    )
    widerspruch = next(p for p in periods if p.key == "widerspruch")
    assert widerspruch.ends_on is not None
    facts = detect_facts(
        text=text,
        received=RECEIVED,
        deadlines=[],
        sla_days=None,
        policy=policy,
        statutory=[StatutoryFact(p.key, p.ends_on, p.reason) for p in periods if p.ends_on],
    )
    [component] = score(facts, policy)
    assert component.kind == "statutory" and component.reason == widerspruch.reason
    days = (widerspruch.ends_on - RECEIVED).days
    assert component.points == pytest.approx(30 * (1 - days / 30))
    switched_off = parse_policy(
        {"statutory_periods": [{**_row(policy, "widerspruch"), "enabled": False}]}, source="t"
    )
    assert all(
        p.key != "widerspruch"
        for p in find_statutory_periods(
            text, received=RECEIVED, land="BY", table=switched_off.statutory_table()
        )
    )


def _row(policy: PriorityPolicy, key: str) -> dict[str, object]:
    return policy.statutory_table().by_key(key).model_dump(mode="json")


def test_bad_policies_are_refused_with_the_place(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="unknown Land 'XX'"):
        parse_policy({"land": "XX"}, source="test")
    with pytest.raises(PolicyError, match="no regular expression"):
        parse_policy(
            {"hardship_signals": [{"key": "bad", "label": "Kaputt", "patterns": ["(unclosed"]}]},
            source="test",
        )
    with pytest.raises(PolicyError, match="appear twice: eviction"):
        signal = {"key": "eviction", "label": "Räumung", "patterns": ["räumung"]}
        parse_policy({"hardship_signals": [signal, signal]}, source="test")
    broken = tmp_path / "policy.yaml"
    broken.write_text("weights:\n  deadline: -1\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=str(broken)):
        load_policy_file(broken)
