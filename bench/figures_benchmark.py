"""Server time of the Kennzahlen page with a year of daily snapshots for 30 queues, and the
time to take one day's snapshot with 100,000 open documents, on SQLite and PostgreSQL.

    .venv/bin/python bench/figures_benchmark.py [--queues 30] [--days 365] [--requests 100]
        [--documents 100000] [--postgres postgresql+psycopg://triage@127.0.0.1:55432/postgres]

The snapshots are written straight into a migrated database: for each of the last
``--days`` days one row for the tenant, one per queue and one per case type (15), with
counts drawn at random, and a baseline marked 200 days ago. A team lead signs in through
the sign-in form; then the app answers, in process (the server's time, no browser), the
page (`/kennzahlen`: comparison, five charts, the forecast and its chart, maturity), and,
for comparison in the same run, the API's `/api/v1/figures` and the CSV of every snapshot.
The page is timed twice: as the test client builds the app, then after ``gc.freeze()``,
which ``triage serve`` calls after start-up (without it, a full collection of the start-up
objects pauses about one request in ten). Then ``--documents`` open documents are written
(as in ``bench/priority_benchmark.py``) and today's snapshot is taken three times, as the
worker does every 15 minutes.
Target (issue 8): the page's p95 < 500 ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from priority_benchmark import _drop_postgres, _fill, _fresh_postgres
from web_pages_benchmark import PASSWORD, _timed

from tests.figures.snapshots import write_series
from tests.web.conftest import web_client
from triage.accounts.service import create_user
from triage.app import create_app
from triage.config import Settings
from triage.db.models import FigureBaseline, Role
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.figures.snapshot import local_day
from triage.figures.store import take_snapshot
from triage.services import build_services
from triage.tenants import create_api_key, create_tenant

CASE_TYPES = 15


def _walk(rng: random.Random, days: int) -> list[dict[str, Any]]:
    """A queue's year: the open count drifts with inflow and outflow."""
    open_count = rng.randint(200, 2000)
    figures = []
    for _ in range(days):
        inflow, outflow = rng.randint(5, 60), rng.randint(5, 60)
        open_count = max(open_count + inflow - outflow, 0)
        triaged = inflow
        auto = rng.randint(0, triaged)
        figures.append(
            {
                "open_count": open_count,
                "inflow": inflow,
                "outflow": outflow,
                "overdue": rng.randint(0, open_count // 5 + 1),
                "age_p50_days": rng.uniform(1, 30),
                "age_p90_days": rng.uniform(30, 120),
                "triaged": triaged,
                "auto_routed": auto,
                "to_review": triaged - auto,
                "misrouted": rng.randint(0, auto // 10 + 1),
                "handling_median_minutes": rng.uniform(5, 40),
            }
        )
    return figures


def _year(factory: Any, tenant_id: uuid.UUID, *, queues: int, days: int, seed: int) -> int:
    rng = random.Random(seed)
    today = local_day(utcnow())
    keys = [("tenant", "alle")]
    keys += [("queue", f"warteschlange-{n:02d}") for n in range(queues)]
    keys += [("case_type", f"fallart_{n:02d}") for n in range(CASE_TYPES)]
    with transaction(factory) as session:
        for scope, key in keys:
            walk = _walk(rng, days)
            write_series(
                session,
                tenant_id=tenant_id,
                scope=scope,
                key=key,
                last=today,
                days=days,
                day_figures=walk.__getitem__,
            )
        session.add(
            FigureBaseline(
                tenant_id=tenant_id,
                day=today - timedelta(days=min(200, days - 1)),
                label="Start Soforthilfe",
                marked_by="bench",
            )
        )
    return len(keys) * days


def run(
    url: str,
    data_dir: Path,
    *,
    queues: int,
    days: int,
    requests: int,
    documents: int,
    seed: int,
) -> dict[str, Any]:
    settings = Settings(
        database_url=url, data_dir=data_dir, embedded_worker=False, metrics_enabled=False
    )
    services = build_services(settings)
    with transaction(services.session_factory) as session:
        tenant = create_tenant(session, name=f"bench-{uuid.uuid4().hex[:8]}")
        create_user(session, tenant=tenant, username="bench", password=PASSWORD, role=Role.TEAMLEAD)
        key = create_api_key(session, tenant=tenant, role=Role.ADMIN).plaintext
        tenant_id = tenant.id
    rows = _year(services.session_factory, tenant_id, queues=queues, days=days, seed=seed)
    api = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(services=services)) as client:
        web_client(client, "bench", PASSWORD)
        _timed(client, ["/kennzahlen", "/kennzahlen?aushilfen=5&faelle=20"])  # warm-up
        unfrozen = _timed(client, ["/kennzahlen?aushilfen=3"] * requests)
        gc.freeze()  # as `triage serve` does after start-up (triage/app.py)
        result: dict[str, Any] = {
            "database": services.engine.dialect.name,
            "snapshot_rows": rows,
            "page_ms": _timed(client, ["/kennzahlen?aushilfen=3"] * requests),
            "page_ms_without_gc_freeze": unfrozen,
            "api_figures_ms": _timed_api(client, "/api/v1/figures", api, requests),
            "csv_all_ms": _timed_api(client, "/api/v1/figures/snapshots.csv", api, 5),
        }
    _fill(services.session_factory, tenant_id, documents, seed)
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        with transaction(services.session_factory) as session:
            take_snapshot(session, tenant_id=tenant_id, day=local_day(utcnow()), now=utcnow())
        seconds.append(time.perf_counter() - started)
    result["open_documents"] = documents
    result["snapshot_today_s"] = {
        "median": round(statistics.median(seconds), 2),
        "min": round(min(seconds), 2),
        "max": round(max(seconds), 2),
    }
    services.close()
    return result


def _timed_api(client: TestClient, path: str, headers: dict[str, str], count: int) -> Any:
    client.headers.update(headers)
    try:
        return _timed(client, [path] * count)
    finally:
        del client.headers["Authorization"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=30)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made)")
    args = parser.parse_args()
    options = {
        "queues": args.queues,
        "days": args.days,
        "requests": args.requests,
        "documents": args.documents,
        "seed": args.seed,
    }
    with tempfile.TemporaryDirectory(prefix="triage-figures-") as tmp:
        sqlite = f"sqlite:///{tmp}/bench.sqlite3"
        print(json.dumps(run(sqlite, Path(tmp) / "sqlite", **options)), flush=True)
        if args.postgres:
            scratch = _fresh_postgres(args.postgres)
            try:
                print(json.dumps(run(scratch, Path(tmp) / "pg", **options)), flush=True)
            finally:
                _drop_postgres(args.postgres, make_url(scratch).database or "")


if __name__ == "__main__":
    main()
