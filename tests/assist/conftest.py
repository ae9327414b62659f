"""Services with an ``openai`` LLM backend pointed at a fake chat server started by the test.

No LLM server can run in CI (nor could a model be downloaded there), so the OpenAI-compatible
server is the small one in ``tests.llm.chat_server``: it answers each task (fields, summary,
second opinion) the way a test scripts, and records what it was sent. Everything else is
real: the database (SQLite and PostgreSQL), the embedding model, the classifier, the worker.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.llm.chat_server import ChatServer, Reply, running_chat_server
from triage.app import create_app
from triage.classify.base import Classifier
from triage.config import Settings
from triage.embedding import Embedder
from triage.services import Services, build_services

# A letter whose "Vorgang" number no pattern takes (it has no reference label): only the
# LLM can find it. It arrived on 5 March 2025, so "innerhalb von zwei Wochen" is the 19th.
LETTER = """Anna Schmidt
Lindenstraße 12
80331 München

Landeshauptstadt München
Kreisverwaltungsreferat

Vorgang 4711-2025

Sehr geehrte Damen und Herren,

zum 01.03.2025 bin ich innerhalb Münchens in die Lindenstraße 12 umgezogen. Ich bitte Sie, \
meine Ummeldung schriftlich vorzubereiten und mir die Bestätigung innerhalb von zwei Wochen \
zuzusenden.

Mit freundlichen Grüßen
Anna Schmidt
"""
RECEIVED_AT = "2025-03-05T08:00:00"
SUMMARY = (
    "Anna Schmidt meldet ihren Umzug innerhalb Münchens. Sie bittet um schriftliche Ummeldung."
)
INVENTED_EMAIL = "anna.erfunden@example.org"
_CANDIDATE_LINE = re.compile(r"^- ([a-z][a-z0-9_]*): ", re.MULTILINE)


def task_of(body: dict[str, Any]) -> str:
    system = next(m["content"] for m in body["messages"] if m["role"] == "system")
    if "assign letters" in system:
        return "second_opinion"
    if "short summaries" in system:
        return "summary"
    return "fields"


def candidate_keys(body: dict[str, Any]) -> list[str]:
    system = next(m["content"] for m in body["messages"] if m["role"] == "system")
    return _CANDIDATE_LINE.findall(system)


@dataclass
class ScriptedLlm:
    """Answers per task; ``choose`` picks the second opinion from the offered candidates."""

    fields: dict[str, Any] = field(
        default_factory=lambda: {
            "references": [{"kind": "aktenzeichen", "value": "4711-2025"}],
            "emails": [INVENTED_EMAIL],
        }
    )
    summary: str = SUMMARY
    choose: Callable[[list[str]], str | None] = lambda keys: keys[-1]

    def __call__(self, body: dict[str, Any]) -> Reply:
        task = task_of(body)
        if task == "summary":
            return Reply(self.summary)
        if task == "second_opinion":
            return Reply(json.dumps({"case_type": self.choose(candidate_keys(body))}))
        return Reply(json.dumps(self.fields))


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    with running_chat_server() as server:
        yield server


MakeServices = Callable[..., Services]


@pytest.fixture
def make_services(
    tmp_path: Path,
    database_url: str,
    embedder: Embedder,
    classifier_cache: dict[str, Classifier],
) -> Iterator[MakeServices]:
    """Services on the test's database with the given settings; every document is routed
    (threshold 0), so the LLM work is what the test looks at."""
    built: list[Services] = []

    def make(**overrides: Any) -> Services:
        settings = Settings(
            data_dir=tmp_path / "data",
            database_url=database_url,
            embedded_worker=False,
            review_threshold=0.0,
            _env_file=None,  # type: ignore[call-arg]
            **overrides,
        )
        services = build_services(
            settings, migrate=False, embedder=embedder, classifier_cache=classifier_cache
        )
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


@pytest.fixture
def llm_settings(chat_server: ChatServer) -> dict[str, Any]:
    return {"llm_backend": "openai", "llm_url": chat_server.url, "llm_model": "fake-llm"}


@pytest.fixture
def app_client() -> Iterator[Callable[[Services], TestClient]]:
    clients: list[TestClient] = []

    def open_client(services: Services) -> TestClient:
        client = TestClient(create_app(services=services))
        client.__enter__()
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.__exit__(None, None, None)
