"""The annotated letters, loaded once for the field tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.fields.annotated import AnnotatedLetter, load_annotated_letters

LETTERS_FILE = Path(__file__).resolve().parents[2] / "bench" / "data" / "annotated_letters.jsonl"


@pytest.fixture(scope="session")
def annotated_letters() -> list[AnnotatedLetter]:
    return load_annotated_letters(LETTERS_FILE)
