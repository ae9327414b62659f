"""``triage eval-second-opinion TEST --train TRAIN``: the classifier with and without the
LLM's second opinion on the same sampled test rows (``triage.llm.second_opinion_eval``)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from triage.classify.datasets import LabelledTexts
from triage.classify.descriptions import description_rows, label_words
from triage.classify.training import TrainingOptions, train_classifier
from triage.cli.labelled import embed_descriptions, embed_with_bar, read_labelled_file
from triage.cli.output import console, err, fail
from triage.config import Settings
from triage.embedding import Embedder
from triage.evaluation.figures import DEFAULT_TARGET_PRECISION, OUT_OF_SCOPE
from triage.fields.pseudonymise import Pseudonymiser
from triage.llm import InMemoryMeter, InMemoryResultCache, LlmTasks, LlmUnavailable, build_llm_tasks
from triage.llm.second_opinion_eval import (
    SecondOpinionEvaluator,
    SecondOpinionReport,
    grey_zone_mask,
    top1_confidences,
    top_classes,
)

TENANT = "eval"  # the metering label of the second-opinion calls


def sample_rows(data: LabelledTexts, *, limit: int, seed: int) -> LabelledTexts:
    """Up to ``limit`` rows drawn without replacement, in file order: drawn before
    embedding, since embedding long letters costs minutes on a small machine."""
    rng = np.random.default_rng(seed)
    take = min(limit, len(data))
    rows = sorted(int(i) for i in rng.choice(len(data), size=take, replace=False))
    return LabelledTexts(
        texts=[data.texts[i] for i in rows],
        labels=[data.labels[i] for i in rows],
        references=[data.references[i] for i in rows],
        source=data.source,
    )


def ask(
    tasks: LlmTasks, *, texts: list[str], candidates: dict[int, list[str]], max_chars: int
) -> tuple[dict[int, str | None], dict[int, str | None]]:
    """The LLM's choice per asked row (None: abstained or dropped) and the reason why not."""
    answers: dict[int, str | None] = {}
    reasons: dict[int, str | None] = {}
    if not candidates:
        return answers, reasons
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("second opinions", total=len(candidates))
        for row, keys in candidates.items():
            listed = [(key, label_words(key), label_words(key)) for key in keys]
            result = tasks.second_opinion(
                tenant=TENANT, text=texts[row][:max_chars], candidates=listed
            )
            answers[row], reasons[row] = result.value, result.dropped_reason
            bar.advance(task)
    return answers, reasons


def _num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def print_report(report: SecondOpinionReport, *, model: str, usage: dict[str, Any]) -> None:
    grey = report.in_grey_zone
    low, high = report.grey_zone
    console.print(
        f"LLM: {model}; {report.n} test rows, {grey.rows} in the grey zone [{low:g}, {high:g}), "
        f"{grey.asked} asked, {grey.answered} answered, {grey.abstained} abstained or dropped",
        highlight=False,
    )
    console.print(
        f"grey zone: classifier accuracy {_num(grey.classifier_accuracy)}; on the "
        f"{grey.answered} answered rows classifier {_num(grey.classifier_accuracy_answered)}, "
        f"LLM {_num(grey.llm_accuracy_answered)}; agreement {_num(grey.agreement)} "
        f"(accuracy when agreeing {_num(grey.accuracy_when_agreeing)}); of {grey.disagreed} "
        f"disagreements the classifier was right {grey.classifier_right_when_disagreeing}×, "
        f"the LLM {grey.llm_right_when_disagreeing}×",
        highlight=False,
    )
    table = Table(title="second opinion")
    for column in ("rule", "accuracy", "coverage", "routed precision", "labels changed"):
        table.add_column(column, justify="left" if column == "rule" else "right")
    table.add_column("routed added", justify="right")
    table.add_column("fixed / broken (p)", justify="right")
    table.add_column("verdict")
    for rule in report.rules.values():
        table.add_row(
            Text(rule.name),
            _num(rule.accuracy),
            _num(rule.coverage),
            _num(rule.routed_precision),
            str(rule.labels_changed),
            str(rule.routed_added),
            f"{rule.fixed} / {rule.broken} ({rule.accuracy_p_value:.2g})",
            rule.gain,
        )
    console.print(table)
    console.print(
        f"verdict against the classifier's routed precision {report.precision_floor:.3f}; "
        f"adopt: {report.adopted or 'none'}; {report.primary_metric} {report.primary:.3f}",
        highlight=False,
    )
    console.print(
        f"LLM cost: {usage['calls']} calls ({usage['failed_calls']} failed), "
        f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion tokens, "
        f"{usage['seconds']:.1f} s",
        highlight=False,
    )


def eval_second_opinion_command(
    test: Annotated[Path, typer.Argument(help="Test CSV/JSONL (text,label) or folder.")],
    train_data: Annotated[Path, typer.Option("--train", help="Training CSV/JSONL or folder.")],
    limit: Annotated[
        int, typer.Option(min=1, help="Test rows sampled (seeded) before embedding.")
    ] = 200,
    top_k: Annotated[
        int, typer.Option("--top-k", min=2, help="Case types the LLM chooses among.")
    ] = 3,
    seed: Annotated[int, typer.Option(help="Seed for the sample and the training folds.")] = 0,
    max_chars: Annotated[
        int, typer.Option(min=1, help="Characters of each letter sent to the LLM.")
    ] = 2000,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
) -> None:
    """Accuracy and auto-route coverage of the classifier alone and combined with the LLM's
    second opinion in the grey zone (TRIAGE_LLM_GREY_ZONE) on the same sampled test rows.

    Test rows labelled __out_of_scope__ belong to no class and are never correct."""
    settings = Settings()
    if settings.effective_llm_backend == "none":
        raise fail(
            "no LLM configured (TRIAGE_LLM_BACKEND=none): set TRIAGE_LLM_URL and "
            "TRIAGE_LLM_MODEL for a server, or TRIAGE_LLM_MODEL for a local model"
        )
    train_set = read_labelled_file(train_data, settings)
    if OUT_OF_SCOPE in train_set.labels:
        raise fail(f"the training data must not contain {OUT_OF_SCOPE} rows")
    sample = sample_rows(read_labelled_file(test, settings), limit=limit, seed=seed)
    embedder = Embedder(model=settings.embedding_model, threads=settings.embedding_threads)
    train_embedded = embed_with_bar(embedder, train_set, "training")
    test_embedded = embed_with_bar(embedder, sample, "test")
    described = embed_descriptions(embedder, description_rows(train_set.labels))
    console.print(f"training on {len(train_set)} examples", highlight=False)
    model = train_classifier(
        described.add_to(train_embedded.training_set()),
        encoder=embedder.model_name,
        options=TrainingOptions(seed=seed),
    )
    probabilities = model.probabilities(test_embedded.vectors, sample.texts)
    routed = model.auto_routed(test_embedded.vectors, probabilities)
    grey = grey_zone_mask(probabilities, settings.llm_grey_zone)
    candidates = {
        int(row): top_classes(probabilities, model.classes, row=int(row), k=top_k)
        for row in np.flatnonzero(grey)
    }

    if not candidates:
        low, high = settings.llm_grey_zone
        console.print(f"no test row in the grey zone [{low:g}, {high:g}): nothing to ask")
    meter = InMemoryMeter()
    # The pseudonymiser is used only where the settings require it (a remote server).
    tasks = build_llm_tasks(
        settings, cache=InMemoryResultCache(), meter=meter, pseudonymiser=Pseudonymiser()
    )
    try:
        answers, reasons = ask(
            tasks, texts=sample.texts, candidates=candidates, max_chars=max_chars
        )
    except LlmUnavailable as error:
        err.print(f"[red]error:[/red] the LLM is unavailable: {error}", highlight=False)
        raise typer.Exit(1) from error
    finally:
        tasks.backend.close()

    target = float(model.card.get("target_precision", DEFAULT_TARGET_PRECISION))
    evaluator = SecondOpinionEvaluator(
        classes=model.classes, grey_zone=settings.llm_grey_zone, target_precision=target
    )
    report = evaluator.evaluate(
        labels=sample.labels, probabilities=probabilities, routed=routed, answers=answers
    )
    used = meter.usage(TENANT)
    usage = {
        "calls": used.calls,
        "failed_calls": used.failed_calls,
        "prompt_tokens": used.prompt_tokens,
        "completion_tokens": used.completion_tokens,
        "seconds": round(used.seconds, 3),
    }
    print_report(report, model=tasks.backend.model_name, usage=usage)
    if json_out is None:
        return
    confidences = top1_confidences(probabilities)
    figures = {
        **report.to_json(),
        "llm_usage": usage,
        "not_answered": dict(Counter(r for r in reasons.values() if r is not None)),
        "settings": {
            "train": train_set.source,
            "test": sample.source,
            "test_rows_sampled": len(sample),
            "limit": limit,
            "seed": seed,
            "top_k": top_k,
            "max_chars": max_chars,
            "grey_zone": list(settings.llm_grey_zone),
            "llm_model": tasks.backend.model_name,
            "encoder": model.encoder,
            "classes": len(model.classes),
            "target_precision": target,
            "description_rows": len(described),
        },
        # Per sampled row, no letter text: enough to recompute every figure above.
        "rows": [
            {
                "reference": sample.references[row],
                "label": sample.labels[row],
                "top1": top_classes(probabilities, model.classes, row=row, k=1)[0],
                "confidence": round(float(confidences[row]), 6),
                "routed": bool(routed[row]),
                "grey_zone": bool(grey[row]),
                "candidates": candidates.get(row),
                "answer": answers.get(row),
                "not_answered": reasons.get(row),
            }
            for row in range(len(sample))
        ],
    }
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    console.print(f"figures written to {json_out}")


def register(app: typer.Typer) -> None:
    app.command("eval-second-opinion")(eval_second_opinion_command)
