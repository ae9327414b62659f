"""Field extraction with and without the LLM, measured on documents with known fields.

For every document the deterministic extractors run first; with an LLM configured its
answer is grounded in the text (ungrounded values dropped and counted) and merged into the
patterns' result the way the service does it (``merge_fields``: patterns win, the LLM only
fills gaps). Both variants, and the grounded LLM values alone, are scored per field kind
with ``field_scores``, restricted to the kinds the dataset annotates; precision counts only
for kinds annotated completely.

The primary metric is the micro-F1 of the best variant measured (merged when an LLM ran)
on a fully annotated dataset, and micro-recall where the ground truth is a named subset
(the Munich forms), since there precision covers only some kinds.

Cost per document comes from metering: LLM calls, prompt and completion tokens and
seconds of the fields task (and of the summary task when asked for), each divided by the
number of documents; the injection check is metered apart and not included.

No reference date is given: the annotations leave relative deadlines ("innerhalb von zwei
Wochen") undated, as the extractors do without one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from triage.fields.evaluate import FieldScore, field_scores
from triage.fields.extract import extract_fields
from triage.fields.grounding import ground_llm_fields, merge_fields
from triage.fields.schema import DocumentFields, LlmFields
from triage.llm.backends import LlmUnavailable
from triage.llm.eval_data import EvalDataset, EvalDocument
from triage.llm.injection_check import INJECTION_TENANT, InjectionReport, check_injections
from triage.llm.metering import InMemoryMeter, TenantUsage
from triage.llm.tasks import LlmTasks
from triage.taxonomy.model import Taxonomy

# Metering labels: each task is metered under its own name, so its cost is its own.
FIELDS_TENANT = "eval-fields"
SUMMARY_TENANT = "eval-summary"


@dataclass(frozen=True)
class VariantFigures:
    """Field scores of one variant (deterministic alone, or merged with the LLM)."""

    per_kind: dict[str, FieldScore]
    complete_kinds: tuple[str, ...]

    def precision(self, kind: str) -> float | None:
        """None where it cannot be measured: the kind is annotated only in part, or
        nothing was predicted."""
        score = self.per_kind[kind]
        if kind not in self.complete_kinds or not score.predicted:
            return None
        return score.precision

    @property
    def micro_recall(self) -> float:
        found = sum(s.true_positives for s in self.per_kind.values())
        expected = sum(s.expected for s in self.per_kind.values())
        return found / expected if expected else 0.0

    @property
    def micro_precision(self) -> float | None:
        scores = [self.per_kind[k] for k in self.complete_kinds if k in self.per_kind]
        predicted = sum(s.predicted for s in scores)
        return sum(s.true_positives for s in scores) / predicted if predicted else None

    @property
    def micro_f1(self) -> float | None:
        p, r = self.micro_precision, self.micro_recall
        if p is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "per_kind": {
                kind: {
                    "true_positives": s.true_positives,
                    "predicted": s.predicted,
                    "expected": s.expected,
                    "precision": self.precision(kind),
                    "recall": s.recall,
                }
                for kind, s in self.per_kind.items()
            },
            "micro": {
                "precision": self.micro_precision,
                "recall": self.micro_recall,
                "f1": self.micro_f1,
            },
        }


@dataclass
class LlmValueCounts:
    """What became of the LLM's answers and of the values in them."""

    answered: int = 0
    answers_dropped: int = 0  # no schema-valid answer after one repair
    unavailable: int = 0  # the backend gave no answer (down, timeout)
    proposed_values: int = 0
    dropped_values: int = 0
    dropped_by_field: dict[str, int] = field(default_factory=dict)

    @property
    def dropped_share(self) -> float:
        return self.dropped_values / self.proposed_values if self.proposed_values else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "answered": self.answered,
            "answers_dropped": self.answers_dropped,
            "unavailable": self.unavailable,
            "proposed_values": self.proposed_values,
            "dropped_values": self.dropped_values,
            "dropped_share": self.dropped_share,
            "dropped_by_field": dict(sorted(self.dropped_by_field.items())),
        }


@dataclass(frozen=True)
class LlmEvaluationReport:
    dataset: EvalDataset
    documents: int
    model: str | None  # None: deterministic extractors only
    deterministic: VariantFigures
    merged: VariantFigures | None
    llm_only: VariantFigures | None  # the grounded LLM values alone: the model's own share
    values: LlmValueCounts | None
    deterministic_seconds: float
    usage: dict[str, TenantUsage]  # by metering label
    injection: InjectionReport | None

    @property
    def primary_metric(self) -> str:
        complete = set(self.dataset.complete_kinds) == set(self.dataset.scored_kinds)
        return "micro_f1" if complete else "micro_recall"

    @property
    def primary(self) -> float:
        best = self.merged or self.deterministic
        value = best.micro_f1 if self.primary_metric == "micro_f1" else best.micro_recall
        return value or 0.0

    def per_document(self) -> dict[str, float]:
        n = max(self.documents, 1)
        used = [u for label, u in self.usage.items() if label != INJECTION_TENANT]
        return {
            "deterministic_seconds": self.deterministic_seconds / n,
            "llm_calls": sum(u.calls for u in used) / n,
            "llm_seconds": sum(u.seconds for u in used) / n,
            "prompt_tokens": sum(u.prompt_tokens for u in used) / n,
            "completion_tokens": sum(u.completion_tokens for u in used) / n,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": {
                "kind": self.dataset.kind,
                "source": self.dataset.source,
                "documents": self.documents,
                "scored_kinds": list(self.dataset.scored_kinds),
                "complete_kinds": list(self.dataset.complete_kinds),
                "skipped": list(self.dataset.skipped),
            },
            "model": self.model,
            "primary_metric": self.primary_metric,
            "primary": self.primary,
            "deterministic": self.deterministic.to_json(),
            "merged": None if self.merged is None else self.merged.to_json(),
            "llm_only": None if self.llm_only is None else self.llm_only.to_json(),
            "llm_values": None if self.values is None else self.values.to_json(),
            "per_document": self.per_document(),
            "usage": {
                label: {
                    "calls": u.calls,
                    "failed_calls": u.failed_calls,
                    "prompt_tokens": u.prompt_tokens,
                    "completion_tokens": u.completion_tokens,
                    "seconds": u.seconds,
                }
                for label, u in sorted(self.usage.items())
            },
            "injection": None if self.injection is None else self.injection.to_json(),
        }


def proposed_count(fields: LlmFields) -> int:
    """Values in an LLM answer as grounding sees them (a deadline's date is one more)."""
    scalars = [fields.sender_name, fields.sender_street, fields.sender_postal_code_city]
    scalars.append(fields.requested_action)
    listed = len(fields.references) + len(fields.dates) + len(fields.deadlines)
    listed += len(fields.amounts) + len(fields.ibans) + len(fields.phones) + len(fields.emails)
    dated = sum(d.date is not None for d in fields.deadlines)
    return sum(bool(v and v.strip()) for v in scalars) + listed + dated


class LlmFieldEvaluator:
    """Scores the deterministic extractors and, given LLM tasks, the merged result."""

    def __init__(
        self,
        *,
        tasks: LlmTasks | None,
        meter: InMemoryMeter,
        taxonomy: Taxonomy,
        with_summary: bool = False,
        progress: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.tasks = tasks if tasks is not None and tasks.enabled else None
        self.meter = meter
        self.taxonomy = taxonomy
        self.with_summary = with_summary
        self.progress = progress

    def evaluate(
        self, dataset: EvalDataset, *, limit: int | None = None, injection_check: bool = True
    ) -> LlmEvaluationReport:
        """`limit` takes the first documents; the injection check covers every flagged
        letter of the dataset (there are few, and the check needs them all)."""
        documents = dataset.documents[:limit] if limit is not None else dataset.documents
        deterministic: list[LlmFields] = []
        merged: list[LlmFields] = []
        llm_only: list[LlmFields] = []
        counts = LlmValueCounts() if self.tasks is not None else None
        seconds = 0.0
        for number, document in enumerate(documents, start=1):
            started = time.perf_counter()
            patterned = extract_fields(document.text)
            seconds += time.perf_counter() - started
            deterministic.append(patterned.to_llm_fields())
            if self.tasks is not None and counts is not None:
                self.progress(f"[{number}/{len(documents)}] {document.id}")
                grounded = self._with_llm(self.tasks, document, counts)
                llm_only.append(grounded.to_llm_fields())
                merged.append(merge_fields(patterned, grounded).to_llm_fields())
        expected = [document.expected for document in documents]
        injection = None
        if self.tasks is not None and injection_check:
            flagged = [(d.id, d.text, d.topic) for d in dataset.documents if d.prompt_injection]
            if flagged:
                self.progress(f"prompt-injection check on {len(flagged)} letters")
                injection = check_injections(
                    tasks=self.tasks, taxonomy=self.taxonomy, letters=flagged
                )
        return LlmEvaluationReport(
            dataset=dataset,
            documents=len(documents),
            model=None if self.tasks is None else self.tasks.backend.model_name,
            deterministic=self._figures(dataset, deterministic, expected),
            merged=None if self.tasks is None else self._figures(dataset, merged, expected),
            llm_only=None if self.tasks is None else self._figures(dataset, llm_only, expected),
            values=counts,
            deterministic_seconds=seconds,
            usage={label: self.meter.usage(label) for label in self.meter.tenants()},
            injection=injection,
        )

    def _with_llm(
        self, tasks: LlmTasks, document: EvalDocument, counts: LlmValueCounts
    ) -> DocumentFields:
        """The LLM's grounded fields for one document (none when it gave none)."""
        if self.with_summary:
            try:
                tasks.summary(tenant=SUMMARY_TENANT, text=document.text)
            except LlmUnavailable as error:
                self.progress(f"  summary: LLM unavailable: {error}")
        try:
            result = tasks.fields(tenant=FIELDS_TENANT, text=document.text, schema=LlmFields)
        except LlmUnavailable as error:
            self.progress(f"  fields: LLM unavailable: {error}")
            counts.unavailable += 1
            return DocumentFields()
        if result.value is None:
            counts.answers_dropped += 1
            return DocumentFields()
        counts.answered += 1
        grounded = ground_llm_fields(result.value, document.text)
        counts.proposed_values += proposed_count(result.value)
        counts.dropped_values += grounded.dropped_count
        for dropped in grounded.dropped:
            counts.dropped_by_field[dropped.field] = (
                counts.dropped_by_field.get(dropped.field, 0) + 1
            )
        return grounded.fields

    @staticmethod
    def _figures(
        dataset: EvalDataset, predicted: list[LlmFields], expected: list[LlmFields]
    ) -> VariantFigures:
        report = field_scores(predicted=predicted, expected=expected)
        per_kind = {kind: report.per_kind[kind] for kind in dataset.scored_kinds}
        return VariantFigures(per_kind, dataset.complete_kinds)
