"""The classifier against the classic peer on ../shared/data/benchmarks, via `triage eval`.

    .venv/bin/python bench/classifier_benchmarks.py [--sets banking77 clinc150 ...]
        [--out bench-results/classifier]

Each set runs as its own `triage eval --train X_train.csv X_test.csv --json … --report …`
(banking77 also with `--shots 1,4,8,16`), so every figure below comes from the user-facing
command. The script prints one line per set with the bars of issue 4 next to the figures:
macro-F1 and coverage at 95 % precision at least the peer's, ECE <= 0.05, for clinc150
the out-of-scope recall (>= 0.60) and the realised precision (>= 0.95) at the model's own
thresholds, for banking77 8-shot macro-F1 >= peer + 0.10, and the wall time of each run
(embedding both files, training, peer, few-shot).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "benchmarks"
SETS = {
    "gnad10k": ("gnad10k_train.csv", "gnad10k_test.csv"),
    "germeval2017": ("germeval2017_train.csv", "germeval2017_test.csv"),
    "banking77": ("banking77_train.csv", "banking77_test.csv"),
    "clinc150": ("clinc150_train.csv", "clinc150_test_with_oos.csv"),
}


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--out", type=Path, default=Path("bench-results/classifier"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.sets:
        train, test = (DATA / f for f in SETS[name])
        out = args.out / f"{name}.json"
        command = [
            sys.executable, "-m", "triage.cli", "eval", "--train", str(train), str(test),
            "--json", str(out), "--report", str(args.out / name),
        ]  # fmt: skip
        if name == "banking77":
            command += ["--shots", "1,4,8,16"]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        f = json.loads(out.read_text(encoding="utf-8"))
        p = f["peer"]
        line = (
            f"{name:13s} macro-F1 {f['macro_f1']:.3f} (peer {p['macro_f1']:.3f}) "
            f"cov@95 {f['coverage_at_95_precision']:.3f} "
            f"(peer {p['coverage_at_95_precision']:.3f}) "
            f"ECE {f['ece']:.3f} (peer {p['ece']:.3f}) acc {f['accuracy']:.3f} "
            f"train {f['train_seconds']:.0f} s + embedding "
            f"{f['settings']['train_embedding_seconds']:.0f} s, "
            f"{f['predictions_per_second']:.0f} pred/s "
            f"(chunks {f['predictions_per_second_spread'][0]:.0f}–"
            f"{f['predictions_per_second_spread'][1]:.0f}), "
            f"run {wall:.0f} s"
        )
        t = f["at_thresholds"]
        line += f" | own thresholds: coverage {_f(t['coverage'])}, precision {_f(t['precision'])}"
        if f.get("out_of_scope"):
            line += f", OOS recall {f['out_of_scope']['recall']:.3f}"
        for point in f.get("few_shot", []):
            line += (
                f" | {point['shots']}-shot {point['model']['macro_f1']:.3f} "
                f"(peer {point['peer']['macro_f1']:.3f})"
            )
        print(line, flush=True)


if __name__ == "__main__":
    main()
