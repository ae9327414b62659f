"""Demo letters: invented citizen mail to a Stadtverwaltung, labelled with its case type.

The letters are package data in ``triage/demo/letters/``: one UTF-8 ``.txt`` file per letter
and ``manifest.yaml``, which gives each file's case type, channel, language and whether the
letter is delivered as plain text or rendered as a PDF with a text layer. The manifest's
header lists the rules by which ambiguous letters were labelled.
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Literal

import yaml
from fpdf import FPDF
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triage.taxonomy import Taxonomy, load_default_taxonomy

MANIFEST_FILE = "manifest.yaml"
TEXT_MEDIA_TYPE = "text/plain"
PDF_MEDIA_TYPE = "application/pdf"

# A fixed creation date keeps the rendered PDFs byte-for-byte reproducible.
PDF_CREATION_DATE = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
PDF_FONT_SIZE = 10.5
PDF_LINE_HEIGHT = 5.0
PDF_MARGIN_MM = 20.0

# DejaVu Sans covers umlauts, ß, €, typographic quotes and the Turkish, Polish and Cyrillic
# letters in the demo names. Without it the PDFs fall back to the Helvetica core font in
# Windows-1252, which still has umlauts, ß and € but not those extra letters.
_SYSTEM_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian, Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),  # Fedora
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),  # older Fedora, openSUSE
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),  # Arch
    Path("/Library/Fonts/DejaVuSans.ttf"),  # macOS, installed by hand
)
_CORE_FONT = "Helvetica"
_CORE_FONT_ENCODING = "windows-1252"
# Letters that Unicode does not decompose into a base letter plus a diacritic.
_EXTRA_FOLDS = {"ı": "i", "İ": "I", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}


class DemoLetterError(ValueError):
    """The demo manifest or a letter file is missing or malformed; the message says which."""


@dataclass(frozen=True)
class DemoLetter:
    """One demo letter as it would arrive, with its correct label.

    ``data`` is what would be uploaded: the UTF-8 text, or a rendered PDF whose text layer
    holds the same ``text``. ``filename`` ends in ``.txt`` or ``.pdf`` accordingly.
    """

    filename: str
    data: bytes
    media_type: str
    case_type: str
    channel: str
    language: str
    text: str


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    file: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*\.txt$")]
    case_type: str
    channel: Literal["post", "email", "upload"]
    render_as: Literal["text", "pdf"]
    language: Literal["de", "en"]


class _Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    letters: Annotated[list[_Entry], Field(min_length=1)]


def load_demo_letters(
    *, letters_dir: Traversable | None = None, taxonomy: Taxonomy | None = None
) -> list[DemoLetter]:
    """All demo letters in manifest order, validated, with the PDFs rendered.

    ``letters_dir`` defaults to the packaged letters and ``taxonomy`` to the packaged default
    taxonomy, whose keys every ``case_type`` must be.
    """
    directory = letters_dir if letters_dir is not None else files("triage.demo") / "letters"
    known = taxonomy if taxonomy is not None else load_default_taxonomy()
    manifest = _read_manifest(directory)
    font_path = find_unicode_font()

    letters: list[DemoLetter] = []
    seen: set[str] = set()
    for index, entry in enumerate(manifest.letters):
        where = f"{MANIFEST_FILE}: letters.{index} ({entry.file})"
        if entry.file in seen:
            raise DemoLetterError(f"{where}: file is listed twice")
        seen.add(entry.file)
        if entry.case_type not in known.keys:
            raise DemoLetterError(
                f"{where}: case_type {entry.case_type!r} is not a key of taxonomy {known.name!r}"
            )
        text = _read_letter(directory, entry.file, where)
        if entry.render_as == "pdf":
            filename = entry.file.removesuffix(".txt") + ".pdf"
            data = _render_pdf_cached(text, font_path, entry.language)
            media_type = PDF_MEDIA_TYPE
        else:
            filename = entry.file
            data = text.encode("utf-8")
            media_type = TEXT_MEDIA_TYPE
        letters.append(
            DemoLetter(
                filename=filename,
                data=data,
                media_type=media_type,
                case_type=entry.case_type,
                channel=entry.channel,
                language=entry.language,
                text=text,
            )
        )
    return letters


def _read_manifest(directory: Traversable) -> _Manifest:
    resource = directory / MANIFEST_FILE
    if not resource.is_file():
        raise DemoLetterError(f"{MANIFEST_FILE} not found in {directory}")
    try:
        raw = yaml.safe_load(resource.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DemoLetterError(f"{MANIFEST_FILE}: not valid YAML: {exc}") from exc
    try:
        return _Manifest.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}"
            for err in exc.errors()
        )
        raise DemoLetterError(f"{MANIFEST_FILE}: {problems}") from exc


def _read_letter(directory: Traversable, name: str, where: str) -> str:
    resource = directory / name
    if not resource.is_file():
        raise DemoLetterError(f"{where}: file not found in {directory}")
    try:
        text = resource.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DemoLetterError(f"{where}: not UTF-8 text ({exc.reason})") from exc
    if not text.strip():
        raise DemoLetterError(f"{where}: the letter is empty")
    return text


@functools.cache
def find_unicode_font() -> Path | None:
    """DejaVu Sans from the system or from matplotlib, or None when neither is installed."""
    candidates = list(_SYSTEM_FONT_CANDIDATES)
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates.append(Path(location) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def render_pdf(text: str, *, font_path: Path | None, language: str = "de") -> bytes:
    """An A4 PDF whose text layer holds ``text``; the same input gives the same bytes.

    With ``font_path`` (a Unicode TrueType font) every character is kept. With None the
    Helvetica core font is used, which covers Windows-1252 (umlauts, ß, €, „“ and –);
    other letters lose their diacritics (ş becomes s) or become ``?``.
    """
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_creation_date(PDF_CREATION_DATE)
    pdf.set_creator("Posteingang-Triage demo letters")
    pdf.set_lang(language)
    pdf.set_margins(PDF_MARGIN_MM, PDF_MARGIN_MM, PDF_MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=PDF_MARGIN_MM)
    if font_path is not None:
        pdf.add_font("DejaVuSans", fname=str(font_path))
        pdf.set_font("DejaVuSans", size=PDF_FONT_SIZE)
        body = text
    else:
        pdf.core_fonts_encoding = _CORE_FONT_ENCODING
        pdf.set_font(_CORE_FONT, size=PDF_FONT_SIZE)
        body = fold_to_windows_1252(text)
    pdf.add_page()
    pdf.multi_cell(w=0, h=PDF_LINE_HEIGHT, text=body.rstrip("\n"))
    return bytes(pdf.output())


@functools.lru_cache(maxsize=256)
def _render_pdf_cached(text: str, font_path: Path | None, language: str) -> bytes:
    # Embedding the TrueType font costs about 0.2 s per PDF; repeated loads reuse the bytes.
    return render_pdf(text, font_path=font_path, language=language)


def fold_to_windows_1252(text: str) -> str:
    """``text`` with every character outside Windows-1252 folded to its base letter or ``?``."""
    out: list[str] = []
    for char in text:
        if _in_windows_1252(char):
            out.append(char)
            continue
        base = _EXTRA_FOLDS.get(char) or "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(base if base and all(_in_windows_1252(c) for c in base) else "?")
    return "".join(out)


def _in_windows_1252(char: str) -> bool:
    try:
        char.encode(_CORE_FONT_ENCODING)
    except UnicodeEncodeError:
        return False
    return True
