"""The Embedder: prompts, chunking of long letters, pooling, naming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from triage.embedding import (
    PASSAGE,
    QUERY,
    Embedder,
    choose_prompt,
    normalize_rows,
    resolve_model_name,
)

UMMELDEN = "Ich möchte meinen Wohnsitz ummelden."
PARAGRAPH = (
    "Sehr geehrte Damen und Herren, hiermit lege ich Widerspruch gegen den Bescheid vom "
    "14. März 2024 ein, mit dem mein Antrag auf Wohngeld abgelehnt wurde. Die Berechnung "
    "berücksichtigt weder die gestiegenen Heizkosten noch die Unterhaltszahlungen. "
)


def test_documents_get_the_passage_prompt(
    embedder: Embedder, e5_model: SentenceTransformer
) -> None:
    texts = [UMMELDEN, "Die Hundesteuer wurde falsch berechnet."]
    ours = embedder.encode_documents(texts)
    # prompt="" so the model's default prompt is not added a second time.
    manual = e5_model.encode([f"passage: {t}" for t in texts], prompt="", normalize_embeddings=True)
    unprefixed = e5_model.encode(texts, prompt="", normalize_embeddings=True)
    assert ours.dtype == np.float32
    assert ours.shape == (2, embedder.dimension) == (2, 384)
    np.testing.assert_allclose(ours, manual, atol=1e-5)
    assert not np.allclose(ours, unprefixed, atol=1e-3)


def test_queries_get_the_query_prompt(embedder: Embedder, e5_model: SentenceTransformer) -> None:
    ours = embedder.encode_queries([UMMELDEN])
    manual = e5_model.encode([f"query: {UMMELDEN}"], prompt="", normalize_embeddings=True)
    np.testing.assert_allclose(ours, manual, atol=1e-5)


def test_german_similarity_order(embedder: Embedder) -> None:
    query, near, far = embedder.encode_documents(
        [UMMELDEN, "Antrag auf Ummeldung der Wohnung", "Die Hundesteuer wurde falsch berechnet."]
    )
    assert float(query @ near) > float(query @ far) + 0.02


def test_long_letter_is_chunked_and_pooled(embedder: Embedder) -> None:
    long_text = PARAGRAPH * 14  # about 850 tokens: two windows
    chunks = embedder.chunk([long_text, UMMELDEN], prompt=embedder.passage_prompt)
    windows = [c for c in chunks if c.document == 0]
    assert len(windows) == 2
    assert [c.document for c in chunks if c.document == 1] == [1]
    for window in windows:
        ids = embedder._tokenizer(embedder.passage_prompt + window.text)["input_ids"]
        assert len(ids) <= embedder.max_seq_length
    # Neighbouring windows overlap, so together they cover the text without gaps.
    assert windows[0].text[-40:] in windows[1].text
    assert windows[0].text[:40] == long_text[:40]
    assert windows[1].text[-40:] == long_text.strip()[-40:]

    vectors = embedder.encode_documents([long_text, UMMELDEN])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Each window is encoded on its own; the pooled vector is their token-weighted mean.
    window_vectors = embedder.encode_documents([w.text for w in windows])
    weights = np.array([[w.tokens] for w in windows], dtype=np.float32)
    expected = normalize_rows((window_vectors * weights).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(vectors[0], expected[0], atol=1e-4)
    # A short letter is a single window: pooling leaves it as it was.
    np.testing.assert_allclose(vectors[1], embedder.encode_documents([UMMELDEN])[0], atol=1e-5)


def test_chunks_are_capped(embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedder, "max_chunks", 2)
    chunks = embedder.chunk([PARAGRAPH * 60], prompt=embedder.passage_prompt)
    assert len(chunks) == 2


def test_empty_inputs(embedder: Embedder) -> None:
    assert embedder.encode_documents([]).shape == (0, 384)
    vector = embedder.encode_documents([""])
    assert vector.shape == (1, 384)
    with pytest.raises(TypeError):
        embedder.encode_documents(UMMELDEN)


def test_model_names(e5_folder: Path, tmp_path: Path) -> None:
    manifest = json.loads((e5_folder / "triage_build.json").read_text(encoding="utf-8"))
    digest = manifest["source"]["sha256"][:12]
    assert resolve_model_name(e5_folder) == f"intfloat/multilingual-e5-small@{digest}"
    plain = tmp_path / "my-encoder"
    plain.mkdir()
    assert resolve_model_name(plain) == "my-encoder"
    assert resolve_model_name("org/some-model") == "org/some-model"


def test_prompt_choice() -> None:
    configured = {"query": "query: ", "document": "passage: "}
    assert choose_prompt(configured=configured, names=PASSAGE, model_name="x") == "passage: "
    assert choose_prompt(configured=configured, names=QUERY, model_name="x") == "query: "
    # sentence-transformers' defaults for a model without prompts: empty strings.
    unset = {"query": "", "document": ""}
    assert choose_prompt(configured=unset, names=PASSAGE, model_name="my-e5-copy") == "passage: "
    assert choose_prompt(configured=unset, names=QUERY, model_name="E5-large") == "query: "
    assert choose_prompt(configured=unset, names=PASSAGE, model_name="org/minilm") == ""
    assert choose_prompt(configured={}, names=QUERY, model_name="org/minilm") == ""


def test_normalize_rows_keeps_zero_rows() -> None:
    rows = normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]])
