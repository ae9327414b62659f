"""``triage eval-llm DATA``: field extraction with and without the LLM, and the injection check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from triage.cli.output import console, fail
from triage.config import Settings
from triage.fields.pseudonymise import Pseudonymiser
from triage.llm import InMemoryMeter, InMemoryResultCache, build_llm_tasks
from triage.llm.eval_data import DatasetError, load_eval_dataset
from triage.llm.evaluation import LlmEvaluationReport, LlmFieldEvaluator, VariantFigures
from triage.services import build_registry, load_taxonomy_setting


def _share(value: float | None) -> str:
    return "    –" if value is None else f"{value:5.3f}"


def _figures(figures: VariantFigures, kind: str | None) -> tuple[float | None, float]:
    if kind is None:
        return figures.micro_precision, figures.micro_recall
    return figures.precision(kind), figures.per_kind[kind].recall


def _row(label: str, report: LlmEvaluationReport, kind: str | None) -> str:
    det = report.deterministic
    scores = list(det.per_kind.values()) if kind is None else [det.per_kind[kind]]
    p, r = _figures(det, kind)
    line = f"{label:26s} {_share(p)} {_share(r)}"
    for other in (report.merged, report.llm_only):
        if other is not None:
            op, orr = _figures(other, kind)
            line += f"   {_share(op)} {_share(orr)}"
    tp = sum(s.true_positives for s in scores)
    found = sum(s.predicted for s in scores)
    true = sum(s.expected for s in scores)
    return f"{line}   {tp:4d}/{found:4d}/{true:4d}"


def print_report(report: LlmEvaluationReport) -> None:
    dataset = report.dataset
    skipped = f", skipped {len(dataset.skipped)} unfilled" if dataset.skipped else ""
    console.print(
        f"{dataset.kind}: {report.documents} of {len(dataset.documents)} documents "
        f"from {dataset.source}{skipped}",
        highlight=False,
    )
    if report.model is None:
        console.print("No LLM configured (TRIAGE_LLM_BACKEND=none): deterministic extractors only.")
    else:
        console.print(f"LLM: {report.model}", highlight=False)
    header = f"{'field':26s} {'P':>5s} {'R':>5s}"
    if report.merged is not None:
        header += f"   {'P+LLM':>5s} {'R+LLM':>5s}   {'P LLM':>5s} {'R LLM':>5s}"
    console.print(f"{header}   tp/found/true (deterministic)", highlight=False)
    for kind in dataset.scored_kinds:
        console.print(_row(kind, report, kind), highlight=False)
    console.print(_row("all (micro)", report, None), highlight=False)
    if report.merged is not None:
        console.print("+LLM: merged with the grounded LLM values; LLM: those values alone.")
    if set(dataset.complete_kinds) != set(dataset.scored_kinds):
        console.print("P –: not measurable (nothing found, or the truth names only some values).")
    if report.values is not None:
        values = report.values
        by_field = ", ".join(f"{k} {v}" for k, v in sorted(values.dropped_by_field.items()))
        console.print(
            f"LLM answers: {values.answered} usable, {values.answers_dropped} dropped "
            f"(invalid after repair), {values.unavailable} unavailable; values proposed "
            f"{values.proposed_values}, dropped as ungrounded {values.dropped_values} "
            f"({values.dropped_share:.1%}){': ' + by_field if by_field else ''}",
            highlight=False,
        )
    cost = report.per_document()
    line = f"per document: deterministic {cost['deterministic_seconds'] * 1000:.1f} ms"
    if report.model is not None:
        line += (
            f"; LLM {cost['llm_calls']:.2f} calls, {cost['llm_seconds']:.1f} s, "
            f"{cost['prompt_tokens']:.0f} prompt + {cost['completion_tokens']:.0f} "
            "completion tokens"
        )
    console.print(line, highlight=False)
    if report.injection is not None:
        figures = report.injection.to_json()
        console.print(
            f"prompt injection: {figures['checked']} letters checked "
            f"({len(figures['excluded'])} excluded); guard found the sentence "
            f"{figures['guard_detected']}×; second opinion followed the injection "
            f"{figures['second_opinion_followed_injection']}× (guard off: "
            f"{figures['unguarded_followed_injection']}×), changed by it "
            f"{figures['second_opinion_changed_by_injection']}× (guard off: "
            f"{figures['unguarded_changed_by_injection']}×); summary names the demanded "
            f"case type {figures['summary_names_demanded_case_type']}×",
            highlight=False,
        )
        for outcome in report.injection.outcomes:
            console.print(
                f"  {outcome.id}: demanded {outcome.demanded}, chosen {outcome.choice} "
                f"(guard off: {outcome.choice_unguarded}), "
                f"without the sentence {outcome.choice_without_injection}"
                f"{' (LLM unavailable)' if outcome.unavailable else ''}",
                highlight=False,
            )
    console.print(f"{report.primary_metric} {report.primary:.3f}", highlight=False)


def eval_llm_command(
    data: Annotated[
        Path,
        typer.Argument(help="Annotated letters (.jsonl) or a folder of filled Munich forms."),
    ],
    limit: Annotated[
        int | None,
        typer.Option(min=0, help="Only the first N documents (0: only the injection check)."),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Also generate a summary per document (cost).")
    ] = False,
    injection_check: Annotated[
        bool,
        typer.Option(help="Check the letters flagged prompt_injection (needs an LLM)."),
    ] = True,
) -> None:
    """Field-level precision and recall of the deterministic extractors alone and merged
    with the configured LLM, the share of ungrounded LLM values dropped, cost per document,
    and whether an injected instruction sways the second opinion or the summary."""
    settings = Settings()
    try:
        dataset = load_eval_dataset(data, registry=build_registry(settings))
    except DatasetError as error:
        raise fail(str(error)) from error
    meter = InMemoryMeter()
    # The pseudonymiser is used only where the settings require it (a remote server).
    tasks = build_llm_tasks(
        settings, cache=InMemoryResultCache(), meter=meter, pseudonymiser=Pseudonymiser()
    )
    evaluator = LlmFieldEvaluator(
        tasks=tasks,
        meter=meter,
        taxonomy=load_taxonomy_setting(settings),
        with_summary=summary,
        progress=lambda message: console.print(message, highlight=False),
    )
    try:
        report = evaluator.evaluate(dataset, limit=limit, injection_check=injection_check)
    finally:
        tasks.backend.close()
    print_report(report)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
        console.print(f"figures written to {json_out}")


def register(app: typer.Typer) -> None:
    app.command("eval-llm")(eval_llm_command)
