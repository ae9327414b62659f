"""Server time of the caseworker pages with 100,000 open documents in the tenant, on
SQLite and PostgreSQL.

    .venv/bin/python bench/web_pages_benchmark.py [--documents 100000] [--requests 200]
        [--postgres postgresql+psycopg://triage@127.0.0.1:55432/postgres]

The documents are written straight into a migrated database as in
``bench/priority_benchmark.py`` (five queues, facts and priorities at random, 2.1 % of them
follow-ups). A person signs in through the sign-in form; then the app answers, in
process (no network, no browser: the server's time), the overview (`/`), a queue's page
(`/warteschlangen/soziales`, what is shown after every action) and the document page of
documents drawn at random (each opening writes its `viewed` event). Target (issue 7): p95
< 200 ms for the queue page and the document page.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
from priority_benchmark import _drop_postgres, _fill, _fresh_postgres

from triage.accounts.service import create_user
from triage.app import create_app
from triage.config import Settings
from triage.db.models import Document, Role
from triage.db.session import transaction
from triage.services import build_services
from triage.tenants import create_tenant

PASSWORD = "Benchmark-Passwort-1"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(client: TestClient, paths: list[str]) -> dict[str, float]:
    seconds = []
    for path in paths:
        started = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
    ms = [s * 1000 for s in seconds]
    return {
        "p50": round(_percentile(ms, 0.5), 1),
        "p95": round(_percentile(ms, 0.95), 1),
        "max": round(max(ms), 1),
        "mean": round(statistics.mean(ms), 1),
    }


def run(url: str, data_dir: Path, *, documents: int, requests: int, seed: int) -> dict[str, Any]:
    settings = Settings(
        database_url=url, data_dir=data_dir, embedded_worker=False, metrics_enabled=False
    )
    services = build_services(settings)
    with transaction(services.session_factory) as session:
        tenant = create_tenant(session, name=f"bench-{uuid.uuid4().hex[:8]}")
        create_user(
            session, tenant=tenant, username="bench", password=PASSWORD, role=Role.CASEWORKER
        )
        tenant_id = tenant.id
    _fill(services.session_factory, tenant_id, documents, seed)
    with services.session_factory() as session:
        ids = list(session.scalars(select(Document.id).where(Document.tenant_id == tenant_id)))
    rng = random.Random(seed)
    with TestClient(create_app(services=services)) as client:
        form = client.get("/anmelden").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        signed_in = client.post(
            "/anmelden",
            data={"username": "bench", "password": PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert signed_in.status_code == 303, signed_in.text
        _timed(client, ["/", "/warteschlangen/soziales", f"/dokumente/{ids[0]}"])  # warm-up
        result = {
            "database": services.engine.dialect.name,
            "documents": documents,
            "overview_ms": _timed(client, ["/"] * (requests // 4)),
            "queue_page_ms": _timed(client, ["/warteschlangen/soziales"] * requests),
            "document_page_ms": _timed(
                client, [f"/dokumente/{rng.choice(ids)}" for _ in range(requests)]
            ),
        }
    services.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="triage-web-") as tmp:
        sqlite = f"sqlite:///{tmp}/bench.sqlite3"
        print(
            json.dumps(
                run(
                    sqlite,
                    Path(tmp) / "sqlite",
                    documents=args.documents,
                    requests=args.requests,
                    seed=args.seed,
                )
            ),
            flush=True,
        )
        if args.postgres:
            scratch = _fresh_postgres(args.postgres)
            try:
                result = run(
                    scratch,
                    Path(tmp) / "pg",
                    documents=args.documents,
                    requests=args.requests,
                    seed=args.seed,
                )
                print(json.dumps(result), flush=True)
            finally:
                _drop_postgres(args.postgres, make_url(scratch).database or "")


if __name__ == "__main__":
    main()
