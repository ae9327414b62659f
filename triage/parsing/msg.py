"""Outlook (.msg) parser via extract-msg; reads like an .eml (same labels, same attachments)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import extract_msg
from extract_msg.msg_classes import MSGFile

from triage.parsing.attachments import Attachment, AttachmentRegistry, parse_attachments
from triage.parsing.base import CorruptDocumentError, ParsedDocument
from triage.parsing.eml import assemble_email
from triage.parsing.sniff import OUTLOOK_MSG
from triage.parsing.text import decode_html, html_to_text

log = logging.getLogger(__name__)


class MsgParser:
    name = "msg"
    media_types: tuple[str, ...] = (OUTLOOK_MSG,)

    def __init__(self, registry: AttachmentRegistry) -> None:
        self._registry = registry

    def parse(self, data: bytes) -> ParsedDocument:
        try:
            message = extract_msg.openMsg(data)
        except Exception as exc:  # extract-msg and olefile raise many types on bad files
            raise CorruptDocumentError(
                f"The Outlook message is damaged or not an e-mail ({type(exc).__name__})."
            ) from exc
        try:
            metadata = _metadata(message)
            body = _body(message)
            attachments = parse_attachments(self._registry, _attachments(message))
        finally:
            message.close()
        if attachments.parts:
            metadata["attachments"] = str(len(attachments.parts))
        return assemble_email(
            media_type=OUTLOOK_MSG,
            parser=self.name,
            metadata=metadata,
            body=body,
            attachments=attachments,
        )


def _metadata(message: Any) -> dict[str, str]:
    # Not every .msg is a mail (contacts, tasks): read what the object offers.
    values = {
        "subject": getattr(message, "subject", None),
        "from": getattr(message, "sender", None),
        "to": getattr(message, "to", None),
        "date": getattr(message, "date", None),
    }
    date = values["date"]
    if isinstance(date, datetime) and date.tzinfo is not None:
        # The same RFC 5322 form as an .eml's Date header, so both read alike.
        values["date"] = format_datetime(date)
    return {key: " ".join(str(value).split()) for key, value in values.items() if value}


def _body(message: Any) -> str:
    body = getattr(message, "body", None)
    if isinstance(body, str) and body.strip():
        return body
    try:
        html = getattr(message, "htmlBody", None)
    except Exception:  # de-encapsulating an RTF body can fail on odd messages
        log.info("HTML body of a .msg could not be read", exc_info=True)
        return ""
    if isinstance(html, bytes):
        return html_to_text(decode_html(html))
    return ""


def _attachments(message: Any) -> Iterator[Attachment]:
    for number, attachment in enumerate(getattr(message, "attachments", None) or [], start=1):
        filename = (
            getattr(attachment, "longFilename", None)
            or getattr(attachment, "shortFilename", None)
            or getattr(attachment, "name", None)
            or f"anhang-{number}"
        )
        try:
            data = attachment.data
            if isinstance(data, MSGFile):
                # A forwarded Outlook message: re-export it so the registry parses it whole.
                data = data.exportBytes()
        except Exception as exc:  # broken or unsupported embedded objects
            yield Attachment(str(filename), None, f"could not be extracted ({type(exc).__name__})")
            continue
        if isinstance(data, bytes):
            yield Attachment(str(filename), data)
        else:
            yield Attachment(str(filename), None, "unsupported type")
