"""One evaluation run: model and classic peer on the same split, plus a few-shot curve.

Nothing here looks at test labels before predicting: the model's thresholds, calibration
and fusion weights come from cross-validation on the training split; the few-shot
samples are drawn from the training split with a fixed seed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from triage.classify.datasets import LabelledTexts
from triage.classify.descriptions import Descriptions
from triage.classify.trained import TrainedClassifier
from triage.classify.training import TrainingOptions, TrainingSet, train_classifier
from triage.evaluation.figures import (
    EvaluationRun,
    FewShotPoint,
    FewShotScores,
    ModelFigures,
    model_figures,
)
from triage.evaluation.peer import ClassicPeer

Encode = Callable[[Sequence[str]], NDArray[np.float32]]
Progress = Callable[[str], None]
SPEED_CHUNKS = 5


@dataclass(frozen=True)
class EmbeddedTexts:
    data: LabelledTexts
    vectors: NDArray[np.float32]
    # how long embedding took, reported beside the training time
    seconds: float | None = None

    def training_set(self, rows: Sequence[int] | None = None) -> TrainingSet:
        full = TrainingSet(
            texts=self.data.texts,
            labels=self.data.labels,
            vectors=self.vectors,
            references=self.data.references,
        )
        return full if rows is None else full.subset(rows)


def sample_shots(labels: Sequence[str], *, shots: int, seed: int) -> list[int]:
    """Up to ``shots`` row indices per class, drawn without replacement, sorted."""
    rng = np.random.default_rng(seed)
    names = np.array(list(labels))
    rows: list[int] = []
    for label in sorted(set(labels)):
        candidates = np.flatnonzero(names == label)
        take = min(shots, len(candidates))
        rows.extend(int(i) for i in rng.choice(candidates, size=take, replace=False))
    return sorted(rows)


def model_on_test(
    model: TrainedClassifier, test: EmbeddedTexts, *, train_seconds: float | None
) -> ModelFigures:
    """Classify the test rows as the service would, in up to ``SPEED_CHUNKS`` consecutive
    chunks (a stream of letters: caches warm as they go), each timed on its own so the
    speed comes with a spread; the routing rule (thresholds, novelty gate) is timed too."""
    parts, routed_parts, rates = [], [], []
    for rows in np.array_split(np.arange(len(test.data)), min(SPEED_CHUNKS, len(test.data))):
        texts = [test.data.texts[int(i)] for i in rows]
        started = time.perf_counter()
        chunk = model.probabilities(test.vectors[rows], texts)
        routed_parts.append(model.auto_routed(test.vectors[rows], chunk))
        rates.append(len(rows) / max(time.perf_counter() - started, 1e-9))
        parts.append(chunk)
    probabilities = np.concatenate(parts)
    best = probabilities.argmax(axis=1)
    confidences = probabilities.max(axis=1)
    return model_figures(
        name=f"model {model.version}",
        labels=test.data.labels,
        predicted=[model.classes[int(i)] for i in best],
        confidences=confidences,
        routed=np.concatenate(routed_parts),
        target_precision=float(model.card.get("target_precision", 0.95)),
        train_seconds=train_seconds,
        predictions_per_second=float(np.median(rates)),
        predictions_per_second_spread=(float(min(rates)), float(max(rates))),
    )


def peer_on_test(train: LabelledTexts, test: LabelledTexts, *, target: float) -> ModelFigures:
    started = time.perf_counter()
    peer = ClassicPeer.fit(train.texts, train.labels)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    probabilities = peer.probabilities(test.texts)
    elapsed = time.perf_counter() - started
    return model_figures(
        name=peer.name,
        labels=test.labels,
        predicted=[peer.classes[int(i)] for i in probabilities.argmax(axis=1)],
        confidences=probabilities.max(axis=1),
        target_precision=target,
        train_seconds=train_seconds,
        predictions_per_second=len(test) / max(elapsed, 1e-9),
    )


def evaluate(
    *,
    test: EmbeddedTexts,
    train: EmbeddedTexts | None = None,
    model: TrainedClassifier | None = None,
    encoder: str,
    options: TrainingOptions | None = None,
    shots: Sequence[int] = (),
    descriptions: Descriptions | None = None,
    progress: Progress | None = None,
) -> EvaluationRun:
    """Train on ``train`` (or use ``model``), evaluate it and, given ``train``, the peer
    and the few-shot curve on ``test``. ``descriptions`` join every training set of the
    model (never the peer's: it stands for the classic method)."""
    say = progress or (lambda message: None)

    def described(data: TrainingSet) -> TrainingSet:
        return descriptions.add_to(data) if descriptions is not None else data

    options = options or TrainingOptions()
    train_seconds = None
    if model is None:
        if train is None:
            raise ValueError("give training data or a trained model")
        say(f"training on {len(train.data)} examples")
        started = time.perf_counter()
        model = train_classifier(described(train.training_set()), encoder=encoder, options=options)
        train_seconds = time.perf_counter() - started
    figures = model_on_test(model, test, train_seconds=train_seconds)
    peer = None
    points: list[FewShotPoint] = []
    if train is not None:
        say("training the classic peer")
        peer = peer_on_test(train.data, test.data, target=figures.target_precision)
        for count in shots:
            say(f"few-shot: {count} examples per class")
            rows = sample_shots(train.data.labels, shots=count, seed=options.seed)
            subset = train.training_set(rows)
            small = train_classifier(described(subset), encoder=encoder, options=options)
            small_peer = peer_on_test(
                LabelledTexts(
                    texts=subset.texts,
                    labels=subset.labels,
                    references=subset.references,
                    source=train.data.source,
                ),
                test.data,
                target=figures.target_precision,
            )
            points.append(
                FewShotPoint(
                    shots=count,
                    model=FewShotScores.from_figures(
                        model_on_test(small, test, train_seconds=None)
                    ),
                    peer=FewShotScores.from_figures(small_peer),
                )
            )
    settings = {
        "train": None if train is None else train.data.source,
        "test": test.data.source,
        "model_version": model.version,
        "encoder": model.encoder,
        "classes": len(model.classes),
        "method": model.card.get("method"),
        "calibration": model.calibration.to_json(),
        "held_out": model.card.get("metrics", {}).get("held_out"),
        "seed": options.seed,
        "train_embedding_seconds": None if train is None else train.seconds,
        "test_embedding_seconds": test.seconds,
        "description_rows": 0 if descriptions is None else len(descriptions),
        "out_of_scope_share": options.out_of_scope_share,
    }
    return EvaluationRun(model=figures, peer=peer, few_shot=points, settings=settings)
