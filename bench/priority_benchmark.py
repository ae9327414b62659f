"""Priorities at scale: re-scoring 100,000 open documents after a weight change, and
claiming the next document of a queue with 100,000 open ones, on SQLite and PostgreSQL.

    .venv/bin/python bench/priority_benchmark.py [--documents 100000] [--claims 1000]
        [--postgres postgresql+psycopg://triage@127.0.0.1:55432/postgres]

The documents are written straight into a migrated database (the worker would take hours
to triage 100,000 letters on 2 cores): five queues, routed, with facts drawn at random
(deadlines, statutory periods, hardship signals, SLA days) and scored under the default
policy. Re-scoring runs ``recompute_priorities`` as ``triage priority load`` does, three
times with alternating weights; claiming runs ``claim_next`` as ``POST /queues/{q}/claim``
does (follow-ups first to the caseworker who has the matter: 2.1 % of the open documents
follow up another, half of them one completed yesterday), one transaction per
claim, timed from session start to commit; every other claim runs without the follow-up
preference, as a baseline under the same load. Targets (issue 6):
re-scoring < 60 s, claim p99 < 10 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from triage.actors import Actor, ActorKind
from triage.db.migrate import upgrade
from triage.db.models import Document, DocumentStatus, Role
from triage.db.session import create_db_engine, create_session_factory, transaction
from triage.priority.policy import default_policy, parse_policy
from triage.priority.score import PriorityFacts, StatutoryFact, prioritise
from triage.priority.service import recompute_priorities
from triage.tenants import create_tenant

QUEUES = ["buergerbuero", "soziales", "steuern", "ordnung", "bauen"]
# Claims go round a team of caseworkers, as in an office (one key holding every claimed
# document would make "the documents I hold" a thousand).
CASEWORKERS = 20
SIGNALS = ["eviction", "utility_cutoff", "seizure", "urgent_application", "medical"]


def _facts(rng: random.Random, received: dt.date) -> PriorityFacts:
    deadlines = []
    if rng.random() < 0.3:
        due = received + dt.timedelta(days=rng.randint(-5, 60))
        deadlines.append((due, f"bis zum {due:%d.%m.%Y}"))
    statutory = []
    if rng.random() < 0.1:
        statutory.append(
            StatutoryFact("widerspruch", received + dt.timedelta(days=rng.randint(0, 40)), "Frist")
        )
    hardship = [(key, key) for key in SIGNALS if rng.random() < 0.02]
    return PriorityFacts(received, deadlines, statutory, hardship, rng.choice([3, 5, 14, 30, 60]))


def _fill(factory: Any, tenant_id: uuid.UUID, count: int, seed: int) -> None:
    rng = random.Random(seed)
    policy = default_policy()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(count):
        received_at = now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 90))
        priority = prioritise(
            _facts(rng, received_at.date()), received_at=received_at, policy=policy
        )
        rows.append(
            {
                "id": uuid.uuid4(),
                "tenant_id": tenant_id,
                "sha256": f"{i:064x}",
                "filename": f"brief{i}.txt",
                "media_type": "text/plain",
                "size_bytes": 1000,
                "channel": "upload",
                "received_at": received_at,
                "status": DocumentStatus.ROUTED.value,
                "case_type": "wohngeld",
                "confidence": 0.9,
                "queue": QUEUES[i % len(QUEUES)],
                "priority_facts": priority.facts.to_json(),
                "priority_components": {
                    "components": [c.to_json() for c in priority.components],
                    "waiting_per_day": priority.rate,
                },
                "priority_base": priority.base,
                "priority_key": priority.key,
            }
        )
    _link_some(rows, now)
    with transaction(factory) as session:
        for start in range(0, len(rows), 5000):
            session.execute(insert(Document), rows[start : start + 5000])


def _link_some(rows: list[dict[str, Any]], now: dt.datetime) -> None:
    """As in a real office: 2.1 % of the open letters follow up an earlier one. For 1 %
    the earlier one was completed yesterday by someone outside the benchmark's team (the
    follow-up waits for that person), for 0.1 % by one of the team (it comes to them
    first), for 1 % it is still open."""
    completed = []
    for i, row in enumerate(rows):
        if i % 1000 == 13 or i % 100 == 14:
            done = {
                **row,
                "id": uuid.uuid4(),
                "sha256": f"done{i:060x}",
                "status": DocumentStatus.DONE.value,
                "completed_at": now - dt.timedelta(days=1),
                "completed_by_kind": ActorKind.API_KEY.value,
                "completed_by_id": (
                    f"bench-{i // 1000 % CASEWORKERS}" if i % 1000 == 13 else "someone-else"
                ),
            }
            completed.append(done)
            row["follow_up_of_id"] = done["id"]
        elif i % 100 == 63:
            earlier = rows[i - 6]
            row.update(follow_up_of_id=earlier["id"], queue=earlier["queue"])
    rows[:0] = completed  # inserted before the letters that refer to them


def _claims(factory: Any, tenant_id: uuid.UUID, claims: int) -> dict[str, list[float]]:
    """Claims in turn with the follow-up preference (as the API claims) and without it
    (the plain priority order), so both see the same machine load."""
    from triage.queues.service import claim_next

    actors = [
        Actor(
            kind=ActorKind.API_KEY,
            id=f"bench-{n}",
            name=f"bench {n}",
            tenant_id=tenant_id,
            role=Role.CASEWORKER,
        )
        for n in range(CASEWORKERS)
    ]
    seconds: dict[str, list[float]] = {"with_follow_ups": [], "plain": []}
    # Untimed: the first claim in each queue reads its index pages from disk, and whichever
    # kind came first would pay for both.
    warm_up = 2 * CASEWORKERS
    for i in range(-warm_up, claims):
        actor = actors[i // 2 % CASEWORKERS]
        kind = "with_follow_ups" if i % 2 == 0 else "plain"
        hold = dt.timedelta(days=3) if kind == "with_follow_ups" else dt.timedelta(0)
        started = time.perf_counter()
        with transaction(factory) as session:
            claimed = claim_next(
                session,
                actor=actor,
                queue=QUEUES[i // 2 % len(QUEUES)],
                lease_seconds=900,
                follow_up_hold=hold,
            )
        if i >= 0:
            seconds[kind].append(time.perf_counter() - started)
        if claimed is None:
            raise SystemExit("a queue ran empty: use more documents or fewer claims")
    return seconds


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(url: str, *, documents: int, claims: int, seed: int) -> dict[str, Any]:
    engine = create_db_engine(url)
    upgrade(engine)
    factory = create_session_factory(engine)
    with transaction(factory) as session:
        tenant_id = create_tenant(session, name=f"bench-{uuid.uuid4().hex[:8]}").id
    started = time.perf_counter()
    _fill(factory, tenant_id, documents, seed)
    fill_seconds = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE documents"))

    recompute = []
    for weight in (10.0, 60.0, 40.0):
        policy = parse_policy({"weights": {"deadline": weight, "waiting_per_day": 2}}, source="x")
        started = time.perf_counter()
        with transaction(factory) as session:
            count = recompute_priorities(session, tenant_id=tenant_id, policy=policy)
        recompute.append(time.perf_counter() - started)
        assert count == documents, (count, documents)

    claim_seconds = _claims(factory, tenant_id, claims)
    engine.dispose()
    result: dict[str, Any] = {
        "database": engine.dialect.name,
        "documents": documents,
        "fill_seconds": round(fill_seconds, 1),
        "recompute_seconds": [round(s, 2) for s in recompute],
        "recompute_median_seconds": round(statistics.median(recompute), 2),
        "claims": claims,
    }
    for kind, values in claim_seconds.items():
        ms = [s * 1000 for s in values]
        result[f"claim_{kind}_ms"] = {
            "p50": round(_percentile(ms, 0.5), 2),
            "p99": round(_percentile(ms, 0.99), 2),
            "max": round(max(ms), 2),
        }
    return result


def _fresh_postgres(url: str) -> str:
    """A database of its own on the given server, dropped by the caller."""
    name = f"triage_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(url: str, database: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a scratch database is made)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="triage-priority-") as tmp:
        sqlite = f"sqlite:///{tmp}/bench.sqlite3"
        results.append(run(sqlite, documents=args.documents, claims=args.claims, seed=args.seed))
        print(json.dumps(results[-1]), flush=True)
    if args.postgres:
        scratch = _fresh_postgres(args.postgres)
        try:
            results.append(
                run(scratch, documents=args.documents, claims=args.claims, seed=args.seed)
            )
            print(json.dumps(results[-1]), flush=True)
        finally:
            _drop_postgres(args.postgres, make_url(scratch).database or "")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    sys.exit(0)


if __name__ == "__main__":
    main()
