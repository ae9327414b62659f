"""Benchmark of the embedded vector stores: qdrant-client local mode against Qdrant Edge.

Measures what decides ``triage.vectors.DEFAULT_EMBEDDED_KIND``: upsert time in batches,
filtered search latency (tenant plus one payload field, as the triage views search), recall
of those searches against exact numpy results, resident memory growth, folder size and the
time to reopen the folder (service start). Each store and size runs in a fresh subprocess,
so memory figures and caches do not mix; a run that exceeds ``--run-timeout`` is reported as
not measured.

    .venv/bin/python bench/vector_store.py --sizes 20000 100000 --queries 200 \
        --json bench/vector_store.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("qdrant-local", "edge")
CASE_TYPES = ("wohngeld", "bauantrag", "gewerbe", "melde", "hundesteuer")
STATUSES = ("open", "in_progress", "done")
MODEL = "bench/random-384"


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def _folder_mb(path: Path) -> float:
    # Allocated blocks, not apparent sizes: Edge preallocates sparse mmap files.
    return sum(p.stat().st_blocks * 512 for p in path.rglob("*") if p.is_file()) / 2**20


def _percentiles(latencies: list[float]) -> dict[str, float]:
    values = np.asarray(latencies) * 1000.0
    return {"p50_ms": float(np.percentile(values, 50)), "p95_ms": float(np.percentile(values, 95))}


def _search_phase(store: Any, data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Filtered searches until ``--queries`` are done or the time budget is spent; recall@10
    against an exact numpy search over the same tenant and case type."""
    rng = np.random.default_rng(7)
    queries = rng.standard_normal((args.queries, args.dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    latencies: list[float] = []
    recalls: list[float] = []
    deadline = time.perf_counter() + args.search_budget_s
    for i, query in enumerate(queries):
        tenant_index, case_index = i % args.tenants, i % len(CASE_TYPES)
        start = time.perf_counter()
        hits = store.search(
            tenant_id=data["tenants"][tenant_index],
            vector=query,
            limit=10,
            filters={"case_type": CASE_TYPES[case_index]},
        )
        latencies.append(time.perf_counter() - start)
        mask = (data["tenant_of"] == tenant_index) & (data["case_of"] == case_index)
        candidates = np.flatnonzero(mask)
        best = candidates[np.argsort(-(data["vectors"][candidates] @ query))[:10]]
        expected = {data["ids"][j] for j in best}
        recalls.append(len(expected & {h.id for h in hits}) / max(1, len(expected)))
        if i + 1 >= 20 and time.perf_counter() > deadline:
            break
    return {**_percentiles(latencies), "queries": len(latencies), "recall": float(np.mean(recalls))}


def _open(kind: str, path: Path) -> Any:
    from triage.vectors import QdrantClientStore, QdrantEdgeStore

    return QdrantEdgeStore(path=path) if kind == "edge" else QdrantClientStore(path=path)


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    """One store, one size, in this (fresh) process."""
    # qdrant-client says local mode is not meant for >20k points; measuring that is the point.
    warnings.filterwarnings("ignore", message="Local mode is not recommended", category=UserWarning)
    from triage.vectors import VectorPoint

    size, kind = args.size, args.kind
    rng = np.random.default_rng(42)
    vectors = rng.standard_normal((size, args.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    data = {
        "vectors": vectors,
        "ids": [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(size)],
        "tenants": [uuid.UUID(int=i + 1) for i in range(args.tenants)],
        "tenant_of": np.arange(size) % args.tenants,
        "case_of": rng.integers(0, len(CASE_TYPES), size),
        "status_of": rng.integers(0, len(STATUSES), size),
    }
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-", dir=args.workdir))
    result: dict[str, Any] = {"kind": kind, "size": size, "dim": args.dim, "status": "ok"}
    try:
        baseline = _rss_mb()
        store = _open(kind, folder)
        store.ensure_collection(model_name=MODEL, dimension=args.dim)
        start = time.perf_counter()
        for lo in range(0, size, args.batch):
            store.upsert(
                [
                    VectorPoint(
                        id=data["ids"][j],
                        tenant_id=data["tenants"][data["tenant_of"][j]],
                        vector=vectors[j],
                        payload={
                            "case_type": CASE_TYPES[data["case_of"][j]],
                            "status": STATUSES[data["status_of"][j]],
                        },
                    )
                    for j in range(lo, min(size, lo + args.batch))
                ]
            )
        result["upsert_s"] = time.perf_counter() - start
        result["rss_after_upsert_mb"] = _rss_mb() - baseline
        result["search"] = _search_phase(store, data, args)
        if kind == "edge":
            start = time.perf_counter()
            store.optimize()
            result["optimize_s"] = time.perf_counter() - start
            result["search_hnsw"] = _search_phase(store, data, args)
        result["rss_growth_mb"] = _rss_mb() - baseline
        assert store.count() == size, "points were lost"
        store.close()
        result["disk_mb"] = _folder_mb(folder)
        start = time.perf_counter()
        store = _open(kind, folder)
        store.ensure_collection(model_name=MODEL, dimension=args.dim)
        store.search(tenant_id=data["tenants"][0], vector=vectors[0], limit=10)
        result["reopen_s"] = time.perf_counter() - start
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def run_parent(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for size in args.sizes:
        for kind in args.kinds:
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
                out = Path(handle.name)
            command = [
                sys.executable, __file__, "--child", "--kind", kind, "--size", str(size),
                "--out", str(out), "--queries", str(args.queries), "--dim", str(args.dim),
                "--tenants", str(args.tenants), "--batch", str(args.batch),
                "--search-budget-s", str(args.search_budget_s),
            ]  # fmt: skip
            if args.workdir:
                command += ["--workdir", str(args.workdir)]
            print(f"running {kind} with {size} points ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            try:
                subprocess.run(command, cwd=ROOT, check=True, timeout=args.run_timeout)
                results.append(json.loads(out.read_text()))
            except subprocess.TimeoutExpired:
                reason = f"not finished within {args.run_timeout:.0f} s (run killed)"
                results.append(
                    {"kind": kind, "size": size, "status": "not measured", "reason": reason}
                )
            except subprocess.CalledProcessError as exc:
                reason = f"child exited with {exc.returncode}"
                results.append({"kind": kind, "size": size, "status": "failed", "reason": reason})
            finally:
                out.unlink(missing_ok=True)
            results[-1]["wall_s"] = time.perf_counter() - started
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    header = (
        f"{'store':<13}{'points':>8}{'upsert s':>10}{'pts/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'n q':>5}{'recall':>7}{'RSS MB':>8}{'disk MB':>8}{'reopen s':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r["status"] != "ok":
            print(f"{r['kind']:<13}{r['size']:>8}  {r['status']}: {r.get('reason', '')}")
            continue
        rows = [(r["kind"], r["search"])]
        if "search_hnsw" in r:
            rows.append((f"  +HNSW {r['optimize_s']:.0f}s", r["search_hnsw"]))
        for i, (label, s) in enumerate(rows):
            first = i == 0
            print(
                f"{label:<13}{r['size']:>8}"
                + (
                    f"{r['upsert_s']:>10.1f}{r['size'] / r['upsert_s']:>8.0f}"
                    if first
                    else " " * 18
                )
                + f"{s['p50_ms']:>9.2f}{s['p95_ms']:>9.2f}{s['queries']:>5}{s['recall']:>7.3f}"
                + (
                    f"{r['rss_growth_mb']:>8.0f}{r['disk_mb']:>8.0f}{r['reopen_s']:>9.2f}"
                    if first
                    else ""
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument(
        "--search-budget-s", type=float, default=60.0,
        help="stop a search phase after this long (at least 20 queries run)",
    )  # fmt: skip
    parser.add_argument("--run-timeout", type=float, default=600.0, help="per store and size")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the stores")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.out.write_text(json.dumps(run_child(args)))
        return
    results = run_parent(args)
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps({"args": sys.argv[1:], "results": results}, indent=2))


if __name__ == "__main__":
    main()
