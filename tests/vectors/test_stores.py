"""Behaviour both embedded stores must share; each test runs on qdrant-client local mode
(the server code path) and on Qdrant Edge."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import numpy as np
import pytest

from tests.vectors.conftest import DIM, MODEL, OpenStore, point, random_vectors, unit
from triage.vectors import (
    REINDEX_COMMAND,
    ModelMismatchError,
    QdrantEdgeStore,
    TenantConflictError,
    VectorPoint,
    VectorStore,
)

TENANT_A = uuid.UUID("0a000000-0000-4000-8000-00000000000a")
TENANT_B = uuid.UUID("0b000000-0000-4000-8000-00000000000b")


def test_is_a_vector_store(store: VectorStore) -> None:
    assert isinstance(store, VectorStore)


def test_search_ranks_by_cosine_not_by_length(store: VectorStore) -> None:
    same = point(TENANT_A, unit(1.0))
    # Ten times longer but 45° off: a dot-product ranking would put it first.
    long_diagonal = point(TENANT_A, unit(10.0, 10.0))
    orthogonal = point(TENANT_A, unit(0.0, 1.0))
    opposite = point(TENANT_A, unit(-1.0))
    store.upsert([opposite, orthogonal, long_diagonal, same])

    hits = store.search(tenant_id=TENANT_A, vector=unit(3.0), limit=10)

    assert [h.id for h in hits] == [same.id, long_diagonal.id, orthogonal.id, opposite.id]
    assert [h.score for h in hits] == pytest.approx([1.0, 2**-0.5, 0.0, -1.0], abs=1e-5)
    assert len(store.search(tenant_id=TENANT_A, vector=[1.0] * DIM, limit=2)) == 2


def test_tenants_never_see_each_other(store: VectorStore) -> None:
    vectors = random_vectors(6)
    a_points = [point(TENANT_A, v) for v in vectors[:4]]
    b_points = [point(TENANT_B, v) for v in vectors[4:]]
    store.upsert([*a_points, *b_points])

    for vector in vectors:  # even A's exact vectors find only B's points for B
        hits = store.search(tenant_id=TENANT_B, vector=vector, limit=100)
        assert {h.id for h in hits} == {p.id for p in b_points}
    assert store.count(tenant_id=TENANT_A) == 4
    assert store.count(tenant_id=TENANT_B) == 2
    assert store.count() == 6  # the model record is not counted

    store.delete(tenant_id=TENANT_B, ids=[p.id for p in a_points])
    assert store.count(tenant_id=TENANT_A) == 4
    store.delete(tenant_id=TENANT_A, ids=[a_points[0].id, b_points[0].id])
    assert store.count(tenant_id=TENANT_A) == 3
    assert store.count(tenant_id=TENANT_B) == 2


def test_a_stored_vector_is_read_back_for_its_tenant_only(store: VectorStore) -> None:
    [vector] = random_vectors(1)
    stored = point(TENANT_A, vector)
    store.upsert([stored])
    read = store.vector(tenant_id=TENANT_A, point_id=stored.id)
    assert read is not None
    # Cosine stores keep the direction: the read vector is the unit vector of the stored.
    expected = np.asarray(vector) / np.linalg.norm(vector)
    assert np.asarray(read) / np.linalg.norm(read) == pytest.approx(expected, abs=1e-5)
    assert store.vector(tenant_id=TENANT_B, point_id=stored.id) is None
    assert store.vector(tenant_id=TENANT_A, point_id=uuid.uuid4()) is None


def test_other_tenant_cannot_overwrite_a_point(store: VectorStore) -> None:
    original = point(TENANT_A, unit(1.0), kind="a")
    store.upsert([original])

    with pytest.raises(TenantConflictError):
        store.upsert([point(TENANT_B, unit(0.0, 1.0), point_id=original.id, kind="b")])

    [hit] = store.search(tenant_id=TENANT_A, vector=unit(1.0))
    assert (hit.id, hit.payload) == (original.id, {"kind": "a"})
    assert hit.score == pytest.approx(1.0)
    assert store.count(tenant_id=TENANT_B) == 0


def test_payload_filters_and_round_trip(store: VectorStore) -> None:
    vectors = random_vectors(3, seed=1)
    open_wohngeld = point(TENANT_A, vectors[0], case_type="wohngeld", status="open", pages=2)
    done_wohngeld = point(TENANT_A, vectors[1], case_type="wohngeld", status="done", urgent=True)
    open_bau = point(TENANT_A, vectors[2], case_type="bauantrag", status="open", note=None)
    other_tenant = point(TENANT_B, vectors[0], case_type="wohngeld", status="open")
    store.upsert([open_wohngeld, done_wohngeld, open_bau, other_tenant])

    def ids(**filters: str) -> set[uuid.UUID]:
        hits = store.search(tenant_id=TENANT_A, vector=vectors[0], filters=filters)
        return {h.id for h in hits}

    assert ids(case_type="wohngeld") == {open_wohngeld.id, done_wohngeld.id}
    assert ids(case_type="wohngeld", status="open") == {open_wohngeld.id}
    assert ids(status="open") == {open_wohngeld.id, open_bau.id}
    assert ids(case_type="unknown") == set()
    payloads = {h.id: h.payload for h in store.search(tenant_id=TENANT_A, vector=vectors[2])}
    assert payloads[open_bau.id] == {"case_type": "bauantrag", "status": "open", "note": None}
    assert payloads[done_wohngeld.id]["urgent"] is True
    assert payloads[open_wohngeld.id]["pages"] == 2


def test_upsert_is_idempotent_and_overwrites(store: VectorStore) -> None:
    doc = uuid.uuid4()
    store.upsert([point(TENANT_A, unit(1.0), point_id=doc, status="open")])
    store.upsert([point(TENANT_A, unit(1.0), point_id=doc, status="open")])
    assert store.count(tenant_id=TENANT_A) == 1

    store.upsert(
        [
            point(TENANT_A, unit(1.0), point_id=doc, status="stale"),
            point(TENANT_A, unit(0.0, 1.0), point_id=doc, status="done"),  # last one wins
        ]
    )
    [hit] = store.search(tenant_id=TENANT_A, vector=unit(0.0, 1.0))
    assert (hit.id, hit.payload) == (doc, {"status": "done"})
    assert hit.score == pytest.approx(1.0)


def test_delete_removes_only_the_given_ids(store: VectorStore) -> None:
    points = [point(TENANT_A, v) for v in random_vectors(5, seed=2)]
    store.upsert(points)

    store.delete(tenant_id=TENANT_A, ids=[points[0].id, points[1].id, uuid.uuid4()])
    store.delete(tenant_id=TENANT_A, ids=[])

    assert store.count(tenant_id=TENANT_A) == 3
    hits = store.search(tenant_id=TENANT_A, vector=points[0].vector, limit=10)
    assert {h.id for h in hits} == {p.id for p in points[2:]}


def test_survives_close_and_reopen(open_store: OpenStore) -> None:
    first = open_store()
    assert first.stored_model() is None
    first.ensure_collection(model_name=MODEL, dimension=DIM)
    points = [point(TENANT_A, v, n=i) for i, v in enumerate(random_vectors(20, seed=3))]
    first.upsert(points)
    first.close()

    second = open_store()
    assert second.stored_model() == (MODEL, DIM)
    second.ensure_collection(model_name=MODEL, dimension=DIM)
    assert second.count() == 20
    [hit] = second.search(tenant_id=TENANT_A, vector=points[7].vector, limit=1)
    assert (hit.id, hit.payload) == (points[7].id, {"n": 7})


@pytest.mark.parametrize(
    ("model", "dimension"), [("BAAI/bge-m3", DIM), (MODEL, DIM * 2)], ids=["model", "dimension"]
)
def test_reopening_with_another_model_is_refused(
    open_store: OpenStore, model: str, dimension: int
) -> None:
    first = open_store()
    first.ensure_collection(model_name=MODEL, dimension=DIM)
    first.upsert([point(TENANT_A, unit(1.0))])
    first.close()

    second = open_store()
    with pytest.raises(ModelMismatchError) as caught:
        second.ensure_collection(model_name=model, dimension=dimension)

    message = str(caught.value)
    assert f"'{MODEL}' (dimension {DIM})" in message
    assert f"'{model}' (dimension {dimension})" in message
    assert REINDEX_COMMAND in message
    assert (caught.value.stored_model, caught.value.configured_model) == (MODEL, model)
    assert second.stored_model() == (MODEL, DIM)  # nothing was touched
    assert second.count() == 1
    with pytest.raises(RuntimeError, match="ensure_collection"):
        second.search(tenant_id=TENANT_A, vector=unit(1.0))


def test_recreate_clears_and_switches_model(open_store: OpenStore) -> None:
    store = open_store()
    store.ensure_collection(model_name=MODEL, dimension=DIM)
    store.upsert([point(TENANT_A, v) for v in random_vectors(4)])

    store.recreate(model_name="BAAI/bge-m3", dimension=4)

    assert store.count() == 0
    assert store.stored_model() == ("BAAI/bge-m3", 4)
    store.upsert([point(TENANT_A, [0.0, 1.0, 0.0, 0.0])])
    with pytest.raises(ValueError, match="dimension 4"):
        store.upsert([point(TENANT_A, unit(1.0))])
    store.close()

    reopened = open_store()
    reopened.ensure_collection(model_name="BAAI/bge-m3", dimension=4)
    assert reopened.count(tenant_id=TENANT_A) == 1
    with pytest.raises(ModelMismatchError):
        reopened.ensure_collection(model_name=MODEL, dimension=DIM)


def test_concurrent_upserts_lose_nothing(store: VectorStore) -> None:
    batches, per_batch = 25, 8
    written: list[list[VectorPoint]] = [[] for _ in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(slot: int) -> None:
        tenant = TENANT_A if slot % 2 == 0 else TENANT_B
        vectors = random_vectors(batches * per_batch, seed=10 + slot)
        try:
            start.wait()
            for b in range(batches):
                batch = [point(tenant, v) for v in vectors[b * per_batch : (b + 1) * per_batch]]
                store.upsert(batch)
                written[slot].extend(batch)
                store.search(tenant_id=tenant, vector=vectors[b], limit=3)  # readers interleave
        except BaseException as exc:  # reported below, a thread cannot fail the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    expected = 2 * batches * per_batch
    assert store.count(tenant_id=TENANT_A) == expected
    assert store.count(tenant_id=TENANT_B) == expected
    for slot in range(4):
        tenant = TENANT_A if slot % 2 == 0 else TENANT_B
        for written_point in written[slot][::37]:
            [hit] = store.search(tenant_id=tenant, vector=written_point.vector, limit=1)
            assert hit.id == written_point.id


def test_reserved_names_and_bad_vectors_are_rejected(store: VectorStore) -> None:
    nil = uuid.UUID(int=0)
    with pytest.raises(ValueError, match="reserved"):
        store.search(tenant_id=nil, vector=unit(1.0))
    with pytest.raises(ValueError, match="reserved"):
        store.upsert([point(TENANT_A, unit(1.0), point_id=nil)])
    with pytest.raises(ValueError, match="reserved"):
        store.upsert([point(TENANT_A, unit(1.0), tenant_id="x")])
    with pytest.raises(ValueError, match="not a filter"):
        store.search(tenant_id=TENANT_A, vector=unit(1.0), filters={"tenant_id": str(TENANT_B)})
    with pytest.raises(ValueError, match="zero vector"):
        store.upsert([point(TENANT_A, np.zeros(DIM))])
    with pytest.raises(ValueError, match="dimension"):
        store.search(tenant_id=TENANT_A, vector=[1.0, 0.0])
    with pytest.raises(ValueError, match="limit"):
        store.search(tenant_id=TENANT_A, vector=unit(1.0), limit=0)
    assert store.count() == 0
    with pytest.raises(ValueError, match="reserved"):
        store.count(tenant_id=nil)  # the model record must stay unreachable


def test_data_calls_need_ensure_collection(open_store: OpenStore) -> None:
    store = open_store()
    assert store.count() == 0
    with pytest.raises(RuntimeError, match="ensure_collection"):
        store.upsert([point(TENANT_A, unit(1.0))])
    with pytest.raises(RuntimeError, match="ensure_collection"):
        store.search(tenant_id=TENANT_A, vector=unit(1.0))


def test_edge_folder_is_refused_while_open(tmp_path: Path) -> None:
    first = QdrantEdgeStore(path=tmp_path)
    first.ensure_collection(model_name=MODEL, dimension=DIM)
    try:
        with pytest.raises(RuntimeError, match="another process"):
            QdrantEdgeStore(path=tmp_path)
    finally:
        first.close()
    reopened = QdrantEdgeStore(path=tmp_path)  # the lock went with close()
    assert reopened.stored_model() == (MODEL, DIM)
    reopened.close()
