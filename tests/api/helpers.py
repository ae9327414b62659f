"""Small helpers shared by the API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import TenantKeys
from triage.services import Services


def upload(
    client: TestClient,
    keys: TenantKeys,
    files: list[tuple[str, bytes]],
    *,
    role: str = "intake",
    **fields: str,
) -> Any:
    return client.post(
        "/api/v1/documents",
        headers=keys.headers(role),
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        data=fields,
    )


def upload_one(client: TestClient, keys: TenantKeys, name: str, data: bytes, **fields: str) -> str:
    response = upload(client, keys, [(name, data)], **fields)
    assert response.status_code == 202, response.text
    document_id: str = response.json()["documents"][0]["id"]
    return document_id


def process_all(services: Services) -> int:
    """Runs the worker in this thread until the job queue is empty."""
    return services.new_worker().run_until_idle()


def read_document(client: TestClient, keys: TenantKeys, document_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/documents/{document_id}", headers=keys.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def claim(client: TestClient, keys: TenantKeys, queue: str, *, role: str = "caseworker") -> Any:
    """The claimed document's id, or None when the queue has nothing for this key."""
    response = client.post(f"/api/v1/queues/{queue}/claim", headers=keys.headers(role))
    if response.status_code == 204:
        return None
    assert response.status_code == 200, response.text
    return response.json()["id"]


def claim_all(client: TestClient, keys: TenantKeys, queue: str) -> list[str]:
    claimed = []
    while (document_id := claim(client, keys, queue)) is not None:
        claimed.append(document_id)
    return claimed
