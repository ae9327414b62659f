"""Language detection for routing and for the caseworker's view."""

from __future__ import annotations

import pytest

from triage.parsing import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sehr geehrte Damen und Herren, hiermit beantrage ich Wohngeld für meine Familie.", "de"),
        ("Dear Sir or Madam, I would like to apply for housing benefit for my family.", "en"),
        ("Madame, Monsieur, je voudrais demander une allocation de logement.", "fr"),
        ("Merhaba, ailem için konut yardımı başvurusunda bulunmak istiyorum.", "tr"),
        ("Здравствуйте, я хочу подать заявление на жилищное пособие для семьи.", "ru"),
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", "Hallo", "12.03.2024 4711 / 0815", "Antrag Nr. 5"])
def test_too_short_is_undecided(text: str) -> None:
    assert detect_language(text) is None
