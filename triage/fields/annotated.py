"""Letters written for this project with their annotated fields and personal data.

One JSON object per line (`bench/data/annotated_letters.jsonl`): the letter text as a
parser would produce it, the ground-truth fields in the values-only `LlmFields` shape (so
the annotations pass through the same grounding as an LLM's answer), and the spans of
personal data that pseudonymisation must replace.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from triage.fields.pseudonymise import PersonalDataKind
from triage.fields.schema import LlmFields


class PersonalDataSpan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PersonalDataKind
    start: int = Field(ge=0)
    end: int = Field(gt=0)
    text: str


class AnnotatedLetter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    topic: str
    received: dt.date = Field(description="the day it came in: resolves relative deadlines")
    prompt_injection: bool = Field(
        default=False, description="contains a sentence that tries to steer the triage"
    )
    text: str
    fields: LlmFields
    personal_data: list[PersonalDataSpan]

    @model_validator(mode="after")
    def _spans_fit_text(self) -> AnnotatedLetter:
        for span in self.personal_data:
            if self.text[span.start : span.end] != span.text:
                raise ValueError(f"{self.id}: personal-data span {span.text!r} does not fit")
        return self


def load_annotated_letters(path: Path) -> list[AnnotatedLetter]:
    letters: list[AnnotatedLetter] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    letters.append(AnnotatedLetter.model_validate_json(line))
                except ValueError as error:
                    raise ValueError(f"{path}:{number}: {error}") from error
    ids = [letter.id for letter in letters]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: letter ids are not unique")
    return letters
