"""The statutory period table: loading, tenant overrides, and detection in letters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from triage.priority.statutory import (
    StatutoryTable,
    StatutoryTableError,
    find_statutory_periods,
    load_statutory_table,
)

WIDERSPRUCH_LETTER = (
    "Widerspruch gegen den Gebührenbescheid (Az. 32-1234/2025) vom 05.02.2025\n\n"
    "Sehr geehrte Damen und Herren,\n\n"
    "gegen den oben genannten Bescheid lege ich hiermit fristgerecht Widerspruch ein. "
    "Mein Fahrzeug stand ordnungsgemäß.\n\nMit freundlichen Grüßen\nErika Muster"
)


@pytest.fixture(scope="module")
def defaults() -> StatutoryTable:
    return load_statutory_table()


def test_defaults_load(defaults: StatutoryTable) -> None:
    keys = [rule.key for rule in defaults.rules]
    assert keys == [
        "widerspruch",
        "einspruch_steuer",
        "einspruch_bussgeld",
        "klage",
        "widerspruch_entscheidung",
    ]
    widerspruch = defaults.by_key("widerspruch")
    assert (widerspruch.count, widerspruch.unit, widerspruch.notification_days_after_posting) == (
        1,
        "months",
        4,
    )


def test_an_objection_gets_its_period_end_and_the_decision_period(
    defaults: StatutoryTable,
) -> None:
    found = find_statutory_periods(
        WIDERSPRUCH_LETTER, received=dt.date(2025, 2, 24), land="BY", table=defaults
    )
    assert [(p.key, p.starts_on, p.ends_on) for p in found] == [
        # posted 05.02., notified on the fourth day (Sun 09.02.), one month later is
        # Sun 09.03., which moves to Monday
        ("widerspruch", dt.date(2025, 2, 9), dt.date(2025, 3, 10)),
        # received Mon 24.02., three months end Sat 24.05., moved to Monday
        ("widerspruch_entscheidung", dt.date(2025, 2, 24), dt.date(2025, 5, 26)),
    ]
    assert found[0].reason == (
        "Widerspruch gegen den Bescheid vom 05.02.2025: die Frist (ein Monat nach "
        "Bekanntgabe) endet am 10.03.2025."
    )
    assert "2025-03-10" in found[0].basis
    trigger = WIDERSPRUCH_LETTER[found[0].trigger_start : found[0].trigger_end]
    assert trigger == "Widerspruch"


def test_a_tax_objection_is_not_a_fine_objection(defaults: StatutoryTable) -> None:
    letter = "Hiermit lege ich Einspruch gegen den Grundsteuerbescheid vom 10.03.2025 ein."
    found = find_statutory_periods(letter, received=dt.date(2025, 3, 20), land="NW", table=defaults)
    assert [(p.key, p.ends_on) for p in found] == [("einspruch_steuer", dt.date(2025, 4, 14))]


def test_a_fine_objection_runs_two_weeks_and_the_land_moves_its_end(
    defaults: StatutoryTable,
) -> None:
    letter = "Gegen den Bußgeldbescheid vom 17.10.2025 lege ich Einspruch ein."
    received = dt.date(2025, 10, 24)
    saxony = find_statutory_periods(letter, received=received, land="SN", table=defaults)
    bavaria = find_statutory_periods(letter, received=received, land="BY", table=defaults)
    # 31.10.2025 is Reformationstag in Saxony, a working day in Bavaria
    assert [(p.key, p.ends_on) for p in saxony] == [("einspruch_bussgeld", dt.date(2025, 11, 3))]
    assert [(p.key, p.ends_on) for p in bavaria] == [("einspruch_bussgeld", dt.date(2025, 10, 31))]


def test_an_action_against_the_objection_decision(defaults: StatutoryTable) -> None:
    letter = "Ich werde Klage gegen den Widerspruchsbescheid vom 28.02.2025 erheben."
    found = find_statutory_periods(letter, received=dt.date(2025, 3, 10), land="HE", table=defaults)
    assert [(p.key, p.ends_on) for p in found] == [("klage", dt.date(2025, 4, 4))]


def test_a_decision_without_a_date_gives_a_period_without_end(defaults: StatutoryTable) -> None:
    letter = "Gegen Ihren Bescheid lege ich Widerspruch ein."
    found = find_statutory_periods(letter, received=dt.date(2025, 3, 10), land="BY", table=defaults)
    assert [(p.key, p.ends_on) for p in found] == [
        ("widerspruch", None),
        ("widerspruch_entscheidung", dt.date(2025, 6, 10)),
    ]
    assert "nicht gefunden" in found[0].reason


def test_a_letter_without_a_remedy_touches_no_period(defaults: StatutoryTable) -> None:
    letter = "Ich bitte um einen Termin für meinen neuen Personalausweis. Der Bescheid kam an."
    assert (
        find_statutory_periods(letter, received=dt.date(2025, 3, 10), land="BY", table=defaults)
        == []
    )


def test_a_tenant_file_replaces_rows_by_key_and_switches_rows_off(
    tmp_path: Path, defaults: StatutoryTable
) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(
        "periods:\n"
        "  - key: widerspruch\n"
        "    name: Widerspruchsfrist\n"
        "    law: § 70 VwGO\n"
        "    trigger: '\\bWiderspruch\\b'\n"
        "    act: 'bescheid'\n"
        "    period: 1 months\n"
        "    starts: notification\n"
        "    notification_days_after_posting: 3\n"
        "    reason: 'Frist endet am {end}.'\n"
        "  - key: widerspruch_entscheidung\n"
        "    name: x\n"
        "    law: x\n"
        "    trigger: x\n"
        "    period: 3 months\n"
        "    starts: receipt\n"
        "    reason: x\n"
        "    enabled: false\n",
        encoding="utf-8",
    )
    table = load_statutory_table(path, defaults=defaults)
    assert len(table.rules) == len(defaults.rules)
    found = find_statutory_periods(
        WIDERSPRUCH_LETTER, received=dt.date(2025, 2, 24), land="BY", table=table
    )
    # notified on the third day (Sat 08.02.), a month later Sat 08.03. moves to Monday
    assert [(p.key, p.ends_on, p.reason) for p in found] == [
        ("widerspruch", dt.date(2025, 3, 10), "Frist endet am 10.03.2025.")
    ]


ROW = (
    "  - key: {key}\n    name: n\n    law: l\n    trigger: t\n    act: a\n"
    "    period: '{period}'\n    starts: {starts}\n    reason: r\n"
)


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            ROW.format(key="zwei", period="one month", starts="notification"),
            r"row 2 \(zwei\): period",
        ),
        (ROW.format(key="zwei", period="1 months", starts="posting"), r"row 2 \(zwei\): starts"),
        (
            ROW.format(key="eins", period="1 months", starts="receipt"),
            r"row 2 \(eins\): key used twice",
        ),
        (
            ROW.format(key="zwei", period="1 months", starts="receipt").replace("t\n", "'(['\n", 1),
            r"row 2 \(zwei\): trigger: .*regular expression",
        ),
        (
            ROW.format(key="zwei", period="1 months", starts="notification").replace(
                "    act: a\n", ""
            ),
            r"row 2 \(zwei\): a period from notification needs 'act'",
        ),
        (
            ROW.format(key="zwei", period="1 months", starts="receipt") + "    colour: red\n",
            r"row 2 \(zwei\): colour",
        ),
    ],
)
def test_a_bad_table_names_the_row(tmp_path: Path, bad_row: str, message: str) -> None:
    good = ROW.format(key="eins", period="2 weeks", starts="receipt")
    path = tmp_path / "periods.yaml"
    path.write_text("periods:\n" + good + bad_row, encoding="utf-8")
    with pytest.raises(StatutoryTableError, match=message):
        load_statutory_table(path)


def test_a_file_that_is_no_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "periods.yaml"
    path.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(StatutoryTableError, match="a list 'periods'"):
        load_statutory_table(path)
    path.write_text("periods: [\n", encoding="utf-8")
    with pytest.raises(StatutoryTableError, match="not valid YAML"):
        load_statutory_table(path)
