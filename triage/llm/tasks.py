"""The LLM tasks: structured fields, a German summary, a second opinion among given case types.

Every call fences the letter (``fencing``), pseudonymises it first when required (``privacy``),
is metered per tenant and cached by (text, task, prompt, model, variant). ``LlmUnavailable``
from the backend propagates: the caller retries later. An unusable answer is dropped with a
logged reason and cached as dropped, since greedy decoding would repeat it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel

from triage.fields.forms import form_first
from triage.llm.answers import (
    AnswerRejected,
    chosen_key,
    json_object,
    summary_sentences,
    summary_text,
    validated,
)
from triage.llm.backends import (
    ChatBackend,
    Completion,
    LlmUnavailable,
    Message,
    NoBackend,
    build_backend,
)
from triage.llm.cache import CacheEntry, CacheKey, ResultCache, digest_json, sha256_text
from triage.llm.fencing import fence
from triage.llm.guard import GUARD_VERSION, demanded_by, find_instructions, withheld
from triage.llm.metering import CallUsage, Meter
from triage.llm.privacy import Pseudonymiser, pseudonymise_enabled
from triage.llm.prompts import Prompt, load_prompt, prompts_directory

if TYPE_CHECKING:
    from triage.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
SchemaT = TypeVar("SchemaT", bound=BaseModel)

# Short answers get short budgets: on 2 cores every needless token costs a quarter second.
TOKEN_CAPS = {"summary": 200, "second_opinion": 40}
# Long letters are cut for the prompt; the head carries sender, reference and concern.
MAX_DOCUMENT_CHARS = 8000
# Choosing among a few case types needs the gist, not the whole letter: on 2 cores every
# 1,000 prompt tokens cost the 1.5B model about 14 s.
TASK_DOCUMENT_CHARS = {"second_opinion": 2000}


class Candidate(NamedTuple):
    key: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class LlmResult(Generic[T]):
    value: T | None
    dropped_reason: str | None = None
    cached: bool = False
    calls: int = 0  # backend calls made for this result (0 on a cache hit, 2 after a repair)


class LlmTasks:
    def __init__(
        self,
        *,
        backend: ChatBackend,
        cache: ResultCache,
        meter: Meter,
        pseudonymiser: Pseudonymiser | None = None,
        prompts_dir: Path | None = None,
        lang: str = "de",
        max_new_tokens: int = 400,
        timeout: float = 60.0,
        guard: bool = True,
    ) -> None:
        """``guard=False`` only for measuring what the injection guard buys (eval-llm)."""
        self.backend = backend
        self.cache = cache
        self.meter = meter
        self.pseudonymiser = pseudonymiser
        self.prompts_dir = prompts_dir
        self.lang = lang
        self.max_new_tokens = max_new_tokens
        self.timeout = timeout
        self.guard = guard
        self._prompts: dict[str, Prompt] = {}

    def without_guard(self) -> LlmTasks:
        """The same backend, cache and meter with the injection guard off."""
        return LlmTasks(
            backend=self.backend,
            cache=self.cache,
            meter=self.meter,
            pseudonymiser=self.pseudonymiser,
            prompts_dir=self.prompts_dir,
            lang=self.lang,
            max_new_tokens=self.max_new_tokens,
            timeout=self.timeout,
            guard=False,
        )

    @property
    def enabled(self) -> bool:
        """False with ``TRIAGE_LLM_BACKEND=none``: callers skip the tasks (and their metering)."""
        return not isinstance(self.backend, NoBackend)

    def summary(self, *, tenant: str, text: str) -> LlmResult[str]:
        def interpret(answer: str, restore: Callable[[Any], Any]) -> str:
            return summary_sentences(str(restore(summary_text(answer))))

        return self._run(
            tenant=tenant, task="summary", text=text, values={}, interpret=interpret, repair=False
        )

    def fields(self, *, tenant: str, text: str, schema: type[SchemaT]) -> LlmResult[SchemaT]:
        return self.structured(tenant=tenant, task="fields", text=text, schema=schema)

    def structured(
        self, *, tenant: str, task: str, text: str, schema: type[SchemaT]
    ) -> LlmResult[SchemaT]:
        """The answer as ``schema``; one repair retry shows the model its validation error."""
        schema_json = schema.model_json_schema()

        def interpret(answer: str, restore: Callable[[Any], Any]) -> dict[str, Any]:
            # Placeholders are restored before validation: validators (IBAN checksums)
            # must see the real values.
            restored = restore(json_object(answer))
            return validated(restored, schema).model_dump(mode="json")

        result = self._run(
            tenant=tenant,
            task=task,
            text=text,
            values={"schema": json.dumps(schema_json, ensure_ascii=False)},
            variant=f"{schema.__name__}:{digest_json(schema_json)}",
            interpret=interpret,
            repair=True,
        )
        value = None if result.value is None else schema.model_validate(result.value)
        return LlmResult(value, result.dropped_reason, result.cached, result.calls)

    def second_opinion(
        self, *, tenant: str, text: str, candidates: Sequence[tuple[str, str, str]]
    ) -> LlmResult[str]:
        """One of the candidates' keys, or an abstention (value None); never another key."""
        listed = [Candidate(*candidate) for candidate in candidates]
        if not listed:
            return LlmResult(None, "no candidates to choose from")
        keys = [candidate.key for candidate in listed]
        case_types = "\n".join(f"- {c.key}: {c.name} – {c.description}" for c in listed)
        suspects = find_instructions(text) if self.guard else []

        def interpret(answer: str, restore: Callable[[Any], Any]) -> str | None:
            key, reason = chosen_key(answer, keys)
            if reason is not None:
                raise AnswerRejected(reason)
            chosen = listed[keys.index(str(key))]
            if demanded_by(suspects, key=chosen.key, name=chosen.name) is not None:
                # The model never saw that sentence, yet picked what it demands: a hidden
                # instruction may have worked another way, so the choice is not trusted.
                raise AnswerRejected("the letter itself demands this case type")
            return key

        return self._run(
            tenant=tenant,
            task="second_opinion",
            text=text,
            values={"case_types": case_types},
            variant=digest_json([list(candidate) for candidate in listed]),
            interpret=interpret,
            repair=False,
        )

    def prompt(self, task: str) -> Prompt:
        if task not in self._prompts:
            self._prompts[task] = load_prompt(task, self.lang, directory=self.prompts_dir)
        return self._prompts[task]

    def _run(
        self,
        *,
        tenant: str,
        task: str,
        text: str,
        values: dict[str, str],
        interpret: Callable[[str, Callable[[Any], Any]], Any],
        repair: bool,
        variant: str = "",
    ) -> LlmResult[Any]:
        prompt = self.prompt(task)
        guarded = f"+guard{GUARD_VERSION}" if self.guard else "+unguarded"
        identity = prompt.identity + guarded
        key = CacheKey(sha256_text(text), task, identity, self.backend.model_name, variant)
        if (hit := self.cache.get(key)) is not None:
            return LlmResult(hit.value, hit.dropped_reason, cached=True)

        # Filled form fields go first: a form's printed text alone can fill the cut.
        shown = form_first(text)
        shown = withheld(shown, find_instructions(shown)) if self.guard else shown
        cut = TASK_DOCUMENT_CHARS.get(task, MAX_DOCUMENT_CHARS)
        sent, restore = self._pseudonymised(shown[:cut])
        fenced = fence(sent)
        messages = prompt.messages(document=fenced.render(), boundary=fenced.boundary, **values)
        max_new_tokens = min(self.max_new_tokens, TOKEN_CAPS.get(task, self.max_new_tokens))

        answer = self._call(tenant=tenant, task=task, messages=messages, limit=max_new_tokens)
        calls = 1
        try:
            value, reason = interpret(answer.text, restore), None
        except AnswerRejected as rejected:
            value, reason = None, str(rejected)
        if reason is not None and repair and prompt.repair is not None:
            log.info("LLM %s answer rejected (%s); asking once for a repair", task, reason)
            messages += [
                Message("assistant", answer.text),
                prompt.repair_message(error=reason),
            ]
            answer = self._call(tenant=tenant, task=task, messages=messages, limit=max_new_tokens)
            calls = 2
            try:
                value, reason = interpret(answer.text, restore), None
            except AnswerRejected as rejected:
                value, reason = None, f"after one repair: {rejected}"
        if reason is not None:
            log.warning("LLM %s answer dropped: %s", task, reason)
        self.cache.put(key, CacheEntry(value, reason))
        return LlmResult(value, reason, cached=False, calls=calls)

    def _pseudonymised(self, text: str) -> tuple[str, Callable[[Any], Any]]:
        if self.pseudonymiser is None:
            return text, lambda obj: obj
        pseudonymiser = self.pseudonymiser
        sent, mapping = pseudonymiser.pseudonymise(text)
        return sent, lambda obj: pseudonymiser.restore(obj, mapping)

    def _call(self, *, tenant: str, task: str, messages: list[Message], limit: int) -> Completion:
        started = time.monotonic()
        try:
            completion = self.backend.complete(messages, max_new_tokens=limit, timeout=self.timeout)
        except LlmUnavailable:
            usage = CallUsage(task, 0, 0, time.monotonic() - started, failed=True)
            self.meter.record(tenant=tenant, usage=usage)
            raise
        usage = CallUsage(
            task, completion.prompt_tokens, completion.completion_tokens, completion.seconds
        )
        self.meter.record(tenant=tenant, usage=usage)
        return completion


def build_llm_tasks(
    settings: Settings,
    *,
    cache: ResultCache,
    meter: Meter,
    pseudonymiser: Pseudonymiser | None,
    backend: ChatBackend | None = None,
) -> LlmTasks:
    """Tasks for the configured backend; refuses to run unpseudonymised where it is required."""
    if pseudonymise_enabled(settings):
        if pseudonymiser is None:
            raise ValueError(
                "pseudonymisation is required for this LLM backend but no pseudonymiser was given"
            )
    else:
        pseudonymiser = None
    return LlmTasks(
        backend=backend or build_backend(settings),
        cache=cache,
        meter=meter,
        pseudonymiser=pseudonymiser,
        prompts_dir=prompts_directory(settings),
        max_new_tokens=settings.llm_max_new_tokens,
        timeout=settings.llm_timeout_seconds,
    )
