"""E-mails (.eml and Outlook .msg): headers, body, and attachments through the registry."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from tests.fixtures import documents as fx
from triage.parsing import CorruptDocumentError, ParsedPart, ParserRegistry
from triage.parsing.attachments import MAX_DEPTH

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_eml_joins_body_and_attachment_texts(registry: ParserRegistry) -> None:
    parsed = registry.parse(fx.eml_with_attachments())
    assert parsed.parser == "eml"
    assert parsed.media_type == "message/rfc822"
    assert parsed.metadata["subject"] == "Antrag auf Wohngeld – Unterlagen für Jürgen Müller"
    assert parsed.metadata["from"] == "Jürgen Müller <juergen.mueller@example.org>"
    assert parsed.metadata["to"] == "Wohngeldstelle <wohngeld@stadt.example>"
    assert parsed.metadata["date"] == "Thu, 14 Mar 2024 09:30:00 +0000"
    assert parsed.metadata["attachments"] == "2"
    assert parsed.text.startswith(
        "Betreff: Antrag auf Wohngeld – Unterlagen für Jürgen Müller\n"
        "Von: Jürgen Müller <juergen.mueller@example.org>\n"
    )
    assert "hiermit stelle ich einen Antrag auf Wohngeld" in parsed.text
    assert "--- Anhang: Antrag_Wohngeld.pdf ---\nAntrag auf Wohngeld\nAntragsteller:" in parsed.text
    assert "--- Anhang: Mietbescheinigung.docx ---\nMietbescheinigung" in parsed.text
    assert "Kaltmiete | 850 €" in parsed.text
    assert [(p.filename, p.media_type, p.error) for p in parsed.parts] == [
        ("Antrag_Wohngeld.pdf", PDF, None),
        ("Mietbescheinigung.docx", DOCX, None),
    ]
    assert all(p.chars > 0 for p in parsed.parts)
    assert parsed.language == "de"


def test_broken_attachments_are_listed_but_the_mail_still_parses(registry: ParserRegistry) -> None:
    data = fx.eml_with_attachments(
        attachments=[
            ("kaputt.pdf", fx.truncated_pdf(fx.GERMAN_LETTER)),
            ("Ausweis.png", fx.png_image("Personalausweis")),
            ("programm.bin", fx.random_bytes(2000)),
            ("leer.txt", b""),
            ("gut.pdf", fx.pdf_with_text("Dieser Anhang ist in Ordnung und lesbar.")),
        ]
    )
    parsed = registry.parse(data)
    errors = {p.filename: p.error for p in parsed.parts}
    assert errors["kaputt.pdf"] is not None and "damaged or truncated" in errors["kaputt.pdf"]
    assert errors["Ausweis.png"] is not None and "needs OCR" in errors["Ausweis.png"]
    assert errors["programm.bin"] == "unsupported type"
    assert errors["leer.txt"] == "empty attachment"
    assert errors["gut.pdf"] is None
    assert "Dieser Anhang ist in Ordnung" in parsed.text
    # The caseworker still sees that the unreadable attachments exist.
    assert "--- Anhang: Ausweis.png ---" in parsed.text
    assert "hiermit stelle ich einen Antrag" in parsed.text


def test_html_only_mail_is_converted_to_text(registry: ParserRegistry) -> None:
    html = "<p>Guten Tag,</p><p>bitte <b>prüfen</b> Sie meinen Antrag.</p><script>x()</script>"
    parsed = registry.parse(fx.eml_with_attachments(body_text=None, body_html=html, attachments=[]))
    assert "Guten Tag,\n\nbitte prüfen Sie meinen Antrag." in parsed.text
    assert "x()" not in parsed.text
    assert parsed.parts == ()


def test_plain_text_is_preferred_over_the_html_alternative(registry: ParserRegistry) -> None:
    data = fx.eml_with_attachments(
        body_text="Die Textfassung des Schreibens.", body_html="<p>Die HTML-Fassung.</p>"
    )
    parsed = registry.parse(data)
    assert "Die Textfassung des Schreibens." in parsed.text
    assert "HTML-Fassung" not in parsed.text
    assert len(parsed.parts) == 2  # the HTML alternative is no attachment


def test_attached_email_is_parsed_recursively(registry: ParserRegistry) -> None:
    inner = fx.eml_with_attachments(
        subject="Weitergeleitet: Mietvertrag", body_text="Der Mietvertrag im Anhang."
    )
    outer = _with_attached_message(inner)
    parsed = registry.parse(outer)
    assert [(p.filename, p.media_type, p.error) for p in parsed.parts] == [
        ("weitergeleitet.eml", "message/rfc822", None)
    ]
    assert "Betreff: Weitergeleitet: Mietvertrag" in parsed.text
    assert "Kaltmiete | 850 €" in parsed.text  # the inner mail's own attachment


def test_attachment_nesting_is_limited(registry: ParserRegistry) -> None:
    message = fx.eml_with_attachments(subject="Ebene 0", attachments=[])
    for level in range(MAX_DEPTH + 1):
        message = _with_attached_message(message, subject=f"Ebene {level + 1}")
    parsed = registry.parse(message)
    assert "Betreff: Ebene 1" in parsed.text
    assert "Betreff: Ebene 0" not in parsed.text
    assert "nested more than" in parsed.text
    assert parsed.parts[0].error is None


def test_msg_round_trip(registry: ParserRegistry) -> None:
    parsed = registry.parse(fx.msg_file(attachments=fx.default_attachments()))
    assert parsed.parser == "msg"
    assert parsed.media_type == "application/vnd.ms-outlook"
    assert parsed.metadata["subject"] == "Antrag auf Wohngeld – Unterlagen"
    assert "juergen.mueller@example.org" in parsed.metadata["from"]
    assert parsed.metadata["date"] == "Thu, 14 Mar 2024 09:30:00 +0000"
    assert "anbei mein Antrag auf Wohngeld" in parsed.text
    assert "<p>" not in parsed.text
    assert parsed.parts == (
        ParsedPart("Antrag_Wohngeld.pdf", PDF, parsed.parts[0].chars),
        ParsedPart("Mietbescheinigung.docx", DOCX, parsed.parts[1].chars),
    )
    assert "Kaltmiete | 850 €" in parsed.text
    assert parsed.language == "de"


def test_msg_with_broken_attachment_still_parses(registry: ParserRegistry) -> None:
    data = fx.msg_file(attachments=[("scan.pdf", fx.truncated_pdf("Antrag"))])
    parsed = registry.parse(data)
    assert parsed.parts[0].error is not None
    assert "anbei mein Antrag" in parsed.text


def test_damaged_msg_is_corrupt(registry: ParserRegistry) -> None:
    data = fx.msg_file()
    with pytest.raises(CorruptDocumentError):
        registry.parse(data[: len(data) // 3], media_type="application/vnd.ms-outlook")


def _with_attached_message(inner: bytes, subject: str = "Fwd") -> bytes:
    """A mail forwarding ``inner`` as a message/rfc822 attachment."""
    attached = BytesParser(policy=policy.default).parsebytes(inner)
    assert isinstance(attached, EmailMessage)
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    message["From"] = "sachbearbeitung@stadt.example"
    message["To"] = "poststelle@stadt.example"
    message["Date"] = "Thu, 14 Mar 2024 10:00:00 +0000"
    message.set_content("Zur Kenntnis weitergeleitet.")
    message.add_attachment(attached, filename="weitergeleitet.eml")
    return message.as_bytes()
