"""What the service benchmarks share: a real `triage serve` on a free port with its own
data folder, a tenant and a key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx

TRIAGE = [sys.executable, "-m", "triage.cli"]


@dataclass(frozen=True)
class RunningService:
    base: str
    headers: dict[str, str]
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_service(
    *, role: str, env: Mapping[str, str] | None = None, log: IO[str] | None = None
) -> Iterator[RunningService]:
    """Starts the service on SQLite in a temporary folder; stops it on exit. The caller
    waits for it with `wait_until_healthy` (so it can watch the start-up too)."""
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as tmp:
        full_env = {
            **os.environ,
            "TRIAGE_DATA_DIR": tmp,
            "TRIAGE_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        full_env.pop("TRIAGE_DATABASE_URL", None)
        subprocess.run(
            [*TRIAGE, "tenants", "create", "bench"], env=full_env, check=True, capture_output=True
        )
        key = subprocess.run(
            [*TRIAGE, "keys", "create", "--tenant", "bench", "--role", role],
            env=full_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        port = free_port()
        process = subprocess.Popen(
            [*TRIAGE, "serve", "--port", str(port)],
            env=full_env,
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            yield RunningService(
                base=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {key}"},
                process=process,
            )
        finally:
            process.terminate()
            process.wait(timeout=60)


def wait_until_healthy(base: str, *, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service at {base} did not become healthy in {timeout_s:g} s")
