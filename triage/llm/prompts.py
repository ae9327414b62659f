"""Prompt files: ``<task>.<lang>.v<N>.yaml`` in ``prompts/``; the highest version is used.

A file holds ``system`` and ``user`` templates (``string.Template``: ``$name``, ``$$`` for a
dollar sign) and, for tasks with a repair retry, ``repair``. Every user template must place
``$document``, the fenced letter; values are substituted once, so text in a letter that looks
like a placeholder stays text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

import yaml

from triage.llm.backends import Message

if TYPE_CHECKING:
    from triage.config import Settings

# prompts/ beside the triage package: the checkout, also after `pip install -e .`. A wheel
# installed elsewhere (the Docker image) sets TRIAGE_PROMPTS_DIR to the copied folder.
DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
PLACEHOLDERS = frozenset({"document", "boundary", "schema", "case_types", "error"})
_FILE_NAME = re.compile(r"^(?P<task>[a-z_]+)\.(?P<lang>[a-z]{2})\.v(?P<version>[1-9][0-9]*)\.yaml$")


class PromptError(ValueError):
    """A prompt file is missing or malformed; the message names the file."""


@dataclass(frozen=True, slots=True)
class Prompt:
    task: str
    lang: str
    version: int
    system: Template
    user: Template
    repair: Template | None
    digest: str  # of the file's bytes: an edit without a new version still changes cache keys

    @property
    def identity(self) -> str:
        return f"{self.task}.{self.lang}.v{self.version}#{self.digest}"

    def messages(self, **values: str) -> list[Message]:
        return [
            Message("system", self.system.substitute(values)),
            Message("user", self.user.substitute(values)),
        ]

    def repair_message(self, **values: str) -> Message:
        if self.repair is None:
            raise PromptError(f"prompt {self.identity} has no repair template")
        return Message("user", self.repair.substitute(values))


def prompts_directory(settings: Settings | None = None) -> Path:
    if settings is not None and settings.prompts_dir is not None:
        return settings.prompts_dir
    return DEFAULT_PROMPTS_DIR


def load_prompt(task: str, lang: str = "de", *, directory: Path | None = None) -> Prompt:
    folder = directory or DEFAULT_PROMPTS_DIR
    versions: list[tuple[int, Path]] = []
    for path in folder.glob(f"{task}.{lang}.v*.yaml"):
        match = _FILE_NAME.match(path.name)
        if match and match["task"] == task and match["lang"] == lang:
            versions.append((int(match["version"]), path))
    if not versions:
        raise PromptError(f"no prompt {task}.{lang}.v*.yaml in {folder}")
    version, path = max(versions)
    return _parse(path, task=task, lang=lang, version=version)


def _parse(path: Path, *, task: str, lang: str, version: int) -> Prompt:
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise PromptError(f"{path.name}: not YAML: {error}") from error
    if not isinstance(data, dict):
        raise PromptError(f"{path.name}: expected a mapping with system and user")
    unknown = set(data) - {"system", "user", "repair", "notes"}
    if unknown:
        raise PromptError(f"{path.name}: unknown keys {sorted(unknown)}")
    templates = {name: _template(path, data, name) for name in ("system", "user", "repair")}
    system, user = templates["system"], templates["user"]
    if system is None or user is None:
        raise PromptError(f"{path.name}: system and user are required")
    if "document" not in user.get_identifiers():
        raise PromptError(f"{path.name}: the user template must place $document")
    return Prompt(
        task=task,
        lang=lang,
        version=version,
        system=system,
        user=user,
        repair=templates["repair"],
        digest=hashlib.sha256(raw).hexdigest()[:12],
    )


def _template(path: Path, data: dict[str, object], name: str) -> Template | None:
    text = data.get(name)
    if text is None:
        return None
    if not isinstance(text, str) or not text.strip():
        raise PromptError(f"{path.name}: {name} must be non-empty text")
    template = Template(text.strip())
    if not template.is_valid():
        raise PromptError(f"{path.name}: {name} has a malformed $placeholder")
    unknown = set(template.get_identifiers()) - PLACEHOLDERS
    if unknown:
        raise PromptError(f"{path.name}: {name} uses unknown placeholders {sorted(unknown)}")
    return template
