"""The session's e5 folder and model (shared with tests/modelbuild), one Embedder on top,
and a small German taxonomy with labelled letters that does not depend on the product's."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.modelbuild.conftest import e5_folder, e5_model  # noqa: F401
from triage.embedding import Embedder
from triage.taxonomy import Taxonomy

from .data import small_taxonomy


@pytest.fixture(scope="session")
def embedder(e5_folder: Path) -> Embedder:  # noqa: F811
    return Embedder(model=e5_folder)


@pytest.fixture(scope="session")
def taxonomy() -> Taxonomy:
    return small_taxonomy()
