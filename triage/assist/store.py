"""The LLM result cache and the per-tenant usage meter, kept in the database.

Both write in short transactions of their own: the worker holds no transaction while a
generation runs, and a cached answer survives restarts and is shared by all workers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from triage.db.models import LlmResultEntry, LlmUsage
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.llm.cache import CacheEntry, CacheKey
from triage.llm.metering import CallUsage, TenantUsage


def _upsert(
    session: Session,
    model: type[LlmResultEntry] | type[LlmUsage],
    *,
    values: Mapping[str, Any],
    keys: list[str],
    update: Mapping[str, Any],
) -> None:
    """INSERT … ON CONFLICT DO UPDATE, which both engines have: no read-then-write race."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(model).values(**values)
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=dict(update)))


class DbResultCache:
    """``triage.llm.cache.ResultCache`` in the ``llm_results`` table."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def get(self, key: CacheKey) -> CacheEntry | None:
        with self._factory() as session:
            row = session.execute(
                select(LlmResultEntry.value, LlmResultEntry.dropped_reason).where(
                    LlmResultEntry.text_sha256 == key.text_sha256,
                    LlmResultEntry.task == key.task,
                    LlmResultEntry.prompt == key.prompt,
                    LlmResultEntry.model == key.model,
                    LlmResultEntry.variant == key.variant,
                )
            ).first()
        return None if row is None else CacheEntry(row.value, row.dropped_reason)

    def put(self, key: CacheKey, entry: CacheEntry) -> None:
        with transaction(self._factory) as session:
            _upsert(
                session,
                LlmResultEntry,
                values={
                    "text_sha256": key.text_sha256,
                    "task": key.task,
                    "prompt": key.prompt,
                    "model": key.model,
                    "variant": key.variant,
                    "value": entry.value,
                    "dropped_reason": entry.dropped_reason,
                    "created_at": utcnow(),
                },
                keys=["text_sha256", "task", "prompt", "model", "variant"],
                update={
                    "value": entry.value,
                    "dropped_reason": entry.dropped_reason,
                    "created_at": utcnow(),
                },
            )


class DbMeter:
    """``triage.llm.metering.Meter`` summing into ``llm_usage`` per tenant, UTC day and task.

    ``tenant`` is the tenant's id as a string (what the assist jobs pass)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory

    def record(self, *, tenant: str, usage: CallUsage) -> None:
        failed = int(usage.failed)
        with transaction(self._factory) as session:
            _upsert(
                session,
                LlmUsage,
                values={
                    "tenant_id": uuid.UUID(tenant),
                    "day": utcnow().date(),
                    "task": usage.task,
                    "calls": 1,
                    "failed_calls": failed,
                    "prompt_tokens": usage.prompt_tokens,
                    "completion_tokens": usage.completion_tokens,
                    "seconds": usage.seconds,
                },
                keys=["tenant_id", "day", "task"],
                update={
                    "calls": LlmUsage.calls + 1,
                    "failed_calls": LlmUsage.failed_calls + failed,
                    "prompt_tokens": LlmUsage.prompt_tokens + usage.prompt_tokens,
                    "completion_tokens": LlmUsage.completion_tokens + usage.completion_tokens,
                    "seconds": LlmUsage.seconds + usage.seconds,
                },
            )


def usage_sums() -> tuple[Any, ...]:
    """Calls, failed calls, prompt and completion tokens and seconds, summed: the columns
    of every usage report, in that order."""
    return (
        func.sum(LlmUsage.calls),
        func.sum(LlmUsage.failed_calls),
        func.sum(LlmUsage.prompt_tokens),
        func.sum(LlmUsage.completion_tokens),
        func.sum(LlmUsage.seconds),
    )


@dataclass(frozen=True)
class DailyUsage:
    day: dt.date
    usage: TenantUsage


def usage_by_day(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[DailyUsage]:
    """The tenant's usage per UTC day (oldest first), each with its calls per task."""
    query = select(LlmUsage.day, LlmUsage.task, *usage_sums()).where(
        LlmUsage.tenant_id == tenant_id
    )
    if since is not None:
        query = query.where(LlmUsage.day >= since)
    if until is not None:
        query = query.where(LlmUsage.day <= until)
    days: dict[dt.date, TenantUsage] = {}
    for day, task, calls, failed, prompt, completion, seconds in session.execute(
        query.group_by(LlmUsage.day, LlmUsage.task).order_by(LlmUsage.day, LlmUsage.task)
    ):
        total = days.setdefault(day, TenantUsage())
        total.calls += int(calls)
        total.failed_calls += int(failed)
        total.prompt_tokens += int(prompt)
        total.completion_tokens += int(completion)
        total.seconds += float(seconds)
        total.calls_by_task[task] = total.calls_by_task.get(task, 0) + int(calls)
    return [DailyUsage(day, usage) for day, usage in days.items()]


def total_usage(days: list[DailyUsage]) -> TenantUsage:
    total = TenantUsage()
    for daily in days:
        total.calls += daily.usage.calls
        total.failed_calls += daily.usage.failed_calls
        total.prompt_tokens += daily.usage.prompt_tokens
        total.completion_tokens += daily.usage.completion_tokens
        total.seconds += daily.usage.seconds
        for task, calls in daily.usage.calls_by_task.items():
            total.calls_by_task[task] = total.calls_by_task.get(task, 0) + calls
    return total
