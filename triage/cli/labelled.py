"""Reading and embedding labelled files for ``triage train`` and ``triage eval``."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from triage.classify.datasets import DatasetError, LabelledTexts, read_labelled
from triage.classify.descriptions import Descriptions
from triage.cli.output import console, fail
from triage.config import Settings
from triage.embedding import Embedder
from triage.evaluation.runner import EmbeddedTexts
from triage.services import build_registry


def read_labelled_file(path: Path, settings: Settings) -> LabelledTexts:
    try:
        return read_labelled(path, registry=build_registry(settings))
    except DatasetError as exc:
        raise fail(str(exc)) from exc


def embed_with_bar(embedder: Embedder, data: LabelledTexts, what: str) -> EmbeddedTexts:
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"embedding {what} ({len(data)} texts)", total=len(data))
        parts = []
        step = 256
        for start in range(0, len(data), step):
            parts.append(embedder.encode_documents(data.texts[start : start + step]))
            bar.advance(task, min(step, len(data) - start))
    vectors = np.concatenate(parts)
    seconds = time.perf_counter() - started
    console.print(f"embedded {len(data)} {what} texts in {seconds:.1f} s", highlight=False)
    return EmbeddedTexts(data=data, vectors=vectors, seconds=round(seconds, 2))


def embed_descriptions(embedder: Embedder, rows: list[tuple[str, str]]) -> Descriptions:
    descriptions = Descriptions.embed(rows, encode=embedder.encode_documents)
    console.print(f"{len(descriptions)} case-type description rows join the letters")
    return descriptions
