"""Upload latency under concurrent intake: p50/p95 of POST /api/v1/documents.

Starts the real service (`triage serve`, SQLite, embedded worker on, so parsing competes
for the CPU as in production) in a subprocess on a free port, then sends N uploads of
distinct generated PDF letters from C concurrent clients. As a baseline in the same run,
GET /healthz is timed at the same concurrency: the ratio shows what storing an upload
costs on top of a bare request on this machine.

usage: .venv/bin/python bench/upload_latency.py [--uploads 200] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _harness import running_service, wait_until_healthy  # noqa: E402

from tests.fixtures.documents import GERMAN_LETTER, pdf_with_text  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _describe(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<10} n={len(ms):4d}  p50={_percentile(ms, 0.5):7.1f} ms  "
        f"p95={_percentile(ms, 0.95):7.1f} ms  max={max(ms):7.1f} ms  "
        f"stdev={statistics.pstdev(ms):6.1f} ms"
    )


def _timed(call: object) -> float:
    assert callable(call)
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    letters = [
        pdf_with_text(f"{GERMAN_LETTER}\nAktenzeichen BENCH-{i:05d}\n" + "Weitere Angaben. " * 40)
        for i in range(args.uploads)
    ]
    size_kb = statistics.mean(len(p) for p in letters) / 1024
    with running_service(role="intake") as service:
        wait_until_healthy(service.base)
        limits = httpx.Limits(max_connections=args.concurrency)
        with httpx.Client(
            base_url=service.base, headers=service.headers, limits=limits, timeout=120
        ) as client:

            def health() -> None:
                client.get("/healthz").raise_for_status()

            def upload(index: int) -> None:
                response = client.post(
                    "/api/v1/documents",
                    files=[("files", (f"brief{index}.pdf", letters[index], "application/pdf"))],
                    data={"channel": "post"},
                )
                assert response.status_code == 202, response.text

            with ThreadPoolExecutor(args.concurrency) as pool:
                baseline = list(pool.map(lambda _i: _timed(health), range(args.uploads)))
                started = time.perf_counter()
                uploads = list(pool.map(lambda i: _timed(lambda: upload(i)), range(args.uploads)))
                wall = time.perf_counter() - started
    print(
        f"{args.uploads} uploads of ~{size_kb:.0f} KB PDFs, {args.concurrency} concurrent clients"
    )
    print(_describe("healthz", baseline))
    print(_describe("upload", uploads))
    print(f"throughput: {args.uploads / wall:.1f} uploads/s")
    ratio = _percentile(uploads, 0.5) / _percentile(baseline, 0.5)
    print(f"ratio upload p50 / healthz p50: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
