"""The packaged demo letters: manifest, labels, coverage and the rendered PDFs."""

from __future__ import annotations

import io
import re
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from triage.demo import DemoLetter, DemoLetterError, load_demo_letters
from triage.demo.letters import (
    MANIFEST_FILE,
    find_unicode_font,
    fold_to_windows_1252,
    render_pdf,
)
from triage.taxonomy import Taxonomy, load_default_taxonomy

LETTERS_DIR = Path(str(files("triage.demo") / "letters"))
UMLAUTS = re.compile(r"[äöüÄÖÜß]")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def _normalized(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def letters() -> list[DemoLetter]:
    return load_demo_letters()


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_default_taxonomy()


def _pdfs(letters: list[DemoLetter]) -> list[DemoLetter]:
    return [letter for letter in letters if letter.media_type == "application/pdf"]


# --- coverage ----------------------------------------------------------------------------------


def test_at_least_sixty_letters_with_unique_names(letters: list[DemoLetter]) -> None:
    assert len(letters) >= 60
    names = [letter.filename for letter in letters]
    assert len(set(names)) == len(names)


def test_every_case_type_has_at_least_three_letters(
    letters: list[DemoLetter], taxonomy: Taxonomy
) -> None:
    counts = Counter(letter.case_type for letter in letters)
    assert set(counts) == set(taxonomy.keys)
    assert {key: n for key, n in counts.items() if n < 3} == {}


def test_channels_languages_and_formats_are_mixed(letters: list[DemoLetter]) -> None:
    assert {letter.channel for letter in letters} == {"post", "email", "upload"}
    languages = Counter(letter.language for letter in letters)
    assert 3 <= languages["en"] <= 10
    assert languages["de"] + languages["en"] == len(letters)
    assert len(_pdfs(letters)) >= 12


def test_lengths_range_from_a_note_to_a_full_page(letters: list[DemoLetter]) -> None:
    lines = [len(letter.text.strip().splitlines()) for letter in letters]
    assert min(lines) <= 3
    assert max(lines) >= 30


def test_language_labels_match_the_text(letters: list[DemoLetter]) -> None:
    for letter in letters:
        words = set(re.findall(r"[a-zäöüß]+", letter.text.lower()))
        english = len(words & {"the", "and", "you", "my", "is", "to", "of"})
        german = len(words & {"der", "die", "und", "ich", "sie", "ist", "mit", "nicht"})
        assert (english > german) == (letter.language == "en"), letter.filename


def test_letters_are_fictional_and_set_in_2026(letters: list[DemoLetter]) -> None:
    for letter in letters:
        for domain in EMAIL.findall(letter.text):
            # Reserved example domains only: no real mailbox is ever named.
            assert domain.split(".")[-1] == "example" or re.search(
                r"(^|\.)example\.(com|org|net)$", domain
            ), f"{letter.filename}: {domain}"
    assert sum("2026" in letter.text for letter in letters) >= len(letters) * 2 // 3


def test_taxonomy_examples_are_not_copied_into_letters(
    letters: list[DemoLetter], taxonomy: Taxonomy
) -> None:
    corpus = _normalized(" ".join(letter.text for letter in letters))
    copied = [e for c in taxonomy.case_types for e in c.examples if _normalized(e) in corpus]
    assert copied == []


def test_labelling_rule_for_widerspruch(letters: list[DemoLetter]) -> None:
    # Rule 1 of the manifest: contesting a Bescheid is `widerspruch`, and only that is.
    for letter in letters:
        lowered = letter.text.lower()
        contests = "widerspruch" in lowered or "einspruch" in lowered
        assert contests == (letter.case_type == "widerspruch"), letter.filename
        if letter.case_type == "widerspruch":
            assert "bescheid" in lowered, letter.filename


# --- the manifest and the files ------------------------------------------------------------------


def test_manifest_lists_every_letter_file_exactly_once() -> None:
    manifest = yaml.safe_load((LETTERS_DIR / MANIFEST_FILE).read_text(encoding="utf-8"))
    listed = [entry["file"] for entry in manifest["letters"]]
    assert len(set(listed)) == len(listed)
    assert sorted(listed) == sorted(p.name for p in LETTERS_DIR.glob("*.txt"))


def test_manifest_header_documents_the_labelling_rules() -> None:
    header = (LETTERS_DIR / MANIFEST_FILE).read_text(encoding="utf-8").split("\nletters:")[0]
    assert "Labelling rules" in header
    for key in ("widerspruch", "beschwerde", "abfall", "sonstiges"):
        assert f"`{key}`" in header


def test_text_letters_are_the_utf8_files(letters: list[DemoLetter]) -> None:
    for letter in letters:
        if letter.media_type == "text/plain":
            assert letter.filename.endswith(".txt")
            assert letter.data == (LETTERS_DIR / letter.filename).read_bytes()
            assert letter.data.decode("utf-8") == letter.text
        else:
            assert letter.media_type == "application/pdf"
            assert letter.filename.endswith(".pdf")
            source = LETTERS_DIR / (letter.filename.removesuffix(".pdf") + ".txt")
            assert source.read_text(encoding="utf-8") == letter.text


def test_some_letters_skip_umlauts_as_people_do(letters: list[DemoLetter]) -> None:
    german = [letter for letter in letters if letter.language == "de"]
    without = [letter for letter in german if not UMLAUTS.search(letter.text)]
    spelled_out = [
        letter for letter in without if re.search(r"\b\w*(ae|oe|ue)\w*\b", letter.text.lower())
    ]
    assert len(spelled_out) >= 3
    assert len(german) - len(without) >= len(german) // 2


# --- PDFs ----------------------------------------------------------------------------------------


def test_pdfs_extract_back_to_the_letter_text(letters: list[DemoLetter]) -> None:
    font = find_unicode_font()
    pdfs = _pdfs(letters)
    assert len(pdfs) >= 12
    for letter in pdfs:
        assert letter.data.startswith(b"%PDF-")
        expected = letter.text if font is not None else fold_to_windows_1252(letter.text)
        assert _normalized(_pdf_text(letter.data)) == _normalized(expected), letter.filename
    assert sum(bool(UMLAUTS.search(_pdf_text(letter.data))) for letter in pdfs) >= 10


def test_pdfs_are_a4() -> None:
    reader = PdfReader(io.BytesIO(render_pdf("Guten Tag", font_path=find_unicode_font())))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_long_letters_flow_onto_further_pages() -> None:
    text = "\n".join(f"Zeile {n}: Die Müllgebühren für 2026 betragen 386,40 €." for n in range(90))
    data = render_pdf(text, font_path=find_unicode_font())
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    assert _normalized(_pdf_text(data)) == _normalized(text)


@pytest.mark.skipif(find_unicode_font() is None, reason="needs DejaVu Sans (fonts-dejavu-core)")
def test_unicode_font_keeps_every_character() -> None:
    text = "Straße 12, 850,50 € – „Größe“ Demirtaş, Karadağ, Yıldırım, Łódź, Лебедева"
    data = render_pdf(text, font_path=find_unicode_font())
    assert _normalized(_pdf_text(data)) == _normalized(text)


def test_core_font_fallback_keeps_umlauts_sharp_s_and_euro() -> None:
    text = "Gebühr für die Straße: 12,50 € – „Ärger“ über Öffnungszeiten. Karadağ, Yıldırım"
    extracted = _normalized(_pdf_text(render_pdf(text, font_path=None)))
    assert extracted == _normalized(
        "Gebühr für die Straße: 12,50 € – „Ärger“ über Öffnungszeiten. Karadag, Yildirim"
    )


def test_core_font_fallback_renders_every_demo_pdf(letters: list[DemoLetter]) -> None:
    for letter in _pdfs(letters):
        data = render_pdf(letter.text, font_path=None, language=letter.language)
        expected = fold_to_windows_1252(letter.text)
        assert _normalized(_pdf_text(data)) == _normalized(expected), letter.filename
        assert UMLAUTS.search(expected) or letter.language == "en"


def test_fold_to_windows_1252() -> None:
    assert fold_to_windows_1252("Müller ß € „x“") == "Müller ß € „x“"
    assert fold_to_windows_1252("Demirtaş Łukasz İzmir") == "Demirtas Lukasz Izmir"
    assert fold_to_windows_1252("Лев ✓") == "??? ?"


def test_rendering_is_deterministic() -> None:
    text = "Sehr geehrte Damen und Herren,\nhiermit lege ich Widerspruch ein.\nGrüße"
    for font in {find_unicode_font(), None}:
        assert render_pdf(text, font_path=font) == render_pdf(text, font_path=font)
    assert load_demo_letters()[0] == load_demo_letters()[0]


# --- validation ----------------------------------------------------------------------------------


def _write_letters(directory: Path, manifest: str, **texts: str) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / MANIFEST_FILE).write_text(manifest, encoding="utf-8")
    for name, text in texts.items():
        (directory / f"{name}.txt").write_text(text, encoding="utf-8")
    return directory


ENTRY = """letters:
  - file: brief.txt
    case_type: {case_type}
    channel: {channel}
    render_as: {render_as}
    language: de
"""


def _manifest(case_type: str = "wohngeld", channel: str = "post", render_as: str = "pdf") -> str:
    return ENTRY.format(case_type=case_type, channel=channel, render_as=render_as)


def test_a_valid_custom_folder_loads(tmp_path: Path) -> None:
    directory = _write_letters(tmp_path / "l", _manifest(), brief="Antrag auf Wohngeld, Grüße")
    [letter] = load_demo_letters(letters_dir=directory)
    assert letter.filename == "brief.pdf"
    assert letter.media_type == "application/pdf"
    assert (letter.case_type, letter.channel, letter.language) == ("wohngeld", "post", "de")
    assert letter.text == "Antrag auf Wohngeld, Grüße"


def test_unknown_case_type_is_rejected(tmp_path: Path) -> None:
    directory = _write_letters(tmp_path / "l", _manifest("wohngelt"), brief="Antrag")
    with pytest.raises(DemoLetterError, match=r"letters\.0 \(brief\.txt\): case_type 'wohngelt'"):
        load_demo_letters(letters_dir=directory)


def test_case_types_are_checked_against_the_given_taxonomy(tmp_path: Path) -> None:
    directory = _write_letters(tmp_path / "l", _manifest("wohngeld"), brief="Antrag")
    other = Taxonomy.from_yaml(
        yaml.safe_dump(
            {
                "name": "Nur Steuern",
                "case_types": [
                    {
                        "key": key,
                        "name": key,
                        "description": "Fragen zu Steuern.",
                        "queue": "steuern",
                        "sla_days": 10,
                    }
                    for key in ("hundesteuer", "grundsteuer")
                ],
            }
        )
    )
    with pytest.raises(DemoLetterError, match=r"not a key of taxonomy 'Nur Steuern'"):
        load_demo_letters(letters_dir=directory, taxonomy=other)


def test_missing_letter_file_is_rejected(tmp_path: Path) -> None:
    directory = _write_letters(tmp_path / "l", _manifest())
    with pytest.raises(DemoLetterError, match=r"letters\.0 \(brief\.txt\): file not found"):
        load_demo_letters(letters_dir=directory)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (_manifest(channel="fax"), r"letters\.0\.channel: Input should be 'post', 'email'"),
        (_manifest(render_as="docx"), r"letters\.0\.render_as: Input should be 'text' or 'pdf'"),
        (_manifest().replace("language: de", "language: fr"), r"letters\.0\.language"),
        (_manifest().replace("brief.txt", "../brief.txt"), r"letters\.0\.file: String should"),
        (_manifest() + "    sender: X\n", r"letters\.0\.sender: Extra inputs are not permitted"),
        ("letters: []\n", r"letters: List should have at least 1 item"),
        ("- brief.txt\n", r"file: Input should be a valid dictionary"),
        ("letters: [unclosed\n", r"not valid YAML"),
    ],
)
def test_malformed_manifest_names_the_field(tmp_path: Path, manifest: str, message: str) -> None:
    directory = _write_letters(tmp_path / "l", manifest, brief="Antrag")
    with pytest.raises(DemoLetterError, match=message):
        load_demo_letters(letters_dir=directory)


def test_duplicate_entry_is_rejected(tmp_path: Path) -> None:
    manifest = _manifest() + _manifest().removeprefix("letters:\n")
    directory = _write_letters(tmp_path / "l", manifest, brief="Antrag")
    with pytest.raises(DemoLetterError, match=r"letters\.1 \(brief\.txt\): file is listed twice"):
        load_demo_letters(letters_dir=directory)


def test_empty_and_non_utf8_letters_are_rejected(tmp_path: Path) -> None:
    directory = _write_letters(tmp_path / "l", _manifest(render_as="text"), brief="  \n")
    with pytest.raises(DemoLetterError, match=r"\(brief\.txt\): the letter is empty"):
        load_demo_letters(letters_dir=directory)
    (directory / "brief.txt").write_bytes("Grüße".encode("latin-1"))
    with pytest.raises(DemoLetterError, match=r"\(brief\.txt\): not UTF-8 text"):
        load_demo_letters(letters_dir=directory)


def test_missing_manifest_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DemoLetterError, match=r"manifest\.yaml not found"):
        load_demo_letters(letters_dir=tmp_path)
