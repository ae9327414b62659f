"""Registries and the OCR engine shared by the parsing tests."""

from __future__ import annotations

import pytest

from triage.parsing import ParserRegistry, TesseractOcr, build_default_registry


@pytest.fixture(scope="session")
def tesseract() -> TesseractOcr:
    """The real Tesseract engine; tests using it are marked ``ocr`` and skip without it."""
    engine = TesseractOcr.detect("deu+eng")
    if engine is None:
        pytest.skip("Tesseract with deu+eng is not installed")
    return engine


@pytest.fixture(scope="session")
def registry() -> ParserRegistry:
    """All parsers, no OCR: what a deployment without Tesseract runs."""
    return build_default_registry(ocr=None)


@pytest.fixture(scope="session")
def ocr_registry(tesseract: TesseractOcr) -> ParserRegistry:
    # 150 dpi is plenty for the large type of the fixtures and halves the OCR time.
    return build_default_registry(ocr=tesseract, ocr_dpi=150)
