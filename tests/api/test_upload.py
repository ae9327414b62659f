"""The mail intake's upload contract: POST /api/v1/documents."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.api.helpers import upload
from tests.conftest import TenantKeys
from tests.fixtures.documents import GERMAN_LETTER, pdf_with_text, png_image, random_bytes
from triage.db.models import Document, Job
from triage.services import Services


def _documents(services: Services) -> list[Document]:
    with services.session_factory() as session:
        return list(session.scalars(select(Document)))


def test_accepted_file_is_stored_before_the_answer(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    data = pdf_with_text(GERMAN_LETTER)
    response = upload(
        client,
        tenant_a,
        [("brief.pdf", data)],
        channel="post",
        received_at="2026-03-02T08:15:00",
        external_ref="SCAN-0042",
    )
    assert response.status_code == 202
    [item] = response.json()["documents"]
    sha = hashlib.sha256(data).hexdigest()
    assert item["status"] == "received"
    assert item["sha256"] == sha
    assert item["error"] is None
    assert item["filename"] == "brief.pdf"
    # No worker ran: the original and the row exist before any processing.
    [document] = _documents(services)
    assert str(document.id) == item["id"]
    assert document.status == "received"
    assert document.channel == "post"
    assert document.external_ref == "SCAN-0042"
    assert document.media_type == "application/pdf"
    # A scan station without a zone means German local time: 08:15 CET is 07:15 UTC.
    assert document.received_at.isoformat() == "2026-03-02T07:15:00+00:00"
    assert services.blob_store.read_bytes(tenant_id=document.tenant_id, sha256=sha) == data
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 1


def test_same_bytes_again_is_a_duplicate_with_the_existing_id(
    client: TestClient, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    data = pdf_with_text("Antrag auf Wohngeld")
    first = upload(client, tenant_a, [("a.pdf", data)]).json()["documents"][0]
    again = upload(client, tenant_a, [("kopie.pdf", data)])
    assert again.status_code == 202
    [item] = again.json()["documents"]
    assert item["status"] == "duplicate"
    assert item["id"] == first["id"]
    # Another tenant's identical bytes are its own document.
    other = upload(client, tenant_b, [("a.pdf", data)]).json()["documents"][0]
    assert other["status"] == "received"
    assert other["id"] != first["id"]


def test_many_files_in_one_request_each_get_an_outcome(
    client: TestClient, tenant_a: TenantKeys
) -> None:
    response = upload(
        client,
        tenant_a,
        [
            ("eins.pdf", pdf_with_text("Erster Brief")),
            ("leer.txt", b""),
            ("zufall.bin", random_bytes(4096)),
            ("zwei.txt", "Zweiter Brief mit Umlauten: äöüß".encode()),
        ],
    )
    assert response.status_code == 202
    items = response.json()["documents"]
    assert [(i["filename"], i["status"]) for i in items] == [
        ("eins.pdf", "received"),
        ("leer.txt", "rejected"),
        ("zufall.bin", "rejected"),
        ("zwei.txt", "received"),
    ]
    assert items[1]["error"] == "file is empty"
    assert items[1]["id"] is None
    assert "unsupported file type" in items[2]["error"]


def test_single_empty_file_answers_422(client: TestClient, tenant_a: TenantKeys) -> None:
    response = upload(client, tenant_a, [("leer.pdf", b"")])
    assert response.status_code == 422
    assert response.json()["documents"][0]["error"] == "file is empty"


def test_single_unsupported_file_answers_415_with_the_supported_types(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    response = upload(client, tenant_a, [("archiv.pdf", random_bytes(2048))])
    assert response.status_code == 415
    error = response.json()["documents"][0]["error"]
    for media_type in ("application/pdf", "message/rfc822", "image/png", "text/plain"):
        assert media_type in error
    assert _documents(services) == []


def test_type_is_sniffed_from_content_not_from_the_name(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    response = upload(client, tenant_a, [("scan.pdf", png_image("Hundesteuer"))])
    assert response.status_code == 202
    [document] = _documents(services)
    assert document.media_type == "image/png"


def test_file_over_the_limit_answers_413_and_nothing_is_stored(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    sixty_mb = random_bytes(60 * 1024 * 1024)
    response = upload(client, tenant_a, [("riesig.pdf", sixty_mb)])
    assert response.status_code == 413
    assert "50 MB" in response.json()["documents"][0]["error"]
    assert _documents(services) == []
    spool = services.settings.data_dir / "spool"
    assert not any(spool.iterdir())


def test_request_over_the_cap_answers_413(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    services.settings.max_request_mb = 1
    files = [(f"teil{i}.txt", (f"Brief {i} " * 60_000).encode()) for i in range(3)]
    response = upload(client, tenant_a, files)
    assert response.status_code == 413
    assert "1 MB" in response.json()["detail"]
    assert _documents(services) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"received_at": "gestern"}, "received_at"),
        ({"channel": "Brieftaube!"}, "invalid channel"),
    ],
)
def test_unusable_form_fields_answer_422_and_store_nothing(
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    fields: dict[str, str],
    message: str,
) -> None:
    response = upload(client, tenant_a, [("a.txt", b"Guten Tag")], **fields)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert _documents(services) == []


def test_request_without_files_answers_422(client: TestClient, tenant_a: TenantKeys) -> None:
    response = client.post(
        "/api/v1/documents", headers=tenant_a.headers(), data={"channel": "post"}
    )
    assert response.status_code == 422
