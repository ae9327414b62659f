"""The composition of long-lived resources, built once from the settings.

API handlers, the CLI and the worker receive these through dependency injection instead of
reaching for module-level globals.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from triage.config import Settings
from triage.db.migrate import upgrade
from triage.db.session import create_db_engine, create_session_factory
from triage.intake.service import IntakeService
from triage.parsing import ParserRegistry, TesseractOcr, build_default_registry
from triage.pipeline import AwaitClassifierStep, ParseStep, Pipeline
from triage.storage import BlobStore, LocalBlobStore
from triage.worker import DocumentProcessor, Worker

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    blob_store: BlobStore
    registry: ParserRegistry
    pipeline: Pipeline
    intake: IntakeService
    wake_workers: threading.Event = field(default_factory=threading.Event)

    def new_worker(self) -> Worker:
        processor = DocumentProcessor(
            session_factory=self.session_factory,
            blob_store=self.blob_store,
            pipeline=self.pipeline,
        )
        worker = Worker(
            session_factory=self.session_factory,
            processor=processor,
            lease_seconds=self.settings.job_lease_seconds,
            max_attempts=self.settings.job_max_attempts,
            poll_seconds=self.settings.worker_poll_seconds,
        )
        worker.wake = self.wake_workers
        return worker

    def close(self) -> None:
        self.engine.dispose()


def build_registry(settings: Settings) -> ParserRegistry:
    ocr = TesseractOcr.detect(settings.ocr_languages) if settings.ocr_enabled else None
    if settings.ocr_enabled and ocr is None:
        log.warning(
            "Tesseract with languages %s not found: scanned documents go to review "
            "with the reason 'needs OCR'",
            settings.ocr_languages,
        )
    return build_default_registry(ocr=ocr, max_ocr_pages=settings.ocr_max_pages)


def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.effective_database_url)
    if migrate:
        upgrade(engine)
    factory = create_session_factory(engine)
    blob_store = LocalBlobStore(settings.originals_dir)
    registry = build_registry(settings)
    pipeline = Pipeline([ParseStep(registry), AwaitClassifierStep()])
    wake = threading.Event()
    intake = IntakeService(
        session_factory=factory,
        blob_store=blob_store,
        sniff=registry.sniff,
        supported_types=registry.supported_types(),
        max_file_bytes=settings.max_upload_bytes,
        on_accepted=wake.set,
    )
    return Services(
        settings=settings,
        engine=engine,
        session_factory=factory,
        blob_store=blob_store,
        registry=registry,
        pipeline=pipeline,
        intake=intake,
        wake_workers=wake,
    )
