"""The pipeline step that finds what makes a letter urgent and scores it."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence

from triage.assist.fields import received_day
from triage.pipeline import DocumentContext, PerDocumentStep
from triage.priority.policy import PriorityPolicy
from triage.priority.score import PriorityFacts, StatutoryFact, detect_facts, prioritise
from triage.priority.statutory import StatutoryTable, find_statutory_periods
from triage.taxonomy import Taxonomy

log = logging.getLogger(__name__)


class PriorityStep(PerDocumentStep):
    """At the end of the batch, for every document: deadlines (from the fields), statutory
    periods, hardship signals and the SLA of the chosen case type, scored under the
    tenant's policy. A document stopped before classification (failed, needs OCR) gets
    what its text shows, without an SLA, and one without text its waiting time alone, so
    every document in a queue has a sort key. Enrichment, not triage: should scoring
    break, the document gets its waiting time alone."""

    name = "priority"

    def __init__(
        self,
        *,
        policy_for: Callable[[uuid.UUID], PriorityPolicy],
        taxonomy_for: Callable[[uuid.UUID], Taxonomy],
    ) -> None:
        self._policy_for = policy_for
        self._taxonomy_for = taxonomy_for
        self._policies: dict[uuid.UUID, tuple[PriorityPolicy, StatutoryTable]] = {}

    def run(self, batch: Sequence[DocumentContext]) -> None:
        self._policies = {}  # read once per batch and tenant: a new policy applies next batch
        super().run(batch)

    def _policy(self, tenant_id: uuid.UUID) -> tuple[PriorityPolicy, StatutoryTable]:
        if tenant_id not in self._policies:
            policy = self._policy_for(tenant_id)
            self._policies[tenant_id] = (policy, policy.statutory_table())
        return self._policies[tenant_id]

    def run_one(self, ctx: DocumentContext) -> None:
        policy, table = self._policy(ctx.tenant_id)
        received = received_day(ctx.received_at)
        try:
            facts = self._facts(ctx, policy, table, received)
        except Exception as exc:
            log.exception("priority failed; the document waits with its waiting time alone")
            ctx.notes.append({"step": self.name, "error": f"{type(exc).__name__}: {exc}"})
            facts = PriorityFacts(received=received)
        ctx.priority = prioritise(facts, received_at=ctx.received_at, policy=policy)

    def _facts(
        self,
        ctx: DocumentContext,
        policy: PriorityPolicy,
        table: StatutoryTable,
        received: dt.date,
    ) -> PriorityFacts:
        text = ctx.parsed.text if ctx.parsed is not None else ""
        sla = None
        if ctx.prediction is not None:
            taxonomy = self._taxonomy_for(ctx.tenant_id)
            if ctx.prediction.case_type in taxonomy.keys:
                sla = taxonomy.get(ctx.prediction.case_type).sla_days
        periods = find_statutory_periods(text, received=received, land=policy.land, table=table)
        return detect_facts(
            text=text,
            received=received,
            deadlines=ctx.fields.deadlines if ctx.fields is not None else [],
            sla_days=sla,
            policy=policy,
            statutory=[
                StatutoryFact(p.key, p.ends_on, p.reason) for p in periods if p.ends_on is not None
            ],
        )
