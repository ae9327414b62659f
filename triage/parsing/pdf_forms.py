"""AcroForm field values of a PDF, so what a citizen typed into a form is not lost.

Filled-in forms keep their answers in field dictionaries, not in the page text layer.
"""

from __future__ import annotations

import logging
import re

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, NameObject

log = logging.getLogger(__name__)

_RADIO_FLAG = 1 << 15
# XFA-designed forms qualify names like "form1[0].Seite1[0].Name[0]"; the indices are noise.
_NAME_INDEX = re.compile(r"\[\d+\]")


def form_fields(reader: PdfReader) -> tuple[int, list[tuple[str, str]]]:
    """The number of AcroForm fields, and the filled ones as (label, value).

    The label is the tooltip (/TU) when there is one, as forms from the authorities'
    form designers name fields "Textfeld 12" but describe them readably in the tooltip.
    A ticked checkbox reads "ja": its export value (/Yes, /On, /1) means nothing to a
    reader; radio groups keep the export value, which names the chosen option.
    """
    try:
        fields = reader.get_fields() or {}
    except Exception:  # a broken form must not cost the page text
        log.info("form fields could not be read", exc_info=True)
        return 0, []
    total = 0
    filled: list[tuple[str, str]] = []
    for name, field in fields.items():
        if "/FT" not in field:  # a grouping node, not a field
            continue
        total += 1
        value = _field_value(field.get("/V"), field.get("/FT"), field.get("/Ff"))
        if value:
            label = str(field.get("/TU") or _NAME_INDEX.sub("", name)).strip() or name
            filled.append((label, value))
    return total, filled


def _field_value(value: object, field_type: object, flags: object) -> str | None:
    if value is None or isinstance(value, DictionaryObject):  # signatures hold dictionaries
        return None
    if isinstance(value, ArrayObject):
        parts = [_field_value(item, field_type, flags) for item in value]
        return ", ".join(part for part in parts if part) or None
    if isinstance(value, NameObject):
        if value in ("/Off", "/"):
            return None
        is_radio = isinstance(flags, int) and bool(flags & _RADIO_FLAG)
        if field_type == "/Btn" and not is_radio:
            return "ja"
        return value[1:] or None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = str(value).strip()
    return text or None
