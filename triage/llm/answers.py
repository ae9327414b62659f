"""Turning model output into checked values; every rejection has a reason free of letter content."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

MAX_SUMMARY_SENTENCES = 3
MAX_SUMMARY_CHARS = 600
_CODE_FENCE = re.compile(r"^```[a-zA-Z]*\s*|\s*```$")
# A candidate sentence end: . ! ? then space and an upper-case letter or digit.
_STOP = re.compile(r"[.!?]\s+(?=[A-ZÄÖÜ0-9])")
_WORD_BEFORE = re.compile(r"(\S+)$")
# Not an end: abbreviations ("z. B.", "Nr.", "Abs."), initials and ordinals ("1. März").
_ABBREVIATIONS = frozenset(
    [
        "abs.",
        "az.",
        "bzgl.",
        "bzw.",
        "ca.",
        "dr.",
        "ff.",
        "fr.",
        "gem.",
        "ggf.",
        "hr.",
        "inkl.",
        "lt.",
        "nr.",
        "prof.",
        "st.",
        "str.",
        "tel.",
        "usw.",
        "vgl.",
    ]
)
_SUMMARY_PREFIX = re.compile(r"^\s*(zusammenfassung|summary)\s*:\s*", re.IGNORECASE)
_SUMMARY_JSON_HEAD = re.compile(r'^\{\s*"summary"\s*:\s*"')
_ABSTAIN = {"", "none", "null", "keine", "abstain"}

SchemaT = TypeVar("SchemaT", bound=BaseModel)


class AnswerRejected(ValueError):
    """The model's answer is unusable; the message is safe to log and to show the model."""


def json_object(text: str) -> dict[str, Any]:
    """The JSON object in an answer, tolerating a Markdown code fence or words around it."""
    stripped = _CODE_FENCE.sub("", text.strip())
    start, end = stripped.find("{"), stripped.rfind("}")
    if start < 0:
        raise AnswerRejected("the answer contains no JSON object")
    if end <= start:
        raise AnswerRejected("the JSON object is not closed (answer cut off?)")
    try:
        value = json.loads(stripped[start : end + 1])
    except json.JSONDecodeError as error:
        raise AnswerRejected(f"invalid JSON: {error.msg} at position {error.pos}") from error
    if not isinstance(value, dict):
        raise AnswerRejected("the answer is JSON but not an object")
    return value


def validated(data: dict[str, Any], schema: type[SchemaT]) -> SchemaT:
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise AnswerRejected(validation_summary(error)) from error


def validation_summary(error: ValidationError, *, limit: int = 5) -> str:
    """Field paths and messages only: the offending input may hold personal data."""
    problems = [
        f"{'.'.join(str(part) for part in problem['loc']) or '(root)'}: {problem['msg']}"
        for problem in error.errors(include_input=False, include_url=False)
    ]
    more = f" (+{len(problems) - limit} more)" if len(problems) > limit else ""
    return "schema violations: " + "; ".join(problems[:limit]) + more


def summary_text(answer: str) -> str:
    """The summary of a ``{"summary": "..."}`` answer; any other answer as it stands (small
    models sometimes drop the JSON and write the sentences alone)."""
    try:
        value = json_object(answer).get("summary")
    except AnswerRejected:
        # A JSON answer cut off by the token cap still carries its sentences.
        return _SUMMARY_JSON_HEAD.sub("", answer.strip())
    if not isinstance(value, str):
        raise AnswerRejected('the JSON answer has no "summary" string')
    return value


def summary_sentences(text: str) -> str:
    """One to three sentences of plain text; longer answers are cut after the third sentence."""
    cleaned = _SUMMARY_PREFIX.sub("", _CODE_FENCE.sub("", text.strip()))
    cleaned = " ".join(cleaned.split()).strip('"„“ ')
    if not cleaned:
        raise AnswerRejected("the summary is empty")
    sentences = _sentences(cleaned)
    kept = " ".join(sentences[:MAX_SUMMARY_SENTENCES])
    if len(kept) > MAX_SUMMARY_CHARS:
        raise AnswerRejected(f"the summary is longer than {MAX_SUMMARY_CHARS} characters")
    return kept


def _sentences(text: str) -> list[str]:
    sentences, start = [], 0
    for stop in _STOP.finditer(text):
        word = _WORD_BEFORE.search(text[start : stop.start() + 1])
        before = word.group(1).lower() if word else ""
        if before in _ABBREVIATIONS or re.fullmatch(r"(\w|\d{1,2})\.", before):
            continue
        sentences.append(text[start : stop.start() + 1])
        start = stop.end()
    sentences.append(text[start:])
    return [sentence.strip() for sentence in sentences if sentence.strip()]


def chosen_key(text: str, keys: list[str]) -> tuple[str | None, str | None]:
    """(key, None) for a listed key; (None, reason) for an abstention or anything else."""
    try:
        raw = json_object(text).get("case_type")
    except AnswerRejected:
        # Small models sometimes answer with the bare key.
        raw = text.strip().strip("`\"'. ")
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in _ABSTAIN):
        return None, "the model abstained"
    if isinstance(raw, str) and raw.strip() in keys:
        return raw.strip(), None
    return None, "the model named no case type from the candidates"
