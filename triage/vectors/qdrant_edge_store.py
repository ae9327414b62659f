"""Vector store on Qdrant Edge (``qdrant-edge-py``), Qdrant's engine running in-process.

Edge has no collections: one shard is one folder. The store owns ``path`` and keeps the
shard in ``path/shard``, so ``recreate`` deletes only what the store itself made.

The model record is a reserved point (nil UUID id and tenant), as in the qdrant-client store:
it lives in the shard's own WAL and segments, so it can never disagree with the vectors
after a crash, a backup restore or a copied folder, which a sidecar file could.

Edge 0.9 is beta; what this module relies on and works around:

* Edge builds no index in the background. New points are searched exactly (brute force,
  narrowed by the tenant's payload index) until ``optimize()`` builds the HNSW graphs. Even
  then a tenant gets a graph only once its vectors outgrow the full-scan threshold (10 MB,
  some 6,500 vectors of 384 dimensions); smaller tenants are always searched exactly.
* ``optimize()`` holds the GIL for its whole run (about a minute for 100k points on 2
  cores), which pauses every thread of the process, so it is never triggered implicitly
  here; the re-index command or a maintenance job calls it.
* The binding raises plain ``Exception`` for everything, including "folder already opened
  by another shard" (the WAL lock, which also guards against two processes).
* ``retrieve`` needs ``with_vector`` positionally, though the stub declares a default.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import qdrant_edge as qe

from triage.vectors import _common
from triage.vectors.base import (
    DEFAULT_INDEXED_FIELDS,
    RESERVED_ID,
    TENANT_FIELD,
    VectorHit,
    VectorLike,
    VectorPoint,
)

_CONFIG_FILE = "edge_config.json"


def _match(key: str, value: str) -> qe.FieldCondition:
    return qe.FieldCondition(key=key, match=qe.MatchValue(value))


def _hnsw() -> qe.HnswIndexConfig:
    # Every search is tenant-filtered: build one graph per tenant (payload_m) instead of a
    # global graph (m=0), Qdrant's multitenancy recipe; it also halves the build time.
    return qe.HnswIndexConfig(m=0, ef_construct=100, full_scan_threshold=10_000, payload_m=16)


class QdrantEdgeStore:
    """An HNSW-indexed, persisted vector store inside the process.

    All calls take one lock: the binding makes no thread-safety promise, ``recreate`` swaps
    the shard underneath other calls, and the binding holds the GIL anyway, so the lock
    costs no parallelism.
    """

    def __init__(
        self,
        *,
        path: Path,
        indexed_fields: Sequence[str] = DEFAULT_INDEXED_FIELDS,
    ) -> None:
        self._shard_dir = path / "shard"
        self._indexed_fields = tuple(indexed_fields)
        self._lock = threading.RLock()
        self._dimension: int | None = None
        self._closed = False
        self._shard: qe.EdgeShard | None = None
        if (self._shard_dir / _CONFIG_FILE).exists():
            try:
                self._shard = qe.EdgeShard.load(str(self._shard_dir))
            except Exception as exc:  # the binding raises nothing more specific
                raise RuntimeError(
                    f"cannot open the Qdrant Edge vector store in {self._shard_dir}; if the "
                    f"error mentions the WAL, another process (or store) has it open: {exc}"
                ) from exc

    # -- shard lifecycle ------------------------------------------------------------------

    def ensure_collection(self, *, model_name: str, dimension: int) -> None:
        """Creates on first use; afterwards refuses a different model (ModelMismatchError)
        rather than mixing incomparable vectors."""
        _common.check_model_args(model_name, dimension)
        with self._lock:
            shard = self._open_shard()
            if shard is None:
                self._create(model_name, dimension)
                return
            stored = self._read_model(shard)
            if stored is None and self._count(shard, None) == 0:
                # Created but the record never written (crash in between): nothing to lose.
                self._drop_and_create(model_name, dimension)
                return
            _common.verify_model(stored=stored, model_name=model_name, dimension=dimension)
            self._dimension = dimension

    def recreate(self, *, model_name: str, dimension: int) -> None:
        """Deletes the shard folder; the re-index command re-upserts afterwards."""
        _common.check_model_args(model_name, dimension)
        with self._lock:
            self._open_shard()
            self._drop_and_create(model_name, dimension)

    def stored_model(self) -> tuple[str, int] | None:
        with self._lock:
            shard = self._open_shard()
            return None if shard is None else self._read_model(shard)

    def optimize(self) -> bool:
        """Builds the HNSW graphs for points added since the last run; True if it did work.

        Blocks every thread of the process while it runs (the binding keeps the GIL), so
        call it where a pause is expected: after a re-index, at night, at startup.
        """
        with self._lock:
            return self._require_shard()[0].optimize()

    def close(self) -> None:
        """Flushes and releases the WAL lock; safe to call twice."""
        with self._lock:
            self._closed = True
            self._dimension = None
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None

    # -- data -----------------------------------------------------------------------------

    def upsert(self, points: Sequence[VectorPoint]) -> None:
        """Overwrites by id; refuses ids another tenant owns (TenantConflictError). The
        check and the write happen under the lock, so they are atomic for this process,
        and the WAL lock keeps other processes out of the folder."""
        if not points:
            return
        with self._lock:
            shard, dimension = self._require_shard()
            prepared = _common.prepare_points(points, dimension)
            existing = shard.retrieve(list(prepared), True, False)
            _common.check_owners(prepared, ((r.id, r.payload) for r in existing))
            shard.update(
                qe.UpdateOperation.upsert_points(
                    [
                        qe.Point(point_id, vector, payload)
                        for point_id, (_, vector, payload) in prepared.items()
                    ]
                )
            )

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
            shard, dimension = self._require_shard()
            request = qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(_common.as_vector(vector, dimension)),
                filter=qe.Filter(must=[_match(TENANT_FIELD, tenant), *conditions]),
                with_payload=True,
                with_vector=False,
            )
            points = shard.query(request)
        return [
            VectorHit(
                id=uuid.UUID(str(point.id)),
                score=float(point.score),
                payload=_common.hit_payload(point.payload),
            )
            for point in points
        ]

    def vector(self, *, tenant_id: uuid.UUID, point_id: uuid.UUID) -> list[float] | None:
        tenant = _common.check_tenant(tenant_id)
        with self._lock:
            shard, _ = self._require_shard()
            records = shard.retrieve([_common.check_point_id(point_id)], True, True)
        for record in records:
            if (record.payload or {}).get(TENANT_FIELD) == tenant and record.vector is not None:
                return _common.plain_vector(record.vector)
        return None

    def delete(self, *, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        """Deletes by filter (tenant AND id), so another tenant's ids are silently kept."""
        tenant = _common.check_tenant(tenant_id)
        id_strings: set[qe.PointId] = {str(uuid.UUID(str(point_id))) for point_id in ids}
        if not id_strings:
            return
        with self._lock:
            shard, _ = self._require_shard()
            flt = qe.Filter(must=[_match(TENANT_FIELD, tenant), qe.HasIdCondition(id_strings)])
            shard.update(qe.UpdateOperation.delete_points_by_filter(flt))

    def count(self, *, tenant_id: uuid.UUID | None = None) -> int:
        tenant = None if tenant_id is None else _common.check_tenant(tenant_id)
        with self._lock:
            shard = self._open_shard()
            return 0 if shard is None else self._count(shard, tenant)

    # -- internals ------------------------------------------------------------------------

    def _open_shard(self) -> qe.EdgeShard | None:
        if self._closed:
            raise RuntimeError("the vector store is closed")
        return self._shard

    def _require_shard(self) -> tuple[qe.EdgeShard, int]:
        shard = self._open_shard()
        if shard is None or self._dimension is None:
            raise RuntimeError("call ensure_collection() (or recreate()) before using the store")
        return shard, self._dimension

    @staticmethod
    def _count(shard: qe.EdgeShard, tenant: str | None) -> int:
        if tenant is None:
            flt = qe.Filter(must_not=[_match(TENANT_FIELD, str(RESERVED_ID))])
        else:
            flt = qe.Filter(must=[_match(TENANT_FIELD, tenant)])
        return shard.count(qe.CountRequest(exact=True, filter=flt))

    @staticmethod
    def _read_model(shard: qe.EdgeShard) -> tuple[str, int] | None:
        records = shard.retrieve([str(RESERVED_ID)], True, False)
        return _common.parse_meta(records[0].payload) if records else None

    def _drop_and_create(self, model_name: str, dimension: int) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None
        shutil.rmtree(self._shard_dir, ignore_errors=True)
        self._create(model_name, dimension)

    def _create(self, model_name: str, dimension: int) -> None:
        self._shard_dir.parent.mkdir(parents=True, exist_ok=True)
        if self._shard_dir.exists():
            # A folder without a shard config is a creation that died half-way.
            shutil.rmtree(self._shard_dir)
        config = qe.EdgeConfig(
            vectors=qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine),
            hnsw_config=_hnsw(),
        )
        shard = qe.EdgeShard.create(str(self._shard_dir), config)
        shard.update(
            qe.UpdateOperation.create_field_index(
                TENANT_FIELD, qe.KeywordIndexParams(is_tenant=True)
            )
        )
        for name in self._indexed_fields:
            # Filter fields narrow a tenant's points; per-value graphs would only cost time.
            shard.update(
                qe.UpdateOperation.create_field_index(
                    name, qe.KeywordIndexParams(enable_hnsw=False)
                )
            )
        shard.update(
            qe.UpdateOperation.upsert_points(
                [
                    qe.Point(
                        str(RESERVED_ID),
                        _common.meta_vector(dimension),
                        _common.meta_payload(model_name, dimension),
                    )
                ]
            )
        )
        shard.flush()
        self._shard = shard
        self._dimension = dimension
