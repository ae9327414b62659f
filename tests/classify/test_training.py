"""Training the fused classifier on a small synthetic set: German texts and 16-d vectors."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from triage.classify.base import Prediction
from triage.classify.trained import NEIGHBOURS, TrainedClassifier
from triage.classify.training import (
    TrainingOptions,
    TrainingSet,
    simulated_out_of_scope,
    stratified_folds,
    train_classifier,
)
from triage.embedding import normalize_rows

DIM = 16
PER_CLASS = 30
CLASS_WORDS = {
    "hundesteuer": ["Hundesteuer", "Hund", "Steuermarke", "Labrador", "Tierheim", "Welpe"],
    "kita": ["Kita", "Krippenplatz", "Betreuung", "Elternbeitrag", "Tochter", "Erzieherin"],
    "sperrmuell": ["Sperrmüll", "Mülltonne", "Abholung", "Sofa", "Biotonne", "Schrank"],
    "wohngeld": ["Wohngeld", "Miete", "Einkommen", "Lastenzuschuss", "Bewilligung", "Vermieter"],
}
FILLER = [
    "sehr",
    "geehrte",
    "Damen",
    "und",
    "Herren",
    "ich",
    "möchte",
    "Ihnen",
    "mitteilen",
    "dass",
    "bitte",
    "danke",
    "mit",
    "freundlichen",
    "Grüßen",
    "Stadt",
    "Anfrage",
    "heute",
    "wegen",
    "unser",
    "mein",
]
CLASSES = sorted(CLASS_WORDS)


def _centres() -> NDArray[np.float32]:
    return normalize_rows(np.random.default_rng(42).normal(size=(len(CLASSES), DIM)))


def _letter(rng: np.random.Generator, label: str) -> str:
    words = list(rng.choice(CLASS_WORDS[label], size=3, replace=False))
    words += list(rng.choice(FILLER, size=6))
    rng.shuffle(words)
    return " ".join(str(w) for w in words) + "."


def _examples(seed: int, per_class: int) -> tuple[list[str], list[str], NDArray[np.float32]]:
    rng = np.random.default_rng(seed)
    centres = _centres()
    labels = [label for label in CLASSES for _ in range(per_class)]
    texts = [_letter(rng, label) for label in labels]
    targets = np.array([CLASSES.index(label) for label in labels])
    vectors = normalize_rows(centres[targets] + rng.normal(scale=0.12, size=(len(labels), DIM)))
    return texts, labels, vectors


def _training_set(seed: int = 0, per_class: int = PER_CLASS) -> TrainingSet:
    texts, labels, vectors = _examples(seed, per_class)
    references = [f"brief-{i:03d}" for i in range(len(labels))]
    return TrainingSet(texts=texts, labels=labels, vectors=vectors, references=references)


@pytest.fixture(scope="module")
def data() -> TrainingSet:
    return _training_set()


@pytest.fixture(scope="module")
def model(data: TrainingSet) -> TrainedClassifier:
    return train_classifier(data, encoder="synthetic-16d")


def test_held_out_metrics_are_high(model: TrainedClassifier, data: TrainingSet) -> None:
    held_out = model.card["metrics"]["held_out"]
    assert held_out["n"] == len(data)
    assert held_out["accuracy"] > 0.9
    assert held_out["macro_f1"] > 0.9
    assert 0.0 <= held_out["ece"] < 0.2
    assert model.card["training"]["sha256"] == data.sha256
    assert model.card["training"]["per_class"] == {label: PER_CLASS for label in CLASSES}
    assert model.card["method"]["folds"] == 5
    assert model.classes == CLASSES
    assert model.case_types == CLASSES
    assert model.encoder == "synthetic-16d"


def test_classifies_fresh_letters_with_explanations(model: TrainedClassifier) -> None:
    texts, labels, vectors = _examples(seed=7, per_class=5)
    predictions = model.classify(vectors, texts)
    assert len(predictions) == len(texts)
    assert all(isinstance(p, Prediction) for p in predictions)
    right = sum(p.case_type == label for p, label in zip(predictions, labels, strict=True))
    assert right >= 0.9 * len(labels)
    probabilities = model.probabilities(vectors, texts)
    # (rows need not sum to 1 here: see test_calibration's saturated-row xfail)
    assert np.all(probabilities.sum(axis=1) <= 1.0 + 1e-9)
    for prediction, text, row in zip(predictions, texts, probabilities, strict=True):
        assert prediction.confidence == pytest.approx(row.max())
        assert prediction.case_type == CLASSES[int(row.argmax())]
        assert [name for name, _ in prediction.alternatives] == [
            CLASSES[i] for i in np.argsort(-row)[1:4]
        ]
        explanation = prediction.explanation
        assert explanation is not None
        assert not explanation.novel
        assert prediction.threshold is not None and np.isfinite(prediction.threshold)
        assert prediction.threshold == model.threshold_for(prediction.case_type)
        neighbours = explanation.neighbours
        assert len(neighbours) == NEIGHBOURS
        assert all(n.reference.startswith("brief-") for n in neighbours)
        similarities = [n.similarity for n in neighbours]
        assert similarities == sorted(similarities, reverse=True)
        assert sum(n.case_type == prediction.case_type for n in neighbours) >= 2
        # the words are word n-grams of this letter that speak for the chosen class
        own = {w.lower() for w in CLASS_WORDS[prediction.case_type]}
        assert explanation.words
        assert all(weight > 0 for _, weight in explanation.words)
        assert all(term in text.lower() for term, _ in explanation.words)
        assert any(set(term.split()) & own for term, _ in explanation.words)
        assert explanation.to_json()["novel"] is False


def test_thresholds_are_finite_for_a_clean_set(model: TrainedClassifier) -> None:
    thresholds = model.thresholds_by_class()
    assert list(thresholds) == CLASSES
    assert all(0.0 < t <= 1.0 for t in thresholds.values())


def test_classify_needs_texts(model: TrainedClassifier) -> None:
    _, _, vectors = _examples(seed=8, per_class=1)
    with pytest.raises(ValueError, match="texts"):
        model.classify(vectors)
    with pytest.raises(ValueError, match="texts"):
        model.classify(vectors, ["nur ein Text"])
    assert model.classify(np.zeros((0, DIM), dtype=np.float32), []) == []


def test_vector_unlike_training_is_novel(model: TrainedClassifier, data: TrainingSet) -> None:
    rng = np.random.default_rng(9)
    mean = data.vectors.mean(axis=0)
    opposite = -mean / np.linalg.norm(mean)
    # a random direction orthogonal to every class centre
    basis, _ = np.linalg.qr(_centres().T)
    orthogonal = rng.normal(size=DIM)
    orthogonal -= basis @ (basis.T @ orthogonal)
    orthogonal /= np.linalg.norm(orthogonal)
    familiar = _examples(seed=10, per_class=1)[2][:1]
    vectors = np.vstack([opposite, orthogonal, familiar[0]]).astype(np.float32)
    text = "Die Hundesteuer für meinen Hund, bitte."
    predictions = model.classify(vectors, [text] * 3)
    for prediction in predictions[:2]:
        assert prediction.explanation is not None
        assert prediction.explanation.novel
        assert prediction.threshold == np.inf
    assert predictions[2].explanation is not None
    assert not predictions[2].explanation.novel
    assert predictions[2].threshold is not None and np.isfinite(predictions[2].threshold)
    assert model.novelty_threshold is not None and model.novelty_threshold > 0.5


def test_sha256_ignores_order_and_follows_labels(data: TrainingSet) -> None:
    order = np.random.default_rng(1).permutation(len(data))
    shuffled = data.subset(order.tolist())
    assert shuffled.labels != data.labels
    assert shuffled.sha256 == data.sha256
    # the fingerprint is of (label, text) pairs: vectors and references do not enter
    other_vectors = TrainingSet(
        texts=data.texts,
        labels=data.labels,
        vectors=-data.vectors,
        references=[f"x{i}" for i in range(len(data))],
    )
    assert other_vectors.sha256 == data.sha256
    relabelled = list(data.labels)
    relabelled[0] = "kita" if relabelled[0] != "kita" else "wohngeld"
    changed = TrainingSet(
        texts=data.texts, labels=relabelled, vectors=data.vectors, references=data.references
    )
    assert changed.sha256 != data.sha256
    swapped_texts = [data.texts[1], data.texts[0], *data.texts[2:]]
    assert data.labels[0] == data.labels[1]
    assert (
        TrainingSet(
            texts=swapped_texts,
            labels=data.labels,
            vectors=data.vectors,
            references=data.references,
        ).sha256
        == data.sha256
    )
    edited = [data.texts[0] + " Nachtrag", *data.texts[1:]]
    assert (
        TrainingSet(
            texts=edited, labels=data.labels, vectors=data.vectors, references=data.references
        ).sha256
        != data.sha256
    )


def test_training_set_checks_lengths() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        TrainingSet(
            texts=["a", "b"],
            labels=["x"],
            vectors=np.zeros((2, DIM), dtype=np.float32),
            references=["1", "2"],
        )


def test_stratified_folds_spread_every_class() -> None:
    targets = np.repeat(np.arange(4), [30, 30, 12, 3]).astype(np.intp)
    assignment = stratified_folds(targets, folds=5, seed=0)
    assert assignment.shape == targets.shape
    assert set(assignment.tolist()) == set(range(5))
    for c in range(4):
        counts = np.bincount(assignment[targets == c], minlength=5)
        assert counts.max() - counts.min() <= 1  # dealt round-robin
        assert (counts > 0).sum() == min(5, int((targets == c).sum()))
    again = stratified_folds(targets, folds=5, seed=0)
    assert np.array_equal(assignment, again)
    others = [stratified_folds(targets, folds=5, seed=s) for s in range(1, 4)]
    assert any(not np.array_equal(assignment, other) for other in others)


def test_training_needs_two_case_types() -> None:
    one = _training_set(per_class=3).subset(list(range(3)))
    assert set(one.labels) == {CLASSES[0]}
    with pytest.raises(ValueError, match="at least two case types"):
        train_classifier(one, encoder="synthetic-16d")


def test_training_options_are_recorded() -> None:
    small = _training_set(seed=3, per_class=8)
    stages: list[tuple[str, int, int]] = []
    model = train_classifier(
        small,
        encoder="synthetic-16d",
        options=TrainingOptions(folds=3, text_c=5.0, target_precision=0.9, seed=4),
        progress=lambda stage, done, total: stages.append((stage, done, total)),
    )
    method = model.card["method"]
    assert (method["folds"], method["text_c"], method["seed"]) == (3, 5.0, 4)
    assert model.card["target_precision"] == 0.9
    assert stages[0] == ("cross-validation fold 1/3", 0, 4)
    assert stages[-1] == ("done", 4, 4)


def test_one_example_per_class_trains_but_never_routes() -> None:
    tiny = _training_set(seed=5, per_class=1)
    assert len(tiny) == len(CLASSES)
    model = train_classifier(tiny, encoder="synthetic-16d")
    # no held-out row had its class in its training folds: nothing to calibrate on
    assert model.card["metrics"]["held_out"]["n"] == 0
    assert np.isinf(model.thresholds).all()
    texts, _, vectors = _examples(seed=6, per_class=1)
    predictions = model.classify(vectors, texts)
    assert len(predictions) == len(CLASSES)
    assert all(p.threshold == np.inf for p in predictions)


def test_simulated_out_of_scope_takes_the_true_class_away() -> None:
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    targets = np.array([0, 1, 2], dtype=np.intp)
    nearest_other = np.array([0.5, 0.6, 0.7])
    unknown = simulated_out_of_scope(probabilities, targets, nearest_other, share=0.5, seed=0)
    # half of the mix: as many stand-ins as held-out rows
    assert len(unknown) == 3
    for confidence, predicted, nearest in zip(
        unknown.confidences, unknown.predicted, unknown.nearest, strict=True
    ):
        row = int(np.flatnonzero(nearest_other == nearest)[0])
        assert predicted != targets[row]
        others = np.delete(probabilities[row], targets[row])
        assert confidence == pytest.approx(others.max() / others.sum())
    thresholds = np.array([0.9, 0.9, 0.9])
    assert not unknown.routed(thresholds, gate=0.0).any()
    assert unknown.routed(np.zeros(3), gate=0.0).all()
    assert not unknown.routed(np.zeros(3), gate=0.8).any()


def test_no_stand_ins_for_two_case_types_or_a_zero_share() -> None:
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8]])
    targets = np.array([0, 1], dtype=np.intp)
    assert len(simulated_out_of_scope(probabilities, targets, np.ones(2), share=0.2, seed=0)) == 0
    three = np.array([[0.7, 0.2, 0.1]])
    assert len(simulated_out_of_scope(three, targets[:1], np.ones(1), share=0.0, seed=0)) == 0


def test_out_of_scope_share_raises_thresholds_and_sends_stand_ins_to_review(
    data: TrainingSet,
) -> None:
    # a sixth of the labels moved to the next class and noisy vectors: a set on which
    # confident mistakes are common, so stand-ins for unknown mail matter
    rng = np.random.default_rng(1)
    labels = list(data.labels)
    for i in rng.choice(len(labels), size=len(labels) // 6, replace=False):
        labels[i] = CLASSES[(CLASSES.index(labels[i]) + 1) % len(CLASSES)]
    noisy = TrainingSet(
        texts=data.texts,
        labels=labels,
        vectors=normalize_rows(data.vectors + rng.normal(scale=0.5, size=data.vectors.shape)),
        references=data.references,
    )
    careless = train_classifier(
        noisy, encoder="synthetic-16d", options=TrainingOptions(out_of_scope_share=0.0)
    )
    careful = train_classifier(
        noisy, encoder="synthetic-16d", options=TrainingOptions(out_of_scope_share=0.3)
    )
    assert "simulated_out_of_scope" not in careless.card["metrics"]["held_out"]
    simulated = careful.card["metrics"]["held_out"]["simulated_out_of_scope"]
    assert simulated["n"] == round(len(noisy) * 0.3 / 0.7)
    assert simulated["to_review"] >= 0.9
    assert careful.card["out_of_scope_share"] == 0.3
    assert np.isfinite(careless.thresholds).all()
    assert (careful.thresholds >= careless.thresholds).all()
    assert (careful.thresholds > careless.thresholds).any()


def test_out_of_scope_share_must_be_a_share() -> None:
    with pytest.raises(ValueError, match="out_of_scope_share"):
        TrainingOptions(out_of_scope_share=1.0)
