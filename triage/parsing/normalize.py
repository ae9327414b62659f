"""Whitespace normalisation shared by all parsers, so texts compare and embed alike."""

from __future__ import annotations

import re
import unicodedata

# Characters that carry no text but confuse tokenisers and the language detector.
_INVISIBLE = dict.fromkeys(map(ord, "\x00\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_RUNS = re.compile(r"\n{3,}")
_OTHER_CONTROLS = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def normalize_text(text: str) -> str:
    """Unify newlines, collapse spaces and blank-line runs, NFC-normalise; keep paragraphs.

    Runs of spaces are collapsed because PDF extraction pads layout with them, which
    only inflates the text without adding meaning.
    """
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE))
    text = _LINE_BREAKS.sub("\n", text)
    text = _OTHER_CONTROLS.sub("", text)
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")
