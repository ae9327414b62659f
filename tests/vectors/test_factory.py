"""Which store the service gets for its configuration."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from triage.vectors import (
    DEFAULT_EMBEDDED_KIND,
    EMBEDDED_KINDS,
    QdrantClientStore,
    QdrantEdgeStore,
    VectorPoint,
    open_vector_store,
)


def test_url_selects_the_server_store_without_touching_the_folder(tmp_path: Path) -> None:
    # Nothing listens on this port: building the store must not need the server yet.
    store = open_vector_store(
        url="https://127.0.0.1:9", api_key="secret", path=tmp_path, kind="edge"
    )
    try:
        assert isinstance(store, QdrantClientStore)
        assert list(tmp_path.iterdir()) == []
    finally:
        store.close()


@pytest.mark.parametrize(
    ("kind", "expected"), [("edge", QdrantEdgeStore), ("qdrant-local", QdrantClientStore)]
)
def test_embedded_kinds_use_their_own_subfolder(tmp_path: Path, kind: str, expected: type) -> None:
    store = open_vector_store(url=None, api_key=None, path=tmp_path, kind=kind)
    try:
        assert isinstance(store, expected)
        store.ensure_collection(model_name="m", dimension=4)
        store.upsert(
            [VectorPoint(id=uuid.uuid4(), tenant_id=uuid.uuid4(), vector=[1.0, 0.0, 0.0, 0.0])]
        )
        assert [p.name for p in tmp_path.iterdir()] == [kind]
    finally:
        store.close()


def test_default_kind_is_edge_and_unknown_kinds_fail(tmp_path: Path) -> None:
    # Edge won the benchmark (bench/vector_store.py) by a wide margin.
    assert DEFAULT_EMBEDDED_KIND == "edge"
    assert DEFAULT_EMBEDDED_KIND in EMBEDDED_KINDS
    with pytest.raises(ValueError, match="unknown embedded vector store kind"):
        open_vector_store(url=None, api_key=None, path=tmp_path, kind="faiss")
