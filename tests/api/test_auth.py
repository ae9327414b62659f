"""Every /api/v1 call needs a valid key of the right role; /healthz needs none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.api.helpers import upload, upload_one
from tests.conftest import TenantKeys
from triage.db.models import ApiKey
from triage.db.session import transaction
from triage.services import Services
from triage.tenants import require_tenant, revoke_api_key


def test_healthz_needs_no_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/documents"),
        ("post", "/api/v1/documents"),
        ("get", "/api/v1/documents/00000000-0000-0000-0000-000000000001"),
    ],
)
def test_missing_or_wrong_key_is_401(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, path).status_code == 401
    wrong = {"Authorization": "Bearer ptk_not-a-real-key"}
    response = client.request(method, path, headers=wrong)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_keys_are_stored_hashed(services: Services, tenant_a: TenantKeys) -> None:
    with services.session_factory() as session:
        stored = list(session.scalars(select(ApiKey)))
    assert len(stored) == 3
    for key in stored:
        assert tenant_a.intake not in (key.key_hash, key.prefix)
        assert len(key.key_hash) == 64


def test_caseworker_may_read_but_not_upload(client: TestClient, tenant_a: TenantKeys) -> None:
    response = upload(client, tenant_a, [("a.txt", b"Hallo")], role="caseworker")
    assert response.status_code == 403
    assert "intake" in response.json()["detail"]
    assert client.get("/api/v1/documents", headers=tenant_a.headers("caseworker")).is_success


def test_only_an_admin_may_reprocess(client: TestClient, tenant_a: TenantKeys) -> None:
    document_id = upload_one(client, tenant_a, "a.txt", b"Sehr geehrte Damen und Herren")
    path = f"/api/v1/documents/{document_id}/reprocess"
    assert client.post(path, headers=tenant_a.headers("intake")).status_code == 403
    assert client.post(path, headers=tenant_a.headers("caseworker")).status_code == 403
    assert client.post(path, headers=tenant_a.headers("admin")).status_code == 200


def test_revoked_key_is_refused(
    client: TestClient, services: Services, tenant_a: TenantKeys
) -> None:
    assert client.get("/api/v1/documents", headers=tenant_a.headers()).status_code == 200
    with transaction(services.session_factory) as session:
        tenant = require_tenant(session, name=tenant_a.name)
        key = session.scalars(select(ApiKey).where(ApiKey.role == "intake")).one()
        revoke_api_key(session, tenant=tenant, key_id=key.id)
    assert client.get("/api/v1/documents", headers=tenant_a.headers()).status_code == 401


def test_bootstrap_admin_key_is_created_at_start_and_works(services: Services) -> None:
    from triage.app import create_app

    services.settings.bootstrap_admin_key = "ptk_bootstrap-for-the-first-admin"
    headers = {"Authorization": "Bearer ptk_bootstrap-for-the-first-admin"}
    with TestClient(create_app(services=services)) as client:
        assert client.get("/api/v1/documents", headers=headers).status_code == 200
    # A second start finds the key and creates nothing new.
    with TestClient(create_app(services=services)) as client:
        assert client.get("/api/v1/documents", headers=headers).status_code == 200
    with services.session_factory() as session:
        stored = list(session.scalars(select(ApiKey)))
    assert [k.role for k in stored] == ["admin"]
