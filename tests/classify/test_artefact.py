"""Trained models survive the trip through their folder, and a broken folder says why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from triage.classify.artefact import (
    ArtefactError,
    ModelRegistry,
    load_model,
    read_manifest,
    save_model,
)
from triage.classify.training import TrainingSet, train_classifier

WORDS = {
    "hund": ["Hund", "Hundesteuer", "Hundemarke"],
    "kita": ["Kita", "Betreuungsplatz", "Krippe"],
    "muell": ["Müll", "Tonne", "Abfuhr"],
}


def _data(seed: int = 0) -> TrainingSet:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, 12))
    texts, labels, vectors = [], [], []
    for c, (label, words) in enumerate(WORDS.items()):
        for i in range(12):
            texts.append(f"Guten Tag, es geht um {words[i % 3]} und {words[(i + 1) % 3]}.")
            labels.append(label)
            vectors.append(centres[c] + 0.3 * rng.normal(size=12))
    matrix = np.asarray(vectors, dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return TrainingSet(
        texts=texts, labels=labels, vectors=matrix, references=[f"r{i}" for i in range(36)]
    )


def test_a_saved_model_predicts_exactly_as_before(tmp_path: Path) -> None:
    data = _data()
    model = train_classifier(data, encoder="test-encoder")
    folder = save_model(model, tmp_path / "v1")
    loaded = load_model(folder)
    assert loaded.classes == model.classes
    assert loaded.encoder == "test-encoder"
    np.testing.assert_allclose(
        loaded.probabilities(data.vectors, data.texts),
        model.probabilities(data.vectors, data.texts),
        atol=1e-5,
    )
    np.testing.assert_array_equal(loaded.thresholds, model.thresholds)
    manifest = read_manifest(folder)
    assert manifest["training"]["sha256"] == data.sha256
    assert set(manifest["thresholds"]) == set(WORDS)
    assert not list(tmp_path.glob(".tmp-*"))
    with pytest.raises(ArtefactError, match="exists"):
        save_model(model, folder)


def test_registry_keeps_versions_per_tenant_and_swaps_the_current_one(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    first = train_classifier(_data(0), encoder="e")
    second = train_classifier(_data(1), encoder="e")
    registry.install(first, tenant="stadt-a")
    assert registry.current_version("stadt-b") is None
    assert registry.current("stadt-b") is None
    second.card["training"]["sha256"] = "f" * 64  # a different version name
    registry.install(second, tenant="stadt-a")
    assert registry.versions("stadt-a") == sorted([first.version, second.version])
    assert registry.current_version("stadt-a") == second.version
    registry.use(tenant="stadt-a", version=first.version)
    current = registry.current("stadt-a")
    assert current is not None and current.version == first.version
    with pytest.raises(ArtefactError, match="not a model folder"):
        registry.use(tenant="stadt-a", version="nonsense")


def test_unreadable_folders_are_refused_with_the_reason(tmp_path: Path) -> None:
    folder = save_model(train_classifier(_data(), encoder="e"), tmp_path / "v")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtefactError, match="format version 99"):
        load_model(folder)
    (folder / "manifest.json").write_text("{")
    with pytest.raises(ArtefactError, match="not valid JSON"):
        load_model(folder)
    with pytest.raises(ArtefactError, match="not a model folder"):
        load_model(tmp_path / "missing")


def test_auto_routing_follows_the_predictions_own_thresholds() -> None:
    data = _data()
    model = train_classifier(data, encoder="e")
    vectors = np.concatenate([data.vectors, -data.vectors[:3]])  # the last three are novel
    texts = [*data.texts, "Zauberstab", "Drache", "Einhorn"]
    predictions = model.classify(vectors, texts)
    routed = model.auto_routed(vectors, model.probabilities(vectors, texts))
    expected = [p.threshold is not None and p.confidence >= p.threshold for p in predictions]
    assert routed.tolist() == expected
    assert not routed[-3:].any()
    assert routed[:-3].any()
