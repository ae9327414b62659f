"""The worker takes uploaded documents through parsing to their next state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from tests.fixtures.documents import (
    GERMAN_LETTER,
    docx_file,
    eml_with_attachments,
    encrypted_pdf,
    msg_file,
    pdf_with_text,
    scanned_pdf,
    truncated_pdf,
)
from triage.app import create_app
from triage.classify.base import Classifier
from triage.config import Settings
from triage.embedding import Embedder
from triage.parsing import TesseractOcr
from triage.services import Services, build_services

TRIAGED = ("routed", "needs_review")


def _detail(client: TestClient, keys: TenantKeys, document_id: str) -> dict[str, object]:
    response = client.get(f"/api/v1/documents/{document_id}", headers=keys.headers())
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def _text(client: TestClient, keys: TenantKeys, document_id: str) -> str:
    response = client.get(f"/api/v1/documents/{document_id}/text", headers=keys.headers())
    assert response.status_code == 200, response.text
    return response.text


def test_truncated_pdf_fails_with_stage_and_reason_and_keeps_the_original(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    data = truncated_pdf(GERMAN_LETTER)
    document_id = upload_one(client, tenant_a, "kaputt.pdf", data)
    process_all(services)
    detail = _detail(client, tenant_a, document_id)
    assert detail["status"] == "failed"
    assert detail["stage"] == "parse"
    assert isinstance(detail["error"], str) and detail["error"]
    original = client.get(f"/api/v1/documents/{document_id}/original", headers=tenant_a.headers())
    assert original.content == data


def test_password_protected_pdf_fails_with_a_clear_reason(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    data = encrypted_pdf(GERMAN_LETTER, user_password="geheim")
    document_id = upload_one(client, tenant_a, "geschuetzt.pdf", data)
    process_all(services)
    detail = _detail(client, tenant_a, document_id)
    assert detail["status"] == "failed"
    assert detail["stage"] == "parse"
    assert "password" in str(detail["error"])


def test_pdf_encrypted_with_an_empty_user_password_is_read(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    data = encrypted_pdf(GERMAN_LETTER, user_password="")
    document_id = upload_one(client, tenant_a, "verschluesselt.pdf", data)
    process_all(services)
    assert _detail(client, tenant_a, document_id)["status"] in TRIAGED
    assert "Wohngeld" in _text(client, tenant_a, document_id)


def test_email_with_attachments_becomes_one_document(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    document_id = upload_one(client, tenant_a, "mail.eml", eml_with_attachments())
    process_all(services)
    detail = _detail(client, tenant_a, document_id)
    assert detail["parser"] == "eml"
    metadata = detail["metadata"]
    assert isinstance(metadata, dict)
    assert len(metadata["parts"]) >= 2
    text = _text(client, tenant_a, document_id)
    assert "Betreff" in text or "Subject" in text


@pytest.mark.parametrize(
    ("name", "make", "parser"),
    [
        ("brief.msg", lambda: msg_file(), "msg"),
        (
            "antrag.docx",
            lambda: docx_file(
                ["Antrag auf einen Kita-Platz", "für unsere Tochter ab August 2026."]
            ),
            "docx",
        ),
    ],
)
def test_office_formats_are_parsed(
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    name: str,
    make: object,
    parser: str,
) -> None:
    assert callable(make)
    document_id = upload_one(client, tenant_a, name, make())
    process_all(services)
    detail = _detail(client, tenant_a, document_id)
    assert detail["parser"] == parser
    assert detail["status"] in TRIAGED
    assert isinstance(detail["text_chars"], int) and detail["text_chars"] > 20


@pytest.fixture
def client_without_ocr(
    tmp_path: Path,
    database_url: str,
    embedder: Embedder,
    classifier_cache: dict[str, Classifier],
) -> Iterator[tuple[TestClient, Services]]:
    settings = Settings(
        data_dir=tmp_path / "no-ocr",
        database_url=database_url,
        embedded_worker=False,
        ocr_enabled=False,
        _env_file=None,  # type: ignore[call-arg]
    )
    services = build_services(
        settings, migrate=False, embedder=embedder, classifier_cache=classifier_cache
    )
    with TestClient(create_app(services=services)) as client:
        yield client, services
    services.close()


def test_scan_without_ocr_waits_for_a_person_with_needs_ocr(
    client_without_ocr: tuple[TestClient, Services],
) -> None:
    from tests.conftest import make_tenant

    client, services = client_without_ocr
    keys = make_tenant(services, "ohne-ocr")
    document_id = upload_one(client, keys, "scan.pdf", scanned_pdf(GERMAN_LETTER))
    process_all(services)
    detail = _detail(client, keys, document_id)
    assert detail["status"] == "needs_review"
    assert "needs OCR" in str(detail["review_reason"])
    assert detail["error"] is None


@pytest.mark.ocr
def test_scan_with_tesseract_is_read(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    if TesseractOcr.detect("deu+eng") is None:
        pytest.skip("Tesseract with deu+eng is not installed")
    document_id = upload_one(client, tenant_a, "scan.pdf", scanned_pdf(GERMAN_LETTER))
    process_all(services)
    detail = _detail(client, tenant_a, document_id)
    assert detail["ocr"] is True
    assert "Wohngeld" in _text(client, tenant_a, document_id)


def test_pdf_with_umlauts_keeps_them(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    document_id = upload_one(
        client, tenant_a, "umlaute.pdf", pdf_with_text("Größere Änderung: Übermäßige Gebühr")
    )
    process_all(services)
    assert "Größere Änderung: Übermäßige Gebühr" in _text(client, tenant_a, document_id)
