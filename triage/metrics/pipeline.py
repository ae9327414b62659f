"""What this process's workers did: seconds per pipeline stage, failures by stage, outcomes.

These figures exist only in the process that runs the pipeline, so they live in a registry
of its own (never the library's global one), created with the process's services and shared
by every worker it runs: the embedded worker's figures appear in the API's ``/metrics``, a
separate ``triage worker`` serves them on ``TRIAGE_WORKER_METRICS_BIND``.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram

# Per document: an embedding share of a few milliseconds up to the OCR of a long scan.
STAGE_SECONDS_BUCKETS = (
    0.001,
    0.005,
    0.01,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
)


class PipelineMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._stage_seconds = Histogram(
            "triage_stage_duration_seconds",
            "Processing time of one document in a pipeline stage; a stage that handles the "
            "batch at once (embed, classify, index) gives each document its share.",
            ["tenant", "stage"],
            buckets=STAGE_SECONDS_BUCKETS,
            registry=self.registry,
        )
        self._stage_errors = Counter(
            "triage_stage_errors",
            "Documents marked failed, by the stage that failed (worker: gave up after the "
            "last attempt of a job that kept raising).",
            ["tenant", "stage"],
            registry=self.registry,
        )
        self._outcomes = Counter(
            "triage_documents_triaged",
            "Triage results the worker wrote: routed (automatically, to a case type's "
            "queue), needs_review, failed, or duplicate (a letter received again).",
            ["tenant", "outcome"],
            registry=self.registry,
        )
        self._job_errors = Counter(
            "triage_job_errors",
            "Jobs whose run raised an unexpected error (retried with back-off, or given up "
            "after the last attempt).",
            ["kind"],
            registry=self.registry,
        )

    def document_triaged(
        self,
        *,
        tenant: str,
        timings: Mapping[str, float],
        outcome: str,
        failed_stage: str | None = None,
    ) -> None:
        """One document's result was written: ``timings`` are its seconds per stage."""
        for stage, seconds in timings.items():
            self._stage_seconds.labels(tenant=tenant, stage=stage).observe(seconds)
        self._outcomes.labels(tenant=tenant, outcome=outcome).inc()
        if failed_stage is not None:
            self._stage_errors.labels(tenant=tenant, stage=failed_stage).inc()

    def document_failed(self, *, tenant: str, stage: str) -> None:
        """A document was marked failed outside the pipeline (the worker gave up)."""
        self._outcomes.labels(tenant=tenant, outcome="failed").inc()
        self._stage_errors.labels(tenant=tenant, stage=stage).inc()

    def jobs_raised(self, *, kind: str, count: int) -> None:
        self._job_errors.labels(kind=kind).inc(count)
