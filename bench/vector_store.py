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


def _make_data(args: argparse.Namespace) -> dict[str, Any]:
    """The same points in every process of a run (fixed seed): the reopen phase needs them
    for recall."""
    rng = np.random.default_rng(42)
    vectors = rng.standard_normal((args.size, args.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return {
        "vectors": vectors,
        "ids": [uuid.UUID(bytes=rng.bytes(16), version=4) for _ in range(args.size)],
        "tenants": [uuid.UUID(int=i + 1) for i in range(args.tenants)],
        "tenant_of": np.arange(args.size) % args.tenants,
        "case_of": rng.integers(0, len(CASE_TYPES), args.size),
        "status_of": rng.integers(0, len(STATUSES), args.size),
    }


def build_phase(args: argparse.Namespace, data: dict[str, Any]) -> dict[str, Any]:
    """Fill an empty folder and search it, as a service does right after ingesting."""
    from triage.vectors import VectorPoint

    result: dict[str, Any] = {}
    baseline = _rss_mb()
    store = _open(args.kind, args.folder)
    store.ensure_collection(model_name=MODEL, dimension=args.dim)
    start = time.perf_counter()
    for lo in range(0, args.size, args.batch):
        store.upsert(
            [
                VectorPoint(
                    id=data["ids"][j],
                    tenant_id=data["tenants"][data["tenant_of"][j]],
                    vector=data["vectors"][j],
                    payload={
                        "case_type": CASE_TYPES[data["case_of"][j]],
                        "status": STATUSES[data["status_of"][j]],
                    },
                )
                for j in range(lo, min(args.size, lo + args.batch))
            ]
        )
    result["upsert_s"] = time.perf_counter() - start
    result["rss_after_upsert_mb"] = _rss_mb() - baseline
    result["search"] = _search_phase(store, data, args)
    if args.kind == "edge":
        start = time.perf_counter()
        store.optimize()
        result["optimize_s"] = time.perf_counter() - start
        result["search_hnsw"] = _search_phase(store, data, args)
    result["rss_build_peak_mb"] = _rss_mb() - baseline
    assert store.count() == args.size, "points were lost"
    store.close()
    result["disk_mb"] = _folder_mb(args.folder)
    return result


def reopen_phase(args: argparse.Namespace, data: dict[str, Any]) -> dict[str, Any]:
    """Open the filled folder in a fresh process, as a restarted service does; its memory
    growth is the steady-state cost, free of whatever the build left on the heap."""
    baseline = _rss_mb()
    start = time.perf_counter()
    store = _open(args.kind, args.folder)
    store.ensure_collection(model_name=MODEL, dimension=args.dim)
    store.search(tenant_id=data["tenants"][0], vector=data["vectors"][0], limit=10)
    result: dict[str, Any] = {"reopen_s": time.perf_counter() - start}
    result["search_reopened"] = _search_phase(store, data, args)
    result["rss_reopened_mb"] = _rss_mb() - baseline
    store.close()
    return result


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    # qdrant-client says local mode is not meant for >20k points; measuring that is the point.
    warnings.filterwarnings("ignore", message="Local mode is not recommended", category=UserWarning)
    import triage.vectors  # noqa: F401 - imported before the RSS baseline, not measured as growth

    data = _make_data(args)
    return build_phase(args, data) if args.phase == "build" else reopen_phase(args, data)


def _run_one(args: argparse.Namespace, kind: str, size: int) -> dict[str, Any]:
    """Both phases of one store and size, each in its own process, within one time limit."""
    result: dict[str, Any] = {"kind": kind, "size": size, "dim": args.dim, "status": "ok"}
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-", dir=args.workdir))
    deadline = time.perf_counter() + args.run_timeout
    try:
        for phase in ("build", "reopen"):
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
                out = Path(handle.name)
            command = [
                sys.executable, __file__, "--child", "--phase", phase, "--kind", kind,
                "--size", str(size), "--folder", str(folder), "--out", str(out),
                "--queries", str(args.queries), "--dim", str(args.dim),
                "--tenants", str(args.tenants), "--batch", str(args.batch),
                "--search-budget-s", str(args.search_budget_s),
            ]  # fmt: skip
            try:
                timeout = max(1.0, deadline - time.perf_counter())
                subprocess.run(command, cwd=ROOT, check=True, timeout=timeout)
                result.update(json.loads(out.read_text()))
            except subprocess.TimeoutExpired:
                reason = f"{phase} not finished within {args.run_timeout:.0f} s (run killed)"
                return {**result, "status": "not measured", "reason": reason}
            except subprocess.CalledProcessError as exc:
                return {**result, "status": "failed", "reason": f"{phase} exit {exc.returncode}"}
            finally:
                out.unlink(missing_ok=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def run_parent(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for size in args.sizes:
        for kind in args.kinds:
            print(f"running {kind} with {size} points ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            results.append(_run_one(args, kind, size))
            results[-1]["wall_s"] = time.perf_counter() - started
    return results


def print_table(results: list[dict[str, Any]]) -> None:
    """One row per search situation: right after upsert, after Edge's optimize(), and in a
    fresh process that reopened the folder (with its memory growth and open time)."""
    header = (
        f"{'store / search':<16}{'points':>7}{'upsert s':>9}{'pts/s':>7}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'n q':>5}{'recall':>7}{'RSS MB':>7}{'disk MB':>8}{'open s':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r["status"] != "ok":
            print(f"{r['kind']:<16}{r['size']:>7}  {r['status']}: {r.get('reason', '')}")
            continue
        rows = [
            (r["kind"], r["search"], f"{r['upsert_s']:>9.1f}{r['size'] / r['upsert_s']:>7.0f}",
             f"{r['rss_after_upsert_mb']:>7.0f}{r['disk_mb']:>8.0f}"),
        ]  # fmt: skip
        if "search_hnsw" in r:
            rows.append((f"  HNSW (+{r['optimize_s']:.0f} s)", r["search_hnsw"], "", ""))
        rows.append(
            ("  reopened", r["search_reopened"], "",
             f"{r['rss_reopened_mb']:>7.0f}{'':>8}{r['reopen_s']:>7.2f}"),
        )  # fmt: skip
        for label, s, upsert, tail in rows:
            print(
                f"{label:<16}{r['size']:>7}{upsert:>16}{s['p50_ms']:>9.2f}{s['p95_ms']:>9.2f}"
                f"{s['queries']:>5}{s['recall']:>7.3f}{tail}"
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
    parser.add_argument("--phase", choices=("build", "reopen"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
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
