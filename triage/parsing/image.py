"""Image parser: scans and phone photos of letters, read through OCR."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from triage.parsing.base import CorruptDocumentError, NeedsOcrError, ParsedDocument, ParseError
from triage.parsing.normalize import normalize_text
from triage.parsing.ocr import OcrEngine
from triage.parsing.sniff import BMP, GIF, JPEG, PNG, TIFF, WEBP

_DAMAGED = (OSError, ValueError, SyntaxError, EOFError, UnidentifiedImageError)


class ImageParser:
    name = "image+ocr"
    media_types: tuple[str, ...] = (PNG, JPEG, TIFF, GIF, BMP, WEBP)

    def __init__(self, *, ocr: OcrEngine | None, max_pages: int = 30) -> None:
        self._ocr = ocr
        self._max_pages = max_pages

    def parse(self, data: bytes) -> ParsedDocument:
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ParseError("The image is too large to be processed safely.") from exc
        except _DAMAGED as exc:
            raise CorruptDocumentError(f"The image is damaged or unreadable ({exc}).") from exc
        with image:
            media_type = Image.MIME.get(image.format or "", PNG)
            try:
                # Decoding the first frame finds truncation now rather than in the OCR step.
                image.load()
                frames = getattr(image, "n_frames", 1)
            except _DAMAGED as exc:
                raise CorruptDocumentError(f"The image is damaged or truncated ({exc}).") from exc
            if self._ocr is None:
                raise NeedsOcrError("needs OCR: the document is an image and OCR is not installed.")
            texts = [self._ocr.image_to_text(png) for png in self._pages_as_png(image)]
        metadata = {"width": str(image.width), "height": str(image.height)}
        if frames > self._max_pages:
            metadata["ocr_pages_skipped"] = str(frames - self._max_pages)
        return ParsedDocument(
            text=normalize_text("\n\n".join(texts)),
            media_type=media_type,
            parser=self.name,
            pages=frames,
            ocr=True,
            metadata=metadata,
        )

    def _pages_as_png(self, image: Image.Image) -> list[bytes]:
        pages: list[bytes] = []
        try:
            for number, frame in enumerate(ImageSequence.Iterator(image)):
                if number >= self._max_pages:
                    break
                pages.append(_to_png(frame))
        except _DAMAGED as exc:
            raise CorruptDocumentError(f"The image is damaged or truncated ({exc}).") from exc
        return pages


def _to_png(frame: Image.Image) -> bytes:
    """Grey PNG that Tesseract reads reliably, upright as the photographer held the phone."""
    upright = ImageOps.exif_transpose(frame)
    if upright.mode in {"I", "I;16", "I;16B", "I;16L", "I;16N"}:
        # 16-bit scans: scale to 8 bit, a plain convert() would clip almost all to white.
        upright = upright.convert("I").point(lambda value: value / 256).convert("L")
    elif upright.mode in {"RGBA", "LA", "PA"} or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        # Transparent screenshots would otherwise turn into black text on black.
        background = Image.new("RGBA", upright.size, "white")
        upright = Image.alpha_composite(background, upright.convert("RGBA"))
    grey = upright.convert("L")
    buffer = io.BytesIO()
    dpi = frame.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2 and all(dpi):
        grey.save(buffer, format="PNG", dpi=(round(dpi[0]), round(dpi[1])))
    else:
        grey.save(buffer, format="PNG")
    return buffer.getvalue()
