"""Turn letters into unit vectors with a local sentence-transformers model (E5 by default).

Prompts. E5 models were trained with a ``passage: `` prefix on documents and ``query: `` on
queries; without them the vectors are noticeably worse. The prefix comes from the model's
configured prompts (``config_sentence_transformers.json``) when it has them, is written
literally for an E5 model without them, and is left out for any other model.

Long documents. The encoder sees at most ``max_seq_length`` tokens (512 for E5, including
``<s>``, ``</s>`` and the prompt); sentence-transformers would silently drop the rest. We
therefore cut each document by the model's own tokenizer into windows that fit (with a
small overlap so no sentence is lost at a seam), encode all windows of all documents in one
batched call (the library sorts them by length, so short letters do not pay for long ones),
and pool each document's windows into one vector: the mean of the window vectors weighted
by their token counts, renormalised. A short letter stays a single window, so its vector is
exactly ``encode(prompt + text)``.

Why this pooling: measured on 10kGNAD German news (``../shared/data/benchmarks``), 150
test texts of two or more windows against 20 training texts per class (9 classes), with
the test texts pooled each way and the training texts reduced to their first window, as
our prototypes are short (accuracy / macro-F1):

==========================  =============  =============  =============
pooling of the test text    1-NN           mean of top 5  class centroid
==========================  =============  =============  =============
first window (truncation)   0.596 / 0.605  0.674 / 0.692  0.688 / 0.694
mean of windows             0.667 / 0.682  0.752 / 0.775  0.716 / 0.715
token-weighted mean         0.652 / 0.680  0.738 / 0.764  0.730 / 0.729
first window counted twice  0.652 / 0.677  0.688 / 0.711  0.730 / 0.736
==========================  =============  =============  =============

Pooling all windows beats truncation by 4-8 points: the topic is spread over the text.
Token-weighted and plain mean are within noise of each other here (two texts of 150);
we weight by tokens because a letter's last window is often a short tail (greeting,
signature, bank line) that should not count as much as a full page, and news has no
such tails. Boosting the first window (where a letter's Betreff is) did not help: it is
already the fullest window. One caveat measured on the same data: when *both* sides are
pooled long texts, nearest neighbours favour other long texts (94 % of 1-NN hits were
multi-window texts against 49 % of the pool, 1-NN accuracy 0.532), so long letters used
as labelled examples attract long letters; centring on the mean vector, as
``triage.classify.similarity`` does, cut that share to 65 % and raised 1-NN to 0.624.

Only the first ``max_chunks`` windows (default 8, ~4,000 tokens or six pages) are used:
beyond that a letter's pages are attachments (statements, forms, copies of notices) that
dilute its vector, and every window costs about as much as a batch of short letters
(a 512-token window is ~0.3-0.5 s on two CPU cores).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

DEFAULT_MAX_CHUNKS = 8
# Tokens shared by neighbouring windows, so that no sentence is only ever seen cut in two.
CHUNK_OVERLAP = 32
# Re-tokenising a window's text can come out a token or two longer than the slice it was
# cut from (word pieces at its edges merge differently); keep room for that.
_SAFETY_TOKENS = 4
# A token of an XLM-R/BERT vocabulary never spans more characters than this in practice;
# text beyond max_chunks windows of such tokens can be dropped before tokenising at all.
_MAX_CHARS_PER_TOKEN = 32
MANIFEST = "triage_build.json"
PASSAGE = ("passage", "document")
QUERY = ("query",)
E5_PROMPTS = {"passage": "passage: ", "document": "passage: ", "query": "query: "}

FloatMatrix = NDArray[np.float32]


@dataclass(frozen=True)
class Chunk:
    """One window of a document: which document, its text and its content token count."""

    document: int
    text: str
    tokens: int


def resolve_model_name(model: str | Path) -> str:
    """The name recorded next to every vector, so vectors of different models never mix.

    For a folder built by ``triage.modelbuild`` it is the manifest's model id plus the
    first 12 hex digits of the source weights' SHA-256 (``intfloat/multilingual-e5-small@
    1571fc982750``): a rebuild from other weights gives other vectors and must not match.
    Another local folder is named by its folder name; a hub id is kept as it is.
    """
    path = Path(model)
    if not path.is_dir():
        return str(model)
    manifest = path / MANIFEST
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        name = str(data.get("model") or path.name)
        digest = (data.get("source") or {}).get("sha256")
        return f"{name}@{str(digest)[:12]}" if digest else name
    return path.resolve().name


def choose_prompt(
    *, configured: Mapping[str, str | None], names: Sequence[str], model_name: str
) -> str:
    """The first non-empty configured prompt among ``names``; else E5's literal prefix for
    an E5 model; else none. (sentence-transformers fills in empty "query"/"document"
    prompts for models that configure none, so an empty one means "not configured".)"""
    for name in names:
        prompt = configured.get(name)
        if prompt:
            return prompt
    if "e5" in model_name.lower():
        return E5_PROMPTS[names[0]]
    return ""


class Embedder:
    """A sentence-transformers model on the CPU, embedding documents and queries."""

    def __init__(
        self,
        *,
        model: str | Path,
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        threads: int | None = None,
    ) -> None:
        """Load ``model`` (a local folder or an id already in the local cache; nothing is
        downloaded). ``threads`` sets torch's intra-op thread count, which is global to
        the process."""
        if max_chunks < 1:
            raise ValueError("max_chunks must be at least 1")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads is not None:
            torch.set_num_threads(threads)
        self._model = SentenceTransformer(str(model), device="cpu", local_files_only=True)
        self.model_name = resolve_model_name(model)
        self.max_chunks = max_chunks
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"model {self.model_name} does not report its dimension")
        self.dimension: int = int(dimension)
        max_seq_length = self._model.max_seq_length
        if max_seq_length is None:
            raise ValueError(f"model {self.model_name} does not report its max_seq_length")
        self.max_seq_length: int = int(max_seq_length)
        self._tokenizer: Any = self._model.tokenizer
        configured = dict(self._model.prompts or {})
        self.passage_prompt = choose_prompt(
            configured=configured, names=PASSAGE, model_name=self.model_name
        )
        self.query_prompt = choose_prompt(
            configured=configured, names=QUERY, model_name=self.model_name
        )

    def _content_tokens(self, prompt: str) -> int:
        """How many of the text's own tokens fit in one window after the prompt."""
        prompt_tokens = len(self._tokenizer(prompt, add_special_tokens=False)["input_ids"])
        budget = self.max_seq_length - 2 - prompt_tokens - _SAFETY_TOKENS
        if budget <= CHUNK_OVERLAP:
            raise ValueError(f"max_seq_length {self.max_seq_length} leaves no room to chunk")
        return budget

    def chunk(self, texts: Sequence[str], *, prompt: str | None = None) -> list[Chunk]:
        """Cut each text into at most ``max_chunks`` windows that fit the model with
        ``prompt`` (default: the passage prompt) in front. Every text yields at least one
        window (an empty one for ""). Windows are cut at token boundaries, which may split a
        word at a seam; the overlap shows that word whole in the neighbouring window."""
        size = self._content_tokens(self.passage_prompt if prompt is None else prompt)
        stride = size - CHUNK_OVERLAP
        limit = (stride * (self.max_chunks - 1) + size) * _MAX_CHARS_PER_TOKEN
        heads = [text[:limit] for text in texts]
        encoded = self._tokenizer(
            heads, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        chunks: list[Chunk] = []
        for index, (text, offsets) in enumerate(zip(heads, encoded["offset_mapping"], strict=True)):
            if not offsets:
                chunks.append(Chunk(document=index, text=text.strip(), tokens=1))
                continue
            for number, start in enumerate(range(0, len(offsets), stride)):
                window = offsets[start : start + size]
                chunks.append(
                    Chunk(
                        document=index,
                        text=text[window[0][0] : window[-1][1]].strip(),
                        tokens=len(window),
                    )
                )
                if number + 1 >= self.max_chunks or start + size >= len(offsets):
                    break
        return chunks

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int) -> FloatMatrix:
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not a single string")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = self.chunk(texts, prompt=prompt)
        vectors = self._model.encode(
            [c.text for c in chunks],
            prompt=prompt,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        owners = np.array([c.document for c in chunks], dtype=np.intp)
        weights = np.array([c.tokens for c in chunks], dtype=np.float32)
        pooled = np.zeros((len(texts), self.dimension), dtype=np.float32)
        np.add.at(pooled, owners, vectors * weights[:, None])
        return normalize_rows(pooled)

    def encode_documents(self, texts: Sequence[str], *, batch_size: int = 32) -> FloatMatrix:
        """One L2-normalised float32 row per text, embedded as a passage."""
        return self._encode(texts, self.passage_prompt, batch_size)

    def encode_queries(self, texts: Sequence[str], *, batch_size: int = 32) -> FloatMatrix:
        """One L2-normalised float32 row per text, embedded as a search query."""
        return self._encode(texts, self.query_prompt, batch_size)


def normalize_rows(matrix: NDArray[np.floating[Any]]) -> FloatMatrix:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    array = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    result: FloatMatrix = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return result
