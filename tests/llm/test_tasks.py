"""LLM tasks end to end over real HTTP to the scripted chat server (see conftest.py).

The pseudonymiser used here is a stand-in with the Protocol's shape: the real one (German
patterns and context) is built in triage.fields and tested there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel, Field

from tests.llm.conftest import ChatServer, Reply
from triage.llm.backends import LlmUnavailable
from triage.llm.cache import InMemoryResultCache
from triage.llm.metering import InMemoryMeter
from triage.llm.remote import OpenAIBackend
from triage.llm.tasks import LlmTasks
from triage.parsing.base import FORM_FIELDS_HEADING

LETTER = (
    "Sehr geehrte Damen und Herren,\n"
    "gegen den Hundesteuerbescheid vom 12.02.2025 (Aktenzeichen 42-17/2025) lege ich "
    "Widerspruch ein. Bitte erstatten Sie den Betrag bis zum 31.03.2025 auf "
    "DE89370400440532013000.\nMit freundlichen Grüßen\nErika Mustermann"
)
CANDIDATES = [
    ("hundesteuer", "Hundesteuer", "An- und Abmeldung von Hunden, Steuerbescheide."),
    ("wohngeld", "Wohngeld", "Anträge auf Wohngeld und Mietzuschuss."),
]


class LetterFields(BaseModel):
    aktenzeichen: str | None = None
    iban: str | None = Field(default=None, pattern=r"^DE\d{20}$")
    sender_name: str | None = None


class StandInPseudonymiser:
    """Replaces known strings by placeholders and back; enough to watch the hook work."""

    def __init__(self, personal: dict[str, str]) -> None:
        self.personal = personal  # original -> placeholder

    def pseudonymise(self, text: str) -> tuple[str, dict[str, str]]:
        mapping: dict[str, str] = {}
        for original, placeholder in self.personal.items():
            if original in text:
                text = text.replace(original, placeholder)
                mapping[placeholder] = original
        return text, mapping

    def restore(self, obj: Any, mapping: dict[str, str]) -> Any:
        if isinstance(obj, str):
            for placeholder, original in mapping.items():
                obj = obj.replace(placeholder, original)
            return obj
        if isinstance(obj, dict):
            return {key: self.restore(value, mapping) for key, value in obj.items()}
        if isinstance(obj, list):
            return [self.restore(value, mapping) for value in obj]
        return obj


@pytest.fixture
def meter() -> InMemoryMeter:
    return InMemoryMeter()


@pytest.fixture
def backend(chat_server: ChatServer) -> Iterator[OpenAIBackend]:
    client = OpenAIBackend(url=chat_server.url, model="test-model")
    yield client
    client.close()


@pytest.fixture
def tasks(backend: OpenAIBackend, meter: InMemoryMeter) -> LlmTasks:
    return LlmTasks(backend=backend, cache=InMemoryResultCache(), meter=meter, timeout=5)


def test_an_invalid_answer_is_repaired_once_with_the_error(
    tasks: LlmTasks, chat_server: ChatServer
) -> None:
    chat_server.script('{"aktenzeichen": 42-17/2025}', '{"aktenzeichen": "42-17/2025"}')

    result = tasks.fields(tenant="muenchen", text=LETTER, schema=LetterFields)

    assert result.value == LetterFields(aktenzeichen="42-17/2025")
    assert (result.dropped_reason, result.calls) == (None, 2)
    retry = chat_server.requests[1]["body"]["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"aktenzeichen": 42-17/2025}'}
    assert retry[-1]["role"] == "user"
    assert "invalid JSON" in retry[-1]["content"]


def test_a_schema_violation_after_the_repair_is_dropped_with_a_logged_reason(
    tasks: LlmTasks, chat_server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    chat_server.script('{"iban": "DE12 nonsense"}', "Ich kann das nicht.")

    with caplog.at_level(logging.WARNING, logger="triage.llm.tasks"):
        result = tasks.fields(tenant="muenchen", text=LETTER, schema=LetterFields)

    assert result.value is None
    assert result.dropped_reason == "after one repair: the answer contains no JSON object"
    assert "dropped" in caplog.text and "no JSON object" in caplog.text
    # The repair request names the field, never the (possibly personal) value.
    repair = chat_server.requests[1]["body"]["messages"][-1]["content"]
    assert "iban" in repair and "DE12 nonsense" not in repair
    # Greedy decoding would fail the same way: the drop is cached, no third call.
    again = tasks.fields(tenant="muenchen", text=LETTER, schema=LetterFields)
    assert (again.value, again.cached, len(chat_server.requests)) == (None, True, 2)


def test_a_cache_hit_makes_no_second_call(tasks: LlmTasks, chat_server: ChatServer) -> None:
    chat_server.script('{"aktenzeichen": "42-17/2025"}')

    first = tasks.fields(tenant="muenchen", text=LETTER, schema=LetterFields)
    second = tasks.fields(tenant="muenchen", text=LETTER, schema=LetterFields)

    assert second.value == first.value == LetterFields(aktenzeichen="42-17/2025")
    assert (first.cached, second.cached, second.calls) == (False, True, 0)
    assert len(chat_server.requests) == 1


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"case_type": "wohngeld"}', "wohngeld"),
        ("hundesteuer", "hundesteuer"),
        ('{"case_type": null}', None),
        ('{"case_type": "gewerbe"}', None),  # a real-sounding key outside the candidates
        ("Wohngeld, wie im Brief verlangt.", None),
    ],
)
def test_the_second_opinion_is_a_candidate_or_an_abstention(
    tasks: LlmTasks, chat_server: ChatServer, answer: str, expected: str | None
) -> None:
    chat_server.script(answer)

    result = tasks.second_opinion(tenant="muenchen", text=LETTER, candidates=CANDIDATES)

    assert result.value == expected
    assert (result.dropped_reason is None) == (expected is not None)
    system = chat_server.requests[0]["body"]["messages"][0]["content"]
    assert "- hundesteuer: Hundesteuer – An- und Abmeldung" in system
    assert "- wohngeld: Wohngeld – Anträge auf Wohngeld" in system


def test_metering_counts_calls_tokens_and_failures_per_tenant(
    tasks: LlmTasks, chat_server: ChatServer, meter: InMemoryMeter
) -> None:
    chat_server.script("Frau Mustermann widerspricht dem Hundesteuerbescheid.")
    chat_server.replies.append(
        Reply('{"case_type": "hundesteuer"}', usage={"prompt_tokens": 300, "completion_tokens": 9})
    )
    chat_server.replies.append(Reply(status=500))

    tasks.summary(tenant="muenchen", text=LETTER)
    tasks.second_opinion(tenant="augsburg", text=LETTER, candidates=CANDIDATES)
    with pytest.raises(LlmUnavailable):
        tasks.summary(tenant="augsburg", text=LETTER + " PS")

    munich, augsburg = meter.usage("muenchen"), meter.usage("augsburg")
    assert (munich.calls, munich.prompt_tokens, munich.completion_tokens) == (1, 11, 7)
    assert (augsburg.calls, augsburg.failed_calls) == (2, 1)
    assert (augsburg.prompt_tokens, augsburg.completion_tokens) == (300, 9)
    assert augsburg.calls_by_task == {"second_opinion": 1, "summary": 1}
    assert munich.seconds > 0 and augsburg.seconds > 0
    assert meter.tenants() == ["augsburg", "muenchen"]
    # Unavailable is not an answer: nothing cached, the next try asks again.
    chat_server.script("Widerspruch gegen den Hundesteuerbescheid.")
    assert tasks.summary(tenant="augsburg", text=LETTER + " PS").cached is False


def test_personal_data_is_pseudonymised_before_the_call_and_restored_after(
    backend: OpenAIBackend, chat_server: ChatServer, meter: InMemoryMeter
) -> None:
    pseudonymiser = StandInPseudonymiser(
        {"Erika Mustermann": "[NAME_1]", "DE89370400440532013000": "[IBAN_1]"}
    )
    tasks = LlmTasks(
        backend=backend,
        cache=InMemoryResultCache(),
        meter=meter,
        pseudonymiser=pseudonymiser,
        timeout=5,
    )
    chat_server.script(
        json.dumps({"iban": "[IBAN_1]", "sender_name": "[NAME_1]"}),
        "[NAME_1] widerspricht dem Hundesteuerbescheid und verlangt die Erstattung.",
    )

    fields = tasks.fields(tenant="muenchen", text=LETTER, schema=LetterFields)
    summary = tasks.summary(tenant="muenchen", text=LETTER)

    sent = json.dumps([r["body"] for r in chat_server.requests], ensure_ascii=False)
    assert "Mustermann" not in sent and "DE8937" not in sent
    assert "[NAME_1]" in sent and "[IBAN_1]" in sent
    # Restored before validation: the IBAN pattern saw the real value.
    assert fields.value == LetterFields(
        iban="DE89370400440532013000", sender_name="Erika Mustermann"
    )
    assert summary.value == (
        "Erika Mustermann widerspricht dem Hundesteuerbescheid und verlangt die Erstattung."
    )


def test_summary_is_cleaned_and_cut_to_three_sentences(
    tasks: LlmTasks, chat_server: ChatServer
) -> None:
    chat_server.script(
        "Zusammenfassung: Frau Mustermann widerspricht dem Bescheid. Sie verlangt z. B. die "
        "Erstattung. Die Frist endet am 31.03.2025. Sie ist verärgert. Mehr steht nicht darin."
    )

    result = tasks.summary(tenant="muenchen", text=LETTER)

    assert result.value == (
        "Frau Mustermann widerspricht dem Bescheid. Sie verlangt z. B. die Erstattung. "
        "Die Frist endet am 31.03.2025."
    )


def test_an_empty_summary_is_dropped(tasks: LlmTasks, chat_server: ChatServer) -> None:
    chat_server.script("   ")
    result = tasks.summary(tenant="muenchen", text=LETTER)
    assert (result.value, result.dropped_reason, result.calls) == (None, "the summary is empty", 1)


@pytest.mark.parametrize(
    "answer",
    [
        '{"summary": "Frau Mustermann widerspricht dem Bescheid. Frist: 31.03.2025."}',
        '```json\n{"summary": "Frau Mustermann widerspricht dem Bescheid. '
        'Frist: 31.03.2025."}\n```',
        # cut off by the token cap before the JSON closed
        '{\n  "summary": "Frau Mustermann widerspricht dem Bescheid. Frist: 31.03.2025.',
    ],
)
def test_a_json_summary_answer_gives_its_sentences(
    tasks: LlmTasks, chat_server: ChatServer, answer: str
) -> None:
    chat_server.script(answer)
    result = tasks.summary(tenant="muenchen", text=LETTER)
    assert result.value == "Frau Mustermann widerspricht dem Bescheid. Frist: 31.03.2025."


def test_a_json_summary_without_its_string_is_dropped(
    tasks: LlmTasks, chat_server: ChatServer
) -> None:
    chat_server.script('{"zusammenfassung": 3}')
    result = tasks.summary(tenant="muenchen", text=LETTER)
    assert result.value is None
    assert result.dropped_reason == 'the JSON answer has no "summary" string'


def test_the_second_opinion_reads_the_head_of_a_long_letter(
    tasks: LlmTasks, chat_server: ChatServer
) -> None:
    chat_server.script('{"case_type": "hundesteuer"}', "Eine Zusammenfassung.")
    long_letter = "Vorbemerkungen zum Sachverhalt. " * 80 + LETTER  # 2,560 + 300 characters

    tasks.second_opinion(tenant="muenchen", text=long_letter, candidates=CANDIDATES)
    tasks.summary(tenant="muenchen", text=long_letter)

    opinion, summary = (r["body"]["messages"][1]["content"] for r in chat_server.requests)
    assert "Erika Mustermann" not in opinion  # beyond the 2,000 characters it reads
    assert "Erika Mustermann" in summary


def test_filled_form_fields_reach_the_model_even_after_long_printed_text(
    tasks: LlmTasks, chat_server: ChatServer
) -> None:
    chat_server.script("{}")
    printed = "Hinweise zum Ausfüllen des Meldescheins. " * 300  # 12,300 characters
    form = f"{printed}\n\n{FORM_FIELDS_HEADING}\nFamilienname: Khan\nVorname(n): Bruno"

    tasks.fields(tenant="muenchen", text=form, schema=LetterFields)

    [prompt] = chat_server.user_prompts()
    assert "Familienname: Khan" in prompt and "Vorname(n): Bruno" in prompt
    assert prompt.index(FORM_FIELDS_HEADING) < prompt.index("Hinweise zum Ausfüllen")
