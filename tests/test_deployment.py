"""docker-compose.yml cannot start here (no Docker engine); its structure is checked instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_the_four_services_exist(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"api", "worker", "postgres", "qdrant"}


def test_every_image_is_pinned(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        assert re.fullmatch(r"[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*", image), (name, image)
        assert not image.endswith(":latest")


def test_every_service_has_a_health_check_and_restarts(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        check = service["healthcheck"]
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert service["restart"] == "unless-stopped", name


def test_state_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    volumes = set(compose["volumes"])
    mounts = {
        name: {m.split(":")[0] for m in service.get("volumes", [])}
        for name, service in compose["services"].items()
    }
    assert mounts["postgres"] == {"postgres-data"}
    assert mounts["qdrant"] == {"qdrant-data"}
    # API and workers must see the same originals.
    assert mounts["api"] == mounts["worker"] == {"originals"}
    assert set().union(*mounts.values()) <= volumes


def test_api_and_worker_use_the_production_setup(compose: dict[str, Any]) -> None:
    api, worker = compose["services"]["api"], compose["services"]["worker"]
    for service in (api, worker):
        env = service["environment"]
        assert env["TRIAGE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["TRIAGE_QDRANT_URL"] == "http://qdrant:6333"
        assert env["TRIAGE_DEMO"] == "false"
        for dependency in ("postgres", "qdrant"):
            assert service["depends_on"][dependency]["condition"] == "service_healthy"
    # Separate worker processes do the work; the API runs none of its own.
    assert api["environment"]["TRIAGE_EMBEDDED_WORKER"] == "false"
    assert worker["command"] == ["triage", "worker"]
    assert worker["healthcheck"]["test"] == ["CMD", "triage", "worker", "--check"]
    assert api["command"][:2] == ["triage", "serve"]


def test_commands_exist_in_the_cli() -> None:
    from typer.main import get_command

    from triage.cli import app

    command = get_command(app)
    names = set(command.commands)  # type: ignore[attr-defined]
    assert {"serve", "worker", "ingest", "tenants", "keys", "reprocess"} <= names


def test_the_image_builds_the_model_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "torch==2.13.0" in dockerfile
    assert "python -m triage.modelbuild" in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
