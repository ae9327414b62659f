"""Case-type description rows: the classifier learns from them, never calibrates on them."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.classify.data import LETTERS
from triage.classify.descriptions import Descriptions, description_rows, label_words
from triage.classify.training import DESCRIPTION_REFERENCE, TrainingSet, train_classifier
from triage.embedding import Embedder
from triage.taxonomy import Taxonomy


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("card_arrival", "card arrival"),
        ("lost-or-stolen.card", "lost or stolen card"),
        ("Sport", "Sport"),
        ("__", "__"),
    ],
)
def test_label_words(label: str, words: str) -> None:
    assert label_words(label) == words


def test_rows_from_label_names_cover_each_class_once() -> None:
    rows = description_rows(["b_x", "a", "b_x", "a"])
    assert rows == [("a", "a"), ("b_x", "b x")]


def test_rows_from_the_taxonomy_only_for_the_wanted_case_types(taxonomy: Taxonomy) -> None:
    wanted = taxonomy.keys[:2]
    rows = description_rows([wanted[1], wanted[0]], taxonomy=taxonomy)
    assert {key for key, _ in rows} == set(wanted)
    first = taxonomy.get(wanted[0])
    assert (first.key, f"{first.name}: {first.description}") in rows
    assert all((first.key, example) in rows for example in first.examples)


def _encode(texts: list[str]) -> NDArray[np.float32]:
    return np.full((len(texts), 3), 0.5, dtype=np.float32)


def test_descriptions_join_a_training_set() -> None:
    data = TrainingSet(
        texts=["Brief eins", "Brief zwei"],
        labels=["a", "b"],
        vectors=np.eye(2, 3, dtype=np.float32),
        references=["r1", "r2"],
    )
    # a case type without letters yet ("c") is learnt from its description alone
    descriptions = Descriptions.embed([("a", "über a"), ("c", "über c")], encode=_encode)
    joined = descriptions.add_to(data)
    assert joined.labels == ["a", "b", "a", "c"]
    assert joined.texts[2:] == ["über a", "über c"]
    assert joined.references[2:] == [f"{DESCRIPTION_REFERENCE}a", f"{DESCRIPTION_REFERENCE}c"]
    assert joined.is_description.tolist() == [False, False, True, True]
    assert joined.class_counts() == {"a": 1, "b": 1}
    # subsets keep the flags with their rows
    assert joined.subset([2, 0]).is_description.tolist() == [True, False]
    assert data.is_description.tolist() == [False, False]
    assert Descriptions.embed([], encode=_encode).add_to(data) is data


def test_flags_must_cover_every_row() -> None:
    with pytest.raises(ValueError, match="every row or none"):
        TrainingSet(
            texts=["x"], labels=["a"], vectors=np.zeros((1, 2), np.float32), references=["r"],
            descriptions=[True, False],
        )  # fmt: skip


def test_training_learns_from_descriptions_but_measures_on_letters(
    embedder: Embedder, taxonomy: Taxonomy
) -> None:
    texts = [text for _, text in LETTERS]
    labels = [key for key, _ in LETTERS]
    letters = TrainingSet(
        texts=texts,
        labels=labels,
        vectors=embedder.encode_documents(texts),
        references=[f"brief-{i}" for i in range(len(texts))],
    )
    rows = description_rows(labels, taxonomy=taxonomy)
    described = Descriptions.embed(rows, encode=embedder.encode_documents).add_to(letters)
    model = train_classifier(described, encoder=embedder.model_name)
    assert model.card["training"]["examples"] == len(letters)
    assert model.card["training"]["description_rows"] == len(rows)
    assert model.card["training"]["per_class"] == letters.class_counts()
    assert model.card["metrics"]["held_out"]["n"] <= len(letters)
    # a description can be a nearest neighbour, and says so
    case_type = taxonomy.get(labels[0])
    prediction = model.classify(
        embedder.encode_documents([case_type.description]), [case_type.description]
    )[0]
    assert prediction.explanation is not None
    references = [n.reference for n in prediction.explanation.neighbours]
    assert any(r.startswith(DESCRIPTION_REFERENCE) for r in references)
