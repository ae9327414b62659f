"""Triage throughput, upload to routed, against raw ``model.encode`` in the same run.

1. Starts the real service (`triage serve`: SQLite, embedded Qdrant Edge store, default
   model, embedded worker; no LLM) on a free port with a fresh data folder.
2. Uploads the demo letters, repeated with a distinct reference line each until there are
   at least N documents (so none is a duplicate), from 4 concurrent intake clients, and
   waits until every document is routed or in review. Throughput = N / (last triaged -
   first upload). Peak RSS of the service process is sampled every 50 ms.
3. Baseline, in the same run on the idle machine: the same extracted texts (read back
   through the API) encoded by `SentenceTransformer.encode` with the same model folder,
   the `passage: ` prompt and batch size 32.

Prints `ratio: X.XX` = pipeline docs/s / raw encode docs/s.

usage: .venv/bin/python bench/pipeline.py [--documents 500] [--model models/multilingual-e5-small]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
from _harness import running_service, wait_until_healthy

ROOT = Path(__file__).resolve().parents[1]


def _documents(count: int) -> list[tuple[str, bytes, str]]:
    """(filename, bytes, media type): the demo letters with a distinct reference line."""
    from triage.demo.letters import find_unicode_font, load_demo_letters, render_pdf

    letters = load_demo_letters()
    font = find_unicode_font()
    out = []
    for index in range(count):
        letter = letters[index % len(letters)]
        text = f"{letter.text}\n\nEingangsnummer BENCH-{index:05d}\n"
        if letter.media_type == "application/pdf":
            data = render_pdf(text, font_path=font, language=letter.language)
        else:
            data = text.encode()
        out.append((f"{index:05d}-{letter.filename}", data, letter.media_type))
    return out


class PeakMemory:
    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            try:
                self.peak = max(self.peak, self._process.memory_info().rss)
            except psutil.Error:
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--model", default=str(ROOT / "models" / "multilingual-e5-small"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--server-log", type=Path, help="write the service's log here (INFO)")
    args = parser.parse_args()

    documents = _documents(args.documents)
    pdfs = sum(media == "application/pdf" for _, _, media in documents)
    env = {
        "TRIAGE_LOG_LEVEL": "INFO" if args.server_log else "WARNING",
        "TRIAGE_EMBEDDING_MODEL": args.model,
        "TRIAGE_WORKER_POLL_SECONDS": "0.05",
    }
    log = args.server_log.open("w") if args.server_log else None
    with (
        running_service(role="admin", env=env, log=log) as service,
        PeakMemory(service.process.pid) as memory,
    ):
        wait_until_healthy(service.base)
        idle_rss = psutil.Process(service.process.pid).memory_info().rss
        with httpx.Client(base_url=service.base, headers=service.headers, timeout=120) as client:

            def upload(item: tuple[str, bytes, str]) -> None:
                name, data, media = item
                response = client.post("/api/v1/documents", files=[("files", (name, data, media))])
                assert response.status_code == 202, response.text

            started = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(upload, documents))
            uploaded = time.perf_counter() - started
            while True:
                pending = sum(
                    client.get("/api/v1/documents", params={"status": status, "limit": 1}).json()[
                        "total"
                    ]
                    for status in ("received", "processing")
                )
                if pending == 0:
                    break
                # Polled slowly: the requests themselves would take CPU from the worker.
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
            statuses = {
                status: client.get(
                    "/api/v1/documents", params={"status": status, "limit": 1}
                ).json()["total"]
                for status in ("routed", "needs_review", "failed")
            }
            texts = []
            offset = 0
            while True:
                page = client.get(
                    "/api/v1/documents", params={"limit": 500, "offset": offset}
                ).json()
                for item in page["items"]:
                    texts.append(client.get(f"/api/v1/documents/{item['id']}/text").text)
                offset += len(page["items"])
                if offset >= page["total"] or not page["items"]:
                    break

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(args.model, device="cpu", local_files_only=True)
    model.encode(texts[:32], prompt="passage: ", batch_size=args.batch_size)  # warm-up
    raw_started = time.perf_counter()
    model.encode(texts, prompt="passage: ", batch_size=args.batch_size)
    raw = time.perf_counter() - raw_started

    count = len(documents)
    pipeline_rate = count / elapsed
    raw_rate = len(texts) / raw
    print(f"documents: {count} ({pdfs} PDF, {count - pdfs} text), outcome: {statuses}")
    print(f"uploads finished after {uploaded:.1f} s; all triaged after {elapsed:.1f} s")
    print(f"pipeline: {pipeline_rate:.1f} docs/s (upload to routed, service on SQLite + Edge)")
    print(
        f"raw encode: {raw_rate:.1f} docs/s ({len(texts)} extracted texts, batch {args.batch_size})"
    )
    print(f"service memory: idle {idle_rss / 2**20:.0f} MiB, peak {memory.peak / 2**20:.0f} MiB")
    print(f"ratio: {pipeline_rate / raw_rate:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
