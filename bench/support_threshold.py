"""Where should the sentence-support threshold of retrieval/truth.py sit?

Reads bench/support_examples.jsonl: sentences written the way an LLM
answers, each with the passage it cites (found by an ``anchor`` string in the
stored chunks) and a label. Every "supported" sentence is also scored against
the passage of the next example with a different anchor: a mis-cited claim,
labelled "unsupported". Prints each score, the two distributions and, per
threshold, how many of each class it classifies right.

    PYTHONPATH=$PWD .venv/bin/python bench/support_threshold.py [--data-dir DIR]

(DIR is a planchat data dir with the corpus ingested; default: the
configured one.)
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from planchat.records import Chunk, Passage
from retrieval.truth import passage_terms, support

EXAMPLES = Path(__file__).with_name("support_examples.jsonl")
THRESHOLDS = [round(0.3 + 0.05 * i, 2) for i in range(13)]


@dataclass
class Scored:
    sentence: str
    anchor: str
    label: str  # "supported" | "unsupported"
    kind: str  # "paraphrase" | "invented" | "mis-cited"
    lang: str
    score: float


def load_examples(path: Path = EXAMPLES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def chunk_with(anchor: str, chunks: list[Chunk]) -> Chunk:
    found = [c for c in chunks if anchor in c.text]
    if not found:
        raise SystemExit(f"no stored chunk holds {anchor!r}: is the corpus ingested?")
    return found[0]


def score_examples(chunks: list[Chunk], examples: list[dict]) -> list[Scored]:
    found = {e["anchor"]: chunk_with(e["anchor"], chunks) for e in examples}
    terms = {anchor: passage_terms(Passage(chunk, 0.0)) for anchor, chunk in found.items()}
    out = []
    for i, e in enumerate(examples):
        lang = e.get("lang", "da")
        kind = "paraphrase" if e["label"] == "supported" else "invented"
        out.append(
            Scored(e["sentence"], e["anchor"], e["label"], kind, lang, support(e["sentence"], terms[e["anchor"]]))
        )
        if e["label"] != "supported":
            continue
        own = found[e["anchor"]].chunk_id  # the next example citing another chunk: a mis-cited claim
        other = next(x["anchor"] for x in examples[i + 1 :] + examples[:i] if found[x["anchor"]].chunk_id != own)
        out.append(Scored(e["sentence"], other, "unsupported", "mis-cited", lang, support(e["sentence"], terms[other])))
    return out


def accuracy(scored: list[Scored], threshold: float) -> tuple[int, int, int, int]:
    """(supported kept, supported total, unsupported refused, unsupported total)."""
    pos = [s for s in scored if s.label == "supported"]
    neg = [s for s in scored if s.label == "unsupported"]
    return (
        sum(s.score >= threshold for s in pos),
        len(pos),
        sum(s.score < threshold for s in neg),
        len(neg),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    from ingest.stores.docstore import DocStore
    from planchat.config import Settings

    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    store = DocStore(settings.docstore_path)
    scored = score_examples(store.chunks(), load_examples())
    for s in sorted(scored, key=lambda s: s.score):
        print(f"{s.score:5.2f}  {s.label:11} {s.kind:10} {s.lang}  {s.sentence[:90]}")
    for lang in ("da", "en"):
        for label in ("supported", "unsupported"):
            values = sorted(s.score for s in scored if s.label == label and s.lang == lang)
            if values:
                print(f"{lang} {label:11} n={len(values):2}  min {values[0]:.2f}  max {values[-1]:.2f}")
    print("threshold  supported kept  unsupported refused")
    for t in THRESHOLDS:
        kept, pos, refused, neg = accuracy(scored, t)
        print(f"{t:9.2f}  {kept:3}/{pos:<3}          {refused:3}/{neg}")


if __name__ == "__main__":
    main()
