"""Accessibility basics (WCAG 2.1 AA, as BITV 2.0 asks): colour contrast of the style
sheet, labelled form controls and no sideways scrolling on a laptop screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from tests.web.conftest import BrowserPage, add_person, sign_in
from tests.web.test_sign_in import WOHNGELD
from triage.db.models import Role
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.figures.snapshot import local_day
from triage.figures.store import take_snapshot
from triage.services import Services
from triage.tenants import require_tenant

OpenPage = Callable[[], BrowserPage]
CSS = Path(__file__).parents[2] / "triage" / "web" / "static" / "triage.css"
# (text, background) pairs the pages use, by the style sheet's variables or literals.
PAIRS = [
    ("--ink", "--paper"),  # body text
    ("#ffffff", "--accent"),  # header links, primary buttons
    ("--accent", "--paper"),  # secondary buttons
    ("--late", "--paper"),  # overdue counts, errors
    ("#3d3d3d", "--paper"),  # meta lines
    ("--ink", "#f6f6f6"),  # extracted text
    ("--ink", "#e8f1fa"),  # notices
    ("--ink", "#fff4d6"),  # the band while working under another tenant's grant
]
# The narrowest screen also gets every page of team leads and admins.
LEAD_PAGES = (
    "/team",
    "/kennzahlen",
    "/zweitpruefung",
    "/verwaltung",
    "/verwaltung/benutzer",
    "/verwaltung/schluessel",
    "/verwaltung/fallarten",
    "/verwaltung/fallarten/wohngeld",
    "/verwaltung/regeln",
    "/verwaltung/basislinie",
    "/verwaltung/freigaben",
    "/verwaltung/protokoll",
)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_colours_meet_wcag_aa_contrast() -> None:
    variables = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text()))
    for text, background in PAIRS:
        ratio = _contrast(variables.get(text, text), variables.get(background, background))
        assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}"
    assert _contrast("#000000", "#ffffff") == pytest.approx(21.0)  # the formula itself


@pytest.mark.parametrize("viewport", [(1280, 800), (1366, 768), (1024, 768)])
def test_every_control_is_labelled_and_nothing_scrolls_sideways(
    open_page: OpenPage,
    services: Services,
    tenant_a: TenantKeys,
    client: TestClient,
    viewport: tuple[int, int],
) -> None:
    services.settings.review_threshold = 0.0
    document_id = upload_one(client, tenant_a, "antrag.txt", WOHNGELD.encode())
    process_all(services)
    add_person(services, tenant_a, "berger", role=Role.ADMIN)
    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        take_snapshot(session, tenant_id=tenant_id, day=local_day(utcnow()), now=utcnow())
    page = open_page()
    page.page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    sign_in(page, "berger")
    paths = ["/", "/pruefung", "/suche", f"/dokumente/{document_id}"]
    if viewport == (1024, 768):
        paths += LEAD_PAGES
    for path in [*paths, "/anmelden"]:
        page.goto(path)
        unlabelled = page.page.locator("input:not([type=hidden]), select, textarea").evaluate_all(
            "els => els.filter(e => !(e.labels && e.labels.length)"
            " && !e.getAttribute('aria-label')).map(e => e.name)"
        )
        assert unlabelled == [], f"{path}: unlabelled {unlabelled}"
        sideways = page.page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth"
        )
        assert not sideways, f"{path} scrolls sideways at {viewport}"
