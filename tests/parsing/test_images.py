"""Images go through OCR; without an engine they need OCR, damaged ones are corrupt."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.fixtures import documents as fx
from triage.parsing import CorruptDocumentError, ImageParser, NeedsOcrError, ParserRegistry


class _FakeOcr:
    def __init__(self) -> None:
        self.images: list[bytes] = []

    def image_to_text(self, image_bytes: bytes) -> str:
        self.images.append(image_bytes)
        return f"Seite {len(self.images)}"


def test_image_without_ocr_needs_ocr(registry: ParserRegistry) -> None:
    with pytest.raises(NeedsOcrError) as caught:
        registry.parse(fx.png_image("Antrag auf Wohngeld"))
    assert "needs OCR" in caught.value.reason


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(fx.png_image("Antrag")[:200], id="truncated-png"),
        pytest.param(fx.jpeg_image("Antrag")[:300], id="truncated-jpeg"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + fx.random_bytes(500), id="png-garbage"),
    ],
)
def test_damaged_image_is_corrupt(registry: ParserRegistry, data: bytes) -> None:
    with pytest.raises(CorruptDocumentError) as caught:
        registry.parse(data)
    assert "damaged" in caught.value.reason


def test_every_tiff_page_is_ocred_as_grey_png() -> None:
    ocr = _FakeOcr()
    parsed = ImageParser(ocr=ocr).parse(fx.tiff_image(["eins", "zwei", "drei"]))
    assert parsed.pages == 3
    assert parsed.text == "Seite 1\n\nSeite 2\n\nSeite 3"
    assert parsed.media_type == "image/tiff"
    assert parsed.ocr is True
    for png in ocr.images:
        assert Image.open(io.BytesIO(png)).mode == "L"


def test_page_limit_applies_to_multi_page_images() -> None:
    ocr = _FakeOcr()
    parsed = ImageParser(ocr=ocr, max_pages=2).parse(fx.tiff_image(["a", "b", "c"]))
    assert len(ocr.images) == 2
    assert parsed.metadata["ocr_pages_skipped"] == "1"


def test_transparent_background_becomes_white() -> None:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    ocr = _FakeOcr()
    ImageParser(ocr=ocr).parse(buffer.getvalue())
    grey = Image.open(io.BytesIO(ocr.images[0]))
    assert grey.getextrema() == (255, 255)


@pytest.mark.ocr
def test_png_is_read_by_tesseract(ocr_registry: ParserRegistry) -> None:
    parsed = ocr_registry.parse(fx.png_image("Antrag auf Wohngeld\nGrüße aus Köln"))
    assert parsed.parser == "image+ocr"
    assert parsed.media_type == "image/png"
    assert "Antrag auf Wohngeld" in parsed.text
    assert "Grüße" in parsed.text
