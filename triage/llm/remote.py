"""An OpenAI-compatible chat-completions server (Ollama, vLLM, llama.cpp server) via httpx."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from triage.llm.backends import CallSlots, Completion, LlmUnavailable, Message

log = logging.getLogger(__name__)


def chat_completions_url(url: str) -> str:
    """``http://host:11434`` and ``http://host:11434/v1`` both mean the server's /v1 API."""
    base = url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not urlsplit(base).path:
        base += "/v1"
    return base + "/chat/completions"


class OpenAIBackend:
    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key: str | None = None,
        concurrency: int = 1,
    ) -> None:
        self.endpoint = chat_completions_url(url)
        self.model = model
        self.slots = CallSlots(concurrency)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers)

    @property
    def model_name(self) -> str:
        return f"openai:{self.model}"

    def complete(
        self, messages: list[Message], *, max_new_tokens: int, timeout: float
    ) -> Completion:
        body = {
            "model": self.model,
            "messages": [message.to_json() for message in messages],
            "max_tokens": max_new_tokens,
            "temperature": 0,
            "stream": False,
        }
        with self.slots.slot(timeout=timeout):
            started = time.monotonic()
            try:
                response = self._client.post(self.endpoint, json=body, timeout=timeout)
                response.raise_for_status()
                payload = response.json()
            except httpx.TimeoutException as error:
                raise LlmUnavailable(f"LLM server gave no answer within {timeout:g} s") from error
            except httpx.HTTPStatusError as error:
                raise LlmUnavailable(
                    f"LLM server answered HTTP {error.response.status_code}"
                ) from error
            except httpx.HTTPError as error:
                raise LlmUnavailable(f"LLM server unreachable: {type(error).__name__}") from error
            except ValueError as error:
                raise LlmUnavailable("LLM server answered something that is not JSON") from error
            seconds = time.monotonic() - started
        return _completion(payload, seconds)

    def close(self) -> None:
        self._client.close()


def _completion(payload: Any, seconds: float) -> Completion:
    try:
        text = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise LlmUnavailable("LLM server answer has no choices[0].message.content") from error
    if not isinstance(text, str):
        raise LlmUnavailable("LLM server answer content is not text")
    usage = payload.get("usage") or {}
    # Servers that omit usage are metered with zero tokens (seconds still count).
    return Completion(
        text=text.strip(),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        seconds=seconds,
    )
