"""Training from caseworkers' decisions: per tenant, cold-start rows, and a new model that
replaces the one in service only when it is not worse on the newest decisions (real
database on SQLite and PostgreSQL, real embedding model, demo letters)."""

from __future__ import annotations

import logging

import pytest

from tests.classify.feedback_data import (
    CASE_TYPES,
    add_decisions,
    letters_round_robin,
    use_vague_taxonomy,
)
from tests.conftest import TenantKeys
from triage.classify.artefact import ModelRegistry, read_manifest
from triage.classify.feedback import (
    MIN_HELD_OUT,
    ZERO_SHOT,
    RetrainDecision,
    RetrainResult,
    feedback_training_set,
    retrain_from_feedback,
)
from triage.classify.training import DESCRIPTION_REFERENCE, TrainingSet, train_classifier
from triage.db.models import LabelledExample
from triage.db.session import transaction
from triage.services import Services
from triage.taxonomy.store import tenant_taxonomy
from triage.tenants import require_tenant

pytestmark = pytest.mark.slow


def _retrain(
    services: Services, tenant: str, *, min_examples: int = 10, force: bool = False
) -> RetrainResult:
    with services.session_factory() as session:
        record = require_tenant(session, name=tenant)
        taxonomy = tenant_taxonomy(
            session, tenant_id=record.id, default=services.classifiers.default_taxonomy
        )
    return retrain_from_feedback(
        session_factory=services.session_factory,
        tenant_id=record.id,
        tenant=tenant,
        taxonomy=taxonomy,
        embedder=services.embedder(),
        classifiers=services.classifiers,
        registry=ModelRegistry(services.settings.models_dir),
        min_examples=min_examples,
        force=force,
    )


def test_training_set_holds_one_tenants_decisions_and_the_case_type_descriptions(
    services: Services, tenant_a: TenantKeys, tenant_b: TenantKeys
) -> None:
    letters = letters_round_robin()
    taxonomy = use_vague_taxonomy(services.session_factory, tenant=tenant_a.name)
    use_vague_taxonomy(services.session_factory, tenant=tenant_b.name)
    own = add_decisions(services.session_factory, tenant=tenant_a.name, decisions=letters[:6])
    other = add_decisions(services.session_factory, tenant=tenant_b.name, decisions=letters[6:])
    # A case type the tenant has since removed from its taxonomy is left out.
    gone = add_decisions(
        services.session_factory, tenant=tenant_a.name, decisions=[("meldewesen", letters[7][1])]
    )
    with services.session_factory() as session:
        record = require_tenant(session, name=tenant_a.name)
        data = feedback_training_set(
            session, tenant_id=record.id, taxonomy=taxonomy, embedder=services.embedder()
        )
    assert isinstance(data, TrainingSet)
    decided = [r for r, d in zip(data.references, data.is_description, strict=True) if not d]
    assert decided == [str(i) for i in own]
    assert not {str(i) for i in other + gone} & set(data.references)
    assert data.texts[: len(own)] == [text for _, text in letters[:6]]
    cold = [r for r, d in zip(data.references, data.is_description, strict=True) if d]
    assert sorted(cold) == sorted(f"{DESCRIPTION_REFERENCE}{key}" for key in CASE_TYPES)
    assert data.vectors.shape == (len(data), services.embedder().dimension)


def test_too_few_decisions_train_nothing(services: Services, tenant_a: TenantKeys) -> None:
    use_vague_taxonomy(services.session_factory, tenant=tenant_a.name)
    add_decisions(services.session_factory, tenant=tenant_a.name, decisions=letters_round_robin())
    result = _retrain(services, tenant_a.name, min_examples=50)
    assert result.decision == RetrainDecision.NOT_ENOUGH_FEEDBACK
    assert "at least 50" in result.reason
    assert result.candidate is None and result.model is None
    assert ModelRegistry(services.settings.models_dir).versions(tenant_a.name) == []

    one_type = [(key, text) for key, text in letters_round_robin() if key == "kita"]
    with transaction(services.session_factory) as session:
        session.query(LabelledExample).delete()
    add_decisions(services.session_factory, tenant=tenant_a.name, decisions=one_type)
    result = _retrain(services, tenant_a.name, min_examples=2)
    assert result.decision == RetrainDecision.NOT_ENOUGH_FEEDBACK
    assert "same case type" in result.reason


def test_a_better_model_replaces_zero_shot_and_is_installed(
    services: Services, tenant_a: TenantKeys, caplog: pytest.LogCaptureFixture
) -> None:
    taxonomy = use_vague_taxonomy(services.session_factory, tenant=tenant_a.name)
    letters = letters_round_robin()
    add_decisions(services.session_factory, tenant=tenant_a.name, decisions=letters)
    with caplog.at_level(logging.INFO, logger="triage.classify.feedback"):
        result = _retrain(services, tenant_a.name)
    assert result.decision == RetrainDecision.INSTALLED, result.reason
    assert result.current_model == ZERO_SHOT
    assert result.held_out == MIN_HELD_OUT  # 20 % of 17 is less than the minimum
    assert result.examples == len(letters)
    assert result.cold_start == len(taxonomy.case_types)
    assert result.candidate is not None and result.current is not None
    assert result.candidate.macro_f1 >= result.current.macro_f1
    assert result.candidate.n == result.current.n == MIN_HELD_OUT
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"macro-F1 {result.candidate.macro_f1:.3f}" in logged
    assert f"macro-F1 {result.current.macro_f1:.3f}" in logged

    registry = ModelRegistry(services.settings.models_dir)
    assert registry.current_version(tenant_a.name) == result.installed_version
    manifest = read_manifest(registry.tenant_dir(tenant_a.name) / str(result.installed_version))
    # The final model learnt from every decision plus one description per case type.
    assert manifest["training"]["examples"] == len(letters)
    assert manifest["training"]["description_rows"] == len(taxonomy.case_types)
    assert manifest["training"]["feedback"]["examples"] == len(letters)
    assert manifest["metrics"]["feedback_held_out"]["current_model"] == ZERO_SHOT
    assert sorted(manifest["classes"]) == sorted(taxonomy.keys)

    # Nothing new since: the model in service has seen every decision, none is left to
    # compare a new model on.
    again = _retrain(services, tenant_a.name)
    assert again.decision == RetrainDecision.NOT_ENOUGH_FEEDBACK
    assert "newer than" in again.reason
    assert registry.versions(tenant_a.name) == [result.installed_version]


def test_a_worse_candidate_is_not_installed(services: Services, tenant_a: TenantKeys) -> None:
    use_vague_taxonomy(services.session_factory, tenant=tenant_a.name)
    letters = letters_round_robin()
    embedder = services.embedder()
    # In service: a model trained (from a file, not from feedback) on the letters as they
    # are labelled in truth.
    truth = TrainingSet(
        texts=[text for _, text in letters],
        labels=[key for key, _ in letters],
        vectors=embedder.encode_documents([text for _, text in letters]),
        references=[f"row {i}" for i in range(len(letters))],
    )
    registry = ModelRegistry(services.settings.models_dir)
    registry.install(train_classifier(truth, encoder=embedder.model_name), tenant=tenant_a.name)
    in_service = registry.current_version(tenant_a.name)
    # The older decisions call every letter by the next case type's name; the newest ones
    # are right. A model learnt from the old ones gets the newest ones wrong.
    shift = {key: CASE_TYPES[(i + 1) % len(CASE_TYPES)] for i, key in enumerate(CASE_TYPES)}
    held = MIN_HELD_OUT
    decisions = [(shift[key], text) for key, text in letters[:-held]] + letters[-held:]
    add_decisions(services.session_factory, tenant=tenant_a.name, decisions=decisions)

    result = _retrain(services, tenant_a.name)
    assert result.decision == RetrainDecision.KEPT, result.reason
    assert result.current_model == f"trained {in_service}"
    assert result.candidate is not None and result.current is not None
    assert result.candidate.macro_f1 < result.current.macro_f1
    assert result.installed_version is None and result.model is None
    assert registry.current_version(tenant_a.name) == in_service
    assert len(registry.versions(tenant_a.name)) == 1

    forced = _retrain(services, tenant_a.name, force=True)
    assert forced.decision == RetrainDecision.INSTALLED
    assert registry.current_version(tenant_a.name) == forced.installed_version != in_service
