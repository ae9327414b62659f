"""Chat backends: one Protocol, no backend, a local transformers model, an OpenAI-compatible server.

Every backend raises ``LlmUnavailable`` when it cannot answer (not configured, down, HTTP
error, timeout); callers treat that as "try again later", never as an answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from triage.config import Settings

Role = Literal["system", "user", "assistant"]


class LlmUnavailable(RuntimeError):
    """The LLM gave no answer; the message says why (without document content)."""


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str

    def to_json(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float


class ChatBackend(Protocol):
    @property
    def model_name(self) -> str:
        """Identifies the model in cache keys and metering."""
        ...

    def complete(
        self, messages: list[Message], *, max_new_tokens: int, timeout: float
    ) -> Completion: ...

    def close(self) -> None: ...


class CallSlots:
    """Bounds the calls in flight; a caller waits at most its timeout for a free slot."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("concurrency must be at least 1")
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak_in_flight = 0

    @contextmanager
    def slot(self, *, timeout: float) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=timeout):
            raise LlmUnavailable(f"all {self.limit} LLM slots stayed busy for {timeout:g} s")
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
            self._semaphore.release()


class NoBackend:
    """``TRIAGE_LLM_BACKEND=none``: the service runs without fields from the LLM or summaries."""

    model_name = "none"

    def complete(
        self, messages: list[Message], *, max_new_tokens: int, timeout: float
    ) -> Completion:
        raise LlmUnavailable("no LLM is configured (TRIAGE_LLM_BACKEND=none)")

    def close(self) -> None:
        return None


def build_backend(settings: Settings) -> ChatBackend:
    """The configured backend; models load lazily, on the first call, not here."""
    backend = settings.effective_llm_backend
    if backend == "none":
        return NoBackend()
    # Settings validation guarantees the model (and URL) for the two real backends.
    assert settings.llm_model is not None
    if backend == "transformers":
        # Imported here: torch and transformers are heavy and unused without a local model.
        from triage.llm.local import TransformersBackend

        return TransformersBackend(settings.llm_model, concurrency=settings.llm_concurrency)
    from triage.llm.remote import OpenAIBackend

    assert settings.llm_url is not None
    return OpenAIBackend(
        url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        concurrency=settings.llm_concurrency,
    )
