"""Deterministic field extraction and pseudonymisation on the annotated letters.

    .venv/bin/python bench/fields_benchmark.py [--data bench/data/annotated_letters.jsonl]
        [--errors]

Runs `extract_fields` (patterns only, no LLM; relative deadlines stay undated as in the
annotations) and the `Pseudonymiser` over every letter and prints per-field precision and
recall, micro-averaged figures, and pseudonymisation recall per kind of personal data.
`--errors` also lists each missed or spurious value and each personal-data span that was
not wholly replaced. CPU only, a second or two.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from triage.fields.annotated import load_annotated_letters
from triage.fields.evaluate import (
    FIELD_KINDS,
    field_keys,
    field_scores,
    pseudonymisation_recall,
    same_value,
)
from triage.fields.extract import extract_fields
from triage.fields.pseudonymise import find_personal_data

DATA = Path(__file__).resolve().parent / "data" / "annotated_letters.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args()
    letters = load_annotated_letters(args.data)
    predicted = [extract_fields(letter.text).to_llm_fields() for letter in letters]
    expected = [letter.fields for letter in letters]
    report = field_scores(predicted=predicted, expected=expected)
    print(f"{len(letters)} letters, deterministic extractors only")
    print(f"{'field':26s} {'precision':>9s} {'recall':>7s} {'found':>6s} {'true':>5s}")
    for kind, score in [*report.per_kind.items(), ("all (micro)", report.overall)]:
        print(
            f"{kind:26s} {score.precision:9.3f} {score.recall:7.3f} "
            f"{score.predicted:6d} {score.expected:5d}"
        )
    print(f"micro-F1 {report.primary:.3f}")
    found = [find_personal_data(letter.text) for letter in letters]
    pseudo = pseudonymisation_recall(
        annotated=[letter.personal_data for letter in letters],
        replaced=[[(s.start, s.end) for s in spans] for spans in found],
    )
    print(f"pseudonymisation recall {pseudo.recall:.3f} ({pseudo.replaced}/{pseudo.spans} spans)")
    for kind, (hit, total) in sorted(pseudo.per_kind.items()):
        print(f"  {kind:12s} {hit:3d}/{total:3d}")
    if args.errors:
        for letter, guess, spans in zip(letters, predicted, found, strict=True):
            for kind in FIELD_KINDS:
                p, e = field_keys(guess, kind), field_keys(letter.fields, kind)
                missed = [k for k in e if not any(same_value(x, k) for x in p)]
                spurious = [k for k in p if not any(same_value(k, x) for x in e)]
                if missed or spurious:
                    print(f"{letter.id} {kind}: missed {missed} spurious {spurious}")
            covered = {i for s in spans for i in range(s.start, s.end)}
            for span in letter.personal_data:
                if not all(i in covered for i in range(span.start, span.end)):
                    print(f"{letter.id} personal {span.kind.value}: {span.text!r} not replaced")


if __name__ == "__main__":
    main()
