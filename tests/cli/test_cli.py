"""The `triage` command line end to end: tenants, keys, a live server, ingest, reprocess."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import TRIAGE, run_triage
from tests.fixtures.documents import GERMAN_LETTER, pdf_with_text, random_bytes, truncated_pdf
from triage.accounts.service import LoginPolicy, authenticate_password
from triage.db.session import create_db_engine, create_session_factory, transaction


def triage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run_triage(env, *args, check=check)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(cli_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`triage serve` as a real process on a free local port."""
    port = _free_port()
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [*TRIAGE, "serve", "--port", str(port)],
        env=cli_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        raise AssertionError("server did not start within 60 s")
    yield base
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


@pytest.mark.sqlite_only
def test_tenants_and_keys(cli_env: dict[str, str]) -> None:
    created = triage(cli_env, "tenants", "create", "musterstadt", "--display-name", "Musterstadt")
    assert "created tenant musterstadt" in created.stdout
    again = triage(cli_env, "tenants", "create", "musterstadt", check=False)
    assert again.returncode == 2
    assert "exists" in again.stderr
    key = triage(cli_env, "keys", "create", "--tenant", "musterstadt", "--role", "intake")
    # Only the key on stdout, so scripts can capture it.
    assert key.stdout.strip().startswith("ptk_")
    assert len(key.stdout.strip().splitlines()) == 1
    listing = triage(cli_env, "keys", "list", "--tenant", "musterstadt")
    assert "intake" in listing.stdout
    assert key.stdout.strip() not in listing.stdout
    unknown = triage(
        cli_env, "keys", "create", "--tenant", "nirgendwo", "--role", "admin", check=False
    )
    assert unknown.returncode == 2
    assert "nirgendwo" in unknown.stderr
    assert "musterstadt" in triage(cli_env, "tenants", "list").stdout


@pytest.mark.sqlite_only
def test_ingest_a_folder_through_the_live_api_then_reprocess(
    cli_env: dict[str, str], server: str, tmp_path: Path
) -> None:
    triage(cli_env, "tenants", "create", "musterstadt")
    intake_key = triage(
        cli_env, "keys", "create", "--tenant", "musterstadt", "--role", "intake"
    ).stdout.strip()
    admin_key = triage(
        cli_env, "keys", "create", "--tenant", "musterstadt", "--role", "admin"
    ).stdout.strip()
    inbox = tmp_path / "scanner"
    (inbox / "montag").mkdir(parents=True)
    (inbox / "brief1.pdf").write_bytes(pdf_with_text(GERMAN_LETTER))
    (inbox / "montag" / "brief2.txt").write_text("Antrag auf einen Bewohnerparkausweis")
    (inbox / "montag" / "kopie.pdf").write_bytes(pdf_with_text(GERMAN_LETTER))
    (inbox / "montag" / "leer.pdf").write_bytes(b"")
    (inbox / "unbekannt.bin").write_bytes(random_bytes(1000))
    (inbox / "kaputt.pdf").write_bytes(truncated_pdf(GERMAN_LETTER))
    (inbox / ".versteckt").write_text("skipped")

    result = triage(
        cli_env, "ingest", str(inbox), "--url", server, "--key", intake_key, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "accepted: 3  duplicates: 1  rejected: 2" in result.stdout
    assert "file is empty" in result.stdout
    assert "unsupported file type" in result.stdout

    headers = {"Authorization": f"Bearer {admin_key}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = httpx.get(f"{server}/api/v1/documents", headers=headers).json()
        if page["total"] == 3 and all(
            d["status"] not in ("received", "processing") for d in page["items"]
        ):
            break
        time.sleep(0.3)
    statuses = {d["filename"]: d["status"] for d in page["items"]}
    assert statuses["kaputt.pdf"] == "failed"
    assert statuses["brief2.txt"] in ("routed", "needs_review")
    assert page["items"][0]["channel"] == "post"

    reprocessed = triage(cli_env, "reprocess", "--failed", "--tenant", "musterstadt")
    assert "queued 1 document(s)" in reprocessed.stdout
    failed_id = next(d["id"] for d in page["items"] if d["filename"] == "kaputt.pdf")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        detail = httpx.get(f"{server}/api/v1/documents/{failed_id}", headers=headers).json()
        if [e["action"] for e in detail["events"]].count("failed") == 2:
            break
        time.sleep(0.3)
    actions = [e["action"] for e in detail["events"]]
    assert actions.count("failed") == 2
    assert "reprocess" in actions
    unknown = triage(cli_env, "reprocess", "00000000-0000-0000-0000-000000000000", check=False)
    assert unknown.returncode == 2
    assert "unknown document ids" in unknown.stderr


def test_ingest_without_a_key_says_how(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in cli_env.items() if k != "TRIAGE_API_KEY"}
    result = triage(env, "ingest", str(tmp_path), check=False)
    assert result.returncode == 2
    assert "TRIAGE_API_KEY" in result.stderr


def _serve_until_healthy(env: dict[str, str], log_path: Path, *args: str) -> str:
    """Starts `triage serve ARGS`, waits for /healthz, stops it; returns its output."""
    port = _free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*TRIAGE, "serve", "--port", str(port), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            output = log_path.read_text()
            key = next((line for line in output.splitlines() if line.startswith("ptk_")), None)
            if key:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/documents",
                    headers={"Authorization": f"Bearer {key}"},
                )
                assert response.status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    return log_path.read_text()


@pytest.mark.sqlite_only
def test_serve_demo_prints_the_urls_and_the_key_only_when_created(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    first = _serve_until_healthy(cli_env, tmp_path / "first.log", "--demo")
    assert "Demo tenant 'demo' created" in first
    assert "/api/v1" in first and "/docs" in first and "/healthz" in first
    assert sum(line.startswith("ptk_") for line in first.splitlines()) == 1
    # The demo caseworker's password, printed once, signs in to the web pages.
    lines = first.splitlines()
    prompt = next(i for i, line in enumerate(lines) if "sign in at" in line)
    password = lines[prompt + 1].strip()
    engine = create_db_engine(cli_env["TRIAGE_DATABASE_URL"])
    with transaction(create_session_factory(engine)) as session:
        result = authenticate_password(
            session, username="demo", password=password, policy=LoginPolicy()
        )
        assert result.user is not None and result.user.role == "teamlead"
    engine.dispose()
    second = _serve_until_healthy(cli_env, tmp_path / "second.log", "--demo")
    assert "exists" in second
    assert not any(line.startswith("ptk_") for line in second.splitlines())
    assert "sign in at" not in second


def test_separate_worker_process_does_the_work(cli_env: dict[str, str], tmp_path: Path) -> None:
    """Production shape: the API without its embedded worker, plus `triage worker`."""
    env = {**cli_env, "TRIAGE_EMBEDDED_WORKER": "false"}
    triage(env, "tenants", "create", "musterstadt")
    key = triage(env, "keys", "create", "--tenant", "musterstadt", "--role", "admin").stdout
    headers = {"Authorization": f"Bearer {key.strip()}"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "api.log").open("w") as api_log, (tmp_path / "worker.log").open("w") as log:
        api = subprocess.Popen(
            [*TRIAGE, "serve", "--port", str(port)], env=env, stdout=api_log, stderr=api_log
        )
        worker = subprocess.Popen([*TRIAGE, "worker"], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).is_success:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            response = httpx.post(
                f"{base}/api/v1/documents",
                headers=headers,
                files=[("files", ("brief.pdf", pdf_with_text(GERMAN_LETTER), "application/pdf"))],
            )
            document_id = response.json()["documents"][0]["id"]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                detail = httpx.get(f"{base}/api/v1/documents/{document_id}", headers=headers)
                if detail.json()["status"] not in ("received", "processing"):
                    break
                time.sleep(0.3)
            assert detail.json()["status"] == "routed", (tmp_path / "worker.log").read_text()
            assert detail.json()["case_type"] == "wohngeld"
            # The worker's own health check, as docker-compose runs it.
            assert triage(env, "worker", "--check", check=False).returncode == 0
        finally:
            worker.terminate()
            api.terminate()
            assert worker.wait(timeout=30) == 0
            api.wait(timeout=30)
