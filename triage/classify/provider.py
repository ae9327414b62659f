"""The heavy model resources of one process, loaded once and on first use.

The API process starts in a second without the model: only the worker (embedded thread or
``triage worker``) and commands that embed load it. Zero-shot classifiers are built per
taxonomy (most tenants share the default one) and cached until the taxonomy changes.

A tenant with a trained model in service (``ModelRegistry``, keyed by the tenant's name)
is classified by it instead. The ``current`` pointer is read on every batch: one small
file read per tenant, and a separate ``triage worker`` process picks up ``triage train``
or ``triage models use`` without being told. Loaded models are cached per (tenant,
version); versions are immutable folders, so a cached model never goes stale. A model
that cannot serve the tenant (unreadable, trained on other vectors, other case types than
the tenant's taxonomy) is not used: the tenant falls back to zero-shot with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.classify.artefact import ArtefactError, ModelRegistry, load_model
from triage.classify.base import Classifier
from triage.classify.similarity import build_similarity_classifier
from triage.classify.trained import TrainedClassifier
from triage.db.models import Tenant
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


@dataclass(frozen=True)
class ModelStatus:
    """Which classifier serves a tenant now, and why a trained model does not (``problem``)."""

    tenant: str
    classifier: str
    version: str | None
    problem: str | None = None


@dataclass(frozen=True)
class _Loaded:
    """The tenant's current version as loaded: the model, or why it could not be."""

    version: str
    model: TrainedClassifier | None
    error: str | None = None


class ClassifierProvider:
    """The classifier and taxonomy a tenant's documents are triaged with."""

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        embedder: Callable[[], Embedder],
        default_taxonomy: Taxonomy,
        models: ModelRegistry | None = None,
        encoder: str | None = None,
        cache: dict[str, Classifier] | None = None,
    ) -> None:
        """``models`` holds the tenants' trained models (none: zero-shot only); ``encoder``
        is the configured embedding model's name, which a trained model must have been
        trained on. ``cache`` (taxonomy fingerprint → classifier) may be shared by several
        providers that use the same embedder, as the tests do."""
        self._factory = session_factory
        self._embedder = embedder
        self.default_taxonomy = default_taxonomy
        self._models = models
        self._encoder = encoder
        self._classifiers: dict[str, Classifier] = cache if cache is not None else {}
        self._lock = threading.Lock()
        self._tenant_names: dict[uuid.UUID, str] = {}
        self._trained: dict[str, _Loaded] = {}
        # (tenant, version, problem) already logged: a batch every second must not repeat it.
        self._warned: set[tuple[str, str, str]] = set()

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
        taxonomy, name = self._tenant(tenant_id)
        trained, _ = self._usable_model(name, taxonomy)
        if trained is not None:
            return TenantModel(taxonomy=taxonomy, classifier=trained, version=trained.version)
        return TenantModel(taxonomy=taxonomy, classifier=self.classifier_for(taxonomy))

    def status(self, tenant_id: uuid.UUID) -> ModelStatus:
        """What ``model_for`` would serve, without building a zero-shot classifier (which
        needs the embedding model; the API process never loads it)."""
        taxonomy, name = self._tenant(tenant_id)
        trained, problem = self._usable_model(name, taxonomy)
        if trained is not None:
            return ModelStatus(tenant=name, classifier=trained.name, version=trained.version)
        return ModelStatus(tenant=name, classifier="zero-shot", version=None, problem=problem)

    def reload(self, tenant_ids: list[uuid.UUID] | None = None) -> list[ModelStatus]:
        """Forgets the loaded models of these tenants (all when ``None``), loads their
        current versions again and says what serves each: after a repaired model folder,
        and at start so the first documents do not wait for a model to load."""
        if tenant_ids is None:
            with self._factory() as session:
                tenant_ids = list(session.scalars(select(Tenant.id).order_by(Tenant.name)))
        names = [self._tenant(tenant_id)[1] for tenant_id in tenant_ids]
        with self._lock:
            for name in names:
                self._trained.pop(name, None)
            self._warned = {w for w in self._warned if w[0] not in names}
        return [self.status(tenant_id) for tenant_id in tenant_ids]

    def _tenant(self, tenant_id: uuid.UUID) -> tuple[Taxonomy, str]:
        with self._factory() as session:
            taxonomy = tenant_taxonomy(session, tenant_id=tenant_id, default=self.default_taxonomy)
            name = self._tenant_names.get(tenant_id)
            if name is None:
                tenant = session.get(Tenant, tenant_id)
                if tenant is None:
                    raise LookupError(f"no tenant with id {tenant_id}")
                # Tenant names never change, so the lookup is done once per process.
                name = self._tenant_names[tenant_id] = tenant.name
        return taxonomy, name

    def _usable_model(
        self, tenant: str, taxonomy: Taxonomy
    ) -> tuple[TrainedClassifier | None, str | None]:
        """The tenant's trained model if it may serve, else ``None`` and the reason (``None``
        too when the tenant has no trained model at all)."""
        if self._models is None:
            return None, None
        version = self._models.current_version(tenant)
        if version is None:
            return None, None
        loaded = self._load(tenant, version)
        problem = loaded.error
        if loaded.model is not None:
            problem = self._mismatch(loaded.model, taxonomy)
        if problem is None:
            return loaded.model, None
        if (tenant, version, problem) not in self._warned:
            self._warned.add((tenant, version, problem))
            log.warning(
                "tenant %s: trained model %s is not used, zero-shot serves instead: %s",
                tenant,
                version,
                problem,
            )
        return None, problem

    def _load(self, tenant: str, version: str) -> _Loaded:
        with self._lock:
            loaded = self._trained.get(tenant)
            if loaded is not None and loaded.version == version:
                return loaded
            assert self._models is not None
            try:
                model = load_model(self._models.tenant_dir(tenant) / version)
                loaded = _Loaded(version=version, model=model)
                log.info("tenant %s: loaded trained model %s", tenant, version)
            except ArtefactError as exc:
                loaded = _Loaded(version=version, model=None, error=str(exc))
            except Exception as exc:
                # A folder damaged in a way the format checks do not name (a missing array,
                # a truncated file) must not stop the worker: the tenant falls back too.
                error = f"cannot load {version}: {type(exc).__name__}: {exc}"
                loaded = _Loaded(version=version, model=None, error=error)
            # Only the current version is kept: an old one is never asked for again.
            self._trained[tenant] = loaded
            return loaded

    def _mismatch(self, model: TrainedClassifier, taxonomy: Taxonomy) -> str | None:
        if self._encoder is not None and model.encoder != self._encoder:
            return (
                f"trained on vectors of {model.encoder}, but the configured embedding model "
                f"is {self._encoder}"
            )
        # A model that misses a case type of the taxonomy would put that type's letters
        # confidently into another queue; one with extra classes could route to no queue.
        missing = sorted(set(taxonomy.keys) - set(model.classes))
        extra = sorted(set(model.classes) - set(taxonomy.keys))
        if missing or extra:
            parts = [f"case types unknown to the model: {', '.join(missing)}"] if missing else []
            if extra:
                parts.append(f"classes not in taxonomy {taxonomy.name!r}: {', '.join(extra)}")
            return "; ".join(parts) + " (retrain with the current case types)"
        return None
