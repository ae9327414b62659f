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
