"""How alike two letters are, apart from their vectors: the same wording (a duplicate), the
same sender, the same reference number.

Near-identity is the share of word triples two texts have in common. A scan and an e-mail
of one letter differ in their frame (an e-mail's header lines, OCR slips in a scan), so the
bar sits well below 1.0, yet far above two different letters (see
``bench/links_benchmark.py``). Cosine similarity of the vectors alone cannot tell a
duplicate from a second letter about the same matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[0-9a-zäöüß]+")
# The header block our e-mail parser puts first (triage.parsing.eml), or the blocks of a
# forwarded one: an e-mail copy of a letter is the same letter without them.
_EMAIL_HEADER = re.compile(r"\A(?:(?:Betreff|Von|An|Cc|Datum):[^\n]*\n|[ \t]*\n)+")
SHINGLE_WORDS = 3


def words(text: str) -> tuple[str, ...]:
    """The text's words, lower-cased, without punctuation or a leading e-mail header."""
    return tuple(_WORD.findall(_EMAIL_HEADER.sub("", text.lstrip()).casefold()))


def shingles(text_words: tuple[str, ...], *, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """The word n-grams of a text's words."""
    if len(text_words) < size:
        return frozenset([" ".join(text_words)]) if text_words else frozenset()
    return frozenset(" ".join(text_words[i : i + size]) for i in range(len(text_words) - size + 1))


def new_words(text_words: tuple[str, ...], other: frozenset[str]) -> int:
    """How many of the words are in no word triple the other text has: what a letter adds
    to the other (a reply's own paragraphs; a scan's OCR slips add only a few)."""
    size = SHINGLE_WORDS
    covered = [False] * len(text_words)
    for i in range(len(text_words) - size + 1):
        if " ".join(text_words[i : i + size]) in other:
            covered[i : i + size] = [True] * size
    return covered.count(False)


def overlap(first: frozenset[str], second: frozenset[str]) -> float:
    """Share of the larger set found in the smaller one: near 1.0 only when both texts are
    the same letter. (Measured against the larger set, a reply that quotes the whole
    earlier letter under a new one is no duplicate of it.)"""
    if not first or not second:
        return 0.0
    return len(first & second) / max(len(first), len(second))


def normalise_reference(value: str) -> str:
    """One spelling for a reference number: "AZ 12/345-b" and "12/345 B" match."""
    return re.sub(r"[^0-9A-Z]", "", value.upper())


def normalise_name(value: str) -> str:
    return " ".join(_WORD.findall(value.casefold()))


@dataclass(frozen=True)
class SenderIdentity:
    """What identifies a sender across letters: the name and the e-mail addresses."""

    name: str | None
    emails: frozenset[str]

    @classmethod
    def of(cls, name: str | None, emails: Iterable[str]) -> SenderIdentity:
        normalised = normalise_name(name) if name else ""
        return cls(normalised or None, frozenset(e.strip().casefold() for e in emails if e))

    def matches(self, other: SenderIdentity) -> bool:
        if self.name is not None and self.name == other.name:
            return True
        return bool(self.emails & other.emails)

    def describe(self) -> str:
        if self.name is not None:
            return self.name
        return min(self.emails) if self.emails else "?"
