"""Vector index for similar-document search: a Protocol, two Qdrant stores, a factory.

With a server URL the service uses a Qdrant server (production, several processes). Without
one it embeds the index in the process; ``DEFAULT_EMBEDDED_KIND`` is the better of the two
embedded options in ``bench/vector_store.py`` (figures below).
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
"""Qdrant Edge, by a wide margin in ``bench/vector_store.py`` (384 dimensions, 10 tenants,
search filtered by tenant and case type, 2 CPU cores):

=========================  ===============  ===============  ===============  ===============
figure                     local, 20k       Edge, 20k        local, 100k      Edge, 100k
=========================  ===============  ===============  ===============  ===============
upsert, batches of 256     84 s             1.6 s            402 s            8.7 s
search p50 / p95           251 / 390 ms     0.9 / 1.3 ms     1717 / 2285 ms   12 / 16 ms
search after reopen        245 / 368 ms     0.7 / 3.1 ms     1282 / 1972 ms   3.0 / 24 ms
RSS growth, reopened       452 MB           108 MB           2197 MB          258 MB
open an existing folder    1.6 s            0.1 s            10.6 s           0.3 s
=========================  ===============  ===============  ===============  ===============

qdrant-client local mode commits every point in its own SQLite transaction, searches by
brute force over the whole collection and unpickles everything on open; it stays useful as
the test double of the server code path.
"""

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
