"""Validation and model-record helpers both Qdrant stores share.

Validation happens before anything reaches a library, so both stores reject the same inputs
with the same ``ValueError`` instead of each library's own exception (or, for qdrant-client
local mode, a silent NaN score for a zero vector).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from triage.vectors.base import (
    RESERVED_ID,
    TENANT_FIELD,
    ModelMismatchError,
    PayloadValue,
    TenantConflictError,
    VectorLike,
    VectorPoint,
)

META_MODEL_KEY = "embedding_model"
META_DIMENSION_KEY = "embedding_dimension"
META_SCHEMA_KEY = "triage_vectors_schema"
META_SCHEMA_VERSION = 1


def check_model_args(model_name: str, dimension: int) -> None:
    if not model_name.strip():
        raise ValueError("model_name must not be empty")
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        raise ValueError(f"dimension must be a positive integer, got {dimension!r}")


def check_tenant(tenant_id: uuid.UUID) -> str:
    """The tenant as stored in the payload; the nil UUID belongs to the model record."""
    if not isinstance(tenant_id, uuid.UUID):
        raise TypeError(f"tenant_id must be a uuid.UUID, got {type(tenant_id).__name__}")
    if tenant_id == RESERVED_ID:
        raise ValueError("the nil UUID is reserved for the store's model record")
    return str(tenant_id)


def check_point_id(point_id: uuid.UUID) -> str:
    if not isinstance(point_id, uuid.UUID):
        raise TypeError(f"point id must be a uuid.UUID, got {type(point_id).__name__}")
    if point_id == RESERVED_ID:
        raise ValueError("the nil UUID is reserved for the store's model record")
    return str(point_id)


def as_vector(vector: VectorLike, dimension: int) -> list[float]:
    """A plain list (both libraries accept it everywhere) of the collection's dimension."""
    array = np.asarray(vector, dtype=np.float32)
    if array.ndim != 1 or array.shape[0] != dimension:
        raise ValueError(f"expected a vector of dimension {dimension}, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("vector contains NaN or infinite values")
    if not np.any(array):
        raise ValueError("a zero vector has no direction, so cosine similarity is undefined")
    values: list[float] = array.tolist()
    return values


def check_payload(payload: Mapping[str, PayloadValue]) -> dict[str, PayloadValue]:
    """A copy with JSON-safe scalar values; the tenant key is the store's own."""
    result: dict[str, PayloadValue] = {}
    for key, value in payload.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"payload keys must be non-empty strings, got {key!r}")
        if key == TENANT_FIELD:
            raise ValueError(f"payload key {TENANT_FIELD!r} is reserved for the store")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValueError(f"payload value for {key!r} must be a scalar, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"payload value for {key!r} must be finite, got {value!r}")
        result[key] = value
    return result


def check_filters(filters: Mapping[str, str] | None) -> list[tuple[str, str]]:
    if not filters:
        return []
    for key, value in filters.items():
        if key == TENANT_FIELD:
            raise ValueError("the tenant is a required argument, not a filter")
        if not isinstance(value, str):
            raise ValueError(f"filter value for {key!r} must be a string, got {value!r}")
    return list(filters.items())


def check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")


def prepare_points(
    points: Sequence[VectorPoint], dimension: int
) -> dict[str, tuple[str, list[float], dict[str, PayloadValue]]]:
    """Validated points by id string: ``(tenant, vector, payload)`` with the tenant already
    in the payload. A repeated id keeps its last version, as consecutive upserts would; a
    repeated id with two tenants is a conflict."""
    prepared: dict[str, tuple[str, list[float], dict[str, PayloadValue]]] = {}
    for point in points:
        point_id = check_point_id(point.id)
        tenant = check_tenant(point.tenant_id)
        if point_id in prepared and prepared[point_id][0] != tenant:
            raise TenantConflictError(f"point {point_id} appears with two tenants in one batch")
        payload = check_payload(point.payload)
        payload[TENANT_FIELD] = tenant
        prepared[point_id] = (tenant, as_vector(point.vector, dimension), payload)
    return prepared


def check_owners(
    prepared: Mapping[str, tuple[str, list[float], dict[str, PayloadValue]]],
    existing: Iterable[tuple[Any, Mapping[str, Any] | None]],
) -> None:
    """Refuse to overwrite points of another tenant; ``existing`` are (id, payload) pairs of
    the points already stored under the batch's ids."""
    for raw_id, payload in existing:
        point_id = str(uuid.UUID(str(raw_id)))
        owner = (payload or {}).get(TENANT_FIELD)
        if point_id in prepared and owner != prepared[point_id][0]:
            raise TenantConflictError(f"point {point_id} already belongs to another tenant")


def hit_payload(payload: Mapping[str, Any] | None) -> dict[str, PayloadValue]:
    return {key: value for key, value in (payload or {}).items() if key != TENANT_FIELD}


def meta_payload(model_name: str, dimension: int) -> dict[str, PayloadValue]:
    return {
        TENANT_FIELD: str(RESERVED_ID),
        META_MODEL_KEY: model_name,
        META_DIMENSION_KEY: dimension,
        META_SCHEMA_KEY: META_SCHEMA_VERSION,
    }


def meta_vector(dimension: int) -> list[float]:
    """Any valid vector will do; a unit vector keeps cosine defined for the record."""
    return [1.0] + [0.0] * (dimension - 1)


def parse_meta(payload: Mapping[str, Any] | None) -> tuple[str, int] | None:
    if not payload:
        return None
    model = payload.get(META_MODEL_KEY)
    dimension = payload.get(META_DIMENSION_KEY)
    if not isinstance(model, str) or isinstance(dimension, bool) or not isinstance(dimension, int):
        return None
    return model, dimension


def verify_model(
    *,
    stored: tuple[str, int] | None,
    model_name: str,
    dimension: int,
) -> None:
    """Raise unless the recorded model and dimension are the configured ones."""
    if stored == (model_name, dimension):
        return
    raise ModelMismatchError(
        stored_model=stored[0] if stored else None,
        stored_dimension=stored[1] if stored else None,
        configured_model=model_name,
        configured_dimension=dimension,
    )


def plain_vector(stored: object) -> list[float]:
    """A retrieved point's vector as floats: the unnamed dense vector both clients return
    (a list, or a mapping with the one default name)."""
    if isinstance(stored, Mapping):
        stored = next(iter(stored.values()))
    if not isinstance(stored, Sequence):
        raise TypeError(f"unexpected stored vector {type(stored).__name__}")
    return [float(x) for x in stored]
