"""Results of LLM tasks, kept by what determines them: text, task, prompt, model and variant.

Greedy decoding makes an answer a function of these, so a rejected answer is cached as well
(with its reason): asking again would cost the same and fail the same way.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class CacheKey:
    text_sha256: str
    task: str
    prompt: str  # Prompt.identity: task, language, version and a digest of the file
    model: str
    variant: str = ""  # e.g. a digest of the schema or of the candidate case types


@dataclass(frozen=True, slots=True)
class CacheEntry:
    value: Any  # JSON-compatible; None when the answer was dropped
    dropped_reason: str | None = None


class ResultCache(Protocol):
    def get(self, key: CacheKey) -> CacheEntry | None: ...

    def put(self, key: CacheKey, entry: CacheEntry) -> None: ...


class InMemoryResultCache:
    """Least recently used entries go first; safe across worker threads."""

    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, CacheEntry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: CacheKey, entry: CacheEntry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_json(value: Any) -> str:
    """A short stable digest of JSON-compatible data (schemas, candidate lists)."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sha256_text(canonical)[:16]
