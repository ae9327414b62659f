"""``triage train``: fit a tenant's classifier from a labelled file or from feedback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from triage.classify.artefact import ModelRegistry
from triage.classify.descriptions import description_rows
from triage.classify.feedback import RetrainDecision, RetrainResult, retrain_from_feedback
from triage.classify.retrain import build_retrain_lock
from triage.classify.thresholds import DEFAULT_TARGET_PRECISION
from triage.classify.trained import TrainedClassifier
from triage.classify.training import (
    OUT_OF_SCOPE_SHARE,
    TrainingOptions,
    TrainingSet,
    train_classifier,
)
from triage.classify.training import Progress as TrainingProgress
from triage.cli.labelled import embed_descriptions, embed_with_bar, read_labelled_file
from triage.cli.output import console, fail
from triage.config import Settings
from triage.services import build_services
from triage.taxonomy.store import tenant_taxonomy
from triage.tenants import TenantError, require_tenant


@contextmanager
def _training_bar() -> Iterator[TrainingProgress]:
    """A Rich bar that a training ``progress`` callback moves, stage by stage."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("training", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"training: {stage}", completed=done, total=total)

        yield report


def _train_with_bar(
    data: TrainingSet, *, encoder: str, options: TrainingOptions
) -> TrainedClassifier:
    with _training_bar() as report:
        return train_classifier(data, encoder=encoder, options=options, progress=report)


def _summary(model: TrainedClassifier) -> None:
    held = model.card.get("metrics", {}).get("held_out", {})
    training = model.card.get("training", {})
    table = Table(title=f"model {model.version}", show_header=False)
    table.add_row("examples", str(training.get("examples")))
    table.add_row("case-type description rows", str(training.get("description_rows", 0)))
    table.add_row("case types", str(len(model.classes)))
    table.add_row("encoder", model.encoder)
    table.add_row("training time", f"{training.get('seconds')} s")
    for key in ("accuracy", "macro_f1", "ece", "routed_share", "routed_precision"):
        table.add_row(f"held-out {key}", str(held.get(key)))
    finite = [t for t in model.thresholds if t != float("inf")]
    table.add_row(
        "thresholds",
        f"{len(finite)} of {len(model.classes)} case types route automatically "
        f"(median {sorted(finite)[len(finite) // 2]:.2f})"
        if finite
        else "none reach the target",
    )
    console.print(table)


def train(
    data: Annotated[
        Path | None,
        typer.Argument(help="CSV or JSONL with text,label, or a folder per case type."),
    ] = None,
    from_feedback: Annotated[
        bool,
        typer.Option(
            "--from-feedback",
            help="Train on the caseworkers' confirmations and corrections instead of FILE; "
            "the new model replaces the current one only if it is not worse.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="With --from-feedback: install even if it is worse."),
    ] = False,
    tenant: Annotated[
        str | None, typer.Option(help="Tenant (default: TRIAGE_DEFAULT_TENANT).")
    ] = None,
    target_precision: Annotated[
        float, typer.Option(help="Precision the per-class thresholds aim for.")
    ] = DEFAULT_TARGET_PRECISION,
    out_of_scope_share: Annotated[
        float,
        typer.Option(
            help="Share of incoming mail expected to fit no case type; the thresholds keep "
            "the target precision with it (0 to assume none)."
        ),
    ] = OUT_OF_SCOPE_SHARE,
    descriptions: Annotated[
        bool,
        typer.Option(
            help="Learn from the case types' names, descriptions and example sentences "
            "beside the letters (needed for case types without letters in FILE)."
        ),
    ] = True,
) -> None:
    """Train a tenant's classifier and put it in service (the previous version is kept).

    A model that does not know every case type of the tenant cannot serve; the case-type
    descriptions give it each one even when FILE has no letters of it."""
    settings = Settings()
    if (data is None) == (not from_feedback):
        raise fail(
            "give either a CSV/JSONL file or folder of labelled documents, or --from-feedback"
        )
    if force and not from_feedback:
        raise fail("--force only applies to --from-feedback")
    try:
        options = TrainingOptions(
            target_precision=target_precision, out_of_scope_share=out_of_scope_share
        )
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if from_feedback:
        _train_from_feedback(settings, tenant=tenant, options=options, force=force)
        return
    assert data is not None
    labelled = read_labelled_file(data, settings)
    services = build_services(settings)
    try:
        with services.session_factory() as session:
            record = require_tenant(session, name=tenant or settings.default_tenant)
            taxonomy = tenant_taxonomy(
                session, tenant_id=record.id, default=services.classifiers.default_taxonomy
            )
        unknown = sorted(set(labelled.labels) - set(taxonomy.keys))
        if unknown:
            raise fail(
                f"labels not among tenant {record.name}'s case types: {', '.join(unknown)} "
                f"(known: {', '.join(taxonomy.keys)})"
            )
        missing = sorted(set(taxonomy.keys) - set(labelled.labels))
        if missing and not descriptions:
            raise fail(
                f"no letters of {', '.join(missing)}: a model must know every case type of "
                f"tenant {record.name} to serve; drop --no-descriptions"
            )
        embedder = services.embedder()
        training = embed_with_bar(embedder, labelled, "training").training_set()
        if descriptions:
            rows = description_rows(taxonomy.keys, taxonomy=taxonomy)
            training = embed_descriptions(embedder, rows).add_to(training)
        model = _train_with_bar(training, encoder=embedder.model_name, options=options)
        directory = ModelRegistry(settings.models_dir).install(model, tenant=record.name)
    except TenantError as exc:
        raise fail(str(exc)) from exc
    finally:
        services.close()
    _summary(model)
    console.print(f"saved {directory} and put it in service for tenant {record.name}")


def _train_from_feedback(
    settings: Settings, *, tenant: str | None, options: TrainingOptions, force: bool
) -> None:
    services = build_services(settings)
    name = tenant or settings.default_tenant
    try:
        with services.session_factory() as session:
            record = require_tenant(session, name=name)
            taxonomy = tenant_taxonomy(
                session, tenant_id=record.id, default=services.classifiers.default_taxonomy
            )
        lock = build_retrain_lock(settings, services.engine)
        with lock.hold(record.name) as taken:
            if not taken:
                raise fail(f"another process is retraining tenant {record.name} right now")
            embedder = services.embedder()
            with _training_bar() as report:
                result = retrain_from_feedback(
                    session_factory=services.session_factory,
                    tenant_id=record.id,
                    tenant=record.name,
                    taxonomy=taxonomy,
                    embedder=embedder,
                    classifiers=services.classifiers,
                    registry=ModelRegistry(settings.models_dir),
                    min_examples=settings.retrain_min_examples,
                    options=options,
                    force=force,
                    progress=report,
                )
    except TenantError as exc:
        raise fail(str(exc)) from exc
    finally:
        services.close()
    _feedback_summary(result)
    if result.decision == RetrainDecision.NOT_ENOUGH_FEEDBACK:
        raise typer.Exit(1)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _feedback_summary(result: RetrainResult) -> None:
    table = Table(title=f"training from feedback: tenant {result.tenant}", show_header=False)
    table.add_row("labelled examples", str(result.examples))
    if result.skipped_unknown or result.skipped_without_text:
        table.add_row(
            "left out",
            f"{result.skipped_unknown} with a case type no longer in the taxonomy, "
            f"{result.skipped_without_text} without text",
        )
    table.add_row("cold-start rows (case-type descriptions)", str(result.cold_start))
    table.add_row("held out (newest decisions)", str(result.held_out))
    for label, figures in (("candidate", result.candidate), (result.current_model, result.current)):
        if figures is not None:
            table.add_row(
                f"{label}: accuracy / macro-F1",
                f"{_figure(figures.accuracy)} / {_figure(figures.macro_f1)}",
            )
    table.add_row("decision", result.decision.value)
    console.print(table)
    if result.model is not None:
        _summary(result.model)
    if result.decision == RetrainDecision.INSTALLED:
        console.print(
            f"model {result.installed_version} is in service for tenant {result.tenant}: "
            f"{result.reason}"
        )
    elif result.decision == RetrainDecision.KEPT:
        console.print(f"nothing installed: {result.reason}")
    else:
        console.print(f"nothing trained: {result.reason}")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
