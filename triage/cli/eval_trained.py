"""``triage eval``: the trained classifier against the classic peer on one split."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from triage.classify.artefact import ArtefactError, load_model
from triage.classify.descriptions import description_rows
from triage.classify.training import OUT_OF_SCOPE_SHARE, TrainingOptions
from triage.cli.labelled import embed_descriptions, embed_with_bar, read_labelled_file
from triage.cli.output import console, fail
from triage.config import Settings
from triage.embedding import Embedder
from triage.evaluation.figures import OUT_OF_SCOPE
from triage.evaluation.report import print_run, write_html_report, write_json
from triage.evaluation.runner import evaluate


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
    out_of_scope_share: Annotated[
        float,
        typer.Option(help="Share of mail expected to fit no case type (see triage train)."),
    ] = OUT_OF_SCOPE_SHARE,
    descriptions: Annotated[
        bool,
        typer.Option(
            help="Let the model learn from the label names in words beside the letters "
            "(the classic peer never does)."
        ),
    ] = True,
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
    try:
        options = TrainingOptions(seed=seed, out_of_scope_share=out_of_scope_share)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    settings = Settings()
    model = None
    if model_dir is not None:
        try:
            model = load_model(model_dir)
        except ArtefactError as exc:
            raise fail(str(exc)) from exc
    test_data = read_labelled_file(test, settings)
    train_set = None if train_data is None else read_labelled_file(train_data, settings)
    if train_set is not None and OUT_OF_SCOPE in train_set.labels:
        raise fail(f"the training data must not contain {OUT_OF_SCOPE} rows")
    embedder = Embedder(model=settings.embedding_model, threads=settings.embedding_threads)
    if model is not None and model.encoder != embedder.model_name:
        raise fail(
            f"the model was trained on vectors of {model.encoder}, but "
            f"TRIAGE_EMBEDDING_MODEL is {embedder.model_name}"
        )
    train_embedded = None if train_set is None else embed_with_bar(embedder, train_set, "training")
    test_embedded = embed_with_bar(embedder, test_data, "test")
    described = None
    if train_set is not None and descriptions:
        described = embed_descriptions(embedder, description_rows(train_set.labels))
    run = evaluate(
        test=test_embedded,
        train=train_embedded,
        model=model,
        encoder=embedder.model_name,
        options=options,
        shots=counts,
        descriptions=described,
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
    app.command("eval")(eval_command)
