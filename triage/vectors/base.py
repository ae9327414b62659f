"""The vector-store interface the API, the worker and the re-index command share.

Similar-document search compares embeddings of one municipality's documents only; mixing
tenants would leak one municipality's correspondence into another's suggestions. That is why
the tenant is a required keyword on every data call and the stores apply it themselves,
instead of trusting callers to add it as a filter.

Vectors from two embedding models are not comparable even when their dimensions agree, so
every collection records the model that made its vectors (see ``ensure_collection``) and
refuses to be used with another one until it is rebuilt.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

PayloadValue = str | int | float | bool | None
VectorLike = Sequence[float] | NDArray[np.floating[Any]]

REINDEX_COMMAND = "triage vectors reindex"
"""The command that rebuilds a collection for the configured model (named in errors)."""

TENANT_FIELD = "tenant_id"
"""Payload key the stores keep the tenant in; callers may not use it in payloads or filters."""

RESERVED_ID = uuid.UUID(int=0)
"""The nil UUID: id of the record holding model name and dimension, and its tenant. No
document and no tenant may use it, so tenant-scoped calls can never reach that record."""

DEFAULT_INDEXED_FIELDS: tuple[str, ...] = ("case_type", "status")
"""Payload fields that get a keyword index, because the triage views filter on them."""


@dataclass(frozen=True, eq=False)
class VectorPoint:
    """One document's embedding. ``eq=False``: vectors may be numpy arrays, whose ``==`` is
    element-wise and would make equality and hashing meaningless."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    vector: VectorLike
    payload: Mapping[str, PayloadValue] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorHit:
    """A search result; ``payload`` is what was upserted, without the internal tenant key."""

    id: uuid.UUID
    score: float
    payload: Mapping[str, PayloadValue]


class ModelMismatchError(RuntimeError):
    """The collection holds vectors of another embedding model or dimension.

    Raised instead of silently mixing incomparable vectors (which would make every
    similarity score meaningless) or silently wiping the index (which would lose data
    until someone notices). The operator decides, via the re-index command.
    """

    def __init__(
        self,
        *,
        stored_model: str | None,
        stored_dimension: int | None,
        configured_model: str,
        configured_dimension: int,
    ) -> None:
        self.stored_model = stored_model
        self.stored_dimension = stored_dimension
        self.configured_model = configured_model
        self.configured_dimension = configured_dimension
        made_by = (
            f"model '{stored_model}'"
            if stored_model is not None
            else "an unknown model (the collection has no model record)"
        )
        stored_dim = f"dimension {stored_dimension}" if stored_dimension else "unknown dimension"
        super().__init__(
            f"The vector store holds vectors made by {made_by} ({stored_dim}), but the "
            f"configured embedding model is '{configured_model}' (dimension "
            f"{configured_dimension}). Vectors of different models cannot be compared; run "
            f"`{REINDEX_COMMAND}` to rebuild the vectors with the configured model."
        )


class TenantConflictError(ValueError):
    """An upsert would overwrite a point that belongs to another tenant.

    Point ids are global in a collection, so without this check a document id reused by
    (or guessed for) another tenant would silently move that document across tenants.
    """


@runtime_checkable
class VectorStore(Protocol):
    """What the service needs from a vector index; implementations must be usable from
    several threads of one process (API threads plus the worker thread)."""

    def ensure_collection(self, *, model_name: str, dimension: int) -> None:
        """Create the collection if missing; otherwise verify that it was made by this
        model and dimension, raising ``ModelMismatchError`` if not."""

    def recreate(self, *, model_name: str, dimension: int) -> None:
        """Drop all vectors and start empty for the given model (used by re-indexing)."""

    def upsert(self, points: Sequence[VectorPoint]) -> None:
        """Insert or overwrite points by id, so re-processing a document is harmless."""

    def search(
        self,
        *,
        tenant_id: uuid.UUID,
        vector: VectorLike,
        limit: int = 10,
        filters: Mapping[str, str] | None = None,
    ) -> list[VectorHit]:
        """The tenant's points most similar by cosine, best first; ``filters`` are exact
        matches on payload fields."""

    def vector(self, *, tenant_id: uuid.UUID, point_id: uuid.UUID) -> list[float] | None:
        """The stored vector of the tenant's point, or None (unknown, or another
        tenant's)."""

    def delete(self, *, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        """Delete the tenant's points with these ids; ids of other tenants are left alone."""

    def count(self, *, tenant_id: uuid.UUID | None = None) -> int:
        """Points of one tenant, or of all tenants (the model record never counts)."""

    def stored_model(self) -> tuple[str, int] | None:
        """Model name and dimension recorded in the collection, None if there is none."""

    def close(self) -> None:
        """Release files, locks and connections; the store is unusable afterwards."""
