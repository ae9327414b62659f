"""The fast character n-gram TF-IDF gives scikit-learn's matrix exactly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from triage.classify import char_grams
from triage.classify.char_grams import CharGramTfidf, word_grams
from triage.classify.text_features import TextFeatures

TRAIN = [
    "Sehr geehrte Damen und Herren, ich melde meinen Hund zur Hundesteuer an.",
    "Bitte holen Sie den Sperrmüll ab:  ein Sofa,\tzwei Stühle und ein Schrank.",
    "Antrag auf Wohngeld – Mietbescheinigung anbei. Mit freundlichen Grüßen",
    "Ich bin umgezogen. Neue Adresse: Hauptstraße 12a, 12345 Musterstadt.",
]
TEST = [
    "Ich melde meinen HUND an, und noch einen Hund, Hund Hund.",
    "Sperrmüll\n\nSofa   Schrank Öl",
    "",
    "x",
    "Völlig unbekannte Wörter: Quantenchromodynamik, Zauberstab!",
    "anan banana ananas " * 30,
]


def test_word_grams_match_scikit_learns_analyzer() -> None:
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for word in ["a", "ab", "abc", "hund", "straße", "anan"]:
        assert word_grams(word, low=2, high=5) == analyzer(word)


@pytest.mark.parametrize("min_df", [1, 2])
def test_same_matrix_as_scikit_learn(min_df: int) -> None:
    reference = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=min_df
    )
    reference.fit(TRAIN * 2 if min_df == 2 else TRAIN)
    fast = CharGramTfidf(vocabulary=reference.vocabulary_, idf=reference.idf_, low=2, high=5)
    expected = reference.transform(TEST).toarray()
    got = fast.transform(TEST)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.toarray(), expected, rtol=1e-5, atol=1e-6)
    # again, now from the word cache
    np.testing.assert_allclose(fast.transform(TEST).toarray(), expected, rtol=1e-5, atol=1e-6)


def test_the_cache_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(char_grams, "CACHE_WORDS", 3)
    reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    reference.fit(TRAIN)
    fast = CharGramTfidf(vocabulary=reference.vocabulary_, idf=reference.idf_, low=2, high=5)
    got = fast.transform(TEST)
    assert len(fast._columns) <= 3
    np.testing.assert_allclose(
        got.toarray(), reference.transform(TEST).toarray(), rtol=1e-5, atol=1e-6
    )


def test_text_features_use_it_and_still_match_their_own_fit() -> None:
    features, fitted = TextFeatures.fit_transform(TRAIN)
    np.testing.assert_allclose(
        features.transform(TRAIN).toarray(), fitted.toarray(), rtol=1e-5, atol=1e-6
    )
