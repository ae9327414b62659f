"""The XLM-R SentencePiece tokenizer, rebuilt as a ``tokenizers`` pipeline from an E5S1 file.

The file carries the unigram vocabulary and a per-codepoint normalisation map instead of
SentencePiece's compiled ``nmt_nfkc`` charsmap. The map is NFKC with a few exceptions, so the
pipeline is: drop control characters, turn odd spaces into ' ', NFKC (shielding the
characters the map deliberately leaves alone), collapse runs of spaces. All three exception
sets are derived from the map itself, so a differently built file fails loudly instead of
tokenising differently.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    normalizers,
    pre_tokenizers,
    processors,
)
from tokenizers import models as tok_models

from triage.modelbuild.e5_format import E5File, E5FormatError

METASPACE = "\u2581"
MASK_TOKEN = "<mask>"
MAX_LENGTH = 512


@dataclass(frozen=True)
class NormalizerPlan:
    dropped: frozenset[int]
    to_space: frozenset[int]
    shielded: tuple[int, ...]


def plan_normalizer(norm_map: dict[int, tuple[int, ...]]) -> NormalizerPlan:
    """Split the file's map into what NFKC already does and the exceptions around it."""
    dropped: set[int] = set()
    to_space: set[int] = set()
    for cp, out in norm_map.items():
        produced = "".join(map(chr, out))
        if produced == unicodedata.normalize("NFKC", chr(cp)):
            continue
        if produced == "":
            dropped.add(cp)
        elif produced == " ":
            to_space.add(cp)
        else:
            raise E5FormatError(f"normalisation of U+{cp:04X} is neither NFKC nor a known rule")
    shielded = []
    for cp in range(0x110000):
        if cp in norm_map or 0xD800 <= cp < 0xE000:
            continue
        char = chr(cp)
        if unicodedata.normalize("NFKC", char) == char:
            continue
        # NFKC changes it but the map omits it: either the character is newer than the map's
        # Unicode tables (rare drift we accept) or, if Unicode 3.2 already had it, it is a
        # deliberate SentencePiece exception (U+FF5E FULLWIDTH TILDE) that must survive NFKC.
        if unicodedata.ucd_3_2_0.category(char) != "Cn":
            shielded.append(cp)
    return NormalizerPlan(frozenset(dropped), frozenset(to_space), tuple(shielded))


def _char_class(codepoints: frozenset[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:X}}}" for cp in sorted(codepoints)) + "]"


def _normalizer(plan: NormalizerPlan) -> normalizers.Normalizer:
    steps: list[normalizers.Normalizer] = []
    if plan.dropped:
        steps.append(normalizers.Replace(Regex(_char_class(plan.dropped)), ""))
    if plan.to_space:
        steps.append(normalizers.Replace(Regex(_char_class(plan.to_space)), " "))
    # Shielded characters hide behind dropped control characters while NFKC runs: NFKC leaves
    # those alone, and the first step has already removed every one the input contained.
    if len(plan.shielded) > len(plan.dropped):
        raise E5FormatError("more characters to shield than stand-ins to hide them behind")
    stand_ins = [chr(cp) for cp in sorted(plan.dropped)[: len(plan.shielded)]]
    for cp, stand_in in zip(plan.shielded, stand_ins, strict=True):
        steps.append(normalizers.Replace(chr(cp), stand_in))
    steps.append(normalizers.NFKC())
    for cp, stand_in in zip(plan.shielded, stand_ins, strict=True):
        steps.append(normalizers.Replace(stand_in, chr(cp)))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(model: E5File) -> Tokenizer:
    head = model.header
    vocab = [(piece, float(score)) for piece, score in zip(model.pieces, model.scores, strict=True)]
    tokenizer = Tokenizer(tok_models.Unigram(vocab, unk_id=head.unk_id, byte_fallback=False))
    tokenizer.normalizer = _normalizer(plan_normalizer(model.norm_map))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=True
    )
    bos, eos = model.pieces[head.bos_id], model.pieces[head.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, head.bos_id), (eos, head.eos_id)],
    )
    specials = [head.bos_id, head.pad_id, head.eos_id, head.unk_id, model.pieces.index(MASK_TOKEN)]
    # Specials match on the raw text, never on normalised pieces, as in XLM-R.
    tokenizer.add_special_tokens(
        [AddedToken(model.pieces[i], special=True, normalized=False) for i in sorted(specials)]
    )
    return tokenizer


def write_tokenizer_files(model: E5File, folder: Path) -> None:
    """``tokenizer.json`` plus a config naming the generic fast class: a model-specific class
    (XLMRobertaTokenizer) makes transformers 5 rebuild the pipeline and lose our normaliser."""
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    pieces, head = model.pieces, model.header
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": pieces[head.bos_id],
        "cls_token": pieces[head.bos_id],
        "eos_token": pieces[head.eos_id],
        "sep_token": pieces[head.eos_id],
        "pad_token": pieces[head.pad_id],
        "unk_token": pieces[head.unk_id],
        "mask_token": MASK_TOKEN,
        "model_max_length": MAX_LENGTH,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
