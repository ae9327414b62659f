"""Training from caseworkers' decisions: a tenant's labelled examples become a model that
replaces the one in service only when it is not worse on the newest decisions.

Training rows. Every ``LabelledExample`` of the tenant (a confirmation or a correction,
one per document) with the document's parsed text, oldest first; examples whose case type
is no longer in the tenant's taxonomy, or whose document has no text, are left out and
counted. Vectors are made again by the configured embedder, the way the pipeline makes
them (``encode_documents`` of the parsed text): the vector store offers no lookup by id,
and a stored vector may stem from an older model than the one configured now.

Cold-start rows. The taxonomy's "name: description" and example sentences of every case
type (the zero-shot classifier's prototypes) are added as description rows
(``triage.classify.descriptions``). A model in service must know every case type of the
taxonomy (else the classifier provider falls back to zero-shot), and a rare type that no
caseworker has confirmed yet is not lost. They never count as held-out feedback, and
calibration and thresholds never see them.

Not worse. The newest 20 % of the examples (at least ``MIN_HELD_OUT``), among those the
model in service has not been trained on, are held out: recency mirrors what comes next,
and a model judged on examples it was trained on would always win. A candidate is trained
on the rest, and both it and the model in service (the tenant's trained model, or zero-shot
from the case-type descriptions) classify the held-out examples. The decision is on
macro-F1, the project's primary metric (a rare case type routed wrongly costs as much as a
common one); accuracy is logged and reported beside it. When the candidate is not worse,
the model installed is trained once more on all examples, so no decision is wasted.
"""

from __future__ import annotations

import enum
import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.classify.artefact import ModelRegistry
from triage.classify.base import Classifier
from triage.classify.descriptions import Descriptions, description_rows
from triage.classify.provider import ClassifierProvider
from triage.classify.similarity import DocumentEncoder
from triage.classify.trained import TrainedClassifier
from triage.classify.training import Progress, TrainingOptions, TrainingSet, train_classifier
from triage.db.models import Document, LabelledExample
from triage.evaluation.metrics import ClassificationEvaluator, ClassificationReport
from triage.taxonomy import Taxonomy

log = logging.getLogger(__name__)

HELD_OUT_SHARE = 0.2
MIN_HELD_OUT = 5
EMBED_BATCH = 64
ZERO_SHOT = "zero-shot"


@dataclass(frozen=True)
class Decisions:
    """A tenant's usable decisions, oldest first, and how many were left out."""

    texts: list[str]
    labels: list[str]
    references: list[str]
    created_at: list[datetime]
    skipped_unknown: int
    skipped_without_text: int

    def __len__(self) -> int:
        return len(self.labels)


def load_decisions(session: Session, *, tenant_id: uuid.UUID, taxonomy: Taxonomy) -> Decisions:
    """The tenant's labelled examples (never another tenant's) with their documents' text."""
    rows = session.execute(
        select(
            LabelledExample.document_id,
            LabelledExample.case_type,
            LabelledExample.created_at,
            Document.text,  # a deferred column, loaded here because it is selected by name
        )
        .join(Document, Document.id == LabelledExample.document_id)
        .where(LabelledExample.tenant_id == tenant_id, Document.tenant_id == tenant_id)
        .order_by(LabelledExample.created_at, LabelledExample.id)
    ).all()
    known = set(taxonomy.keys)
    kept = [row for row in rows if row.case_type in known and (row.text or "").strip()]
    unknown = sum(1 for row in rows if row.case_type not in known)
    return Decisions(
        texts=[row.text for row in kept],
        labels=[row.case_type for row in kept],
        references=[str(row.document_id) for row in kept],
        created_at=[row.created_at for row in kept],
        skipped_unknown=unknown,
        skipped_without_text=len(rows) - len(kept) - unknown,
    )


@dataclass(frozen=True)
class FeedbackSet:
    """The decisions as training rows (the first ``len(decisions)``), followed by the
    taxonomy's cold-start rows."""

    decisions: Decisions
    data: TrainingSet

    @property
    def feedback(self) -> int:
        return len(self.decisions)

    @property
    def cold_start(self) -> int:
        return len(self.data) - self.feedback


def with_cold_start(
    decisions: Decisions,
    *,
    taxonomy: Taxonomy,
    embedder: DocumentEncoder,
    progress: Progress | None = None,
) -> FeedbackSet:
    """Embed the decisions and the taxonomy's cold-start rows into one training set."""
    letters = TrainingSet(
        texts=decisions.texts,
        labels=decisions.labels,
        vectors=_embed(embedder, decisions.texts, progress),
        references=decisions.references,
    )
    cold = Descriptions.embed(
        description_rows(taxonomy.keys, taxonomy=taxonomy), encode=embedder.encode_documents
    )
    return FeedbackSet(decisions=decisions, data=cold.add_to(letters))


def feedback_training_set(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    taxonomy: Taxonomy,
    embedder: DocumentEncoder,
    progress: Progress | None = None,
) -> TrainingSet:
    """The tenant's decisions and the taxonomy's cold-start rows, embedded."""
    decisions = load_decisions(session, tenant_id=tenant_id, taxonomy=taxonomy)
    return with_cold_start(decisions, taxonomy=taxonomy, embedder=embedder, progress=progress).data


def _embed(
    embedder: DocumentEncoder, texts: Sequence[str], progress: Progress | None
) -> NDArray[np.float32]:
    report = progress or (lambda stage, done, total: None)
    parts = []
    for start in range(0, len(texts), EMBED_BATCH):
        report(f"embedding {len(texts)} texts", start, len(texts))
        parts.append(embedder.encode_documents(list(texts[start : start + EMBED_BATCH])))
    report(f"embedding {len(texts)} texts", len(texts), len(texts))
    return np.concatenate(parts).astype(np.float32)


class RetrainDecision(enum.StrEnum):
    INSTALLED = "installed"
    KEPT = "kept"
    NOT_ENOUGH_FEEDBACK = "not_enough_feedback"


@dataclass(frozen=True)
class RetrainResult:
    """What a retrain from feedback found and did. ``candidate`` and ``current`` are the
    figures of both models on the same ``held_out`` examples (absent without training)."""

    tenant: str
    decision: RetrainDecision
    reason: str
    examples: int
    cold_start: int
    held_out: int
    skipped_unknown: int
    skipped_without_text: int
    current_model: str
    candidate: ClassificationReport | None = None
    current: ClassificationReport | None = None
    installed_version: str | None = None
    model: TrainedClassifier | None = None
    feedback_until: datetime | None = None

    def figures(self) -> dict[str, object]:
        def plain(report: ClassificationReport | None) -> dict[str, float] | None:
            if report is None:
                return None
            return {"accuracy": round(report.accuracy, 4), "macro_f1": round(report.macro_f1, 4)}

        return {
            "held_out": self.held_out,
            "candidate": plain(self.candidate),
            "current": plain(self.current),
            "current_model": self.current_model,
            "decision": self.decision.value,
        }


def serving_classifier(
    classifiers: ClassifierProvider, tenant_id: uuid.UUID
) -> tuple[Classifier, str, datetime | None]:
    """What serves the tenant now (the provider's rule: a trained model that cannot serve
    leaves zero-shot in service), its name, and the newest decision it was trained on."""
    served = classifiers.model_for(tenant_id).classifier
    if isinstance(served, TrainedClassifier):
        until = served.card.get("training", {}).get("feedback", {}).get("until")
        return served, served.name, datetime.fromisoformat(until) if until else None
    return served, ZERO_SHOT, None


def held_out_rows(decisions: Decisions, *, seen_until: datetime | None) -> list[int]:
    """The newest ``HELD_OUT_SHARE`` of the decisions (at least ``MIN_HELD_OUT``), less
    those the model in service was trained on (made at or before ``seen_until``)."""
    size = max(MIN_HELD_OUT, math.ceil(HELD_OUT_SHARE * len(decisions)))
    newest = range(max(0, len(decisions) - size), len(decisions))
    return [i for i in newest if seen_until is None or decisions.created_at[i] > seen_until]


def retrain_from_feedback(
    *,
    session_factory: sessionmaker[Session],
    tenant_id: uuid.UUID,
    tenant: str,
    taxonomy: Taxonomy,
    embedder: DocumentEncoder,
    classifiers: ClassifierProvider,
    registry: ModelRegistry,
    min_examples: int,
    options: TrainingOptions | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> RetrainResult:
    """Train a candidate on the tenant's decisions and install it if it is not worse than
    the model in service on the newest decisions (``force``: install it anyway)."""
    report = progress or (lambda stage, done, total: None)
    with session_factory() as session:
        decisions = load_decisions(session, tenant_id=tenant_id, taxonomy=taxonomy)
    until = decisions.created_at[-1] if decisions.created_at else None
    base = RetrainResult(
        tenant=tenant,
        decision=RetrainDecision.NOT_ENOUGH_FEEDBACK,
        reason="",
        examples=len(decisions),
        cold_start=0,
        held_out=0,
        skipped_unknown=decisions.skipped_unknown,
        skipped_without_text=decisions.skipped_without_text,
        current_model="",
        feedback_until=until,
    )
    shortage = _shortage(decisions, min_examples=min_examples)
    held: list[int] = []
    if shortage is None:
        served, served_name, seen_until = serving_classifier(classifiers, tenant_id)
        held = held_out_rows(decisions, seen_until=seen_until)
        base = replace(base, current_model=served_name, held_out=len(held))
        if len(held) < MIN_HELD_OUT:
            shortage = (
                f"only {len(held)} labelled examples are newer than {served_name}; at least "
                f"{MIN_HELD_OUT} are needed to compare a new model with it"
            )
    if shortage is not None:
        log.info("tenant %s: no retrain from feedback: %s", tenant, shortage)
        return replace(base, reason=shortage)
    feedback = with_cold_start(decisions, taxonomy=taxonomy, embedder=embedder, progress=report)
    base = replace(base, cold_start=feedback.cold_start)
    encoder = embedder.model_name
    held_set = set(held)
    training = [i for i in range(len(feedback.data)) if i not in held_set]
    candidate = train_classifier(
        feedback.data.subset(training),
        encoder=encoder,
        options=options,
        progress=lambda stage, done, total: report(f"candidate: {stage}", done, total),
    )
    test = feedback.data.subset(held)
    evaluator = ClassificationEvaluator()
    candidate_figures = evaluator.evaluate(
        labels=test.labels, predictions=candidate.classify(test.vectors, test.texts)
    )
    current_figures = evaluator.evaluate(
        labels=test.labels, predictions=served.classify(test.vectors, test.texts)
    )
    better = candidate_figures.macro_f1 >= current_figures.macro_f1
    log.info(
        "tenant %s: on %d held-out decisions the candidate has accuracy %.3f, macro-F1 %.3f; "
        "the model in service (%s) accuracy %.3f, macro-F1 %.3f",
        tenant,
        len(held),
        candidate_figures.accuracy,
        candidate_figures.macro_f1,
        served_name,
        current_figures.accuracy,
        current_figures.macro_f1,
    )
    base = replace(base, candidate=candidate_figures, current=current_figures)
    if not (better or force):
        reason = (
            f"the candidate's macro-F1 {candidate_figures.macro_f1:.3f} is below "
            f"{current_figures.macro_f1:.3f} of {served_name}; {served_name} stays in service"
        )
        log.info("tenant %s: %s", tenant, reason)
        return replace(base, decision=RetrainDecision.KEPT, reason=reason)
    final = train_classifier(
        feedback.data,
        encoder=encoder,
        options=options,
        progress=lambda stage, done, total: report(f"final model: {stage}", done, total),
    )
    _record_provenance(final, base)
    registry.install(final, tenant=tenant)
    reason = (
        f"the candidate's macro-F1 {candidate_figures.macro_f1:.3f} is not below "
        f"{current_figures.macro_f1:.3f} of {served_name}"
        if better
        else f"installed on request although its macro-F1 {candidate_figures.macro_f1:.3f} "
        f"is below {current_figures.macro_f1:.3f} of {served_name}"
    )
    log.info("tenant %s: model %s put in service: %s", tenant, final.version, reason)
    return replace(
        base,
        decision=RetrainDecision.INSTALLED,
        reason=reason,
        installed_version=final.version,
        model=final,
    )


def _shortage(decisions: Decisions, *, min_examples: int) -> str | None:
    if len(decisions) < min_examples:
        return f"{len(decisions)} usable labelled examples, at least {min_examples} needed"
    if len(set(decisions.labels)) < 2:
        return "all labelled examples have the same case type; at least two are needed"
    return None


def _record_provenance(model: TrainedClassifier, result: RetrainResult) -> None:
    """What the model was trained on and how it compared, for its manifest: the scheduler
    counts new decisions from ``until`` on, and a later retrain holds out only newer ones."""
    until = result.feedback_until
    model.card.setdefault("training", {})["feedback"] = {
        "examples": result.examples,
        "cold_start_rows": result.cold_start,
        "until": until.isoformat() if until else None,
    }
    model.card.setdefault("metrics", {})["feedback_held_out"] = result.figures()
