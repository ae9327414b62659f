"""Originals, stored content-addressed (SHA-256) behind a small interface.

The local directory store is the embedded default; several machines will share an object
store later, behind the same Protocol.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    def put_file(self, *, tenant_id: uuid.UUID, sha256: str, source: Path) -> None:
        """Store the file's bytes under their hash; storing the same bytes again is a no-op."""

    def read_bytes(self, *, tenant_id: uuid.UUID, sha256: str) -> bytes: ...

    def path_for(self, *, tenant_id: uuid.UUID, sha256: str) -> Path | None:
        """A local path to stream from, when the store has one."""

    def exists(self, *, tenant_id: uuid.UUID, sha256: str) -> bool: ...


class BlobIntegrityError(RuntimeError):
    pass


def _check_hash(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class LocalBlobStore:
    """Files under ``root/<tenant>/<aa>/<sha256>``: one folder per tenant, so a municipality's
    originals can be exported or erased on their own."""

    def __init__(self, root: Path) -> None:
        self._root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, tenant_id: uuid.UUID, sha256: str) -> Path:
        digest = _check_hash(sha256)
        return self._root / str(tenant_id) / digest[:2] / digest

    def put_file(self, *, tenant_id: uuid.UUID, sha256: str, source: Path) -> None:
        target = self._path(tenant_id, sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise BlobIntegrityError(f"content of {source} does not match {sha256}")
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        finally:
            tmp.unlink(missing_ok=True)

    def read_bytes(self, *, tenant_id: uuid.UUID, sha256: str) -> bytes:
        return self._path(tenant_id, sha256).read_bytes()

    def path_for(self, *, tenant_id: uuid.UUID, sha256: str) -> Path | None:
        path = self._path(tenant_id, sha256)
        return path if path.exists() else None

    def exists(self, *, tenant_id: uuid.UUID, sha256: str) -> bool:
        return self._path(tenant_id, sha256).exists()


def _fsync_dir(path: Path) -> None:
    # The rename is only durable once the directory entry itself is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
