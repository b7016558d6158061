"""Ingest throughput on real PDFs: pages/s and chunks/s (a stage of bench/run.py).

    .venv/bin/python bench/pdf_ingest.py [--embedder e5-torch]

The seed corpus is plain text, so it has no pages to count. This stage
ingests every PDF in ``../shared/pdfs`` (the real-world robustness set:
columns, tables, ligatures, page labels; encrypted, scanned and damaged
files are refused with their 4xx code, as in the API) into a fresh index
with a new, empty embedding cache, one file at a time through
``PlanIndex.ingest_bytes`` (what ``POST /v1/documents`` runs), and reports:

- ``parse``: ``load_bytes`` + ``clean`` + ``chunk_document`` alone, per
  accepted file (the PDF work, no model);
- ``end to end``: the whole ingest including embedding, Chroma, the document
  store and BM25;
- pages/s and chunks/s of both, and the refused files with their code.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BenchSettings  # noqa: E402

from planchat.config import DEFAULT_EMBEDDER, REPO_ROOT  # noqa: E402

PDF_DIR = REPO_ROOT.parent / "shared" / "pdfs"


def bench_pdf_ingest(workdir: Path, embedder: str, pdf_dir: Path = PDF_DIR) -> dict:
    from ingest.chunk import chunk_document
    from ingest.clean import clean
    from ingest.index import PlanIndex
    from ingest.loaders import load_bytes
    from planchat.errors import PlanchatError
    from planchat.records import DocumentMeta

    files = sorted(pdf_dir.glob("*.pdf"))
    if not files:
        return {"error": f"no PDFs in {pdf_dir}"}
    settings = BenchSettings(
        data_dir=workdir / "pdf-data", corpus_dir=REPO_ROOT / "corpus", embedder=embedder,
        embedding_cache=None, chroma_url="", retrieval_mode="hybrid",
    )  # fmt: skip
    index = PlanIndex(settings)
    rows, refused = [], []
    for i, path in enumerate(files):
        data = path.read_bytes()
        meta = DocumentMeta(doc_id=f"pdf-{i:02d}", municipality=f"Testby{i:02d}", year=2000 + i, title=path.stem,
                            source=f"pdfs/{path.name}")  # fmt: skip
        try:
            began = time.perf_counter()
            chunks = chunk_document(clean(load_bytes(data, path.name)), meta, max_tokens=settings.chunk_tokens)
            parse_s = time.perf_counter() - began
            began = time.perf_counter()
            report = index.ingest_bytes(data, path.name, meta)
            total_s = time.perf_counter() - began
        except PlanchatError as exc:
            refused.append({"file": path.name, "code": exc.code})
            continue
        rows.append({"file": path.name, "pages": report.pages, "chunks": report.chunks, "parse_chunks": len(chunks),
                     "parse_s": round(parse_s, 3), "total_s": round(total_s, 3)})  # fmt: skip
    pages = sum(r["pages"] or 0 for r in rows)
    chunks = sum(r["chunks"] for r in rows)
    parse_s = sum(r["parse_s"] for r in rows)
    total_s = sum(r["total_s"] for r in rows)
    return {
        "files": len(files),
        "accepted": len(rows),
        "pages": pages,
        "chunks": chunks,
        "parse_s": round(parse_s, 2),
        "parse_pages_per_s": round(pages / parse_s, 1) if parse_s else None,
        "total_s": round(total_s, 2),
        "pages_per_s": round(pages / total_s, 2) if total_s else None,
        "chunks_per_s": round(chunks / total_s, 2) if total_s else None,
        "per_file": rows,
        "refused": refused,
    }


def render(p: dict) -> list[str]:
    if "error" in p:
        return [f"ingest real PDFs: {p['error']}"]
    return [
        f"ingest real PDFs (../shared/pdfs: {p['accepted']} of {p['files']} accepted, empty embedding cache)",
        f"  parse+clean+chunk    {p['parse_s']:8.2f} s   {p['pages']} pages, {p['parse_pages_per_s']} pages/s",
        f"  end to end           {p['total_s']:8.2f} s   {p['pages_per_s']} pages/s, {p['chunks']} chunks, "
        f"{p['chunks_per_s']} chunks/s",
        "  refused              " + ", ".join(f"{r['file']} ({r['code']})" for r in p["refused"]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="planchat-pdf-bench-") as tmp:
        result = bench_pdf_ingest(Path(tmp), args.embedder)
    print("\n".join(render(result)))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    raise SystemExit(main())
