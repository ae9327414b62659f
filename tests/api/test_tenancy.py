"""A key of tenant B never sees tenant A's documents: 404 on every document route."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import process_all, upload_one
from tests.conftest import TenantKeys
from tests.fixtures.documents import pdf_with_text
from triage.services import Services

DOCUMENT_ROUTES = [
    ("get", "/api/v1/documents/{id}"),
    ("get", "/api/v1/documents/{id}/original"),
    ("get", "/api/v1/documents/{id}/text"),
    ("post", "/api/v1/documents/{id}/reprocess"),
]


@pytest.mark.parametrize(("method", "template"), DOCUMENT_ROUTES)
def test_other_tenant_gets_404_on_every_document_route(
    client: TestClient,
    services: Services,
    tenant_a: TenantKeys,
    tenant_b: TenantKeys,
    method: str,
    template: str,
) -> None:
    document_id = upload_one(client, tenant_a, "a.pdf", pdf_with_text("Wohngeldantrag"))
    process_all(services)
    path = template.format(id=document_id)
    own = client.request(method, path, headers=tenant_a.headers("admin"))
    assert own.status_code == 200, own.text
    for role in ("intake", "caseworker", "admin"):
        foreign = client.request(method, path, headers=tenant_b.headers(role))
        missing = client.request(
            method, template.format(id=uuid.uuid4()), headers=tenant_b.headers(role)
        )
        # B learns nothing: A's document answers exactly like one that does not exist
        # (404, or 403 where B's role may not use the route at all).
        assert foreign.status_code == missing.status_code, (role, foreign.text)
        assert foreign.status_code in (403, 404)
        assert "Wohngeld" not in foreign.text
    foreign_admin = client.request(method, path, headers=tenant_b.headers("admin"))
    assert foreign_admin.status_code == 404
    unknown = client.request(
        method, template.format(id=uuid.uuid4()), headers=tenant_a.headers("admin")
    )
    assert unknown.status_code == 404


def test_lists_show_only_the_callers_tenant(
    client: TestClient, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    a_id = upload_one(client, tenant_a, "a.txt", b"Brief an Stadt A")
    b_id = upload_one(client, tenant_b, "b.txt", b"Brief an Gemeinde B")
    a_list = client.get("/api/v1/documents", headers=tenant_a.headers()).json()
    b_list = client.get("/api/v1/documents", headers=tenant_b.headers()).json()
    assert [d["id"] for d in a_list["items"]] == [a_id]
    assert [d["id"] for d in b_list["items"]] == [b_id]
    assert a_list["total"] == b_list["total"] == 1
