"""Field-level precision/recall and pseudonymisation recall."""

from __future__ import annotations

from triage.fields.annotated import AnnotatedLetter
from triage.fields.evaluate import field_scores, pseudonymisation_recall
from triage.fields.extract import extract_fields
from triage.fields.pseudonymise import PersonalDataKind, PersonalSpan
from triage.fields.schema import LlmAmount, LlmDeadline, LlmFields


def test_field_scores_compare_normalised_values() -> None:
    truth = LlmFields(
        sender_name="Jürgen Weiß",
        dates=["2025-03-15", "2025-03-01"],
        deadlines=[LlmDeadline(text="bis zum 15. März 2025", date="2025-03-15")],
        amounts=[LlmAmount(value="1.234,56")],
        ibans=["DE72936044503276503845"],
        phones=["089 1234567"],
    )
    guess = LlmFields(
        sender_name="Juergen Weiss",
        dates=["15.03.2025", "2025-03-15", "2024-01-01"],  # a duplicate counts once
        deadlines=[LlmDeadline(text="15.03.2025", date="2025-03-15")],
        amounts=[LlmAmount(value="1234.56")],
        ibans=["DE72 9360 4450 3276 5038 45"],
        phones=["+49 89 1234567"],
        emails=["x@example.de"],
    )
    report = field_scores(predicted=[guess], expected=[truth])
    dates = report.per_kind["dates"]
    assert (dates.true_positives, dates.predicted, dates.expected) == (1, 2, 2)
    for kind in ("sender_name", "deadlines", "amounts", "ibans", "phones"):
        assert report.per_kind[kind].f1 == 1.0, kind
    assert report.per_kind["emails"].precision == 0.0
    assert report.overall.true_positives == 6 and report.overall.predicted == 8
    assert report.primary == report.overall.f1


def test_pseudonymisation_recall_counts_whole_spans_only() -> None:
    spans = [
        PersonalSpan(PersonalDataKind.NAME, 0, 12, "Anna Schmidt"),
        PersonalSpan(PersonalDataKind.EMAIL, 20, 30, "a@b.de    "),
    ]
    report = pseudonymisation_recall(annotated=[spans], replaced=[[(0, 5), (5, 12), (20, 25)]])
    assert (report.replaced, report.spans) == (1, 2)
    assert report.recall == 0.5 == report.primary
    assert report.per_kind == {"name": (1, 1), "email": (0, 1)}


def test_patterns_on_the_annotated_letters_are_precise(
    annotated_letters: list[AnnotatedLetter],
) -> None:
    report = field_scores(
        predicted=[extract_fields(letter.text).to_llm_fields() for letter in annotated_letters],
        expected=[letter.fields for letter in annotated_letters],
    )
    for kind, score in report.per_kind.items():
        assert score.precision >= 0.95, kind
