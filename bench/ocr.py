"""OCR of scanned pages: seconds per page, and how right the text is.

    .venv/bin/python bench/ocr.py [--out bench/ocr-results.json] [--sweep]

What it measures, with ingest/ocr.py's own PageOcr (pdftoppm -r 300 -gray
-jpeg, tesseract -l dan, OMP_THREAD_LIMIT=1), one page at a time:

- the scanned PDFs in ../shared/pdfs (every PDF with a page without a text
  layer): render and OCR seconds per page, words found;
- the generated Danish plan page (bench/scans.py: DejaVu Serif 11 pt,
  turned 0.7°, grey noise, JPEG 60 % in a PDF): seconds per page, the
  mean word confidence, and the character error rate (CER: edit distance
  / source length, whitespace runs counted as one space) of the OCR text
  against the page's source text; and whether the target figure
  ("145 personer") and its phrase ("… i december 2025") come out verbatim;
- ``--sweep``: the same page scanned worse and worse (more noise, blur,
  smaller type, lower JPEG quality): mean confidence against CER, the
  measurement behind PLANCHAT_OCR_MIN_CONFIDENCE.

Nothing is asserted; timings depend on the machine and what else runs on it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scans import THISTED_FIGURE, THISTED_PHRASE, Scan, page_text, scanned_pdf  # noqa: E402

from planchat.config import REPO_ROOT  # noqa: E402

PDF_DIR = REPO_ROOT.parent / "shared" / "pdfs"
# Tesseract holds up until the noise drowns the letters, then falls off a cliff: the
# steps between noise 55 and 60 are where confidence and CER part ways.
SWEEP = (
    ("clean page", Scan(rotation=0.0, noise=0.0, quality=90)),
    ("office scan (the test page)", Scan()),
    ("blur 2.5 + noise 20", Scan(blur=2.5, noise=20.0)),
    ("9 pt, noise 40, JPEG 30", Scan(points=9.0, noise=40.0, quality=30)),
    ("noise 50", Scan(noise=50.0)),
    ("noise 55", Scan(noise=55.0)),
    ("noise 57", Scan(noise=57.0)),
    ("noise 58", Scan(noise=58.0)),
    ("noise 59", Scan(noise=59.0)),
    ("noise 60", Scan(noise=60.0)),
    ("4.5 pt, noise 20", Scan(points=4.5, noise=20.0)),  # right words, a paragraph read out of order
    ("7 pt, blur 1.5, noise 40", Scan(points=7.0, blur=1.5, noise=40.0)),  # junk, and slow
)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(recognised: str, source: str) -> float:
    """Character error rate of ``recognised`` against ``source``, whitespace runs as one space."""
    a, b = (re.sub(r"\s+", " ", t).strip() for t in (recognised, source))
    return edit_distance(a, b) / max(1, len(b))


def read_pdf(data: bytes, workdir: Path) -> list[dict]:
    """Render + OCR every page of the PDF, timed: one row per page."""
    import io

    from pypdf import PdfReader

    from ingest.ocr import PageOcr

    ocr = PageOcr(timeout_s=300)  # measure every page to its end; ingest gives up at PLANCHAT_OCR_PAGE_TIMEOUT_S
    pdf = workdir / "input.pdf"
    pdf.write_bytes(data)
    rows = []
    for number in range(1, len(PdfReader(io.BytesIO(data)).pages) + 1):
        began = time.perf_counter()
        page = ocr.read_page(pdf, number, workdir)
        rows.append({"page": number, "seconds": round(time.perf_counter() - began, 3), "words": page.words,
                     "confidence": page.confidence, "text": page.text})  # fmt: skip
    return rows


def scanned_shared_pdfs(workdir: Path) -> list[dict]:
    import io

    from pypdf import PdfReader

    import ingest.loaders  # noqa: F401  (quiets pypdf's font warnings, as at ingest)

    out = []
    for path in sorted(PDF_DIR.glob("*.pdf")):
        try:
            reader = PdfReader(io.BytesIO(path.read_bytes()))
            if reader.is_encrypted or all((p.extract_text() or "").strip() for p in reader.pages):
                continue
        except Exception:  # damaged or empty files are not scans
            continue
        for row in read_pdf(path.read_bytes(), workdir):
            out.append({"file": path.name, **{k: v for k, v in row.items() if k != "text"}, "text": row["text"]})
    return out


def generated(scan: Scan, workdir: Path) -> dict:
    (row,) = read_pdf(scanned_pdf(scan=scan), workdir)
    return {
        "seconds": row["seconds"], "words": row["words"], "confidence": row["confidence"],
        "cer": round(cer(row["text"], page_text()), 4), "figure_found": THISTED_FIGURE in row["text"],
        "phrase_verbatim": THISTED_PHRASE in row["text"],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="write the numbers as JSON here")
    parser.add_argument("--sweep", action="store_true", help="also scan the page worse and worse (confidence vs CER)")
    args = parser.parse_args()
    from ingest.ocr import PageOcr

    missing = PageOcr().unavailable()
    if missing:
        print(missing)
        return 1
    result: dict = {}
    with tempfile.TemporaryDirectory(prefix="planchat-bench-ocr-") as tmp:
        work = Path(tmp)
        shared = scanned_shared_pdfs(work)
        result["shared_scans"] = shared
        for row in shared:
            print(f"{row['file']} p{row['page']}: {row['seconds']:.2f} s, {row['words']} words {row['text'][:40]!r}")
        runs = [generated(Scan(), work) for _ in range(3)]
        page = {**runs[0], "seconds": sorted(r["seconds"] for r in runs)[1]}  # the median of three
        result["generated_page"] = page
        print(f"generated page: {page['seconds']:.2f} s/page ({1 / page['seconds']:.2f} pages/s), "
              f"confidence {page['confidence']}, CER {page['cer']:.2%}, figure {THISTED_FIGURE!r} found: "
              f"{page['figure_found']}, {THISTED_PHRASE!r} verbatim: {page['phrase_verbatim']}")  # fmt: skip
        if args.sweep:
            result["sweep"] = []
            for label, scan in SWEEP:
                row = {"scan": label, **generated(scan, work)}
                result["sweep"].append(row)
                print(
                    f"  {label:36} confidence {row['confidence']!s:>5}  CER {row['cer']:7.2%}  {row['seconds']:.2f} s"
                )
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
