"""Logging with a per-document correlation id, so one document's path can be followed."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


@contextmanager
def correlation(document_id: uuid.UUID | str) -> Iterator[None]:
    token = _correlation_id.set(str(document_id))
    try:
        yield
    finally:
        _correlation_id.reset(token)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation_id.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries that narrate every call at INFO (font subsetting for demo PDFs, HTTP clients).
    for noisy in ("fontTools", "httpx", "httpcore", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(max(root.level, logging.WARNING))
