"""The demo data of the first README command, and re-indexing after a model change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import make_tenant
from triage.db.models import Document
from triage.demo.letters import load_demo_letters
from triage.demo.seed import seed_demo_letters
from triage.indexing import reindex_vectors
from triage.services import Services, build_services
from triage.tenants import require_tenant
from triage.vectors import ModelMismatchError


def test_demo_letters_are_loaded_once_and_triaged_into_queues(services: Services) -> None:
    make_tenant(services, "demo")
    with services.session_factory() as session:
        tenant_id = require_tenant(session, name="demo").id
    first = seed_demo_letters(services, tenant_id=tenant_id)
    letters = load_demo_letters()
    assert first.loaded == len(letters) >= 60
    assert seed_demo_letters(services, tenant_id=tenant_id).skipped
    services.new_worker().run_until_idle()
    with services.session_factory() as session:
        rows = session.execute(
            select(Document.filename, Document.status, Document.case_type, Document.queue)
        ).all()
    assert len(rows) == len(letters)
    assert {row.status for row in rows} <= {"routed", "needs_review"}
    labels = {letter.filename: letter.case_type for letter in letters}
    routed = [row for row in rows if row.status == "routed"]
    # Most letters are confident enough to be routed, and most routed ones are right.
    assert len(routed) >= 0.6 * len(rows)
    correct = sum(row.case_type == labels[row.filename] for row in routed)
    assert correct >= 0.8 * len(routed)
    assert all(row.queue == "review" for row in rows if row.status == "needs_review")
    pdfs = [letter.filename for letter in letters if letter.media_type == "application/pdf"]
    assert pdfs
    with services.session_factory() as session:
        pdf_rows = session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.media_type == "application/pdf")
        )
    assert pdf_rows == len(pdfs)


def test_another_model_gives_a_clear_error_until_reindexed(
    services: Services, classifier_cache: dict[str, object]
) -> None:
    keys = make_tenant(services, "stadt-a")
    with services.session_factory() as session:
        tenant_id = require_tenant(session, name=keys.name).id
    seed_demo_letters(services, tenant_id=tenant_id)
    services.new_worker().run_until_idle()
    store = services.vector_store()
    assert store.count(tenant_id=tenant_id) == len(load_demo_letters())
    # Pretend the vectors were made by another model.
    store.recreate(model_name="someone/other-model", dimension=384)
    services.close()

    embedder = services.embedder()
    again = build_services(services.settings, migrate=False, embedder=embedder)
    try:
        with pytest.raises(ModelMismatchError) as error:
            again.vector_store()
        message = str(error.value)
        assert "someone/other-model" in message
        assert embedder.model_name in message
        assert "triage vectors reindex" in message
        assert reindex_vectors(again) == len(load_demo_letters())
        assert again.vector_store().count(tenant_id=tenant_id) == len(load_demo_letters())
    finally:
        again.close()
