"""False alarms and hits of the prompt-injection guard (triage.llm.guard).

    .venv/bin/python bench/injection_guard_benchmark.py [--data ../shared/data/benchmarks]

False alarms: texts of the labelled benchmark sets (citizens' feedback, news, banking and
assistant requests; none written to attack) in which the guard finds a sentence. Hits: the
annotated letters flagged ``prompt_injection`` whose injected sentence the guard finds.
Deterministic, so one run is the figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from triage.fields.annotated import load_annotated_letters
from triage.llm.guard import find_instructions

ROOT = Path(__file__).resolve().parents[1]
SETS = (
    "germeval2017_train.csv",
    "germeval2017_test.csv",
    "gnad10k_train.csv",
    "gnad10k_test.csv",
    "banking77_test.csv",
    "clinc150_test_with_oos.csv",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/benchmarks")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    csv.field_size_limit(sys.maxsize)

    figures: dict[str, object] = {}
    for name in SETS:
        path = args.data / name
        if not path.is_file():
            print(f"{name}: not found, skipped")
            continue
        with path.open(newline="", encoding="utf-8") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)]
        flagged = [text for text in texts if find_instructions(text)]
        figures[name] = {"texts": len(texts), "flagged": len(flagged)}
        print(f"{name}: {len(flagged)} of {len(texts)} texts flagged")
        for text in flagged[:5]:
            print("   ", [s.text[:120] for s in find_instructions(text)])

    letters = load_annotated_letters(ROOT / "bench/data/annotated_letters.jsonl")
    injected = [a for a in letters if a.prompt_injection]
    found = [a.id for a in injected if find_instructions(a.text)]
    clean_flagged = [a.id for a in letters if not a.prompt_injection and find_instructions(a.text)]
    figures["annotated_letters"] = {
        "injected": len(injected),
        "found": len(found),
        "false_alarms": clean_flagged,
    }
    print(
        f"annotated letters: guard found {len(found)} of {len(injected)} injected sentences; "
        f"false alarms in {len(clean_flagged)} of {len(letters) - len(injected)} other letters"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
