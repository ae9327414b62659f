"""Relief staff ("Soforthilfe") work only the configured case types above the confidence
level; a share of their completed documents goes to a regular caseworker's second
review, whose corrections reopen the document and are counted in the figures."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import unquote

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import TenantKeys
from tests.figures.history import History
from tests.web.conftest import WebClient, add_person, web_client
from triage.db.models import AdminEvent, Document, DocumentEvent, DocumentStatus, Role
from triage.db.session import transaction
from triage.db.types import utcnow
from triage.figures.snapshot import local_day
from triage.figures.store import take_snapshot
from triage.services import Services
from triage.tenants import require_tenant


def _letters(services: Services, keys: TenantKeys) -> dict[str, uuid.UUID]:
    """In the queue soziales: a sure Wohngeld letter, an unsure one, and a sure letter of
    another case type."""
    now = utcnow() - timedelta(hours=2)
    with transaction(services.session_factory) as session:
        history = History(session, require_tenant(session, name=keys.name).id)
        letters = {
            "sure": history.letter(received=now, queue="soziales", confidence=0.93),
            "unsure": history.letter(received=now, queue="soziales", confidence=0.62),
            "other": history.letter(
                received=now, case_type="grundsicherung", queue="soziales", confidence=0.97
            ),
        }
        return {name: document.id for name, document in letters.items()}


def _rules(admin: WebClient, *, share: str) -> None:
    saved = admin.post(
        "/verwaltung/regeln",
        {
            "relief_case_types": ["wohngeld"],
            "relief_min_confidence": "80",
            "second_review_share": share,
            "relief_cases_per_day": "20",
        },
    )
    assert saved.status_code == 303 and "hinweis=Gespeichert" in saved.headers["location"]


def _people(client: TestClient, services: Services, keys: TenantKeys) -> tuple[WebClient, ...]:
    add_person(services, keys, "chefin", role=Role.ADMIN)
    add_person(services, keys, "aushilfe", role=Role.RELIEF, name="Alex Aushilfe")
    add_person(services, keys, "berger", name="Bea Berger")
    clients = []
    for username in ("chefin", "aushilfe", "berger"):
        clients.append(web_client(TestClient(client.app), username))
    return tuple(clients)


def test_relief_staff_see_only_their_case_types_and_sure_documents(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    letters = _letters(services, tenant_a)
    admin, relief, _ = _people(client, services, tenant_a)
    _rules(admin, share="0")
    claimed = relief.post("/warteschlangen/soziales/uebernehmen")
    assert claimed.headers["location"] == f"/dokumente/{letters['sure']}"
    nothing = relief.post("/warteschlangen/soziales/uebernehmen")
    assert "Keine" in nothing.headers["location"]
    for name in ("unsure", "other"):
        assert relief.get(f"/dokumente/{letters[name]}").status_code == 404
    assert relief.get("/pruefung").status_code == 403
    assert relief.get("/zweitpruefung").status_code == 403
    assert relief.get("/suche", params={"q": "brief"}).text.count("data-document") <= 1
    done = relief.post(f"/dokumente/{letters['sure']}/erledigen")
    assert done.status_code == 303
    with services.session_factory() as session:
        document = session.get(Document, letters["sure"])
        assert document is not None and document.status == DocumentStatus.DONE
        assert document.second_review is None  # share 0 %
        rules_changed = session.scalars(
            select(AdminEvent).where(AdminEvent.action == "rules.changed")
        ).one()
    assert rules_changed.actor_name == "chefin"
    assert rules_changed.detail is not None
    assert rules_changed.detail["relief_case_types"] == {"before": [], "after": ["wohngeld"]}


def _completed_by_relief(
    client: TestClient, services: Services, keys: TenantKeys
) -> tuple[dict[str, uuid.UUID], tuple[WebClient, ...]]:
    """Every relief completion drawn (share 100 %); the sure letter completed."""
    letters = _letters(services, keys)
    people = _people(client, services, keys)
    admin, relief, _ = people
    _rules(admin, share="100")
    relief.post("/warteschlangen/soziales/uebernehmen")
    relief.post(f"/dokumente/{letters['sure']}/erledigen")
    return letters, people


def test_a_drawn_document_gets_a_second_review_that_can_correct_it(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    letters, (admin, relief, caseworker) = _completed_by_relief(client, services, tenant_a)

    overview = caseworker.get("/").text
    assert 'data-second-reviews="1"' in overview
    listed = caseworker.get("/zweitpruefung").text
    assert f'data-document="{letters["sure"]}"' in listed and "Alex Aushilfe" in listed
    page = caseworker.get(f"/dokumente/{letters['sure']}").text
    assert 'id="second-review"' in page
    # The relief worker cannot review their own work.
    refused = relief.post(f"/dokumente/{letters['sure']}/zweitpruefung", {"case_type": "wohngeld"})
    assert refused.status_code == 403

    decided = caseworker.post(
        f"/dokumente/{letters['sure']}/zweitpruefung", {"case_type": "grundsicherung"}
    )
    assert decided.status_code == 303 and "Korrigiert" in _notice(decided)
    with services.session_factory() as session:
        document = session.get(Document, letters["sure"])
        assert document is not None
        assert (document.second_review, document.status) == ("corrected", "routed")
        assert (document.case_type, document.completed_at) == ("grundsicherung", None)
        event = session.scalars(
            select(DocumentEvent).where(
                DocumentEvent.document_id == document.id, DocumentEvent.action == "second_review"
            )
        ).one()
        assert event.actor_name == "Bea Berger"
        assert event.detail is not None and event.detail["relief_worker"] == "Alex Aushilfe"
    assert 'data-second-reviews="0"' in caseworker.get("/").text

    with transaction(services.session_factory) as session:
        tenant_id = require_tenant(session, name=tenant_a.name).id
        take_snapshot(session, tenant_id=tenant_id, day=local_day(utcnow()), now=utcnow())
    csv = admin.get("/kennzahlen/kennzahlen.csv").text
    [tenant_row] = [line for line in csv.splitlines() if ",tenant,alle," in line]
    header = csv.splitlines()[0].split(",")
    row = dict(zip(header, tenant_row.split(","), strict=True))
    assert (row["relief_completed"], row["second_reviewed"]) == ("1", "1")
    assert row["second_review_corrected"] == "1"


def test_a_confirmed_second_review_keeps_the_document_done(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    letters, (_, _, caseworker) = _completed_by_relief(client, services, tenant_a)
    confirmed = caseworker.post(
        f"/dokumente/{letters['sure']}/zweitpruefung", {"case_type": "wohngeld"}
    )
    assert _notice(confirmed) == "Bestätigt."
    with services.session_factory() as session:
        document = session.get(Document, letters["sure"])
        assert document is not None
        assert (document.second_review, document.status) == ("confirmed", "done")
    again = caseworker.post(
        f"/dokumente/{letters['sure']}/zweitpruefung", {"case_type": "wohngeld"}
    )
    assert "no second review" in _notice(again)


def _notice(response: httpx.Response) -> str:
    location = response.headers["location"]
    found = re.search(r"hinweis=([^&]*)", location)
    return unquote(found.group(1)) if found else ""
