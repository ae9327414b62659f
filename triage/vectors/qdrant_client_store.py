"""Vector store on qdrant-client: a Qdrant server in production, local mode for tests.

The model record is a reserved point (nil UUID id and tenant, unit vector) rather than
collection metadata: the compose stack runs Qdrant v1.12, which predates collection
metadata, and a point works on every server version as well as in local mode. Tenant-scoped
calls filter on the tenant, so they never reach that point; ``count()`` excludes it.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qdrant_client import QdrantClient, models

from triage.vectors import _common
from triage.vectors.base import (
    DEFAULT_INDEXED_FIELDS,
    RESERVED_ID,
    TENANT_FIELD,
    VectorHit,
    VectorLike,
    VectorPoint,
)


def _match(key: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


class QdrantClientStore:
    """One collection on a Qdrant server (``url``) or in qdrant-client local mode (``path``).

    Local mode is pure Python and not thread-safe, so every call takes a lock there; against
    a server the HTTP client is thread-safe and calls run concurrently.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        api_key: str | None = None,
        path: Path | None = None,
        collection: str = "documents",
        indexed_fields: Sequence[str] = DEFAULT_INDEXED_FIELDS,
        timeout: int = 30,
    ) -> None:
        if (url is None) == (path is None):
            raise ValueError("give exactly one of url (server) or path (local mode)")
        self._collection = collection
        self._indexed_fields = tuple(indexed_fields)
        self._local = path is not None
        self._dimension: int | None = None
        self._closed = False
        self._lock: contextlib.AbstractContextManager[Any]
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            # Our lock serialises all calls, so SQLite's same-thread check (on by default
            # on macOS) would only reject the worker thread's legitimate calls.
            self._client = QdrantClient(path=str(path), force_disable_check_same_thread=True)
            self._lock = threading.RLock()
        else:
            # No version probe: building the store must not need the server to be up yet
            # (compose starts API and Qdrant together); the first real call reports errors.
            self._client = QdrantClient(
                url=url, api_key=api_key, timeout=timeout, check_compatibility=False
            )
            self._lock = contextlib.nullcontext()
        self._lifecycle = threading.Lock()

    # -- collection lifecycle -------------------------------------------------------------

    def ensure_collection(self, *, model_name: str, dimension: int) -> None:
        """Creates on first use; afterwards refuses a different model (ModelMismatchError)
        rather than mixing incomparable vectors."""
        _common.check_model_args(model_name, dimension)
        with self._lifecycle, self._lock:
            self._check_open()
            if not self._client.collection_exists(self._collection):
                self._create(model_name, dimension)
                return
            stored = self._read_model()
            if stored is None and self._count(None) == 0:
                # Created but the record never written (crash in between): nothing to lose.
                self._drop_and_create(model_name, dimension)
                return
            _common.verify_model(stored=stored, model_name=model_name, dimension=dimension)
            if not self._local:
                self._create_indexes()  # idempotent; picks up newly configured fields
            self._dimension = dimension

    def recreate(self, *, model_name: str, dimension: int) -> None:
        """Drops everything; the re-index command re-upserts afterwards."""
        _common.check_model_args(model_name, dimension)
        with self._lifecycle, self._lock:
            self._check_open()
            self._drop_and_create(model_name, dimension)

    def stored_model(self) -> tuple[str, int] | None:
        """Read from the collection each time, so a re-index by another process shows."""
        with self._lock:
            self._check_open()
            if not self._client.collection_exists(self._collection):
                return None
            return self._read_model()

    def close(self) -> None:
        """Releases local mode's folder lock, so another store can open the folder."""
        with self._lifecycle, self._lock:
            if not self._closed:
                self._closed = True
                self._dimension = None
                self._client.close()

    # -- data -----------------------------------------------------------------------------

    def upsert(self, points: Sequence[VectorPoint]) -> None:
        """Overwrites by id; refuses ids another tenant owns (TenantConflictError).

        On a server the ownership check and the write are two requests, so two processes
        racing on the same new id are not caught; ids are fresh UUIDs, so that needs a bug
        on two sides at once.
        """
        if not points:
            return
        with self._lock:
            prepared = _common.prepare_points(points, self._require_dimension())
            existing = self._client.retrieve(
                self._collection,
                ids=list(prepared),
                with_payload=models.PayloadSelectorInclude(include=[TENANT_FIELD]),
                with_vectors=False,
            )
            _common.check_owners(prepared, ((r.id, r.payload) for r in existing))
            structs = [
                models.PointStruct(id=point_id, vector=vector, payload=payload)
                for point_id, (_, vector, payload) in prepared.items()
            ]
            self._client.upsert(self._collection, points=structs, wait=True)

    def search(
        self,
        *,
        tenant_id: uuid.UUID,
        vector: VectorLike,
        limit: int = 10,
        filters: Mapping[str, str] | None = None,
    ) -> list[VectorHit]:
        """The tenant condition is added here, never left to the caller."""
        tenant = _common.check_tenant(tenant_id)
        conditions = [_match(key, value) for key, value in _common.check_filters(filters)]
        _common.check_limit(limit)
        with self._lock:
            query = _common.as_vector(vector, self._require_dimension())
            response = self._client.query_points(
                self._collection,
                query=query,
                query_filter=models.Filter(must=[_match(TENANT_FIELD, tenant), *conditions]),
                limit=limit,
                with_payload=True,
                with_vectors=False,
            )
        return [
            VectorHit(
                id=uuid.UUID(str(point.id)),
                score=float(point.score),
                payload=_common.hit_payload(point.payload),
            )
            for point in response.points
        ]

    def vector(self, *, tenant_id: uuid.UUID, point_id: uuid.UUID) -> list[float] | None:
        tenant = _common.check_tenant(tenant_id)
        with self._lock:
            self._require_dimension()
            records = self._client.retrieve(
                self._collection,
                ids=[_common.check_point_id(point_id)],
                with_payload=models.PayloadSelectorInclude(include=[TENANT_FIELD]),
                with_vectors=True,
            )
        for record in records:
            if (record.payload or {}).get(TENANT_FIELD) == tenant and record.vector is not None:
                return _common.plain_vector(record.vector)
        return None

    def delete(self, *, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        """Deletes by filter (tenant AND id), so another tenant's ids are silently kept."""
        tenant = _common.check_tenant(tenant_id)
        id_strings = [str(uuid.UUID(str(point_id))) for point_id in ids]
        if not id_strings:
            return
        with self._lock:
            self._require_dimension()
            selector = models.FilterSelector(
                filter=models.Filter(
                    must=[_match(TENANT_FIELD, tenant), models.HasIdCondition(has_id=id_strings)]
                )
            )
            self._client.delete(self._collection, points_selector=selector, wait=True)

    def count(self, *, tenant_id: uuid.UUID | None = None) -> int:
        """Exact counts: they feed admin views and re-index progress, not ranking."""
        tenant = None if tenant_id is None else _common.check_tenant(tenant_id)
        with self._lock:
            self._check_open()
            if not self._client.collection_exists(self._collection):
                return 0
            return self._count(tenant)

    # -- internals ------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the vector store is closed")

    def _require_dimension(self) -> int:
        self._check_open()
        if self._dimension is None:
            raise RuntimeError("call ensure_collection() (or recreate()) before using the store")
        return self._dimension

    def _count(self, tenant: str | None) -> int:
        if tenant is None:
            flt = models.Filter(must_not=[_match(TENANT_FIELD, str(RESERVED_ID))])
        else:
            flt = models.Filter(must=[_match(TENANT_FIELD, tenant)])
        return self._client.count(self._collection, count_filter=flt, exact=True).count

    def _read_model(self) -> tuple[str, int] | None:
        records = self._client.retrieve(
            self._collection, ids=[str(RESERVED_ID)], with_payload=True, with_vectors=False
        )
        recorded = _common.parse_meta(records[0].payload) if records else None
        if recorded is None:
            return None
        # The collection's own vector size wins over the record if they ever disagree.
        params = self._client.get_collection(self._collection).config.params.vectors
        size = params.size if isinstance(params, models.VectorParams) else None
        return recorded[0], size if size is not None else recorded[1]

    def _drop_and_create(self, model_name: str, dimension: int) -> None:
        if self._client.collection_exists(self._collection):
            self._client.delete_collection(self._collection)
        self._create(model_name, dimension)

    def _create(self, model_name: str, dimension: int) -> None:
        self._client.create_collection(
            self._collection,
            vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
            # Every search is tenant-filtered: build per-tenant graphs instead of one global
            # graph (Qdrant's multitenancy recipe). Local mode ignores index settings.
            hnsw_config=None if self._local else models.HnswConfigDiff(m=0, payload_m=16),
        )
        if not self._local:
            # Local mode has no payload indexes and warns when asked for one.
            self._create_indexes()
        self._client.upsert(
            self._collection,
            points=[
                models.PointStruct(
                    id=str(RESERVED_ID),
                    vector=_common.meta_vector(dimension),
                    payload=_common.meta_payload(model_name, dimension),
                )
            ],
            wait=True,
        )
        self._dimension = dimension

    def _create_indexes(self) -> None:
        self._client.create_payload_index(
            self._collection,
            field_name=TENANT_FIELD,
            field_schema=models.KeywordIndexParams(
                type=models.KeywordIndexType.KEYWORD, is_tenant=True
            ),
            wait=True,
        )
        for name in self._indexed_fields:
            self._client.create_payload_index(
                self._collection,
                field_name=name,
                field_schema=models.PayloadSchemaType.KEYWORD,
                wait=True,
            )
