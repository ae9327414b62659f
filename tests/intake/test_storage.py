"""Originals are stored content-addressed, per tenant, atomically and verified."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from triage.storage import BlobIntegrityError, LocalBlobStore


def _source(tmp_path: Path, data: bytes) -> tuple[Path, str]:
    path = tmp_path / f"upload-{hashlib.md5(data).hexdigest()}"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_put_and_read_back_per_tenant(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "originals")
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    source, sha = _source(tmp_path, "Brief mit Umlauten äöü".encode())
    store.put_file(tenant_id=tenant_a, sha256=sha, source=source)
    assert store.read_bytes(tenant_id=tenant_a, sha256=sha) == source.read_bytes()
    assert store.exists(tenant_id=tenant_a, sha256=sha)
    # Another tenant's folder does not hold it, even with the same hash.
    assert not store.exists(tenant_id=tenant_b, sha256=sha)
    assert store.path_for(tenant_id=tenant_b, sha256=sha) is None
    path = store.path_for(tenant_id=tenant_a, sha256=sha)
    assert path == tmp_path / "originals" / str(tenant_a) / sha[:2] / sha
    # Storing again is a no-op.
    store.put_file(tenant_id=tenant_a, sha256=sha, source=source)
    assert [p.name for p in path.parent.iterdir()] == [sha]


def test_content_that_does_not_match_its_hash_is_refused(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "originals")
    tenant = uuid.uuid4()
    source, _ = _source(tmp_path, b"echter Inhalt")
    wrong = hashlib.sha256(b"anderer Inhalt").hexdigest()
    with pytest.raises(BlobIntegrityError):
        store.put_file(tenant_id=tenant, sha256=wrong, source=source)
    assert not store.exists(tenant_id=tenant, sha256=wrong)
    # No temporary file is left behind.
    assert not list((tmp_path / "originals").rglob(".incoming-*"))


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "0" * 63, "g" * 64])
def test_only_sha256_hex_names_are_accepted(tmp_path: Path, bad: str) -> None:
    store = LocalBlobStore(tmp_path / "originals")
    with pytest.raises(ValueError):
        store.read_bytes(tenant_id=uuid.uuid4(), sha256=bad)
