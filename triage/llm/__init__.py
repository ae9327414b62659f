"""LLM assistance: chat backends, versioned prompts, fencing, pseudonymisation hook, tasks.

``build_llm_tasks(settings, cache=..., meter=..., pseudonymiser=...)`` gives the tasks for the
configured backend; torch and transformers load only with ``TRIAGE_LLM_BACKEND=transformers``.
"""

from triage.llm.backends import ChatBackend, Completion, LlmUnavailable, Message, build_backend
from triage.llm.cache import CacheEntry, CacheKey, InMemoryResultCache, ResultCache
from triage.llm.metering import CallUsage, InMemoryMeter, Meter, TenantUsage
from triage.llm.privacy import Pseudonymiser, pseudonymise_enabled
from triage.llm.prompts import Prompt, PromptError, load_prompt
from triage.llm.tasks import Candidate, LlmResult, LlmTasks, build_llm_tasks

__all__ = [
    "CacheEntry",
    "CacheKey",
    "CallUsage",
    "Candidate",
    "ChatBackend",
    "Completion",
    "InMemoryMeter",
    "InMemoryResultCache",
    "LlmResult",
    "LlmTasks",
    "LlmUnavailable",
    "Message",
    "Meter",
    "Prompt",
    "PromptError",
    "Pseudonymiser",
    "ResultCache",
    "TenantUsage",
    "build_backend",
    "build_llm_tasks",
    "load_prompt",
    "pseudonymise_enabled",
]
