"""Both embedded stores behind one fixture, so every behaviour is checked on each."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from triage.vectors import (
    QdrantClientStore,
    QdrantEdgeStore,
    VectorLike,
    VectorPoint,
    VectorStore,
)

DIM = 8
MODEL = "intfloat/multilingual-e5-small"

OpenStore = Callable[[], VectorStore]


def _qdrant_local(path: Path) -> VectorStore:
    # Local mode runs the same qdrant-client calls as server mode, without a server.
    return QdrantClientStore(path=path)


def _edge(path: Path) -> VectorStore:
    return QdrantEdgeStore(path=path)


@pytest.fixture(params=[_qdrant_local, _edge], ids=["qdrant-local", "edge"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """Opens a store on the same folder each time (for reopen tests); closes them all."""
    make: Callable[[Path], VectorStore] = request.param
    opened: list[VectorStore] = []

    def _open() -> VectorStore:
        store = make(tmp_path / "vectors")
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: OpenStore) -> VectorStore:
    opened = open_store()
    opened.ensure_collection(model_name=MODEL, dimension=DIM)
    return opened


def unit(*components: float) -> NDArray[np.float32]:
    """A DIM-vector from its first components (the rest zero)."""
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(components)] = components
    return vector


def random_vectors(count: int, seed: int = 0) -> NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((count, DIM)).astype(np.float32)
    normalized: NDArray[np.float32] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalized


def point(
    tenant: uuid.UUID,
    vector: VectorLike,
    point_id: uuid.UUID | None = None,
    **payload: str | int | float | bool | None,
) -> VectorPoint:
    return VectorPoint(
        id=point_id or uuid.uuid4(), tenant_id=tenant, vector=vector, payload=payload
    )
