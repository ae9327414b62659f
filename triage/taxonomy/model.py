"""The taxonomy file's schema: case types with their queue, deadline and examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"
QUEUE_PATTERN = r"^[a-z][a-z0-9_-]{1,63}$"


class TaxonomyError(ValueError):
    """The taxonomy file is unreadable or breaks the schema; the message says where."""


class CaseType(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: Annotated[str, Field(pattern=KEY_PATTERN)]
    name: Annotated[str, Field(min_length=2, max_length=120)]
    description: Annotated[str, Field(min_length=10)]
    queue: Annotated[str, Field(pattern=QUEUE_PATTERN)]
    sla_days: Annotated[int, Field(ge=1, le=365)]
    examples: list[Annotated[str, Field(min_length=5)]] = Field(default_factory=list)


class Taxonomy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    name: str
    case_types: Annotated[list[CaseType], Field(min_length=2)]

    @model_validator(mode="after")
    def _unique_keys(self) -> Taxonomy:
        seen: set[str] = set()
        for case_type in self.case_types:
            if case_type.key in seen:
                raise ValueError(f"case type key {case_type.key!r} appears twice")
            seen.add(case_type.key)
        return self

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.case_types]

    def get(self, key: str) -> CaseType:
        for case_type in self.case_types:
            if case_type.key == key:
                return case_type
        raise KeyError(key)

    @property
    def queues(self) -> list[str]:
        return sorted({c.queue for c in self.case_types})

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<taxonomy>") -> Taxonomy:
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TaxonomyError(f"{source}: not valid YAML: {exc}") from exc
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
                for err in exc.errors()
            )
            raise TaxonomyError(f"{source}: {problems}") from exc

    @classmethod
    def load(cls, path: Path) -> Taxonomy:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TaxonomyError(f"cannot read taxonomy file {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise TaxonomyError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
        return cls.from_yaml(text, source=str(path))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(), allow_unicode=True, sort_keys=False)
