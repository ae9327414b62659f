"""The caseworker pages in a real browser: the app served by uvicorn on a free port (with
the test's services: real database and model), driven by Debian's Chromium through
Playwright. Screenshots of every page a test visits go to TRIAGE_TEST_ARTIFACTS (default
``test-artifacts/`` in the checkout)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import TenantKeys
from triage.accounts.service import create_user
from triage.app import create_app
from triage.db.models import Role
from triage.db.session import transaction
from triage.services import Services
from triage.tenants import require_tenant

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Lindenblüte-2026!"
ARTIFACTS = Path(
    os.environ.get("TRIAGE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(services: Services) -> Iterator[str]:
    services.settings.embedded_worker = False  # the tests run the worker themselves
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services=services), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# Module scope, not session: the sync API keeps an event loop running in this thread, and
# any other test that calls asyncio.run() in the same worker process would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/install.sh --dev installs it)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@dataclass
class BrowserPage:
    """A page of a fresh browser context (its own cookies), failing on console errors."""

    page: Page
    base: str
    errors: list[str]
    # A test that opens a refused page (403, 404) expects the browser's console error.
    expect_errors: bool = False

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def screenshot(self, request: pytest.FixtureRequest, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        test = re.sub(r"[^\w.-]+", "_", request.node.name)
        path = ARTIFACTS / f"{test}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_page(browser: Browser, live_server: str) -> Iterator[object]:
    contexts = []

    def new_page() -> BrowserPage:
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        return BrowserPage(page, live_server, errors)

    pages: list[BrowserPage] = []

    def tracked() -> BrowserPage:
        pages.append(new_page())
        return pages[-1]

    yield tracked
    for context in contexts:
        context.close()
    for page in pages:
        assert page.expect_errors or page.errors == [], f"console errors: {page.errors}"


def add_person(
    services: Services,
    keys: TenantKeys,
    username: str,
    *,
    role: Role = Role.CASEWORKER,
    name: str | None = None,
    queues: list[str] | None = None,
) -> None:
    with transaction(services.session_factory) as session:
        create_user(
            session,
            tenant=require_tenant(session, name=keys.name),
            username=username,
            password=PASSWORD,
            role=role,
            display_name=name,
            queues=queues,
        )


def sign_in(page: BrowserPage, username: str, password: str = PASSWORD) -> None:
    page.goto("/anmelden")
    page.page.get_by_label("Benutzername").fill(username)
    page.page.get_by_label("Passwort").fill(password)
    page.page.get_by_role("button", name="Anmelden").click()


_HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class WebClient:
    """A signed-in person's pages without a browser (for what needs no script or layout):
    the test client with the session cookie, and the CSRF token its forms carry."""

    client: TestClient
    csrf_token: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """Submits a form as the page would (with the CSRF token); redirects not followed."""
        return self.client.post(
            path,
            data={"csrf_token": self.csrf_token, **(data or {})},
            follow_redirects=False,
            **kwargs,
        )


def web_client(client: TestClient, username: str, password: str = PASSWORD) -> WebClient:
    """Signs ``username`` in on ``client`` (its cookies) through the real sign-in form."""
    form = client.get("/anmelden")
    [login_token] = _HIDDEN_CSRF.findall(form.text)
    signed_in = client.post(
        "/anmelden",
        data={"username": username, "password": password, "csrf_token": login_token},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    overview = client.get("/")
    return WebClient(client, _HIDDEN_CSRF.findall(overview.text)[0])
