"""Per-tenant LLM usage (calls, tokens, seconds), so cost is visible and attributable."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CallUsage:
    task: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    failed: bool = False  # the backend gave no answer (down, timeout); seconds still count


class Meter(Protocol):
    def record(self, *, tenant: str, usage: CallUsage) -> None: ...


@dataclass(slots=True)
class TenantUsage:
    calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    calls_by_task: dict[str, int] = field(default_factory=dict)

    def add(self, usage: CallUsage) -> None:
        self.calls += 1
        self.failed_calls += usage.failed
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.seconds += usage.seconds
        self.calls_by_task[usage.task] = self.calls_by_task.get(usage.task, 0) + 1


class InMemoryMeter:
    """Totals since the process started; a persistent meter comes with the pipeline."""

    def __init__(self) -> None:
        self._usage: dict[str, TenantUsage] = {}
        self._lock = threading.Lock()

    def record(self, *, tenant: str, usage: CallUsage) -> None:
        with self._lock:
            self._usage.setdefault(tenant, TenantUsage()).add(usage)

    def usage(self, tenant: str) -> TenantUsage:
        with self._lock:
            current = self._usage.get(tenant, TenantUsage())
            return TenantUsage(
                calls=current.calls,
                failed_calls=current.failed_calls,
                prompt_tokens=current.prompt_tokens,
                completion_tokens=current.completion_tokens,
                seconds=current.seconds,
                calls_by_task=dict(current.calls_by_task),
            )

    def tenants(self) -> list[str]:
        with self._lock:
            return sorted(self._usage)
