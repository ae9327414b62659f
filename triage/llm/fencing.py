"""Document text enters a prompt only inside a fence that the text itself cannot close.

The fence carries a random boundary chosen per call, so a letter cannot know it in advance;
any fence-like tag in the text is defused as well, so a forged ``</document>`` stays text.
The system prompt names the boundary and says the fenced content is data, never instructions.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

FENCE_TAG = "document"
# "<document", "</document", "< / DOCUMENT", with any spacing or case: all would read as a fence.
_FENCE_LIKE = re.compile(r"<\s*(/?)\s*(document)", re.IGNORECASE)
# U+2039 SINGLE LEFT-POINTING ANGLE QUOTATION MARK: looks alike for a reader, is no tag.
_DEFUSED_BRACKET = "\u2039"


@dataclass(frozen=True, slots=True)
class FencedDocument:
    boundary: str
    text: str

    @property
    def opening(self) -> str:
        return f'<{FENCE_TAG} id="{self.boundary}">'

    @property
    def closing(self) -> str:
        return f'</{FENCE_TAG} id="{self.boundary}">'

    def render(self) -> str:
        return f"{self.opening}\n{self.text}\n{self.closing}"


def new_boundary() -> str:
    return secrets.token_hex(8)


def neutralise(text: str, *, boundary: str) -> str:
    """The text with every fence-like tag and every copy of the boundary made harmless."""
    defused = _FENCE_LIKE.sub(lambda m: f"{_DEFUSED_BRACKET}{m.group(1)}{m.group(2)}", text)
    # A 64-bit random boundary will not occur by chance; this covers a leaked one.
    return defused.replace(boundary, "[…]")


def fence(text: str, *, boundary: str | None = None) -> FencedDocument:
    chosen = boundary or new_boundary()
    return FencedDocument(boundary=chosen, text=neutralise(text, boundary=chosen))
