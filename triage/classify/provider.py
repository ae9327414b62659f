"""The heavy model resources of one process, loaded once and on first use.

The API process starts in a second without the model: only the worker (embedded thread or
``triage worker``) and commands that embed load it. Classifiers are built per taxonomy
(most tenants share the default one) and cached until the taxonomy changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from triage.classify.base import Classifier
from triage.classify.similarity import build_similarity_classifier
from triage.embedding import Embedder
from triage.steps import TenantModel
from triage.taxonomy import Taxonomy
from triage.taxonomy.store import tenant_taxonomy

log = logging.getLogger(__name__)

T = TypeVar("T")


class Lazy(Generic[T]):
    """A resource built by ``factory`` on first use, once, from any thread."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._lock = threading.Lock()

    def __call__(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._factory()
        return self._value

    @property
    def loaded(self) -> T | None:
        return self._value


def taxonomy_fingerprint(taxonomy: Taxonomy) -> str:
    canonical = json.dumps(taxonomy.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class ClassifierProvider:
    """The classifier and taxonomy a tenant's documents are triaged with."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        embedder: Callable[[], Embedder],
        default_taxonomy: Taxonomy,
        cache: dict[str, Classifier] | None = None,
    ) -> None:
        """``cache`` (taxonomy fingerprint → classifier) may be shared by several providers
        that use the same embedder, as the tests do."""
        self._factory = session_factory
        self._embedder = embedder
        self.default_taxonomy = default_taxonomy
        self._classifiers: dict[str, Classifier] = cache if cache is not None else {}
        self._lock = threading.Lock()

    def taxonomy_for(self, tenant_id: uuid.UUID) -> Taxonomy:
        with self._factory() as session:
            return tenant_taxonomy(session, tenant_id=tenant_id, default=self.default_taxonomy)

    def classifier_for(self, taxonomy: Taxonomy) -> Classifier:
        key = taxonomy_fingerprint(taxonomy)
        with self._lock:
            classifier = self._classifiers.get(key)
            if classifier is None:
                classifier = build_similarity_classifier(
                    taxonomy=taxonomy, embedder=self._embedder()
                )
                log.info("built %s for taxonomy %r (%s)", classifier.name, taxonomy.name, key)
                self._classifiers[key] = classifier
        return classifier

    def model_for(self, tenant_id: uuid.UUID) -> TenantModel:
        taxonomy = self.taxonomy_for(tenant_id)
        return TenantModel(taxonomy=taxonomy, classifier=self.classifier_for(taxonomy))
