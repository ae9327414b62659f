"""The data ``triage eval-llm`` measures on, in one shape whatever it came from.

Two kinds are recognised:

- **annotated letters** (a ``.jsonl`` file, ``triage.fields.annotated``): every field kind is
  annotated completely, so precision and recall are measurable for all of them;
- **Munich registration forms** (a folder of filled "Meldeschein (Anmeldung bei der
  Meldebehörde)" PDFs, ``../shared/data/pdf_forms_munich_meldeschein``): the text is what
  the service's own parsers make of the PDF, the ground truth is read from the AcroForm
  fields. It covers a named subset only (name, birth date, address, moving date), so only
  those kinds are scored, and precision only where one value per form is expected (the
  printed form mentions other dates, which are no errors).

Form fields → field kinds (``MELDESCHEIN_FIELDS``): the person registering (1st person) is
the sender, the new flat is the sender's address.

- ``vorn1`` (first names) + ``fam1`` (family name) → ``sender_name``, joined by a space; a
  first-names value that already ends with the family name is not doubled.
- ``neuw.strasse`` (new flat: street, number, floor) → ``sender_street``.
- ``nw.plz`` (new flat: postal code) → ``sender_postal_code_city``; the form has no city
  field for the new flat (it is Munich by definition), so the postal code alone is the truth
  and a value "81457 München" matches it.
- ``gebdat1`` (birth date) and ``einzug`` (moving-in date), written DDMMYY or DDMMYYYY →
  ``dates``; two-digit years follow ``triage.fields.dates`` (< 70 → 20xx).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from triage.fields.annotated import load_annotated_letters
from triage.fields.dates import parse_date
from triage.fields.evaluate import FIELD_KINDS
from triage.fields.schema import LlmFields
from triage.parsing import ParseError, ParserRegistry

ANNOTATED_LETTERS = "annotated_letters"
MUNICH_FORMS = "munich_forms"
MELDESCHEIN_FIELDS = {
    "vorn1": "sender_name",
    "fam1": "sender_name",
    "neuw.strasse": "sender_street",
    "nw.plz": "sender_postal_code_city",
    "gebdat1": "dates",
    "einzug": "dates",
}
_FORM_SCORED = ("sender_name", "sender_street", "sender_postal_code_city", "dates")
_FORM_COMPLETE = ("sender_name", "sender_street", "sender_postal_code_city")


class DatasetError(ValueError):
    """DATA is missing, of no known kind, or unreadable; the message says which."""


@dataclass(frozen=True)
class EvalDocument:
    id: str
    text: str
    expected: LlmFields
    prompt_injection: bool = False
    topic: str = ""


@dataclass(frozen=True)
class EvalDataset:
    kind: str
    source: str
    documents: list[EvalDocument]
    scored_kinds: tuple[str, ...]
    # Kinds whose ground truth lists every value in a document: only there does a value
    # outside the ground truth count against precision.
    complete_kinds: tuple[str, ...]
    skipped: tuple[str, ...] = ()


def load_eval_dataset(path: Path, *, registry: ParserRegistry) -> EvalDataset:
    """The annotated letters (a .jsonl file) or the Munich forms (a folder of PDFs)."""
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    if path.is_dir():
        return load_munich_forms(path, registry=registry)
    if path.suffix.lower() != ".jsonl":
        raise DatasetError(
            f"{path}: unknown data; give annotated letters (.jsonl) or a folder of "
            "filled Munich registration forms (PDF)"
        )
    try:
        letters = load_annotated_letters(path)
    except ValueError as error:
        raise DatasetError(str(error)) from error
    if not letters:
        raise DatasetError(f"{path} holds no letters")
    documents = [
        EvalDocument(
            id=letter.id,
            text=letter.text,
            expected=letter.fields,
            prompt_injection=letter.prompt_injection,
            topic=letter.topic,
        )
        for letter in letters
    ]
    return EvalDataset(ANNOTATED_LETTERS, str(path), documents, FIELD_KINDS, FIELD_KINDS)


def load_munich_forms(folder: Path, *, registry: ParserRegistry) -> EvalDataset:
    """Every filled Meldeschein below `folder`; blank forms (none of the mapped fields
    filled) and PDFs that are no Meldeschein are skipped and named."""
    documents: list[EvalDocument] = []
    skipped: list[str] = []
    for pdf in sorted(folder.rglob("*.pdf")):
        data = pdf.read_bytes()
        values = form_values(data)
        if not any(values.get(name) for name in MELDESCHEIN_FIELDS):
            skipped.append(str(pdf.relative_to(folder)))
            continue
        try:
            text = registry.parse(data).text
        except ParseError as error:
            raise DatasetError(f"{pdf}: {error.reason}") from error
        documents.append(
            EvalDocument(
                id=str(pdf.relative_to(folder)), text=text, expected=meldeschein_fields(values)
            )
        )
    if not documents:
        raise DatasetError(f"{folder}: no filled Munich registration forms (PDF) found")
    return EvalDataset(
        MUNICH_FORMS, str(folder), documents, _FORM_SCORED, _FORM_COMPLETE, tuple(skipped)
    )


def form_values(data: bytes) -> dict[str, str]:
    """Text values of a PDF's AcroForm fields by field name ({} for a PDF without a form)."""
    try:
        fields = PdfReader(io.BytesIO(data)).get_fields() or {}
    except Exception as error:  # pypdf raises many types for broken files
        raise DatasetError(f"form fields could not be read: {error}") from error
    values: dict[str, str] = {}
    for name, field in fields.items():
        value = field.get("/V")
        if field.get("/FT") == "/Tx" and isinstance(value, str) and value.strip():
            values[name] = value.strip()
    return values


def meldeschein_fields(values: Mapping[str, str]) -> LlmFields:
    """The ground truth of one filled Meldeschein, from its form-field values by name."""
    first, family = values.get("vorn1", ""), values.get("fam1", "")
    if family and first.split()[-1:] == [family]:
        family = ""
    name = " ".join(part for part in (first, family) if part) or None
    dates = [
        parsed.isoformat()
        for key in ("gebdat1", "einzug")
        if (parsed := form_date(values.get(key, ""))) is not None
    ]
    return LlmFields(
        sender_name=name,
        sender_street=values.get("neuw.strasse") or None,
        sender_postal_code_city=values.get("nw.plz") or None,
        dates=dates,
    )


def form_date(value: str) -> dt.date | None:
    """A form date written as digits only, day-month-year: DDMMYY or DDMMYYYY."""
    digits = value.strip()
    if not digits.isdigit() or len(digits) not in (6, 8):
        return parse_date(digits) if digits else None
    return parse_date(f"{digits[:2]}.{digits[2:4]}.{digits[4:]}")
