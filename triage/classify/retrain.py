"""The scheduled retrain from feedback, run by the worker between batches, and the lock
that lets only one process retrain a tenant at a time.

When. Every ``TRIAGE_RETRAIN_INTERVAL_HOURS`` (first at the worker's start) the worker
counts each tenant's decisions newer than the last look at its feedback: the newest
decision its current model was trained on (the manifest's ``training.feedback.until``),
else the model's creation time, or the last retrain attempt recorded in
``models/<tenant>/retrain.json`` (an attempt whose candidate lost is not repeated until new
decisions arrive). A tenant with at least ``TRIAGE_RETRAIN_MIN_NEW_EXAMPLES`` new ones is
retrained (``triage.classify.feedback``); the model installed is picked up by every
process on its next batch (the classifier provider reads the ``current`` pointer).

One at a time. On PostgreSQL a session-level advisory lock per tenant: it spans machines
and is released by the server if the process dies. On SQLite (one machine by design) an
exclusive ``flock`` on ``<data dir>/locks/retrain-<tenant>.lock``, released by the kernel
likewise. A process that finds the lock taken skips the tenant; after the lock is freed
the next one sees the recorded attempt and finds nothing new.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from triage.classify.artefact import ArtefactError, ModelRegistry, read_manifest
from triage.classify.feedback import RetrainResult, retrain_from_feedback
from triage.classify.provider import ClassifierProvider
from triage.classify.similarity import DocumentEncoder
from triage.config import Settings
from triage.db.models import LabelledExample, Tenant

log = logging.getLogger(__name__)

STATE_FILE = "retrain.json"


class RetrainLock:
    """Per-tenant mutual exclusion across processes (see the module docstring)."""

    def __init__(self, *, engine: Engine, lock_dir: Path) -> None:
        self._engine = engine
        self._lock_dir = lock_dir

    @contextmanager
    def hold(self, tenant: str) -> Iterator[bool]:
        """Yields whether the lock was taken; never waits."""
        if self._engine.dialect.name == "postgresql":
            key = int.from_bytes(
                hashlib.sha256(f"triage.retrain:{tenant}".encode()).digest()[:8], signed=True
            )
            with self._engine.connect() as connection:
                taken = bool(
                    connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
                connection.commit()
                try:
                    yield taken
                finally:
                    if taken:
                        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        connection.commit()
            return
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        with (self._lock_dir / f"retrain-{tenant}.lock").open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def build_retrain_lock(settings: Settings, engine: Engine) -> RetrainLock:
    return RetrainLock(engine=engine, lock_dir=settings.data_dir / "locks")


def read_state(registry: ModelRegistry, tenant: str) -> dict[str, Any]:
    """The last retrain attempt recorded for ``tenant`` ({} when none)."""
    try:
        state: dict[str, Any] = json.loads(
            (registry.tenant_dir(tenant) / STATE_FILE).read_text(encoding="utf-8")
        )
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return state


def record_attempt(registry: ModelRegistry, result: RetrainResult, *, at: datetime) -> None:
    """Write the attempt next to the tenant's models (atomically; a reader sees the old or
    the new file)."""
    folder = registry.tenant_dir(result.tenant)
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        "attempted_at": at.isoformat(),
        "feedback_until": result.feedback_until.isoformat() if result.feedback_until else None,
        "examples": result.examples,
        "installed_version": result.installed_version,
        "reason": result.reason,
        **result.figures(),
    }
    staging = folder / f".{STATE_FILE}.tmp"
    staging.write_text(json.dumps(state, indent=2), encoding="utf-8")
    os.replace(staging, folder / STATE_FILE)


def feedback_seen_until(registry: ModelRegistry, tenant: str) -> datetime | None:
    """The time up to which the tenant's decisions have been looked at by a retrain."""
    marks: list[datetime] = []
    version = registry.current_version(tenant)
    if version is not None:
        try:
            manifest = read_manifest(registry.tenant_dir(tenant) / version)
        except ArtefactError as exc:
            log.warning("tenant %s: %s", tenant, exc)
            manifest = {}
        until = manifest.get("training", {}).get("feedback", {}).get("until")
        stamp = until or manifest.get("created_at")
        if stamp:
            marks.append(datetime.fromisoformat(stamp))
    recorded = read_state(registry, tenant).get("feedback_until")
    if recorded:
        marks.append(datetime.fromisoformat(recorded))
    return max(marks) if marks else None


def new_decisions(session: Session, *, tenant_id: uuid.UUID, since: datetime | None) -> int:
    query = select(func.count()).where(LabelledExample.tenant_id == tenant_id)
    if since is not None:
        query = query.where(LabelledExample.created_at > since)
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class ScheduledRetrain:
    """One tenant's outcome of a scheduled run: retrained (``result``) or skipped."""

    tenant: str
    new_examples: int
    result: RetrainResult | None = None
    skipped: str | None = None


class RetrainScheduler:
    """Retrains tenants whose feedback grew enough, when ``run_due`` finds it due."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        embedder: Callable[[], DocumentEncoder],
        classifiers: ClassifierProvider,
        registry: ModelRegistry,
        lock: RetrainLock,
        interval: timedelta,
        min_examples: int,
        min_new_examples: int,
    ) -> None:
        self._factory = session_factory
        self._embedder = embedder
        self._classifiers = classifiers
        self._registry = registry
        self._lock = lock
        self._interval = interval
        self._min_examples = min_examples
        self._min_new = min_new_examples
        self.next_due: datetime | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        engine: Engine,
        session_factory: sessionmaker[Session],
        embedder: Callable[[], DocumentEncoder],
        classifiers: ClassifierProvider,
    ) -> RetrainScheduler | None:
        """The configured scheduler, or ``None`` when the interval is 0 (switched off)."""
        if settings.retrain_interval_hours <= 0:
            return None
        return cls(
            session_factory=session_factory,
            embedder=embedder,
            classifiers=classifiers,
            registry=ModelRegistry(settings.models_dir),
            lock=build_retrain_lock(settings, engine),
            interval=timedelta(hours=settings.retrain_interval_hours),
            min_examples=settings.retrain_min_examples,
            min_new_examples=settings.retrain_min_new_examples,
        )

    def run_due(
        self, now: datetime, *, alive: Callable[[], None] = lambda: None
    ) -> list[ScheduledRetrain]:
        """Check every tenant if the interval has passed (or on the first call); a tenant
        whose retrain fails is logged and the others still run. ``alive`` is called as
        training proceeds (the worker's heartbeat)."""
        if self.next_due is not None and now < self.next_due:
            return []
        self.next_due = now + self._interval
        with self._factory() as session:
            tenants = [
                (t.id, t.name) for t in session.scalars(select(Tenant).order_by(Tenant.name))
            ]
        outcomes = []
        for tenant_id, name in tenants:
            try:
                outcomes.append(
                    self.run_tenant(tenant_id=tenant_id, tenant=name, now=now, alive=alive)
                )
            except Exception:
                log.exception(
                    "tenant %s: scheduled retrain failed; the model in service stays", name
                )
        return outcomes

    def _count_new(self, tenant_id: uuid.UUID, tenant: str) -> int:
        since = feedback_seen_until(self._registry, tenant)
        with self._factory() as session:
            return new_decisions(session, tenant_id=tenant_id, since=since)

    def run_tenant(
        self,
        *,
        tenant_id: uuid.UUID,
        tenant: str,
        now: datetime,
        alive: Callable[[], None] = lambda: None,
    ) -> ScheduledRetrain:
        new = self._count_new(tenant_id, tenant)
        if new < self._min_new:
            return ScheduledRetrain(
                tenant=tenant, new_examples=new, skipped=f"{new} new of {self._min_new} needed"
            )
        with self._lock.hold(tenant) as taken:
            if not taken:
                return ScheduledRetrain(
                    tenant=tenant, new_examples=new, skipped="another process retrains it"
                )
            # Counted again under the lock: another process may have just finished.
            new = self._count_new(tenant_id, tenant)
            if new < self._min_new:
                return ScheduledRetrain(
                    tenant=tenant, new_examples=new, skipped="retrained by another process"
                )
            taxonomy = self._classifiers.taxonomy_for(tenant_id)
            log.info("tenant %s: %d new labelled examples, retraining from feedback", tenant, new)
            result = retrain_from_feedback(
                session_factory=self._factory,
                tenant_id=tenant_id,
                tenant=tenant,
                taxonomy=taxonomy,
                embedder=self._embedder(),
                classifiers=self._classifiers,
                registry=self._registry,
                min_examples=self._min_examples,
                progress=lambda stage, done, total: alive(),
            )
            # Recorded whatever the outcome, so the same decisions are not looked at again.
            record_attempt(self._registry, result, at=now)
        return ScheduledRetrain(tenant=tenant, new_examples=new, result=result)
