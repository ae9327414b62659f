"""The Tesseract wrapper: detection and failure handling."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.fixtures import documents as fx
from triage.parsing import ParseError, TesseractOcr


def _fake_tesseract(tmp_path: Path, script: str) -> str:
    path = tmp_path / "tesseract"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_detect_returns_none_without_the_binary() -> None:
    assert TesseractOcr.detect(command="no-such-tesseract-binary") is None


def test_detect_returns_none_when_a_language_is_missing(tmp_path: Path) -> None:
    command = _fake_tesseract(
        tmp_path, 'echo "List of available languages (2):"\necho eng\necho osd\n'
    )
    assert TesseractOcr.detect("eng", command=command) is not None
    assert TesseractOcr.detect("deu+eng", command=command) is None


def test_failing_tesseract_raises_parse_error(tmp_path: Path) -> None:
    command = _fake_tesseract(tmp_path, 'echo "Error in pixReadMem" >&2\nexit 1\n')
    with pytest.raises(ParseError) as caught:
        TesseractOcr(command=command).image_to_text(b"not an image")
    assert "OCR failed" in caught.value.reason
    assert "pixReadMem" in caught.value.reason


def test_hanging_tesseract_times_out(tmp_path: Path) -> None:
    command = _fake_tesseract(tmp_path, "exec sleep 5\n")
    with pytest.raises(ParseError) as caught:
        TesseractOcr(command=command, timeout_s=0.2).image_to_text(b"")
    assert "timed out" in caught.value.reason


@pytest.mark.ocr
def test_real_tesseract_reads_german(tesseract: TesseractOcr) -> None:
    text = tesseract.image_to_text(fx.png_image("Straße und Größe"))
    assert "Straße" in text
    assert "Größe" in text


@pytest.mark.ocr
def test_real_tesseract_rejects_garbage(tesseract: TesseractOcr) -> None:
    with pytest.raises(ParseError):
        tesseract.image_to_text(b"definitely not an image")
