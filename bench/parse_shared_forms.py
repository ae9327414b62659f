"""Parse every real Hamburg PDF form in the shared data set and report how each one fares.

Usage: .venv/bin/python bench/parse_shared_forms.py [FORMS_DIR]

Runs without OCR, as a deployment without Tesseract would. The forms are read in place;
nothing is copied into the repository.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from triage.parsing import ParseError, build_default_registry

DEFAULT_DIR = (
    Path(__file__).resolve().parents[2] / "shared/data/hamburg_forms_and_service_pages/pdf_forms"
)


def main(argv: list[str]) -> int:
    forms_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_DIR
    paths = sorted(forms_dir.glob("*.pdf"))
    if not paths:
        print(f"no PDFs found in {forms_dir}", file=sys.stderr)
        return 2
    registry = build_default_registry(ocr=None)
    parsed = 0
    started = time.perf_counter()
    print(f"{'file':<60} {'result':<20} {'chars':>7} {'fields':>7} {'filled':>7}  lang")
    for path in paths:
        try:
            document = registry.parse(path.read_bytes())
        except ParseError as exc:
            print(f"{path.name[:60]:<60} {exc.code:<20} {'-':>7} {'-':>7} {'-':>7}  {exc.reason}")
            continue
        parsed += 1
        fields = document.metadata.get("form_fields", "0")
        filled = document.metadata.get("form_fields_filled", "0")
        print(
            f"{path.name[:60]:<60} {'ok':<20} {len(document.text):>7} {fields:>7} {filled:>7}"
            f"  {document.language or '-'}"
        )
    elapsed = time.perf_counter() - started
    print(f"parsed {parsed}/{len(paths)} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
