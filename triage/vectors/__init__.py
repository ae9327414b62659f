"""Vector index for similar-document search: a Protocol, two Qdrant stores, a factory.

With a server URL the service uses a Qdrant server (production, several processes). Without
one it embeds the index in the process; ``DEFAULT_EMBEDDED_KIND`` is the faster of the two
embedded options in ``bench/vector_store.py`` (figures in that file's docstring).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from triage.vectors.base import (
    DEFAULT_INDEXED_FIELDS,
    REINDEX_COMMAND,
    ModelMismatchError,
    PayloadValue,
    TenantConflictError,
    VectorHit,
    VectorLike,
    VectorPoint,
    VectorStore,
)
from triage.vectors.qdrant_client_store import QdrantClientStore
from triage.vectors.qdrant_edge_store import QdrantEdgeStore

EMBEDDED_KINDS: Final = ("edge", "qdrant-local")

DEFAULT_EMBEDDED_KIND: Final = "edge"
"""Qdrant Edge: in the benchmark (20k and 100k points, 384 dimensions, 2 cores) it upserts
some 25-40x faster than qdrant-client local mode, answers a filtered search in about a
millisecond instead of tens to hundreds, and needs a fraction of the memory."""

__all__ = [
    "DEFAULT_EMBEDDED_KIND",
    "DEFAULT_INDEXED_FIELDS",
    "EMBEDDED_KINDS",
    "REINDEX_COMMAND",
    "ModelMismatchError",
    "PayloadValue",
    "QdrantClientStore",
    "QdrantEdgeStore",
    "TenantConflictError",
    "VectorHit",
    "VectorLike",
    "VectorPoint",
    "VectorStore",
    "open_vector_store",
]


def open_vector_store(
    *,
    url: str | None,
    api_key: str | None,
    path: Path,
    kind: str = DEFAULT_EMBEDDED_KIND,
) -> VectorStore:
    """A server store when a URL is configured, else the embedded store ``kind``.

    Each embedded kind keeps its files in its own subfolder of ``path`` (``path/edge``,
    ``path/qdrant-local``), because their formats differ: switching kinds then starts an
    empty index (to be filled by the re-index command) instead of failing on the other
    kind's files.
    """
    if url:
        return QdrantClientStore(url=url, api_key=api_key)
    if kind == "edge":
        return QdrantEdgeStore(path=path / kind)
    if kind == "qdrant-local":
        return QdrantClientStore(path=path / kind)
    raise ValueError(
        f"unknown embedded vector store kind {kind!r}; expected one of {EMBEDDED_KINDS}"
    )
