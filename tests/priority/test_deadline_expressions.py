"""German deadline expressions resolved against a fixed reference date (Wed 12.03.2025)."""

from __future__ import annotations

import datetime as dt

import pytest

from triage.fields.dates import find_deadline_expressions, find_deadlines
from triage.priority.resolve import DeadlineKind

REFERENCE = dt.date(2025, 3, 12)  # a Wednesday
A = DeadlineKind.ABSOLUTE
W = DeadlineKind.WEEKDAY
R = DeadlineKind.RELATIVE
M = DeadlineKind.MONTH_END


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


CASES = [
    # absolute, with and without a year
    ("Bitte zahlen Sie bis zum 15.03.2025.", "bis zum 15.03.2025", "2025-03-15", A),
    ("Bitte zahlen Sie bis zum 15.03.25.", "bis zum 15.03.25", "2025-03-15", A),
    ("Bitte antworten Sie bis zum 15.03.", "bis zum 15.03.", "2025-03-15", A),
    ("Bitte antworten Sie bis zum 15.3.", "bis zum 15.3.", "2025-03-15", A),
    ("Reichen Sie die Unterlagen bis zum 15. März ein.", "bis zum 15. März", "2025-03-15", A),
    ("Die Antwort erwarte ich spätestens am 2. April.", "spätestens am 2. April", "2025-04-02", A),
    ("Zahlung bis spätestens 1. Sept. erbeten.", "bis spätestens 1. Sept.", "2025-09-01", A),
    ("Bitte melden Sie sich bis 2025-04-30.", "bis 2025-04-30", "2025-04-30", A),
    # a date at most 60 days past is overdue; an older one is next year's
    ("Die Unterlagen bitte bis zum 10.03. einreichen.", "bis zum 10.03.", "2025-03-10", A),
    ("Bitte bis zum 05.01. zurücksenden.", "bis zum 05.01.", "2026-01-05", A),
    ("Bitte zahlen Sie bis zum 20. Februar.", "bis zum 20. Februar", "2025-02-20", A),
    ("Bitte zahlen Sie bis zum 3. Jänner.", "bis zum 3. Jänner", "2026-01-03", A),
    (
        "Bitte zahlen Sie bis Freitag, den 14.03.2025.",
        "bis Freitag, den 14.03.2025",
        "2025-03-14",
        A,
    ),
    # the written date wins over a weekday that does not fit it (15.03.2025 is a Saturday)
    ("Bitte bis Freitag, den 15.03. zahlen.", "bis Freitag, den 15.03.", "2025-03-15", A),
    ("Die Rate ist am 20.03.2025 fällig.", "am 20.03.2025 fällig", "2025-03-20", A),
    ("Der Betrag ist fällig am 01.04.", "fällig am 01.04.", "2025-04-01", A),
    # weekdays: on or after the reference; "nächster Woche" is the week after
    ("Bitte melden Sie sich bis spätestens Freitag.", "bis spätestens Freitag", "2025-03-14", W),
    ("Die Antwort erbitte ich spätestens Montag.", "spätestens Montag", "2025-03-17", W),
    ("Bitte melden Sie sich bis Freitag, 12 Uhr.", "bis Freitag", "2025-03-14", W),
    ("Bitte rufen Sie mich bis Mittwoch zurück.", "bis Mittwoch", "2025-03-12", W),
    ("Bitte entscheiden Sie bis Dienstag.", "bis Dienstag", "2025-03-18", W),
    (
        "Bitte senden Sie die Unterlagen bis Freitag nächster Woche.",
        "bis Freitag nächster Woche",
        "2025-03-21",
        W,
    ),
    (
        "Bitte antworten Sie bis Dienstag kommender Woche.",
        "bis Dienstag kommender Woche",
        "2025-03-18",
        W,
    ),
    ("Bitte zahlen Sie bis zum kommenden Montag.", "bis zum kommenden Montag", "2025-03-17", W),
    ("Bitte geben Sie mir bis Ende der Woche Bescheid.", "bis Ende der Woche", "2025-03-14", W),
    ("Bitte melden Sie sich bis Ende nächster Woche.", "bis Ende nächster Woche", "2025-03-21", W),
    # periods from the reference (§§ 187, 188 BGB), moved off weekends and holidays
    ("Bitte äußern Sie sich innerhalb eines Monats.", "innerhalb eines Monats", "2025-04-14", R),
    (
        "Widersprechen Sie binnen zwei Wochen nach Zugang.",
        "binnen zwei Wochen nach Zugang",
        "2025-03-26",
        R,
    ),
    ("Bitte zahlen Sie innerhalb von 14 Tagen.", "innerhalb von 14 Tagen", "2025-03-26", R),
    ("Bitte antworten Sie in drei Werktagen.", "in drei Werktagen", "2025-03-17", R),
    (
        "Bitte zahlen Sie innerhalb von 5 Arbeitstagen.",
        "innerhalb von 5 Arbeitstagen",
        "2025-03-19",
        R,
    ),
    ("Wir setzen Ihnen eine Frist von zehn Tagen.", "Frist von zehn Tagen", "2025-03-24", R),
    (
        "Bitte antworten Sie binnen einer Woche nach Erhalt dieses Schreibens.",
        "binnen einer Woche nach Erhalt dieses Schreibens",
        "2025-03-19",
        R,
    ),
    ("Bitte zahlen Sie innerhalb von drei Monaten.", "innerhalb von drei Monaten", "2025-06-12", R),
    # month ends: not moved, the writer named that day
    ("Bitte reichen Sie den Nachweis bis Ende März ein.", "bis Ende März", "2025-03-31", M),
    ("Die Zahlung erfolgt bitte bis Monatsende.", "bis Monatsende", "2025-03-31", M),
    ("Bitte zahlen Sie bis Ende nächsten Monats.", "bis Ende nächsten Monats", "2025-04-30", M),
    ("Bitte zahlen Sie bis Ende Februar.", "bis Ende Februar", "2025-02-28", M),
    ("Bitte zahlen Sie bis Ende Februar 2028.", "bis Ende Februar 2028", "2028-02-29", M),
    (
        "Den Antrag stellen Sie spätestens zum Jahresende.",
        "spätestens zum Jahresende",
        "2025-12-31",
        M,
    ),
]


@pytest.mark.parametrize(("text", "phrase", "due", "kind"), CASES)
def test_expression_resolves_against_the_reference(
    text: str, phrase: str, due: str, kind: DeadlineKind
) -> None:
    (found,) = find_deadline_expressions(text, reference_date=REFERENCE, land="BY")
    assert (found.text, found.due, found.kind) == (phrase, day(due), kind)
    assert text[found.start : found.end] == phrase
    assert found.basis


# Phrases with a start the letter does not give: the phrase is found, the due date is not.
UNRESOLVED = [
    ("Sie können innerhalb eines Monats nach Bekanntgabe Widerspruch erheben.", R),
    ("Bitte zahlen Sie innerhalb von 14 Tagen nach Erhalt der Rechnung.", R),
    ("Der Betrag ist innerhalb von zwei Wochen ab Datum des Bescheids zu zahlen.", R),
]


@pytest.mark.parametrize(("text", "kind"), UNRESOLVED)
def test_a_period_from_an_unknown_day_has_no_due_date(text: str, kind: DeadlineKind) -> None:
    (found,) = find_deadline_expressions(text, reference_date=REFERENCE, land="BY")
    assert found.kind == kind and found.due is None


# Impossible and ambiguous expressions: no deadline at all, and no crash.
NO_DEADLINE = [
    "Bitte antworten Sie bis zum 31.02.",
    "Bitte antworten Sie bis zum 29.02.",  # neither 2025 nor 2026 is a leap year
    "Bitte zahlen Sie bis zum 31.04.2025.",
    "Bitte zahlen Sie bis 13.13.2025.",
    "Bitte zahlen Sie bis zum 32.01.",
    "Bitte zahlen Sie bis zum 12.13.",
    "Bitte antworten Sie bis demnächst.",
    "Bitte bearbeiten Sie das zeitnah.",
    "Bitte melden Sie sich bald.",
    "Bitte umgehend zahlen.",
    "Bitte antworten Sie so schnell wie möglich.",
    "Die Zahlung ist bis auf Weiteres ausgesetzt.",
    "Bitte bis Ende zahlen.",
    "Bitte antworten Sie in einigen Tagen.",
    "In 14 Tagen bin ich im Urlaub.",
    "Sprechzeiten: Montag bis Freitag 8 bis 12 Uhr, bitte vorher anrufen.",
    "Ich bin bis Freitag verreist.",
    "Bitte prüfen Sie den Zeitraum vom 01.03. bis 31.03.",
    "Mein Wohngeld ist bis Ende März bewilligt.",
    "Bitte melden Sie sich bis Mitte März.",
    "",
]


@pytest.mark.parametrize("text", NO_DEADLINE)
def test_impossible_and_ambiguous_expressions_give_no_deadline(text: str) -> None:
    assert find_deadline_expressions(text, reference_date=REFERENCE, land="BY") == []


def test_without_reference_only_dates_with_a_year_are_due() -> None:
    text = (
        "Bitte zahlen Sie bis zum 15.03. Antworten Sie bis spätestens Freitag. "
        "Bitte bis Ende März 2026 melden. Bitte antworten Sie innerhalb von 14 Tagen."
    )
    found = find_deadline_expressions(text)
    assert [(f.text, f.due) for f in found] == [
        ("bis zum 15.03.", None),
        ("bis spätestens Freitag", None),
        ("bis Ende März 2026", dt.date(2026, 3, 31)),
        ("innerhalb von 14 Tagen", None),
    ]


def test_the_land_decides_which_holidays_move_a_period() -> None:
    # received Thu 05.06.2025: two weeks end on Thu 19.06.2025, Fronleichnam in Bavaria
    text = "Bitte antworten Sie innerhalb von zwei Wochen."
    received = dt.date(2025, 6, 5)
    (bavaria,) = find_deadlines(text, reference_date=received, land="BY")
    (berlin,) = find_deadlines(text, reference_date=received, land="BE")
    assert bavaria.due == dt.date(2025, 6, 20)
    assert berlin.due == dt.date(2025, 6, 19)


def test_several_deadlines_in_one_letter_keep_their_order_and_sentences() -> None:
    text = (
        "Bitte senden Sie uns den Nachweis bis spätestens Freitag. Die Gebühr zahlen Sie "
        "bitte bis Ende März. Gegen den Bescheid können Sie innerhalb eines Monats "
        "Widerspruch erheben."
    )
    found = find_deadline_expressions(text, reference_date=REFERENCE, land="BY")
    assert [(f.kind, f.due) for f in found] == [
        (W, dt.date(2025, 3, 14)),
        (M, dt.date(2025, 3, 31)),
        (R, dt.date(2025, 4, 14)),
    ]
    assert found[1].sentence == "Die Gebühr zahlen Sie bitte bis Ende März."
