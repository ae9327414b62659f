"""Composition root: builds the FastAPI app, mounts the API and the caseworker pages, and
runs the embedded worker."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from triage.api import admin, documents, figures, health, metrics, queues
from triage.bootstrap import ensure_bootstrap_admin_key
from triage.config import Settings, host_port
from triage.metrics.exposition import MetricsServer, installation_registry
from triage.services import Services, build_services
from triage.web import pages

log = logging.getLogger(__name__)


class EmbeddedWorker:
    """The worker as a thread in the API process: the one-machine default."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._worker = services.new_worker()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._worker.run_forever, args=(self._stop,), name="triage-worker", daemon=True
        )

    def start(self) -> None:
        # A model that does not match the stored vectors stops the start with a clear
        # error, and the first documents do not wait for the model.
        self._services.warm_up()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._worker.wake.set()
        self._thread.join(timeout=30)


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        active = services or build_services(settings)
        app.state.services = active
        if settings.bootstrap_admin_key:
            ensure_bootstrap_admin_key(
                active.session_factory,
                tenant_name=settings.default_tenant,
                plaintext=settings.bootstrap_admin_key,
            )
        metrics_server = None
        if settings.metrics_enabled and settings.metrics_bind:
            metrics_server = MetricsServer.start(
                host_port(settings.metrics_bind), installation_registry(active)
            )
        app.state.metrics_server = metrics_server
        worker = EmbeddedWorker(active) if settings.embedded_worker else None
        if worker:
            worker.start()
        if owned:
            # What start-up made (the model, the settings, the routes) lives as long as the
            # process: out of the cyclic collector's reach, a full collection no longer
            # walks hundreds of thousands of objects (250 ms pauses every ~10 page loads).
            gc.freeze()
        try:
            yield
        finally:
            if worker:
                worker.stop()
            if metrics_server:
                metrics_server.stop()
            if owned:
                active.close()

    app = FastAPI(
        title="Posteingang-Triage",
        version="0.1.0",
        description="Triage of incoming citizen mail for municipal administrations.",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(documents.router, prefix="/api/v1")
    app.include_router(queues.router, prefix="/api/v1")
    app.include_router(admin.router, prefix="/api/v1")
    app.include_router(figures.router, prefix="/api/v1")
    if settings.metrics_enabled and not settings.metrics_bind:
        app.include_router(metrics.router)
    pages.register(app)
    return app
