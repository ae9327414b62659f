"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, services, clients."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.modelbuild.conftest import e5_folder  # noqa: F401  (a session fixture)
from triage.app import create_app
from triage.classify.base import Classifier
from triage.config import Settings
from triage.db.migrate import upgrade
from triage.db.models import Role
from triage.db.session import create_db_engine, transaction
from triage.embedding import Embedder
from triage.services import Services, build_services
from triage.tenants import create_api_key, create_tenant

PG_ENV = "TRIAGE_TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url and os.environ.get("CI") == "true":
        raise RuntimeError(
            f"{PG_ENV} is not set: CI must test against PostgreSQL (scripts/test.sh)"
        )
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        yield None
        return
    name = f"triage_template_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(make_url(admin_url).set(database=name).render_as_string(False))
    upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_template: str | None,
) -> Iterator[str]:
    """A migrated, empty database of its own for each test, on both engines."""
    if request.param == "sqlite":
        path = tmp_path / "triage.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    admin_url = postgres_admin_url()
    if admin_url is None or postgres_template is None:
        pytest.skip(f"PostgreSQL not configured ({PG_ENV}); scripts/test.sh starts one")
    name = f"triage_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        embedded_worker=False,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def embedder(e5_folder: Path) -> Embedder:  # noqa: F811
    """The real default model, loaded once per test session."""
    return Embedder(model=e5_folder)


@pytest.fixture(scope="session")
def classifier_cache() -> dict[str, Classifier]:
    return {}


@pytest.fixture
def services(
    settings: Settings, embedder: Embedder, classifier_cache: dict[str, Classifier]
) -> Iterator[Services]:
    built = build_services(
        settings, migrate=False, embedder=embedder, classifier_cache=classifier_cache
    )
    yield built
    built.close()


@dataclass(frozen=True)
class TenantKeys:
    name: str
    intake: str
    caseworker: str
    admin: str

    def headers(self, role: str = "intake") -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


def make_tenant(services: Services, name: str) -> TenantKeys:
    with transaction(services.session_factory) as session:
        tenant = create_tenant(session, name=name)
        keys = {
            role: create_api_key(session, tenant=tenant, role=role).plaintext
            for role in (Role.INTAKE, Role.CASEWORKER, Role.ADMIN)
        }
    return TenantKeys(
        name=name,
        intake=keys[Role.INTAKE],
        caseworker=keys[Role.CASEWORKER],
        admin=keys[Role.ADMIN],
    )


@pytest.fixture
def tenant_a(services: Services) -> TenantKeys:
    return make_tenant(services, "stadt-a")


@pytest.fixture
def tenant_b(services: Services) -> TenantKeys:
    return make_tenant(services, "gemeinde-b")


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shared-data",
        action="store_true",
        help="also run the tests marked shared_data (they read ../shared/data)",
    )


def _postgres_variant(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_url") == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dropped = [i for i in items if "sqlite_only" in i.keywords and _postgres_variant(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
    if config.getoption("--shared-data"):
        return
    skip = pytest.mark.skip(reason="reads ../shared/data: opt in with --shared-data")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)
