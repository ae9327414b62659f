"""What a scrape returns: the installation's view, a tenant's view, and the listener for a
separate address (how Prometheus usually scrapes, without an API key)."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from triage.metrics.database import DatabaseCollector
from triage.queues.service import queue_names

if TYPE_CHECKING:
    from triage.services import Services

log = logging.getLogger(__name__)


class TenantView(Collector):
    """Only the series labelled with one tenant; series of the whole process (jobs by
    kind) are left out, as they would tell a tenant about the others' traffic."""

    def __init__(self, source: CollectorRegistry, *, tenant: str) -> None:
        self._source = source
        self._tenant = tenant

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        for family in self._source.collect():
            samples = [s for s in family.samples if s.labels.get("tenant") == self._tenant]
            if samples:
                kept = Metric(family.name, family.documentation, family.type, family.unit)
                kept.samples = samples
                yield kept


def _database(services: Services, tenant_id: uuid.UUID | None) -> DatabaseCollector:
    classifiers = services.classifiers
    return DatabaseCollector(
        services.session_factory,
        queues_for=lambda tenant: queue_names(classifiers.taxonomy_for(tenant)),
        tenant_id=tenant_id,
    )


def installation_registry(services: Services) -> CollectorRegistry:
    """Every tenant's figures from the database plus what this process's workers did."""
    registry = CollectorRegistry()
    registry.register(_database(services, None))
    registry.register(services.worker_metrics.registry)
    return registry


def tenant_registry(
    services: Services, *, tenant_id: uuid.UUID, tenant_name: str
) -> CollectorRegistry:
    """One tenant's figures, for that tenant's admin key on the API."""
    registry = CollectorRegistry()
    registry.register(_database(services, tenant_id))
    registry.register(TenantView(services.worker_metrics.registry, tenant=tenant_name))
    return registry


@dataclass
class MetricsServer:
    """A plain HTTP listener that answers every path with the registry's figures."""

    server: WSGIServer
    thread: threading.Thread
    host: str

    @classmethod
    def start(cls, address: tuple[str, int], registry: CollectorRegistry) -> MetricsServer:
        host, port = address
        server, thread = start_http_server(port, addr=host, registry=registry)
        started = cls(server, thread, host)
        log.info("metrics on %s", started.url)
        return started

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.server.server_port}/metrics"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
