"""The openai backend against a minimal OpenAI-compatible server started by the test.

No LLM server can run in CI; the server in conftest.py speaks the chat-completions protocol
and answers what each test scripts, so requests, usage, errors and timeouts are real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.llm.conftest import ChatServer, Reply
from triage.config import Settings
from triage.llm.backends import LlmUnavailable, Message, build_backend
from triage.llm.remote import OpenAIBackend, chat_completions_url

MESSAGES = [Message("system", "Antworte kurz."), Message("user", "Worum geht es?")]


@pytest.fixture
def backend(chat_server: ChatServer) -> Iterator[OpenAIBackend]:
    client = OpenAIBackend(url=chat_server.url, model="qwen2.5:1.5b", api_key="s3cret")
    yield client
    client.close()


def test_answer_with_usage_and_the_request_it_came_from(
    backend: OpenAIBackend, chat_server: ChatServer
) -> None:
    chat_server.replies.append(Reply("  Ein Antrag auf Wohngeld.  "))

    completion = backend.complete(MESSAGES, max_new_tokens=64, timeout=5)

    assert completion.text == "Ein Antrag auf Wohngeld."
    assert (completion.prompt_tokens, completion.completion_tokens) == (11, 7)
    [request] = chat_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["body"] == {
        "model": "qwen2.5:1.5b",
        "messages": [m.to_json() for m in MESSAGES],
        "max_tokens": 64,
        "temperature": 0,
        "stream": False,
    }


def test_missing_usage_counts_zero_tokens(backend: OpenAIBackend, chat_server: ChatServer) -> None:
    chat_server.replies.append(Reply("ok", usage=None))
    completion = backend.complete(MESSAGES, max_new_tokens=8, timeout=5)
    assert (completion.text, completion.prompt_tokens, completion.completion_tokens) == (
        "ok",
        0,
        0,
    )


def test_http_500_is_unavailable(backend: OpenAIBackend, chat_server: ChatServer) -> None:
    chat_server.replies.append(Reply(status=500))
    with pytest.raises(LlmUnavailable, match="HTTP 500"):
        backend.complete(MESSAGES, max_new_tokens=8, timeout=5)


def test_a_server_that_does_not_answer_in_time_is_unavailable(
    backend: OpenAIBackend, chat_server: ChatServer
) -> None:
    chat_server.replies.append(Reply("too late", hold=True))
    with pytest.raises(LlmUnavailable, match="no answer within"):
        backend.complete(MESSAGES, max_new_tokens=8, timeout=0.2)


def test_an_unreachable_server_is_unavailable() -> None:
    # Port 9 (discard) on loopback: nothing listens there.
    client = OpenAIBackend(url="http://127.0.0.1:9/v1", model="m")
    try:
        with pytest.raises(LlmUnavailable, match="unreachable"):
            client.complete(MESSAGES, max_new_tokens=8, timeout=2)
    finally:
        client.close()


def test_no_api_key_sends_no_authorization(chat_server: ChatServer) -> None:
    chat_server.replies.append(Reply("ja"))
    client = OpenAIBackend(url=chat_server.url, model="m")
    try:
        client.complete(MESSAGES, max_new_tokens=8, timeout=5)
    finally:
        client.close()
    assert "Authorization" not in chat_server.requests[0]["headers"]


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("http://ollama:11434", "http://ollama:11434/v1/chat/completions"),
        ("http://ollama:11434/v1/", "http://ollama:11434/v1/chat/completions"),
        (
            "https://llm.example/api/v1/chat/completions",
            "https://llm.example/api/v1/chat/completions",
        ),
    ],
)
def test_chat_completions_url(url: str, endpoint: str) -> None:
    assert chat_completions_url(url) == endpoint


def test_settings_select_the_openai_backend_for_a_url(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_url="http://127.0.0.1:11434", llm_model="m")
    assert settings.effective_llm_backend == "openai"
    backend = build_backend(settings)
    try:
        assert isinstance(backend, OpenAIBackend)
        assert backend.model_name == "openai:m"
    finally:
        backend.close()
