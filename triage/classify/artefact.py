"""Trained models as versioned folders: a readable manifest and plain arrays, no pickle.

Layout under the data dir (one folder per tenant, one sub-folder per version)::

    models/<tenant>/<version>/manifest.json   format version, encoder, classes, calibration,
                                              thresholds, metrics, training-data hash
    models/<tenant>/<version>/arrays.npz      vocabularies, IDF, weights, neighbour vectors
    models/<tenant>/current                   the version in service

A version folder is written under a temporary name and renamed into place, and
``current`` is replaced atomically, so a reader never sees half a model. Old versions
stay for comparison and rollback (``triage models use``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from triage.classify.calibration import Calibration
from triage.classify.linear import LinearHead
from triage.classify.text_features import TextFeatures
from triage.classify.trained import NeighbourIndex, TrainedClassifier

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
CURRENT = "current"


class ArtefactError(Exception):
    """A model folder that cannot be loaded, with the reason."""


def new_version(sha256: str, *, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{sha256[:8]}"


def save_model(model: TrainedClassifier, directory: Path) -> Path:
    """Write ``model`` as ``directory`` (which must not exist yet), atomically."""
    if directory.exists():
        raise ArtefactError(f"{directory} exists already")
    directory.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {
        **model.features.to_state(),
        **model.text_head.to_state("text"),
        **model.embed_head.to_state("embed"),
        "neighbour_vectors": model.neighbours.vectors,
        "neighbour_targets": model.neighbours.targets,
        "neighbour_references": np.array(model.neighbours.references, dtype=np.str_),
        "thresholds": model.thresholds,
    }
    manifest = {
        "format_version": FORMAT_VERSION,
        "version": model.version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "encoder": model.encoder,
        "classes": model.classes,
        "thresholds": {
            key: (None if not np.isfinite(t) else round(float(t), 6))
            for key, t in zip(model.classes, model.thresholds, strict=True)
        },
        "novelty_threshold": model.novelty_threshold,
        **model.card,
        "calibration": model.calibration.to_json(),
    }
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory.parent))
    try:
        np.savez_compressed(staging / ARRAYS, **arrays)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.replace(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtefactError(f"{directory} is not a model folder (no {MANIFEST})") from exc
    except json.JSONDecodeError as exc:
        raise ArtefactError(f"{path} is not valid JSON: {exc}") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(
            f"{directory} has format version {manifest.get('format_version')!r}; "
            f"this version of triage reads {FORMAT_VERSION}"
        )
    return manifest


def load_model(directory: Path) -> TrainedClassifier:
    manifest = read_manifest(directory)
    try:
        with np.load(directory / ARRAYS, allow_pickle=False) as stored:
            state = {key: stored[key] for key in stored.files}
    except (OSError, ValueError) as exc:
        raise ArtefactError(f"cannot read {directory / ARRAYS}: {exc}") from exc
    classes = [str(c) for c in manifest["classes"]]
    card: dict[str, Any] = {
        key: manifest[key]
        for key in ("method", "target_precision", "novelty_quantile", "metrics", "training")
        if key in manifest
    }
    return TrainedClassifier(
        classes=classes,
        features=TextFeatures.from_state(state),
        text_head=LinearHead.from_state(state, "text"),
        embed_head=LinearHead.from_state(state, "embed"),
        calibration=Calibration.from_json(manifest["calibration"]),
        thresholds=np.asarray(state["thresholds"], dtype=np.float64),
        neighbours=NeighbourIndex(
            vectors=state["neighbour_vectors"],
            targets=np.asarray(state["neighbour_targets"], dtype=np.intp),
            references=[str(r) for r in state["neighbour_references"]],
        ),
        novelty_threshold=manifest.get("novelty_threshold"),
        encoder=str(manifest["encoder"]),
        version=str(manifest["version"]),
        card=card,
    )


class ModelRegistry:
    """The trained models of all tenants under ``root`` (``<data dir>/models``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def tenant_dir(self, tenant: str) -> Path:
        return self.root / tenant

    def install(self, model: TrainedClassifier, *, tenant: str) -> Path:
        """Store ``model`` as a new version of ``tenant`` and put it in service."""
        model.version = new_version(model.card.get("training", {}).get("sha256", "0" * 8))
        directory = save_model(model, self.tenant_dir(tenant) / model.version)
        self.use(tenant=tenant, version=model.version)
        return directory

    def use(self, *, tenant: str, version: str) -> None:
        """Put an existing version in service (atomic pointer swap)."""
        folder = self.tenant_dir(tenant)
        read_manifest(folder / version)
        pointer = folder / CURRENT
        staging = folder / f".{CURRENT}.tmp"
        staging.write_text(version + "\n", encoding="utf-8")
        os.replace(staging, pointer)

    def current_version(self, tenant: str) -> str | None:
        try:
            return (self.tenant_dir(tenant) / CURRENT).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def current(self, tenant: str) -> TrainedClassifier | None:
        version = self.current_version(tenant)
        return None if version is None else load_model(self.tenant_dir(tenant) / version)

    def versions(self, tenant: str) -> list[str]:
        folder = self.tenant_dir(tenant)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / MANIFEST).is_file())
