"""Leave-one-out and zero-shot evaluation, on a keyword encoder so that no model loads."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from triage.classify import DEFAULT_TEMPERATURE
from triage.embedding import normalize_rows
from triage.evaluation import evaluate_letters, leave_one_out, zero_shot
from triage.taxonomy import CaseType, Taxonomy

WORDS = ["hund", "müll", "kita", "bau", "melde", "strasse"]


class KeywordEncoder:
    """One axis per keyword plus a text-specific random part; counts its calls."""

    model_name = "keywords"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode_documents(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.calls.append(len(texts))
        rows = []
        for text in texts:
            seed = sum(ord(c) * (i + 1) for i, c in enumerate(text)) % (2**32)
            noise = np.random.default_rng(seed).normal(scale=0.25, size=len(WORDS) + 4)
            signal = [float(word in text.lower()) for word in WORDS] + [0.0] * 4
            rows.append(np.array(signal) + noise)
        return normalize_rows(np.array(rows))


def _taxonomy() -> Taxonomy:
    return Taxonomy(
        name="Test",
        case_types=[
            CaseType(
                key=word.replace("ü", "ue"),
                name=f"Thema {word}",
                description=f"Alles zum Thema {word} und verwandte Anliegen.",
                queue="team",
                sla_days=10,
            )
            for word in WORDS
        ],
    )


def _letters() -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for word in WORDS:
        for n in range(4):
            texts.append(f"Schreiben {n} zu {word}, bitte bearbeiten")
            labels.append(word.replace("ü", "ue"))
    return texts, labels


def test_evaluate_letters_encodes_once_and_scores_well() -> None:
    encoder = KeywordEncoder()
    texts, labels = _letters()
    result = evaluate_letters(
        taxonomy=_taxonomy(), embedder=encoder, texts=texts, labels=labels, threshold=0.5
    )
    assert encoder.calls == [len(WORDS) * 1, len(texts)]  # prototypes once, letters once
    assert result.leave_one_out.accuracy >= 0.9
    assert result.zero_shot.accuracy >= 0.8
    assert result.leave_one_out.n == result.zero_shot.n == len(texts)
    assert result.leave_one_out.classes == _taxonomy().keys
    assert 0.0 <= result.leave_one_out.coverage <= 1.0
    assert 0.005 <= result.temperature <= 1.0


def test_a_letter_never_sees_itself() -> None:
    """Two letters about "hund" labelled "kita": were a letter among its own examples it
    would score cosine 1 for "kita"; held out, the "hund" prototypes and letters win."""
    texts, labels = _letters()
    texts += ["hund hund hund allein", "der hund bellt laut nachts"]
    labels += ["kita", "kita"]
    report = leave_one_out(
        taxonomy=_taxonomy(), embedder=KeywordEncoder(), texts=texts, labels=labels
    )
    confusion = report.confusion
    kita, hund = report.classes.index("kita"), report.classes.index("hund")
    assert confusion[kita, hund] == 2


def test_zero_shot_uses_the_fixed_temperature() -> None:
    texts, labels = _letters()
    cold = zero_shot(taxonomy=_taxonomy(), embedder=KeywordEncoder(), texts=texts, labels=labels)
    warm = zero_shot(
        taxonomy=_taxonomy(),
        embedder=KeywordEncoder(),
        texts=texts,
        labels=labels,
        temperature=DEFAULT_TEMPERATURE * 50,
    )
    assert cold.accuracy == warm.accuracy
    assert cold.coverage >= warm.coverage


def test_rejects_bad_input() -> None:
    texts, labels = _letters()
    with pytest.raises(ValueError, match="length"):
        evaluate_letters(
            taxonomy=_taxonomy(), embedder=KeywordEncoder(), texts=texts, labels=labels[:-1]
        )
    with pytest.raises(ValueError, match="not in the classifier"):
        evaluate_letters(
            taxonomy=_taxonomy(), embedder=KeywordEncoder(), texts=texts, labels=["x"] * len(texts)
        )
