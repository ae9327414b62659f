"""``triage serve`` and ``triage worker``."""

from __future__ import annotations

import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from triage.app import create_app
from triage.bootstrap import DEMO_USER, ensure_demo_tenant
from triage.config import Settings, host_port
from triage.demo.seed import seed_demo_letters
from triage.logs import configure_logging
from triage.metrics.exposition import MetricsServer
from triage.services import Services, build_services
from triage.vectors import ModelMismatchError

console = Console()
# A worker busy with one long job does not touch the file; allow for a whole lease.
HEARTBEAT_MAX_AGE_S = 600


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default from settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    demo: Annotated[
        bool | None, typer.Option("--demo/--no-demo", help="Create the demo tenant and data.")
    ] = None,
) -> None:
    """Run the API with the embedded worker (unless TRIAGE_EMBEDDED_WORKER=false)."""
    settings = Settings()
    configure_logging(settings.log_level)
    services = build_services(settings)
    host = host or settings.host
    port = port or settings.port
    base = f"http://{host}:{port}"
    if demo if demo is not None else settings.demo:
        tenant = ensure_demo_tenant(services.session_factory)
        if tenant.admin_key:
            console.print(
                f"[bold]Demo tenant '{tenant.name}' created. Its admin API key "
                "(shown only now, stored hashed):[/bold]"
            )
            console.print(tenant.admin_key, soft_wrap=True, highlight=False)
            console.print(
                f"[bold]Caseworker pages: sign in at {base}/anmelden as '{DEMO_USER}' with the "
                "password (shown only now):[/bold]"
            )
            console.print(tenant.caseworker_password, soft_wrap=True, highlight=False)
        else:
            console.print(
                f"Demo tenant '{tenant.name}' exists; its key was printed when it was created."
            )
        seeded = seed_demo_letters(services, tenant_id=tenant.id)
        if not seeded.skipped:
            console.print(
                f"Loaded {seeded.loaded} demo letters; the worker triages them into queues now."
            )
    console.print(f"Web:          {base}/")
    console.print(f"API:          {base}/api/v1")
    console.print(f"API docs:     {base}/docs")
    console.print(f"Health check: {base}/healthz")
    if settings.metrics_enabled:
        where = f"http://{settings.metrics_bind}" if settings.metrics_bind else base
        console.print(f"Metrics:      {where}/metrics")
    console.print(f"Database:     {settings.effective_database_url}")
    console.print(f"Data folder:  {settings.data_dir}")
    if settings.embedded_worker:
        _open_vectors_or_exit(services)
    app = create_app(settings, services=services)
    try:
        uvicorn.run(app, host=host, port=port, log_config=None)
    finally:
        services.close()


HEARTBEAT = Path(tempfile.gettempdir()) / "triage-worker.heartbeat"


def worker(
    check: Annotated[
        bool,
        typer.Option("--check", help="Exit 0 if this machine's worker is alive (health check)."),
    ] = False,
) -> None:
    """Run the processing worker as its own process (production: PostgreSQL + Qdrant server)."""
    settings = Settings()
    if check:
        alive = HEARTBEAT.exists() and time.time() - HEARTBEAT.stat().st_mtime < HEARTBEAT_MAX_AGE_S
        raise typer.Exit(0 if alive else 1)
    configure_logging(settings.log_level)
    services = build_services(settings)
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()
        services.wake_workers.set()

    _open_vectors_or_exit(services)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    metrics = start_worker_metrics(settings, services)
    try:
        services.new_worker().run_forever(stop, heartbeat=HEARTBEAT)
    finally:
        if metrics:
            metrics.stop()
        services.close()


def start_worker_metrics(settings: Settings, services: Services) -> MetricsServer | None:
    """The worker's own figures (stage timings, errors) on ``TRIAGE_WORKER_METRICS_BIND``;
    the database's figures come from the API, once for the installation."""
    if not (settings.metrics_enabled and settings.worker_metrics_bind):
        return None
    server = MetricsServer.start(
        host_port(settings.worker_metrics_bind), services.worker_metrics.registry
    )
    console.print(f"Metrics:      {server.url}")
    return server


def _open_vectors_or_exit(services: Services) -> None:
    """Loads the model and checks the vector store before any work is taken."""
    try:
        services.warm_up()
    except ModelMismatchError as exc:
        services.close()
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
