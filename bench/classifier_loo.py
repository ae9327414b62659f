"""Zero-shot and leave-one-out figures of the similarity classifier on the demo letters.

Usage: .venv/bin/python bench/classifier_loo.py [--threshold 0.5] [--model PATH]
       [--variants max top_k:5 centroid raw-max] [--no-fit] [--per-class]

Loads the default taxonomy and the labelled demo letters, encodes both once, and prints
for each scoring: the zero-shot report (taxonomy only, default temperature) and the
leave-one-out report (taxonomy plus all other letters, temperature cross-fitted by NLL),
each with accuracy, macro-F1, ECE and the share auto-routed at the threshold with its
accuracy. Nothing is downloaded; the model is a local folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from triage.classify import (  # noqa: E402
    DEFAULT_SCORING,
    DEFAULT_TEMPERATURE,
    DEFAULT_TOP_K,
    build_similarity_classifier,
)
from triage.demo import load_demo_letters  # noqa: E402
from triage.embedding import Embedder  # noqa: E402
from triage.evaluation import ClassificationReport, evaluate_vectors  # noqa: E402
from triage.taxonomy import load_default_taxonomy  # noqa: E402

DEFAULT_MODEL = REPO_ROOT / "models" / "multilingual-e5-small"
DEFAULT_VARIANT = (
    f"{DEFAULT_SCORING}:{DEFAULT_TOP_K}" if DEFAULT_SCORING == "top_k" else DEFAULT_SCORING
)


def _print_report(title: str, report: ClassificationReport, *, per_class: bool) -> None:
    print(f"  {title:13s} {report.summary()}")
    if per_class:
        for key in report.classes:
            figures = report.per_class[key]
            if figures.support:
                print(
                    f"      {key:16s} P={figures.precision:.2f} R={figures.recall:.2f} "
                    f"F1={figures.f1:.2f} n={figures.support}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--variants",
        nargs="+",
        default=[DEFAULT_VARIANT],
        help="scorings to compare: max, centroid, top_k:K; prefix raw- to switch off centring",
    )
    parser.add_argument("--no-fit", action="store_true", help="keep the default temperature")
    parser.add_argument("--per-class", action="store_true")
    args = parser.parse_args(argv)

    taxonomy = load_default_taxonomy()
    letters = load_demo_letters()
    texts = [letter.text for letter in letters]
    labels = [letter.case_type for letter in letters]
    started = time.perf_counter()
    embedder = Embedder(model=args.model)
    base = build_similarity_classifier(taxonomy=taxonomy, embedder=embedder)
    vectors = embedder.encode_documents(texts)
    elapsed = time.perf_counter() - started
    print(
        f"{len(letters)} letters, {len(set(labels))} of {len(taxonomy.case_types)} case types; "
        f"model {embedder.model_name}; loaded and encoded in {elapsed:.1f} s; "
        f"threshold {args.threshold:g}; default temperature {DEFAULT_TEMPERATURE:g}"
    )
    for variant in args.variants:
        centering = not variant.startswith("raw-")
        scoring, _, k = variant.removeprefix("raw-").partition(":")
        if scoring not in ("max", "top_k", "centroid"):
            parser.error(f"unknown variant {variant!r}")
        classifier = base.reconfigured(
            scoring=scoring,  # type: ignore[arg-type]
            top_k=int(k) if k else None,
            centering=centering,
        )
        result = evaluate_vectors(
            classifier=classifier,
            vectors=vectors,
            labels=labels,
            threshold=args.threshold,
            fit_temperature=not args.no_fit,
        )
        loo_temperature = "not fitted" if args.no_fit else f"{result.temperature:.4f}"
        print(
            f"{classifier.name}  NLL-fitted temperature: zero-shot "
            f"{result.zero_shot_temperature:.4f}, leave-one-out {loo_temperature}"
        )
        _print_report("zero-shot", result.zero_shot, per_class=args.per_class)
        _print_report("leave-one-out", result.leave_one_out, per_class=args.per_class)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
