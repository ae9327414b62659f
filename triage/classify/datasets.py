"""Labelled documents from files: CSV or JSON Lines with ``text`` and ``label``, or a folder
with one sub-folder per case type holding documents in any format the service parses."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from triage.parsing import ParseError, ParserRegistry


class DatasetError(Exception):
    """Labelled data that cannot be read, with the file and the reason."""


@dataclass(frozen=True)
class LabelledTexts:
    texts: list[str]
    labels: list[str]
    references: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.labels)


def _check(rows: list[tuple[str, str, str]], source: Path) -> LabelledTexts:
    if not rows:
        raise DatasetError(f"{source}: no labelled examples")
    return LabelledTexts(
        texts=[r[0] for r in rows],
        labels=[r[1] for r in rows],
        references=[r[2] for r in rows],
        source=str(source),
    )


def _row(text: object, label: object, where: str) -> tuple[str, str]:
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: empty or missing text")
    if not isinstance(label, str) or not label.strip():
        raise DatasetError(f"{where}: empty or missing label")
    return text, label.strip()


def read_csv(path: Path) -> LabelledTexts:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    rows: list[tuple[str, str, str]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "label"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(
                f"{path}: the header needs the columns text and label "
                f"(missing: {', '.join(sorted(missing))})"
            )
        for line, record in enumerate(reader, start=2):
            text, label = _row(record.get("text"), record.get("label"), f"{path}:{line}")
            rows.append((text, label, f"{path.name}:{line}"))
    return _check(rows, path)


def read_jsonl(path: Path) -> LabelledTexts:
    rows: list[tuple[str, str, str]] = []
    with path.open(encoding="utf-8") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{line}: not JSON ({exc.msg})") from exc
            if not isinstance(record, dict):
                raise DatasetError(f"{path}:{line}: expected an object with text and label")
            text, label = _row(record.get("text"), record.get("label"), f"{path}:{line}")
            rows.append((text, label, f"{path.name}:{line}"))
    return _check(rows, path)


def read_folder(path: Path, *, registry: ParserRegistry) -> LabelledTexts:
    """Each sub-folder's name is the label of the documents in it (hidden files skipped).
    A document that cannot be parsed is an error naming it: silently dropping training
    data would bias the model."""
    rows: list[tuple[str, str, str]] = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for file in sorted(folder.rglob("*")):
            if not file.is_file() or file.name.startswith("."):
                continue
            try:
                parsed = registry.parse(file.read_bytes())
            except ParseError as exc:
                raise DatasetError(f"{file}: {exc.reason}") from exc
            if not parsed.text.strip():
                raise DatasetError(f"{file}: no text found")
            rows.append((parsed.text, folder.name, str(file.relative_to(path))))
    return _check(rows, path)


def read_labelled(path: Path, *, registry: ParserRegistry | None = None) -> LabelledTexts:
    """Read ``path`` by its kind: a folder, ``.jsonl``/``.ndjson``, or CSV."""
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    if path.is_dir():
        if registry is None:
            raise DatasetError("reading a folder of documents needs the parsers")
        return read_folder(path, registry=registry)
    if path.suffix.lower() in {".jsonl", ".ndjson"}:
        return read_jsonl(path)
    return read_csv(path)
