"""Plain text in any common encoding, HTML pages, and the shared normalisation."""

from __future__ import annotations

import pytest

from tests.fixtures import documents as fx
from triage.parsing import ParserRegistry, html_to_text, normalize_text

SAMPLE = "Sehr geehrte Damen und Herren,\nGrüße aus Köln von der Hauptstraße, 20 € anbei."


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8"),
        ("utf-16", "utf-16-le"),
        ("utf-16-be", "cp1252"),  # no BOM: NUL bytes make it binary, see below
        ("cp1252", "cp1252"),
    ],
)
def test_text_encodings(registry: ParserRegistry, encoding: str, reported: str) -> None:
    data = fx.text_file(SAMPLE, encoding)
    if encoding == "utf-16-be":
        # Without a byte-order mark UTF-16 is indistinguishable from binary data.
        assert registry.sniff(data) is None
        return
    parsed = registry.parse(data)
    assert parsed.parser == "text"
    assert parsed.text == SAMPLE
    assert parsed.metadata["encoding"] == reported


def test_latin1_text_without_euro_decodes(registry: ParserRegistry) -> None:
    parsed = registry.parse("Straße in Köln, Übergabe am Montag, Größe egal.".encode("latin-1"))
    assert parsed.text == "Straße in Köln, Übergabe am Montag, Größe egal."


def test_windows_newlines_and_trailing_spaces_are_normalised(registry: ParserRegistry) -> None:
    data = b"Zeile eins   \r\nZeile  zwei\r\n\r\n\r\n\r\n\r\nAbsatz  drei\r\n"
    assert registry.parse(data).text == "Zeile eins\nZeile zwei\n\nAbsatz drei"


def test_html_page_drops_script_style_and_head(registry: ParserRegistry) -> None:
    body = (
        "<h1>Kontaktformular</h1>"
        "<p>Name: <b>Jürgen Müller</b><br>Anliegen: Wohngeld</p>"
        "<table><tr><th>Feld</th><th>Wert</th></tr><tr><td>PLZ</td><td>20095</td></tr></table>"
        "<ul><li>Punkt eins</li><li>Punkt zwei</li></ul>"
    )
    parsed = registry.parse(fx.html_page("Formular der Stadt", body))
    assert parsed.parser == "html"
    assert parsed.metadata["title"] == "Formular der Stadt"
    assert parsed.text == (
        "Kontaktformular\n\n"
        "Name: Jürgen Müller\nAnliegen: Wohngeld\n\n"
        "Feld | Wert\nPLZ | 20095\n\n"
        "Punkt eins\nPunkt zwei"
    )
    assert "Tracking" not in parsed.text
    assert "font-family" not in parsed.text


def test_html_meta_charset_is_honoured(registry: ParserRegistry) -> None:
    data = fx.html_page("Anfrage", "<p>Grüße aus Köln</p>", encoding="iso-8859-1")
    assert registry.parse(data).text == "Grüße aus Köln"


def test_html_to_text_keeps_preformatted_lines_and_skips_comments() -> None:
    markup = "<div>Kopf<!-- intern --></div><pre>Zeile 1\nZeile 2</pre><p>Ende</p>"
    assert html_to_text(markup) == "Kopf\n\nZeile 1\nZeile 2\n\nEnde"


def test_html_to_text_survives_deep_nesting() -> None:
    assert html_to_text("<div>" * 5000 + "tief" + "</div>" * 5000) == "tief"


def test_normalize_text() -> None:
    raw = "  Gru\u0308ße\u00a0aus\tKöln \r\n\u200b\r\n\n\n\nEnde\x0cSeite\x07 "
    assert normalize_text(raw) == "Grüße aus Köln\n\nEnde\nSeite"
