"""Letters written for this project: each urgent one outranks each ordinary one under the
default policy, arriving the same day with the same case type's SLA."""

from __future__ import annotations

import datetime as dt

import pytest

from triage.fields.extract import extract_fields
from triage.priority.policy import default_policy
from triage.priority.score import Priority, StatutoryFact, detect_facts, prioritise
from triage.priority.statutory import find_statutory_periods

RECEIVED = dt.date(2026, 3, 2)  # a Monday
RECEIVED_AT = dt.datetime(2026, 3, 2, 8, 15, tzinfo=dt.UTC)
SLA_DAYS = 14

URGENT = {
    "eviction": "Sehr geehrte Damen und Herren, der Räumungstermin ist für den 20.03.2026 "
    "angesetzt. Ohne Ihre Hilfe werden meine Kinder und ich obdachlos.",
    "power_cut": "Die Stadtwerke haben eine Stromsperre für Freitag angekündigt, weil die "
    "Abschläge nicht bezahlt wurden. Bitte helfen Sie uns schnell.",
    "seizure": "Auf meinem Konto liegt eine Kontopfändung, ich kann die Miete nicht mehr "
    "bezahlen. Bitte prüfen Sie meinen Antrag auf Hilfe zum Lebensunterhalt.",
    "urgent_application": "Hiermit stelle ich einen Eilantrag auf Übernahme der Heizkosten, "
    "da unser Öltank leer ist.",
    "medical": "Meine Mutter ist seit gestern im Krankenhaus und pflegebedürftig; ich "
    "beantrage kurzfristig Leistungen der Hilfe zur Pflege.",
    "deadline": "Ich bitte Sie, mir die Meldebescheinigung bis spätestens Mittwoch zu "
    "schicken, da ich sie für meinen neuen Arbeitgeber brauche.",
    "objection": "Gegen Ihren Bescheid vom 20.02.2026 lege ich hiermit Widerspruch ein. Die "
    "Begründung reiche ich nach.",
}
ORDINARY = {
    "address_change": "Ich bin zum 01.02.2026 innerhalb der Stadt umgezogen und bitte um "
    "die Änderung meiner Anschrift.",
    "dog_tax": "Hiermit melde ich meinen Hund Bello zur Hundesteuer an. Er lebt seit Januar "
    "bei uns.",
    "question": "Können Sie mir sagen, welche Unterlagen ich für einen neuen Personalausweis "
    "mitbringen muss?",
    "bulky_waste": "Ich möchte Sperrmüll anmelden: ein altes Sofa und zwei Stühle. Ein "
    "Termin im April wäre gut.",
    "thanks": "Vielen Dank für die schnelle Bearbeitung meines Antrags im letzten Monat.",
    "parking": "Ich beantrage einen Bewohnerparkausweis für mein Auto, Kennzeichen "
    "M-AB 1234, gültig ab dem 01.06.2026.",
}


def _priority(text: str) -> Priority:
    policy = default_policy()
    fields = extract_fields(text, reference_date=RECEIVED)
    periods = find_statutory_periods(
        text, received=RECEIVED, land=policy.land, table=policy.statutory_table()
    )
    facts = detect_facts(
        text=text,
        received=RECEIVED,
        deadlines=fields.deadlines,
        sla_days=SLA_DAYS,
        policy=policy,
        statutory=[StatutoryFact(p.key, p.ends_on, p.reason) for p in periods if p.ends_on],
    )
    return prioritise(facts, received_at=RECEIVED_AT, policy=policy)


@pytest.mark.parametrize("urgent", sorted(URGENT))
def test_each_urgent_letter_outranks_every_ordinary_one(urgent: str) -> None:
    high = _priority(URGENT[urgent])
    assert any(c.kind != "sla" for c in high.components), high.components
    for name, text in ORDINARY.items():
        low = _priority(text)
        assert high.key > low.key, (urgent, name, high.components, low.components)


@pytest.mark.parametrize("ordinary", sorted(ORDINARY))
def test_ordinary_letters_earn_only_their_sla(ordinary: str) -> None:
    assert [c.kind for c in _priority(ORDINARY[ordinary]).components] == ["sla"]
