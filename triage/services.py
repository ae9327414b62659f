"""The composition of long-lived resources, built once from the settings.

API handlers, the CLI and the worker receive these through dependency injection instead of
reaching for module-level globals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from triage.administration.rules import ReviewThresholds
from triage.assist.service import AssistProcessor, AssistScheduler
from triage.assist.store import DbMeter, DbResultCache
from triage.classify.artefact import ModelRegistry
from triage.classify.base import Classifier
from triage.classify.provider import ClassifierProvider, Lazy
from triage.classify.retrain import RetrainScheduler
from triage.config import Settings
from triage.db.migrate import upgrade
from triage.db.session import create_db_engine, create_session_factory
from triage.embedding import Embedder, resolve_model_name
from triage.fields.pseudonymise import Pseudonymiser
from triage.figures.store import SnapshotTaker
from triage.intake.service import IntakeService
from triage.jobs.queue import ready_count
from triage.links.service import LinkCandidates
from triage.links.step import LinkStep
from triage.llm import LlmTasks, build_llm_tasks
from triage.metrics.pipeline import PipelineMetrics
from triage.parsing import ParserRegistry, TesseractOcr, build_default_registry
from triage.pipeline import Pipeline
from triage.priority.policy import default_policy, load_policy_file
from triage.priority.service import PolicyRescorer, PriorityPolicies
from triage.priority.step import PriorityStep
from triage.steps import ClassifyStep, EmbedStep, FieldsStep, IndexStep, ParseStep
from triage.storage import BlobStore, LocalBlobStore
from triage.taxonomy import Taxonomy, load_default_taxonomy
from triage.vectors import VectorStore, open_vector_store
from triage.worker import TRIAGE_KINDS, DocumentProcessor, Worker

log = logging.getLogger(__name__)

WARM_UP_LETTER = "Sehr geehrte Damen und Herren, bitte senden Sie mir den Bescheid zu."


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    blob_store: BlobStore
    registry: ParserRegistry
    pipeline: Pipeline
    intake: IntakeService
    embedder: Lazy[Embedder]
    vector_store: Lazy[VectorStore]
    classifiers: ClassifierProvider
    priorities: PriorityPolicies
    llm: LlmTasks
    wake_workers: threading.Event = field(default_factory=threading.Event)
    # One per process, shared by its workers: the API's /metrics shows the embedded one's.
    worker_metrics: PipelineMetrics = field(default_factory=PipelineMetrics)

    def new_worker(self) -> Worker:
        processor = DocumentProcessor(
            session_factory=self.session_factory,
            blob_store=self.blob_store,
            pipeline=self.pipeline,
            priority_policy_for=self.priorities.for_tenant,
            after_triage=AssistScheduler(enabled=self.llm.enabled).after_triage,
            metrics=self.worker_metrics,
        )
        assist = (
            AssistProcessor(
                session_factory=self.session_factory,
                tasks=self.llm,
                taxonomy_for=self.classifiers.taxonomy_for,
                grey_zone=self.settings.llm_grey_zone,
                land_for=self.priorities.land_for,
                triage_waiting=lambda: (
                    ready_count(self.session_factory, limit=1, kinds=TRIAGE_KINDS) > 0
                ),
            )
            if self.llm.enabled
            else None
        )
        # The scheduled retrain from caseworkers' decisions runs in the worker, when idle.
        retrain = RetrainScheduler.from_settings(
            self.settings,
            engine=self.engine,
            session_factory=self.session_factory,
            embedder=self.embedder,
            classifiers=self.classifiers,
        )
        worker = Worker(
            session_factory=self.session_factory,
            processor=processor,
            lease_seconds=self.settings.job_lease_seconds,
            max_attempts=self.settings.job_max_attempts,
            poll_seconds=self.settings.worker_poll_seconds,
            batch_size=self.settings.worker_batch_size,
            gather_seconds=self.settings.worker_gather_seconds,
            idle_tasks=[
                PolicyRescorer(
                    session_factory=self.session_factory, default=self.priorities.default
                ),
                SnapshotTaker(
                    session_factory=self.session_factory,
                    backfill_days=self.settings.figures_backfill_days,
                    refresh=timedelta(minutes=self.settings.figures_refresh_minutes),
                ),
                *([retrain] if retrain is not None else []),
            ],
            assist=assist,
            metrics=self.worker_metrics,
        )
        worker.wake = self.wake_workers
        return worker

    def warm_up(self) -> None:
        """Loads the model, checks the vector store, builds the default classifier and
        loads the tenants' trained models: start-up work that would otherwise delay the
        first documents."""
        self.vector_store()
        self.classifiers.classifier_for(self.classifiers.default_taxonomy)
        for status in self.classifiers.reload():
            log.info(
                "tenant %s is classified by %s%s",
                status.tenant,
                status.classifier,
                f" ({status.problem})" if status.problem else "",
            )
        # The first parse loads the language identifier's model: do it now, not with mail.
        self.registry.parse(WARM_UP_LETTER.encode(), media_type="text/plain")

    def close(self) -> None:
        store = self.vector_store.loaded
        if store is not None:
            store.close()
        self.llm.backend.close()
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


def load_taxonomy_setting(settings: Settings) -> Taxonomy:
    return Taxonomy.load(settings.taxonomy) if settings.taxonomy else load_default_taxonomy()


def open_vectors(settings: Settings, embedder: Callable[[], Embedder]) -> VectorStore:
    """Opens the store and checks it holds vectors of the configured model."""
    store = open_vector_store(
        url=settings.qdrant_url,
        api_key=settings.qdrant_api_key,
        path=settings.vectors_dir,
        kind=settings.vector_store,
    )
    model = embedder()
    try:
        store.ensure_collection(model_name=model.model_name, dimension=model.dimension)
    except Exception:
        store.close()
        raise
    return store


def build_services(
    settings: Settings,
    *,
    migrate: bool = True,
    embedder: Embedder | None = None,
    classifier_cache: dict[str, Classifier] | None = None,
) -> Services:
    """Everything a process needs; the model and the vector store load on first use.

    ``embedder`` and ``classifier_cache`` let tests share one loaded model and its built
    classifiers between many short-lived services.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.effective_database_url)
    if migrate:
        upgrade(engine)
    factory = create_session_factory(engine)
    blob_store = LocalBlobStore(settings.originals_dir)
    registry = build_registry(settings)
    lazy_embedder: Lazy[Embedder] = Lazy(
        lambda: (
            embedder or Embedder(model=settings.embedding_model, threads=settings.embedding_threads)
        )
    )
    vector_store: Lazy[VectorStore] = Lazy(lambda: open_vectors(settings, lazy_embedder))
    classifiers = ClassifierProvider(
        session_factory=factory,
        embedder=lazy_embedder,
        default_taxonomy=load_taxonomy_setting(settings),
        models=ModelRegistry(settings.models_dir),
        # The name alone (read from the model folder's manifest): the API process checks
        # trained models on reload without loading the embedding model.
        encoder=embedder.model_name if embedder else resolve_model_name(settings.embedding_model),
        cache=classifier_cache,
    )
    priorities = PriorityPolicies(
        session_factory=factory,
        default=load_policy_file(settings.priority_policy)
        if settings.priority_policy
        else default_policy(),
    )
    pipeline = Pipeline(
        [
            ParseStep(registry),
            EmbedStep(lazy_embedder),
            ClassifyStep(
                classifiers.model_for,
                threshold=ReviewThresholds(session_factory=factory, settings=settings).for_tenant,
            ),
            FieldsStep(land_for=priorities.land_for),
            LinkStep(
                store=vector_store,
                candidates=LinkCandidates(session_factory=factory),
                rules=lambda: settings.link_rules,
            ),
            IndexStep(vector_store),
        ],
        closing=[
            PriorityStep(policy_for=priorities.for_tenant, taxonomy_for=classifiers.taxonomy_for)
        ],
    )
    # One per process: a local model loads once, and the result cache and the usage meter
    # live in the database, shared by every worker.
    llm = build_llm_tasks(
        settings,
        cache=DbResultCache(factory),
        meter=DbMeter(factory),
        pseudonymiser=Pseudonymiser(),
    )
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
        embedder=lazy_embedder,
        vector_store=vector_store,
        classifiers=classifiers,
        priorities=priorities,
        llm=llm,
        wake_workers=wake,
    )
