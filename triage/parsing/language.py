"""Language of a parsed text, restricted to the languages citizens actually write in.

Restricting py3langid's 97 languages to those plausible in German municipal mail stops
short or form-like texts from being labelled as, say, Luxembourgish or Latin.
"""

from __future__ import annotations

import threading
from typing import Any

from py3langid.langid import MODEL_FILE, LanguageIdentifier

# German first; then the languages of the largest immigrant communities and neighbours.
LANGUAGES = (
    "de", "en", "fr", "it", "es", "nl", "pl", "tr", "ru", "uk", "ar", "ro", "hr", "sr", "cs",
)  # fmt: skip
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.5
# Classification is linear in the input; the opening of a document is representative.
_SAMPLE_CHARS = 10_000

_lock = threading.Lock()
_identifier: Any = None


def _get_identifier() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(LANGUAGES))
            _identifier = identifier
        return _identifier


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when too short or too unsure."""
    sample = text[:_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    language, confidence = _get_identifier().classify(sample)
    if confidence < MIN_CONFIDENCE:
        return None
    return str(language)
