"""E-mail (.eml, RFC 5322) parser: headers, body and every attachment's text.

The text starts with a header block with German labels ("Betreff", "Von", "An",
"Datum"), since the caseworkers who read it are German; attachments follow, each under a
line "--- Anhang: <filename> ---".
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from triage.parsing.attachments import (
    Attachment,
    AttachmentRegistry,
    AttachmentResults,
    parse_attachments,
)
from triage.parsing.base import ParsedDocument
from triage.parsing.language import detect_language
from triage.parsing.normalize import normalize_text
from triage.parsing.sniff import EMAIL
from triage.parsing.text import html_to_text

log = logging.getLogger(__name__)

HEADER_LABELS = (("subject", "Betreff"), ("from", "Von"), ("to", "An"), ("date", "Datum"))


class EmlParser:
    name = "eml"
    media_types: tuple[str, ...] = (EMAIL,)

    def __init__(self, registry: AttachmentRegistry) -> None:
        self._registry = registry

    def parse(self, data: bytes) -> ParsedDocument:
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)  # guaranteed by policy.default
        metadata = {key: value for key, _ in HEADER_LABELS if (value := _header(message, key))}
        body_part = message.get_body(preferencelist=("plain", "html"))
        body = _part_text(body_part) if isinstance(body_part, EmailMessage) else ""
        attachments = parse_attachments(self._registry, _attachments(message, body_part))
        if attachments.parts:
            metadata["attachments"] = str(len(attachments.parts))
        return assemble_email(
            media_type=EMAIL,
            parser=self.name,
            metadata=metadata,
            body=body,
            attachments=attachments,
        )


def assemble_email(
    *,
    media_type: str,
    parser: str,
    metadata: dict[str, str],
    body: str,
    attachments: AttachmentResults,
) -> ParsedDocument:
    """The ParsedDocument of an e-mail; shared with the Outlook parser so both read alike."""
    header = "\n".join(
        f"{label}: {metadata[key]}" for key, label in HEADER_LABELS if metadata.get(key)
    )
    text = normalize_text("\n\n".join(s for s in (header, body, *attachments.sections) if s))
    # The language of what the citizen wrote, without the German header labels.
    language = detect_language("\n".join((metadata.get("subject", ""), body, *attachments.texts)))
    return ParsedDocument(
        text=text,
        media_type=media_type,
        parser=parser,
        ocr=attachments.ocr,
        language=language,
        metadata=metadata,
        parts=tuple(attachments.parts),
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # the header parser can fail on malformed addresses or encodings
        log.info("unreadable %s header", name, exc_info=True)
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, KeyError):
        # Unknown or lying charset declarations are common in hand-made mail.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _leaves(message: EmailMessage) -> Iterator[EmailMessage]:
    # Attached e-mails (message/rfc822) are leaves: the registry parses them as a whole.
    stack: list[EmailMessage] = [message]
    while stack:
        part = stack.pop()
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            stack.extend(reversed([p for p in part.iter_parts() if isinstance(p, EmailMessage)]))
        else:
            yield part


def _attachments(message: EmailMessage, body_part: object) -> Iterator[Attachment]:
    for number, part in enumerate(_leaves(message), start=1):
        if part is body_part:
            continue
        filename = part.get_filename()
        # Unnamed inline text parts are the other alternative of the body, not attachments.
        if part.get_content_maintype() == "text" and not filename and not part.is_attachment():
            continue
        if not filename:
            extension = mimetypes.guess_extension(part.get_content_type()) or ""
            filename = f"anhang-{number}{extension}"
        yield _attachment(part, filename)


def _attachment(part: EmailMessage, filename: str) -> Attachment:
    try:
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and not isinstance(payload[0], str):
                return Attachment(filename, payload[0].as_bytes())
        data = part.get_payload(decode=True)
    except Exception as exc:  # broken transfer encodings or nested structures
        return Attachment(filename, None, f"could not be extracted from the e-mail ({exc})")
    return Attachment(filename, data if isinstance(data, bytes) else None)
