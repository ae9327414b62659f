"""Prompt files in prompts/ and the LLM settings: selection, validation, privacy default."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from triage.config import Settings
from triage.llm.backends import LlmUnavailable, Message, NoBackend
from triage.llm.cache import InMemoryResultCache
from triage.llm.metering import InMemoryMeter
from triage.llm.privacy import is_loopback_url, pseudonymise_enabled
from triage.llm.prompts import DEFAULT_PROMPTS_DIR, PromptError, load_prompt
from triage.llm.tasks import build_llm_tasks

MINIMAL = "system: Du fasst zusammen ($boundary).\nuser: |\n  Text:\n  $document\n"


@pytest.mark.parametrize("task", ["fields", "summary", "second_opinion"])
def test_the_shipped_prompts_load_and_fence_the_document(task: str) -> None:
    prompt = load_prompt(task, "de")

    messages = prompt.messages(
        document="<FENCED>", boundary="b0", schema="{}", case_types="- a: A – a"
    )
    assert prompt.version >= 1 and prompt.identity.startswith(f"{task}.de.v")
    assert [m.role for m in messages] == ["system", "user"]
    assert "<FENCED>" in messages[1].content
    assert '<document id="b0">' in messages[0].content
    # Only structured output gets a repair retry.
    assert (prompt.repair is not None) == (task == "fields")


def test_the_highest_version_wins_and_its_content_is_in_the_identity(tmp_path: Path) -> None:
    for version in (1, 2, 10):
        (tmp_path / f"summary.de.v{version}.yaml").write_text(
            MINIMAL.replace("zusammen", f"zusammen v{version}"), encoding="utf-8"
        )
    (tmp_path / "summary.en.v99.yaml").write_text(MINIMAL, encoding="utf-8")

    prompt = load_prompt("summary", "de", directory=tmp_path)

    assert prompt.version == 10
    assert "v10" in prompt.messages(document="d", boundary="b")[0].content
    edited = tmp_path / "summary.de.v10.yaml"
    edited.write_text(MINIMAL + "# edited\n", encoding="utf-8")
    assert load_prompt("summary", "de", directory=tmp_path).identity != prompt.identity


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("system: s\nuser: no document here\n", "must place \\$document"),
        ("system: s $secret\nuser: $document\n", "unknown placeholders"),
        ("user: $document\n", "system and user are required"),
        ("- a list\n", "expected a mapping"),
    ],
)
def test_malformed_prompt_files_are_refused(tmp_path: Path, content: str, problem: str) -> None:
    (tmp_path / "fields.de.v1.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(PromptError, match=problem):
        load_prompt("fields", "de", directory=tmp_path)


def test_a_missing_prompt_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"no prompt summary\.fr"):
        load_prompt("summary", "fr", directory=tmp_path)


def test_the_prompts_folder_is_the_checkout_root_unless_configured(tmp_path: Path) -> None:
    assert Path(__file__).resolve().parents[2] / "prompts" == DEFAULT_PROMPTS_DIR
    settings = Settings(data_dir=tmp_path, prompts_dir=tmp_path)
    tasks = build_llm_tasks(
        settings, cache=InMemoryResultCache(), meter=InMemoryMeter(), pseudonymiser=None
    )
    assert tasks.prompts_dir == tmp_path


def test_nothing_configured_means_no_llm_and_a_clear_unavailable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    tasks = build_llm_tasks(
        settings, cache=InMemoryResultCache(), meter=InMemoryMeter(), pseudonymiser=None
    )

    assert settings.effective_llm_backend == "none"
    assert isinstance(tasks.backend, NoBackend) and tasks.enabled is False
    with pytest.raises(LlmUnavailable, match="TRIAGE_LLM_BACKEND=none"):
        tasks.backend.complete([Message("user", "x")], max_new_tokens=1, timeout=1)
    with pytest.raises(LlmUnavailable):
        tasks.summary(tenant="t", text="Ein Brief.")


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"llm_backend": "transformers"}, "needs llm_model"),
        ({"llm_backend": "openai", "llm_model": "m"}, "needs llm_url and llm_model"),
        ({"llm_grey_zone": (0.7, 0.3)}, "low <= high"),
        ({"llm_concurrency": 0}, "greater than 0"),
    ],
)
def test_inconsistent_llm_settings_fail_at_start(
    tmp_path: Path, overrides: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        Settings(data_dir=tmp_path, **overrides)  # type: ignore[arg-type]


def test_explicit_backend_none_wins_over_a_configured_model(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_backend="none", llm_model="/models/qwen")
    assert settings.effective_llm_backend == "none"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:11434/v1", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000/v1", True),
        ("http://127.8.0.1", True),
        ("http://10.0.0.5:11434/v1", False),
        ("https://llm.stadt.example/v1", False),
        ("http://localhost.evil.example", False),
    ],
)
def test_loopback_urls(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_pseudonymisation_defaults_on_only_for_remote_servers(tmp_path: Path) -> None:
    def enabled(**overrides: object) -> bool:
        return pseudonymise_enabled(Settings(data_dir=tmp_path, **overrides))  # type: ignore[arg-type]

    assert enabled() is False
    assert enabled(llm_model="/models/qwen") is False  # local model: nothing leaves the process
    assert enabled(llm_url="http://127.0.0.1:11434", llm_model="m") is False
    assert enabled(llm_url="http://llm.intern:11434", llm_model="m") is True
    assert (
        enabled(llm_url="http://llm.intern:11434", llm_model="m", llm_pseudonymise=False) is False
    )
    assert enabled(llm_model="/models/qwen", llm_pseudonymise=True) is True


def test_a_remote_server_without_a_pseudonymiser_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm_url="http://llm.intern:11434", llm_model="m")
    with pytest.raises(ValueError, match="pseudonymisation is required"):
        build_llm_tasks(
            settings, cache=InMemoryResultCache(), meter=InMemoryMeter(), pseudonymiser=None
        )
