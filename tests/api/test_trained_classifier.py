"""The running service with a tenant's trained classifier: per-class thresholds, the novelty
gate, stored versions and explanations, reload, fallbacks and tenant isolation.

The model is trained here with the real embedding model on the 21 short letters of the
small test taxonomy (``tests/classify/data.py``), which the tenant gets as its case types.
Thresholds and the novelty gate are then set from the model's own predictions, so each
document's route is known before the worker runs.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import process_all, read_document, upload_one
from tests.classify.data import LETTERS, small_taxonomy
from tests.conftest import TenantKeys
from triage.classify.artefact import ARRAYS, ModelRegistry
from triage.classify.trained import TrainedClassifier
from triage.classify.training import TrainingSet, train_classifier
from triage.db.session import transaction
from triage.embedding import Embedder
from triage.services import Services
from triage.taxonomy.store import store_tenant_taxonomy
from triage.tenants import require_tenant

NOVEL_LETTER = (
    "Das Rezept für Apfelkuchen: 200 g Mehl, drei Eier, 150 g Zucker und ein Päckchen "
    "Backpulver. Bei 180 Grad vierzig Minuten backen."
)
# Letters the model was not trained on, of two of its case types.
MOVING = "Ich bin in die Gartenstraße 3 umgezogen und möchte mich ummelden."
NURSERY = "Wir möchten unsere Tochter für einen Krippenplatz ab Januar anmelden."


@pytest.fixture(scope="module")
def trained(embedder: Embedder) -> TrainedClassifier:
    texts = [text for _, text in LETTERS]
    data = TrainingSet(
        texts=texts,
        labels=[label for label, _ in LETTERS],
        vectors=embedder.encode_documents(texts),
        references=[f"letter-{i}" for i in range(len(texts))],
    )
    return train_classifier(data, encoder=embedder.model_name)


def _tenant_id(services: Services, keys: TenantKeys) -> uuid.UUID:
    with services.session_factory() as session:
        return require_tenant(session, name=keys.name).id


def _give_small_taxonomy(services: Services, keys: TenantKeys) -> None:
    with transaction(services.session_factory) as session:
        tenant = require_tenant(session, name=keys.name)
        store_tenant_taxonomy(
            session, tenant_id=tenant.id, taxonomy=small_taxonomy(), source="test"
        )


def _install(services: Services, keys: TenantKeys, model: TrainedClassifier, tag: str) -> str:
    """Installs a copy of ``model`` (versions are named by time and training data, so
    ``tag`` keeps two installs within one second apart)."""
    model = copy.deepcopy(model)
    model.card["training"]["sha256"] = tag * 8
    ModelRegistry(services.settings.models_dir).install(model, tenant=keys.name)
    return model.version


def _reload(client: TestClient, keys: TenantKeys, role: str = "admin") -> Any:
    return client.post("/api/v1/admin/reload", headers=keys.headers(role))


def test_the_trained_model_triages_with_its_own_thresholds_and_novelty_gate(
    client: TestClient,
    services: Services,
    embedder: Embedder,
    trained: TrainedClassifier,
    tenant_a: TenantKeys,
    tenant_b: TenantKeys,
) -> None:
    _give_small_taxonomy(services, tenant_a)
    model = copy.deepcopy(trained)
    vectors = embedder.encode_documents([MOVING, NURSERY, NOVEL_LETTER])
    moving, nursery, novel = model.classify(vectors, [MOVING, NURSERY, NOVEL_LETTER])
    assert moving.case_type != nursery.case_type
    assert moving.confidence < 1.0 and nursery.confidence < 0.999
    # Every class routes from any confidence, except the nursery letter's class, which
    # needs a little more than that letter reaches; the global threshold (1.0) would
    # send everything to review.
    model.thresholds = np.zeros(len(model.classes))
    strict = nursery.confidence + (1.0 - nursery.confidence) / 2
    model.thresholds[model.classes.index(nursery.case_type)] = strict
    # The letters are close to training letters of their case type; the recipe is far.
    _, cosines = model.neighbours.nearest(vectors, k=1)
    assert cosines[2, 0] + 0.02 < min(cosines[0, 0], cosines[1, 0])
    model.novelty_threshold = float(cosines[2, 0] + min(cosines[0, 0], cosines[1, 0])) / 2
    version = _install(services, tenant_a, model, "a")
    services.settings.review_threshold = 1.0

    ids = [
        upload_one(client, tenant_a, name, text.encode())
        for name, text in (
            ("umzug.txt", MOVING),
            ("kita.txt", NURSERY),
            ("kuchen.txt", NOVEL_LETTER),
        )
    ]
    other = upload_one(client, tenant_b, "umzug.txt", MOVING.encode())
    process_all(services)

    routed, strict_review, novel_review = (read_document(client, tenant_a, i) for i in ids)
    assert routed["status"] == "routed"
    assert routed["queue"] == f"team-{moving.case_type}"
    assert routed["confidence"] < services.settings.review_threshold
    assert routed["model_version"] == version
    assert routed["classifier"] == f"trained {version}"
    explanation = routed["explanation"]
    assert explanation["novel"] is False
    nearest = explanation["neighbours"][0]
    assert nearest["reference"].startswith("letter-")
    assert nearest["case_type"] == "ummeldung"
    assert 0.8 < nearest["similarity"] < 1.0
    assert explanation["words"] and all(w["weight"] > 0 for w in explanation["words"])
    assert [a["case_type"] for a in routed["alternatives"]]

    assert strict_review["status"] == "needs_review"
    assert strict_review["queue"] == "review"
    assert strict_review["review_reason"].startswith(
        f"low confidence {strict_review['confidence']:.2f} for {nursery.case_type} "
        f"< its class threshold {strict:.2f}"
    )
    assert strict_review["model_version"] == version

    assert novel_review["status"] == "needs_review"
    assert novel_review["review_reason"].startswith(
        f"unlike the training documents (novel) — best guess {novel.case_type}"
    )
    assert novel_review["explanation"]["novel"] is True
    assert novel_review["explanation"]["neighbours"]

    # The other municipality has no trained model: its mail keeps the zero-shot classifier.
    zero_shot = read_document(client, tenant_b, other)
    assert zero_shot["model_version"] is None
    assert zero_shot["explanation"] is None
    assert zero_shot["classifier"].startswith("similarity(")
    assert zero_shot["case_type"] == "meldewesen"


def test_reviewer_corrects_a_claimed_document_to_its_first_alternative(
    client: TestClient, services: Services, trained: TrainedClassifier, tenant_a: TenantKeys
) -> None:
    _give_small_taxonomy(services, tenant_a)
    model = copy.deepcopy(trained)
    model.novelty_threshold = 1.5  # nothing is like the training documents: all to review
    _install(services, tenant_a, model, "r")
    document_id = upload_one(client, tenant_a, "kita.txt", NURSERY.encode())
    process_all(services)

    listed = client.get(
        "/api/v1/documents", params={"status": "needs_review"}, headers=tenant_a.headers()
    ).json()["items"]
    assert [d["id"] for d in listed] == [document_id]
    assert len(listed[0]["alternatives"]) == 3
    claimed = client.post(
        "/api/v1/queues/review/claim", headers=tenant_a.headers("caseworker")
    ).json()
    assert claimed["id"] == document_id
    keys = set(small_taxonomy().keys)
    choices = [a["case_type"] for a in claimed["alternatives"]]
    assert choices == [a["case_type"] for a in listed[0]["alternatives"]]
    assert set(choices) <= keys and claimed["case_type"] not in choices

    corrected = client.post(
        f"/api/v1/documents/{document_id}/correct",
        json={"case_type": choices[0]},
        headers=tenant_a.headers("caseworker"),
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["status"] == "routed"
    assert corrected.json()["queue"] == f"team-{choices[0]}"


def test_reload_is_for_admins_and_switches_versions(
    client: TestClient,
    services: Services,
    trained: TrainedClassifier,
    tenant_a: TenantKeys,
    tenant_b: TenantKeys,
) -> None:
    assert _reload(client, tenant_a, "caseworker").status_code == 403
    assert _reload(client, tenant_a, "intake").status_code == 403
    assert _reload(client, tenant_a).json() == {
        "tenants": [
            {
                "tenant": tenant_a.name,
                "classifier": "zero-shot",
                "model_version": None,
                "problem": None,
            }
        ]
    }
    _give_small_taxonomy(services, tenant_a)
    first = _install(services, tenant_a, trained, "1")
    second = _install(services, tenant_a, trained, "2")
    assert first != second
    body = _reload(client, tenant_a).json()["tenants"]
    assert [(t["tenant"], t["model_version"], t["problem"]) for t in body] == [
        (tenant_a.name, second, None)
    ]
    ModelRegistry(services.settings.models_dir).use(tenant=tenant_a.name, version=first)
    body = _reload(client, tenant_a).json()["tenants"]
    assert body[0]["model_version"] == first
    assert body[0]["classifier"] == f"trained {first}"
    document_id = upload_one(client, tenant_a, "umzug.txt", MOVING.encode())
    process_all(services)
    assert read_document(client, tenant_a, document_id)["model_version"] == first
    # A worker notices a changed pointer by itself (a separate worker process gets no
    # reload): the next batch is classified by the version now in service.
    ModelRegistry(services.settings.models_dir).use(tenant=tenant_a.name, version=second)
    later = upload_one(client, tenant_a, "umzug2.txt", (MOVING + " Danke.").encode())
    process_all(services)
    assert read_document(client, tenant_a, later)["model_version"] == second
    # An admin reloads and sees only the own tenant; the other has no trained model.
    other = _reload(client, tenant_b).json()["tenants"]
    assert [(t["tenant"], t["model_version"]) for t in other] == [(tenant_b.name, None)]


def test_a_model_for_other_case_types_falls_back_to_zero_shot(
    client: TestClient, services: Services, trained: TrainedClassifier, tenant_a: TenantKeys
) -> None:
    # The tenant uses the default case types; the model knows only the small taxonomy's.
    version = _install(services, tenant_a, trained, "m")
    status = _reload(client, tenant_a).json()["tenants"][0]
    assert status["classifier"] == "zero-shot" and status["model_version"] is None
    assert "case types unknown to the model" in status["problem"]
    assert "meldewesen" in status["problem"] and "ummeldung" in status["problem"]

    document_id = upload_one(client, tenant_a, "umzug.txt", MOVING.encode())
    process_all(services)
    document = read_document(client, tenant_a, document_id)
    assert document["model_version"] is None
    assert document["classifier"].startswith("similarity(")
    assert document["case_type"] == "meldewesen"
    assert ModelRegistry(services.settings.models_dir).current_version(tenant_a.name) == version


@pytest.mark.parametrize("damage", ["encoder", "corrupt"])
def test_an_unusable_model_is_reported_and_never_stops_the_worker(
    client: TestClient,
    services: Services,
    trained: TrainedClassifier,
    tenant_a: TenantKeys,
    damage: str,
) -> None:
    _give_small_taxonomy(services, tenant_a)
    model = copy.deepcopy(trained)
    if damage == "encoder":
        model.encoder = "some-other-model@000000000000"
    version = _install(services, tenant_a, model, "d")
    registry = ModelRegistry(services.settings.models_dir)
    if damage == "corrupt":
        (registry.tenant_dir(tenant_a.name) / version / ARRAYS).write_bytes(b"not a zip")

    status = services.classifiers.reload([_tenant_id(services, tenant_a)])[0]
    assert status.version is None and status.classifier == "zero-shot"
    assert status.problem is not None
    expected = "some-other-model" if damage == "encoder" else "cannot read"
    assert expected in status.problem

    document_id = upload_one(client, tenant_a, "umzug.txt", MOVING.encode())
    process_all(services)
    document = read_document(client, tenant_a, document_id)
    assert document["status"] in {"routed", "needs_review"}
    assert document["model_version"] is None
    assert document["classifier"].startswith("similarity(")
    assert document["case_type"] == "ummeldung"
