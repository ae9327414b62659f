"""``triage evaluate …``: classifier figures for whoever owns the model."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from triage.classify import build_similarity_classifier
from triage.config import Settings
from triage.demo import load_demo_letters
from triage.embedding import Embedder
from triage.evaluation import ClassificationReport, evaluate_vectors
from triage.services import load_taxonomy_setting

console = Console()
evaluate_app = typer.Typer(
    help="Evaluate the classifier on labelled letters.", no_args_is_help=True
)


def _print(title: str, report: ClassificationReport, *, per_class: bool) -> None:
    console.print(f"  {title:13s} {report.summary()}", highlight=False)
    if per_class:
        for key in report.classes:
            figures = report.per_class[key]
            if figures.support:
                console.print(
                    f"      {key:16s} P={figures.precision:.2f} R={figures.recall:.2f} "
                    f"F1={figures.f1:.2f} n={figures.support}",
                    highlight=False,
                )


@evaluate_app.command("loo")
def leave_one_out(
    threshold: Annotated[
        float | None, typer.Option(help="Review threshold (default: TRIAGE_REVIEW_THRESHOLD).")
    ] = None,
    per_class: Annotated[bool, typer.Option("--per-class", help="Figures per case type.")] = False,
) -> None:
    """Zero-shot and leave-one-out accuracy of the similarity classifier on the demo letters.

    Leave-one-out: each letter is classified with the taxonomy plus every other letter as
    an example, the temperature fitted without it. Macro-F1 is the primary metric."""
    settings = Settings()
    cutoff = settings.review_threshold if threshold is None else threshold
    taxonomy = load_taxonomy_setting(settings)
    letters = load_demo_letters()
    labels = [letter.case_type for letter in letters]
    started = time.perf_counter()
    embedder = Embedder(model=settings.embedding_model, threads=settings.embedding_threads)
    classifier = build_similarity_classifier(taxonomy=taxonomy, embedder=embedder)
    vectors = embedder.encode_documents([letter.text for letter in letters])
    console.print(
        f"{len(letters)} demo letters, {len(taxonomy.case_types)} case types, "
        f"model {embedder.model_name}, {classifier.name}, threshold {cutoff:g} "
        f"(encoded in {time.perf_counter() - started:.1f} s)",
        highlight=False,
    )
    result = evaluate_vectors(
        classifier=classifier, vectors=vectors, labels=labels, threshold=cutoff
    )
    _print("zero-shot", result.zero_shot, per_class=per_class)
    _print("leave-one-out", result.leave_one_out, per_class=per_class)


def register(app: typer.Typer) -> None:
    app.add_typer(evaluate_app, name="evaluate")
