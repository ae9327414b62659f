"""Training the fused classifier: cross-validated views, calibration, thresholds, final fit.

1. Rows are split into stratified folds (every class spread over the folds; a class with
   fewer rows than folds is simply absent from some training folds).
2. Per fold, both views are fitted on the other folds and predict the held-out fold: the
   out-of-fold log-probabilities every later choice is made on, so no choice sees a row's
   label while predicting that row.
3. Fusion weights and the top-label map are fitted on them (``calibration``), then the
   novelty threshold and the per-class thresholds (``thresholds``). The thresholds are
   chosen on the held-out rows mixed with *simulated out-of-scope* rows (below), so the
   target precision holds for mail that also contains documents of no known case type.
4. The held-out figures of the calibrated out-of-fold predictions are the model's metrics.
5. Both views are fitted once more on all rows: that is the model that is stored.

Why these settings (``bench/classifier_benchmarks.py``, cross-validation on training
splits only): C=10 for the TF-IDF view matches the classic peer; C=100 for the embedding
view (384 dense features, many rows per feature) is the best of 1/10/100 on banking77's
training folds (ECE 0.54/0.20/0.04 before fusion). Five folds below 4,000 rows, three
above, which keeps banking77's 10,003 rows within the time budget.

Out of scope, simulated: a held-out row whose own case type is taken away is what an
unknown document looks like to the model — the probabilities renormalised over the other
case types (exactly the multinomial model's view without that class) and the nearest
training document of another case type. Such rows, always wrong when routed, are mixed
into the threshold choice so that they make up ``out_of_scope_share`` of the mail (default
10 %; 0 turns it off). Real unrelated mail is further from the training documents than
these sibling-class stand-ins, so the estimate errs on the careful side.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage.classify.calibration import Calibration, fit_calibration
from triage.classify.linear import LinearHead
from triage.classify.text_features import TextFeatures
from triage.classify.thresholds import DEFAULT_TARGET_PRECISION, choose_thresholds
from triage.classify.trained import NeighbourIndex, TrainedClassifier
from triage.embedding import normalize_rows
from triage.evaluation.metrics import classification_report

Progress = Callable[[str, int, int], None]
TEXT_C = 10.0
EMBED_C = 100.0
NOVELTY_QUANTILE = 0.01
OUT_OF_SCOPE_SHARE = 0.1
LARGE = 4000
# From this many examples on, n-grams seen in only one of them are dropped.
MIN_DF_ROWS = 1000
DESCRIPTION_REFERENCE = "about:"


@dataclass(frozen=True)
class TrainingSet:
    """Labelled documents: text, case type, embedding vector, and a reference to show
    as a neighbour (a document id, a file name, a row number).

    Rows flagged in ``descriptions`` describe a case type (its name, description, typical
    phrases) rather than being a letter: the views learn from them, but calibration,
    thresholds, the novelty gate and the held-out figures use letters only."""

    texts: list[str]
    labels: list[str]
    vectors: NDArray[np.float32]
    references: list[str]
    descriptions: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        sizes = {len(self.texts), len(self.labels), len(self.vectors), len(self.references)}
        if len(sizes) != 1:
            raise ValueError("texts, labels, vectors and references differ in length")
        if self.descriptions and len(self.descriptions) != len(self.labels):
            raise ValueError("descriptions must flag every row or none")

    @property
    def is_description(self) -> NDArray[np.bool_]:
        if not self.descriptions:
            return np.zeros(len(self.labels), dtype=bool)
        return np.array(self.descriptions, dtype=bool)

    def plus_descriptions(
        self, *, texts: list[str], labels: list[str], vectors: NDArray[np.float32]
    ) -> TrainingSet:
        """This set with case-type description rows appended (references ``about:<type>``)."""
        return TrainingSet(
            texts=self.texts + texts,
            labels=self.labels + labels,
            vectors=np.vstack([self.vectors, np.asarray(vectors, dtype=np.float32)]),
            references=self.references + [f"{DESCRIPTION_REFERENCE}{label}" for label in labels],
            descriptions=self.is_description.tolist() + [True] * len(labels),
        )

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def sha256(self) -> str:
        """Fingerprint of the (label, text) pairs, independent of their order."""
        digest = hashlib.sha256()
        for label, text in sorted(zip(self.labels, self.texts, strict=True)):
            digest.update(label.encode())
            digest.update(b"\x1f")
            digest.update(text.encode())
            digest.update(b"\x1e")
        return digest.hexdigest()

    def subset(self, rows: Sequence[int]) -> TrainingSet:
        return TrainingSet(
            texts=[self.texts[i] for i in rows],
            labels=[self.labels[i] for i in rows],
            vectors=self.vectors[list(rows)],
            references=[self.references[i] for i in rows],
            descriptions=[self.descriptions[i] for i in rows] if self.descriptions else [],
        )

    def class_counts(self) -> dict[str, int]:
        """Letters per case type (description rows not counted)."""
        letters = np.array(self.labels)[~self.is_description]
        keys, counts = np.unique(letters, return_counts=True)
        return {str(k): int(c) for k, c in zip(keys, counts, strict=True)}


@dataclass(frozen=True)
class TrainingOptions:
    folds: int | None = None
    text_c: float = TEXT_C
    embed_c: float = EMBED_C
    target_precision: float = DEFAULT_TARGET_PRECISION
    novelty_quantile: float = NOVELTY_QUANTILE
    out_of_scope_share: float = OUT_OF_SCOPE_SHARE
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.out_of_scope_share < 1:
            raise ValueError("out_of_scope_share must be at least 0 and below 1")


def stratified_folds(targets: NDArray[np.intp], *, folds: int, seed: int) -> NDArray[np.intp]:
    """A fold number per row; each class's rows are dealt round-robin from a random start."""
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(targets), dtype=np.intp)
    for c in np.unique(targets):
        rows = rng.permutation(np.flatnonzero(targets == c))
        assignment[rows] = (np.arange(len(rows)) + rng.integers(folds)) % folds
    return assignment


def _fit_views(
    data: TrainingSet, targets: NDArray[np.intp], n_classes: int, options: TrainingOptions
) -> tuple[TextFeatures, LinearHead, LinearHead]:
    min_df = 1 if len(data) < MIN_DF_ROWS else 2
    features, words = TextFeatures.fit_transform(data.texts, min_df=min_df)
    text_head = LinearHead.fit(words, targets, n_classes=n_classes, c=options.text_c)
    embed_head = LinearHead.fit(
        data.vectors, targets, n_classes=n_classes, c=options.embed_c, max_iter=2000
    )
    return features, text_head, embed_head


def train_classifier(
    data: TrainingSet,
    *,
    encoder: str,
    options: TrainingOptions | None = None,
    progress: Progress | None = None,
) -> TrainedClassifier:
    """Fit a classifier on ``data`` (vectors made by ``encoder``); see the module doc."""
    options = options or TrainingOptions()
    classes = sorted(set(data.labels))
    if len(classes) < 2:
        raise ValueError("training needs at least two case types")
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    targets = np.searchsorted(np.array(classes), np.array(data.labels)).astype(np.intp)
    n_classes = len(classes)
    folds = min(options.folds or (5 if len(data) < LARGE else 3), len(data))
    assignment = stratified_folds(targets, folds=folds, seed=options.seed)
    views = [np.zeros((len(data), n_classes)), np.zeros((len(data), n_classes))]
    # Rows whose class had no example in their training folds (a class with one example)
    # cannot be predicted right by construction; fitting calibration on them would teach
    # the model to be uniformly unsure, so they are left out of every fit below, as are
    # description rows (a case type's name is not a letter).
    known = np.zeros(len(data), dtype=bool)
    unit = normalize_rows(data.vectors)
    total = folds + 1
    for fold in range(folds):
        report(f"cross-validation fold {fold + 1}/{folds}", fold, total)
        held = np.flatnonzero(assignment == fold)
        rest = np.flatnonzero(assignment != fold)
        if len(held) == 0 or len(rest) == 0:
            continue  # a tiny set may leave a fold empty
        features, text_head, embed_head = _fit_views(
            data.subset(rest.tolist()), targets[rest], n_classes, options
        )
        views[0][held] = text_head.log_proba(features.transform([data.texts[i] for i in held]))
        views[1][held] = embed_head.log_proba(data.vectors[held])
        known[held] = np.isin(targets[held], targets[rest]) & ~data.is_description[held]
    if known.any():
        calibration = fit_calibration([v[known] for v in views], targets[known])
    else:
        calibration = Calibration(weights=(1.0, 1.0))
    held_out = calibration.apply([v[known] for v in views])
    targets_known = targets[known]
    predicted = held_out.argmax(axis=1).astype(np.intp)
    confidences = held_out.max(axis=1)
    correct = predicted == targets_known
    nearest, nearest_other = nearest_neighbours(unit, targets)
    novelty = float(np.quantile(nearest[known], options.novelty_quantile)) if known.any() else None
    gate = -1.0 if novelty is None else novelty
    unknown = simulated_out_of_scope(
        held_out,
        targets_known,
        nearest_other[known],
        share=options.out_of_scope_share,
        seed=options.seed,
    )
    # Rows the novelty gate stops are never routed, so they do not bear on the thresholds.
    passed, unknown_passed = nearest[known] >= gate, unknown.nearest >= gate
    thresholds = choose_thresholds(
        confidences=np.concatenate([confidences[passed], unknown.confidences[unknown_passed]]),
        predicted=np.concatenate([predicted[passed], unknown.predicted[unknown_passed]]),
        correct=np.concatenate([correct[passed], np.zeros(int(unknown_passed.sum()), bool)]),
        n_classes=n_classes,
        target=options.target_precision,
    )
    report("final fit on all examples", folds, total)
    features, text_head, embed_head = _fit_views(data, targets, n_classes, options)
    report("done", total, total)
    metrics = held_out_metrics(
        classes=classes,
        targets=targets_known,
        predicted=predicted,
        confidences=confidences,
        routed=(confidences >= thresholds[predicted]) & (nearest[known] >= gate),
    )
    if len(unknown):
        metrics["simulated_out_of_scope"] = {
            "n": len(unknown),
            "to_review": round(float(1 - unknown.routed(thresholds, gate).mean()), 4),
        }
    card: dict[str, Any] = {
        "method": {
            "views": ["tfidf word 1-2 + char_wb 2-5, logistic regression", "embedding, LR"],
            "text_c": options.text_c,
            "embed_c": options.embed_c,
            "folds": folds,
            "seed": options.seed,
        },
        "calibration": calibration.to_json(),
        "target_precision": options.target_precision,
        "novelty_quantile": options.novelty_quantile,
        "out_of_scope_share": options.out_of_scope_share,
        "metrics": {"held_out": metrics},
        "training": {
            "examples": len(data) - int(data.is_description.sum()),
            "description_rows": int(data.is_description.sum()),
            "sha256": data.sha256,
            "per_class": data.class_counts(),
            "seconds": round(time.perf_counter() - started, 2),
        },
    }
    return TrainedClassifier(
        classes=classes,
        features=features,
        text_head=text_head,
        embed_head=embed_head,
        calibration=calibration,
        thresholds=thresholds,
        neighbours=NeighbourIndex.build(data.vectors, targets, data.references),
        novelty_threshold=novelty,
        encoder=encoder,
        card=card,
    )


def nearest_neighbours(
    unit: NDArray[np.floating[Any]], targets: NDArray[np.intp], *, chunk: int = 2048
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per row, the cosine of its nearest *other* training row, and of its nearest row of
    another case type: what a new letter of a known type, and one of an unknown type,
    meet in the full neighbour index at prediction time (not a fold's smaller one)."""
    nearest = np.full(len(unit), -1.0)
    nearest_other = np.full(len(unit), -1.0)
    for start in range(0, len(unit), chunk):
        rows = np.arange(start, min(start + chunk, len(unit)))
        similarity = unit[rows] @ unit.T
        similarity[np.arange(len(rows)), rows] = -1.0
        if similarity.shape[1]:
            nearest[rows] = similarity.max(axis=1)
            similarity[targets[rows][:, None] == targets[None, :]] = -1.0
            nearest_other[rows] = similarity.max(axis=1)
    return nearest, nearest_other


@dataclass(frozen=True)
class SimulatedUnknowns:
    """Held-out rows seen as if their case type did not exist (see the module doc)."""

    confidences: NDArray[np.float64]
    predicted: NDArray[np.intp]
    nearest: NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.predicted)

    def routed(self, thresholds: NDArray[np.float64], gate: float) -> NDArray[np.bool_]:
        return (self.confidences >= thresholds[self.predicted]) & (self.nearest >= gate)


def simulated_out_of_scope(
    probabilities: NDArray[np.float64],
    targets: NDArray[np.intp],
    nearest_other: NDArray[np.float64],
    *,
    share: float,
    seed: int,
) -> SimulatedUnknowns:
    """As many stand-ins for unknown documents as make up ``share`` of the mix, drawn
    from the held-out rows. With two case types, taking one away leaves nothing to
    choose between, so there is no stand-in."""
    n_rows, n_classes = probabilities.shape
    count = round(n_rows * share / (1 - share)) if n_classes > 2 else 0
    if count == 0 or n_rows == 0:
        empty = np.zeros(0)
        return SimulatedUnknowns(empty, np.zeros(0, dtype=np.intp), empty)
    rng = np.random.default_rng(seed)
    rows = rng.choice(n_rows, size=count, replace=count > n_rows)
    others = probabilities[rows].copy()
    others[np.arange(count), targets[rows]] = 0.0
    others /= np.maximum(others.sum(axis=1, keepdims=True), 1e-300)
    return SimulatedUnknowns(
        confidences=others.max(axis=1),
        predicted=others.argmax(axis=1).astype(np.intp),
        nearest=nearest_other[rows],
    )


def held_out_metrics(
    *,
    classes: list[str],
    targets: NDArray[np.intp],
    predicted: NDArray[np.intp],
    confidences: NDArray[np.float64],
    routed: NDArray[np.bool_],
) -> dict[str, Any]:
    """Figures of cross-validated predictions, as stored in the model card."""
    if len(targets) == 0:
        return {"n": 0}
    names = np.array(classes)
    report = classification_report(
        labels=list(names[targets]),
        predicted=list(names[predicted]),
        confidences=list(confidences),
        classes=classes,
    )
    correct = predicted == targets
    return {
        "n": len(targets),
        "accuracy": round(report.accuracy, 4),
        "macro_f1": round(report.macro_f1, 4),
        "ece": round(report.ece, 4),
        "routed_share": round(float(routed.mean()), 4),
        "routed_precision": round(float(correct[routed].mean()), 4) if routed.any() else None,
    }
