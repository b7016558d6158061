"""Target extraction against the hand-labelled gold set (evals/targets.jsonl).

A label and an extracted target match when they come from the same document,
have the same value, and the extracted quote overlaps an occurrence of the
label's quote in the clean text (so the same number elsewhere does not
count). Matching is one-to-one, nearest occurrence first. Precision and
recall count every label, "unsure" ones included; the attribute scores
(unit, direction, change, target year, baseline) are over matched pairs.

    planchat eval-targets [evals/targets.jsonl] [--json FILE] [--show-misses]
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from planchat.errors import InvalidRequest
from planchat.records import Target

DEFAULT_LABELS = Path(__file__).resolve().parent / "targets.jsonl"
LABEL_KEYS = {
    "id",
    "doc_id",
    "municipality",
    "plan_year",
    "target_year",
    "target_period",
    "indicator",
    "value",
    "unit",
    "direction",
    "change",
    "baseline",
    "quote",
    "confidence",
}
# The label vocabulary is coarser than the extractor's: these units are "antal" there.
COARSE_UNITS = {
    "timer": "antal",
    "samtaler": "antal",
    "placering": "antal",
    "jobordrer": "antal",
    "stillinger": "antal",
}


@dataclass
class TargetScores:
    labels: int
    extracted: int
    matched: int
    precision: float
    recall: float
    f1: float
    attribute_accuracy: dict[str, float]
    per_document: dict[str, dict[str, int]]
    misses: list[dict] = field(default_factory=list)  # labels nothing matched
    false_positives: list[dict] = field(default_factory=list)  # extracted targets no label matched
    wrong_attributes: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def load_labels(path: Path) -> list[dict]:
    if not path.is_file():
        raise InvalidRequest(f"{path}: no such file. The gold set is evals/targets.jsonl.")
    labels = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidRequest(f"{path}:{n}: not JSON ({exc.msg}).") from None
        missing = LABEL_KEYS - set(record)
        if missing:
            raise InvalidRequest(f"{path}:{n}: missing {', '.join(sorted(missing))}.")
        labels.append(record)
    return labels


def _occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    out, pos = [], text.find(quote)
    while pos >= 0:
        out.append((pos, pos + len(quote)))
        pos = text.find(quote, pos + 1)
    return out


def _distance(target: Target, spans: list[tuple[int, int]]) -> int | None:
    best = None
    for start, end in spans:
        if target.start < end and start < target.end:
            d = abs(target.start - start)
            best = d if best is None else min(best, d)
    return best


def score_targets(targets: list[Target], labels: list[dict], clean_texts: dict[str, str]) -> TargetScores:
    pairs = []
    for li, label in enumerate(labels):
        spans = _occurrences(clean_texts.get(label["doc_id"], ""), label["quote"])
        for ti, target in enumerate(targets):
            if target.doc_id != label["doc_id"] or abs(target.value - float(label["value"])) > 1e-9:
                continue
            d = _distance(target, spans)
            if d is not None:
                pairs.append((d, li, ti))
    matched_labels, matched_targets, matches = set(), set(), []
    for _, li, ti in sorted(pairs):
        if li in matched_labels or ti in matched_targets:
            continue
        matched_labels.add(li)
        matched_targets.add(ti)
        matches.append((li, ti))

    checks = {
        "unit": lambda t, label: COARSE_UNITS.get(t.unit, t.unit) == label["unit"],
        "direction": lambda t, label: t.direction == label["direction"],
        "change": lambda t, label: t.change == label["change"],
        "target_year": lambda t, label: t.target_year == label["target_year"],
        "baseline": lambda t, label: t.baseline == (None if label["baseline"] is None else float(label["baseline"])),
    }
    correct = {name: 0 for name in checks}
    wrong = []
    for li, ti in matches:
        label, target = labels[li], targets[ti]
        bad = [name for name, ok in checks.items() if not ok(target, label)]
        for name in checks:
            correct[name] += name not in bad
        if bad:
            wrong.append({"id": label["id"], "wrong": {n: [getattr(target, n), label[n]] for n in bad}})

    per_doc: dict[str, dict[str, int]] = {}
    for label in labels:
        per_doc.setdefault(label["doc_id"], {"labels": 0, "extracted": 0, "matched": 0})["labels"] += 1
    for target in targets:
        per_doc.setdefault(target.doc_id, {"labels": 0, "extracted": 0, "matched": 0})["extracted"] += 1
    for li, _ in matches:
        per_doc[labels[li]["doc_id"]]["matched"] += 1

    precision = len(matches) / len(targets) if targets else 0.0
    recall = len(matches) / len(labels) if labels else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return TargetScores(
        labels=len(labels),
        extracted=len(targets),
        matched=len(matches),
        precision=round(precision, 3),
        recall=round(recall, 3),
        f1=round(f1, 3),
        attribute_accuracy={n: round(c / len(matches), 3) if matches else 0.0 for n, c in correct.items()},
        per_document=dict(sorted(per_doc.items())),
        misses=[
            {k: labels[li][k] for k in ("id", "value", "unit", "direction", "confidence", "quote")}
            for li in range(len(labels))
            if li not in matched_labels
        ],
        false_positives=[
            {"target_id": t.target_id, "value": t.value, "unit": t.unit, "direction": t.direction, "quote": t.quote}
            for ti, t in enumerate(targets)
            if ti not in matched_targets
        ],
        wrong_attributes=wrong,
    )


def format_scores(scores: TargetScores, show_misses: bool = False) -> str:
    lines = [
        f"labels {scores.labels}  extracted {scores.extracted}  matched {scores.matched}",
        f"precision {scores.precision:.3f}  recall {scores.recall:.3f}  F1 {scores.f1:.3f}",
        "attributes (over matched): "
        + "  ".join(f"{name} {value:.3f}" for name, value in scores.attribute_accuracy.items()),
        "",
        f"{'document':40} {'labels':>6} {'found':>6} {'matched':>7}",
    ]
    for doc_id, row in scores.per_document.items():
        lines.append(f"{doc_id:40} {row['labels']:>6} {row['extracted']:>6} {row['matched']:>7}")
    if show_misses:
        lines.append("")
        for miss in scores.misses:
            lines.append(
                f"missed  {miss['id']} ({miss['value']} {miss['unit']}, {miss['confidence']}): {miss['quote'][:110]}"
            )
        for fp in scores.false_positives:
            lines.append(f"extra   {fp['target_id']} ({fp['value']} {fp['unit']}): {fp['quote'][:110]}")
        for row in scores.wrong_attributes:
            lines.append(f"wrong   {row['id']}: {row['wrong']}")
    return "\n".join(lines)


def main(args, settings) -> int:
    from ingest.corpus import ensure_corpus, open_index

    index = open_index(settings)
    if index.is_empty():
        ensure_corpus(settings, index, quiet=True)
    labels = load_labels(args.labels)
    docs = sorted({label["doc_id"] for label in labels})
    missing = [d for d in docs if d not in index.documents]
    if missing:
        raise InvalidRequest(f"the index lacks {', '.join(missing)}; run `planchat ingest` first.")
    # The labelled documents and every corpus document (one with no label still counts for precision).
    from ingest.manifest import read_manifest

    corpus = {meta.doc_id for meta, _ in read_manifest(settings.corpus_dir)}
    scope = sorted((set(docs) | corpus) & set(index.documents))
    targets = [t for d in scope for t in index.targets(d)]
    texts = {d: index.docstore.clean_text(d) or "" for d in scope}
    scores = score_targets(targets, labels, texts)
    print(format_scores(scores, show_misses=args.show_misses))
    if args.json_out:
        args.json_out.write_text(json.dumps(scores.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return 0
