"""Accepting uploaded files: check, store the original, record the document, queue the work.

The original is on disk and the document row committed before the upload is answered and
before any processing starts, so nothing accepted can be lost by a later failure.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from triage.actors import Actor
from triage.db.models import Document, DocumentStatus
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.documents.service import record_event
from triage.intake.multipart import SpooledFile
from triage.jobs.queue import enqueue
from triage.logs import correlation
from triage.storage import BlobStore

log = logging.getLogger(__name__)

CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_EXTERNAL_REF = 200


class UploadStatus(StrEnum):
    RECEIVED = "received"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class InvalidUploadError(ValueError):
    """The request's form fields are unusable; no file was stored."""


@dataclass(frozen=True)
class DocumentCreate:
    """What the intake says about the files of one upload."""

    channel: str = "upload"
    received_at: datetime | None = None
    external_ref: str | None = None

    def __post_init__(self) -> None:
        if not CHANNEL.match(self.channel):
            raise InvalidUploadError(
                f"invalid channel {self.channel!r}: use a short lower-case word such as "
                "'post', 'email' or 'upload'"
            )
        if self.external_ref is not None and len(self.external_ref) > MAX_EXTERNAL_REF:
            raise InvalidUploadError(f"external_ref is longer than {MAX_EXTERNAL_REF} characters")
        if self.received_at is not None and self.received_at.tzinfo is None:
            raise InvalidUploadError("received_at needs a time zone")


@dataclass(frozen=True)
class FileOutcome:
    filename: str
    status: UploadStatus
    http_status: int
    document_id: uuid.UUID | None = None
    sha256: str | None = None
    error: str | None = None


Sniffer = Callable[[bytes], str | None]


class IntakeService:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        blob_store: BlobStore,
        sniff: Sniffer,
        supported_types: Sequence[str],
        max_file_bytes: int,
        on_accepted: Callable[[], None] | None = None,
    ) -> None:
        self._factory = session_factory
        self._blobs = blob_store
        self._sniff = sniff
        self._supported = list(supported_types)
        self._max_file_bytes = max_file_bytes
        self._on_accepted = on_accepted

    def accept_files(
        self, *, actor: Actor, files: Sequence[SpooledFile], metadata: DocumentCreate
    ) -> list[FileOutcome]:
        outcomes = [self._accept_one(actor=actor, spooled=f, metadata=metadata) for f in files]
        if self._on_accepted and any(o.status is UploadStatus.RECEIVED for o in outcomes):
            self._on_accepted()
        return outcomes

    def _reject(self, spooled: SpooledFile, code: int, reason: str) -> FileOutcome:
        log.info("rejected upload %r: %s", spooled.filename, reason)
        return FileOutcome(
            filename=spooled.filename,
            status=UploadStatus.REJECTED,
            http_status=code,
            sha256=spooled.sha256 or None,
            error=reason,
        )

    def _accept_one(
        self, *, actor: Actor, spooled: SpooledFile, metadata: DocumentCreate
    ) -> FileOutcome:
        if spooled.too_large:
            limit_mb = self._max_file_bytes / (1024 * 1024)
            return self._reject(
                spooled, 413, f"file is larger than the limit of {limit_mb:g} MB per file"
            )
        if spooled.size == 0 or spooled.path is None:
            return self._reject(spooled, 422, "file is empty")
        media_type = self._sniff(spooled.path.read_bytes())
        if media_type is None:
            return self._reject(
                spooled,
                415,
                "unsupported file type (recognised by content, not by name); supported: "
                + ", ".join(self._supported),
            )
        return self._store(actor=actor, spooled=spooled, media_type=media_type, meta=metadata)

    def _store(
        self, *, actor: Actor, spooled: SpooledFile, media_type: str, meta: DocumentCreate
    ) -> FileOutcome:
        assert actor.tenant_id is not None and spooled.path is not None
        existing = self._find_duplicate(actor.tenant_id, spooled.sha256)
        if existing is not None:
            return self._duplicate(spooled, existing)
        self._blobs.put_file(tenant_id=actor.tenant_id, sha256=spooled.sha256, source=spooled.path)
        try:
            with transaction(self._factory) as session:
                document = Document(
                    tenant_id=actor.tenant_id,
                    sha256=spooled.sha256,
                    filename=spooled.filename[:500],
                    media_type=media_type,
                    size_bytes=spooled.size,
                    channel=meta.channel,
                    external_ref=meta.external_ref,
                    received_at=meta.received_at or utcnow(),
                    status=DocumentStatus.RECEIVED,
                )
                session.add(document)
                session.flush()
                with correlation(document.id):
                    record_event(
                        session,
                        document=document,
                        actor=actor,
                        action="received",
                        detail={
                            "filename": document.filename,
                            "channel": meta.channel,
                            "media_type": media_type,
                            "declared_type": spooled.content_type,
                            "size_bytes": spooled.size,
                        },
                    )
                    enqueue(session, tenant_id=actor.tenant_id, document_id=document.id)
                    log.info(
                        "received %s (%s, %d bytes)", spooled.filename, media_type, spooled.size
                    )
                document_id = document.id
        except IntegrityError:
            # The same bytes arrived concurrently in another request; theirs won.
            existing = self._find_duplicate(actor.tenant_id, spooled.sha256)
            if existing is None:
                raise
            return self._duplicate(spooled, existing)
        return FileOutcome(
            filename=spooled.filename,
            status=UploadStatus.RECEIVED,
            http_status=202,
            document_id=document_id,
            sha256=spooled.sha256,
        )

    def _find_duplicate(self, tenant_id: uuid.UUID, sha256: str) -> uuid.UUID | None:
        with self._factory() as session:
            return session.scalar(
                select(Document.id).where(
                    Document.tenant_id == tenant_id, Document.sha256 == sha256
                )
            )

    @staticmethod
    def _duplicate(spooled: SpooledFile, document_id: uuid.UUID) -> FileOutcome:
        return FileOutcome(
            filename=spooled.filename,
            status=UploadStatus.DUPLICATE,
            http_status=202,
            document_id=document_id,
            sha256=spooled.sha256,
        )


def spool_dir(data_dir: Path) -> Path:
    path = data_dir / "spool"
    path.mkdir(parents=True, exist_ok=True)
    return path


def spool_bytes(spool: Path, *, filename: str, data: bytes) -> SpooledFile:
    """Bytes already in memory (demo data, tests) as if they had been uploaded."""
    with tempfile.NamedTemporaryFile(dir=spool, prefix="spool-", delete=False) as handle:
        handle.write(data)
    return SpooledFile(
        field_name="files",
        filename=filename,
        content_type=None,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        path=Path(handle.name),
        head=data[:4096],
    )
