"""``triage train`` and ``triage eval``: fit the classifier, and prove what it does."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from triage.classify.artefact import ArtefactError, ModelRegistry, load_model
from triage.classify.datasets import DatasetError, LabelledTexts, read_labelled
from triage.classify.trained import TrainedClassifier
from triage.classify.training import TrainingOptions, train_classifier
from triage.cli.output import console, fail
from triage.config import Settings
from triage.embedding import Embedder
from triage.evaluation.figures import OUT_OF_SCOPE
from triage.evaluation.report import print_run, write_html_report, write_json
from triage.evaluation.runner import EmbeddedTexts, evaluate
from triage.services import build_registry, build_services
from triage.taxonomy.store import tenant_taxonomy
from triage.tenants import TenantError, require_tenant


def _read(path: Path, settings: Settings) -> LabelledTexts:
    try:
        return read_labelled(path, registry=build_registry(settings))
    except DatasetError as exc:
        raise fail(str(exc)) from exc


def _embed(embedder: Embedder, data: LabelledTexts, what: str) -> EmbeddedTexts:
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"embedding {what} ({len(data)} texts)", total=len(data))
        parts = []
        step = 256
        for start in range(0, len(data), step):
            parts.append(embedder.encode_documents(data.texts[start : start + step]))
            bar.advance(task, min(step, len(data) - start))
    vectors = np.concatenate(parts)
    console.print(
        f"embedded {len(data)} {what} texts in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )
    return EmbeddedTexts(data=data, vectors=vectors)


def _train_with_bar(
    embedded: EmbeddedTexts, *, encoder: str, options: TrainingOptions
) -> TrainedClassifier:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("training", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"training: {stage}", completed=done, total=total)

        return train_classifier(
            embedded.training_set(), encoder=encoder, options=options, progress=report
        )


def _summary(model: TrainedClassifier) -> None:
    held = model.card.get("metrics", {}).get("held_out", {})
    training = model.card.get("training", {})
    table = Table(title=f"model {model.version}", show_header=False)
    table.add_row("examples", str(training.get("examples")))
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
    tenant: Annotated[
        str | None, typer.Option(help="Tenant (default: TRIAGE_DEFAULT_TENANT).")
    ] = None,
    target_precision: Annotated[
        float, typer.Option(help="Precision the per-class thresholds aim for.")
    ] = 0.95,
) -> None:
    """Train a tenant's classifier and put it in service (the previous version is kept)."""
    settings = Settings()
    if data is None:
        raise fail("give a CSV/JSONL file or a folder of labelled documents")
    labelled = _read(data, settings)
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
        embedder = services.embedder()
        embedded = _embed(embedder, labelled, "training")
        model = _train_with_bar(
            embedded,
            encoder=embedder.model_name,
            options=TrainingOptions(target_precision=target_precision),
        )
        directory = ModelRegistry(settings.models_dir).install(model, tenant=record.name)
    except TenantError as exc:
        raise fail(str(exc)) from exc
    finally:
        services.close()
    _summary(model)
    console.print(f"saved {directory} and put it in service for tenant {record.name}")


def eval_command(
    test: Annotated[Path, typer.Argument(help="Test CSV/JSONL (text,label) or folder.")],
    train_data: Annotated[
        Path | None, typer.Option("--train", help="Training CSV/JSONL or folder.")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option("--model", help="A trained model folder instead of --train.")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML report with plots here.")
    ] = None,
    shots: Annotated[
        str, typer.Option(help="Few-shot curve: examples per class, e.g. 1,4,8,16.")
    ] = "",
    seed: Annotated[int, typer.Option(help="Seed for folds and few-shot samples.")] = 0,
    per_class: Annotated[bool, typer.Option("--per-class", help="Figures per class.")] = False,
) -> None:
    """Evaluate the classifier and the classic TF-IDF peer on the same split.

    Test rows labelled __out_of_scope__ belong to no class: they should go to review."""
    if (train_data is None) == (model_dir is None):
        raise fail("give either --train TRAIN or --model MODEL_DIR")
    try:
        counts = [int(s) for s in shots.split(",") if s.strip()]
    except ValueError as exc:
        raise fail(f"--shots takes whole numbers separated by commas, not {shots!r}") from exc
    if any(c < 1 for c in counts):
        raise fail("--shots must be positive")
    settings = Settings()
    model = None
    if model_dir is not None:
        try:
            model = load_model(model_dir)
        except ArtefactError as exc:
            raise fail(str(exc)) from exc
    test_data = _read(test, settings)
    train_set = None if train_data is None else _read(train_data, settings)
    if train_set is not None and OUT_OF_SCOPE in train_set.labels:
        raise fail(f"the training data must not contain {OUT_OF_SCOPE} rows")
    embedder = Embedder(model=settings.embedding_model, threads=settings.embedding_threads)
    if model is not None and model.encoder != embedder.model_name:
        raise fail(
            f"the model was trained on vectors of {model.encoder}, but "
            f"TRIAGE_EMBEDDING_MODEL is {embedder.model_name}"
        )
    train_embedded = None if train_set is None else _embed(embedder, train_set, "training")
    test_embedded = _embed(embedder, test_data, "test")
    run = evaluate(
        test=test_embedded,
        train=train_embedded,
        model=model,
        encoder=embedder.model_name,
        options=TrainingOptions(seed=seed),
        shots=counts,
        progress=lambda message: console.print(message, highlight=False),
    )
    print_run(run, console=console, per_class=per_class)
    if json_out is not None:
        write_json(run, json_out)
        console.print(f"figures written to {json_out}")
    if report_dir is not None:
        index = write_html_report(run, report_dir)
        console.print(f"report written to {index}")


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("eval")(eval_command)
