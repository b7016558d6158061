"""Every real-world PDF in ../shared/pdfs through the whole ingest
(PlanIndex.ingest_bytes, hash embedder, real embedded Chroma): it is
ingested with exact pages, chunks and a searchable phrase, or refused with
its exact error class, code, HTTP status and message (tests/expected.py
REAL_PDF_OUTCOMES, shared with the upload API's tests). The two scanned
PDFs are read by OCR (ingest/ocr.py), which finds no words on them.

All 13 files go into one index, built once for the module (the 117-page
GeoTopo PDF is the slow one)."""

from __future__ import annotations

import pytest
from conftest import make_settings, ocr_missing
from expected import REAL_PDF_OUTCOMES, SCANNED_PDFS

from ingest.index import PlanIndex
from planchat.danish import analyze
from planchat.errors import DocumentError, EmptyDocument, EncryptedDocument, NoTextLayer
from planchat.records import DocumentMeta, Passage
from retrieval.truth import citation_for

ERROR_CLASSES = {
    "pp-empty.pdf": EmptyDocument,
    "pp-password-example.pdf": EncryptedDocument,
    "sf-005-libreoffice-writer-password.pdf": EncryptedDocument,
    "sf-007-imagemagick-CCITTFaxDecode.pdf": NoTextLayer,
    "sf-017-unreadablemetadata.pdf": DocumentError,
    "sf-019-grayscale-image.pdf": NoTextLayer,
}


def doc_id(name: str) -> str:
    return name.removesuffix(".pdf").lower()


@pytest.fixture(scope="module")
def ingested(shared_pdfs, tmp_path_factory):
    """(index, {file name: IngestReport or the DocumentError raised})."""
    index = PlanIndex(make_settings(tmp_path_factory.mktemp("real-pdfs")))
    outcomes = {}
    for path in sorted(shared_pdfs.glob("*.pdf")):
        meta = DocumentMeta(
            doc_id=doc_id(path.name), municipality="Testby", year=2020, title=path.stem, source=path.name
        )
        try:
            outcomes[path.name] = index.ingest_bytes(path.read_bytes(), path.name, meta)
        except DocumentError as exc:
            outcomes[path.name] = exc
    return index, outcomes


def test_the_table_covers_every_shared_pdf(shared_pdfs):
    assert sorted(p.name for p in shared_pdfs.glob("*.pdf")) == sorted(REAL_PDF_OUTCOMES)
    assert sorted(ERROR_CLASSES) == sorted(n for n, o in REAL_PDF_OUTCOMES.items() if o["status"] != "added")


@pytest.mark.parametrize("name", sorted(n for n, o in REAL_PDF_OUTCOMES.items() if o["status"] == "added"))
def test_pdf_is_ingested(ingested, name):
    index, outcomes = ingested
    expected = REAL_PDF_OUTCOMES[name]
    report = outcomes[name]
    assert (report.status, report.pages, report.chunks, report.empty_pages) == (
        expected["status"],
        expected["pages"],
        expected["chunks"],
        expected["empty_pages"],
    )
    chunks = index.docstore.chunks(doc_id(name))
    assert len(chunks) == expected["chunks"]
    # The phrase is verbatim in a chunk (one per page in pp-issue-848, whose
    # 8 pages are alike), and BM25 ranks such a chunk first.
    holding = [c for c in chunks if expected["phrase"] in c.text]
    assert len(holding) == (8 if name == "pp-issue-848.pdf" else 1)
    hits = index.bm25.search(analyze(expected["phrase"]), k=3, allowed={c.chunk_id for c in chunks})
    assert hits[0][0] in {c.chunk_id for c in holding}
    assert chunks[0].page_label == expected.get("page_label")
    assert holding[0].page_label == expected.get("phrase_page_label")


@pytest.mark.parametrize("name", sorted(ERROR_CLASSES))
def test_pdf_is_refused(ingested, name):
    if name in SCANNED_PDFS and ocr_missing():
        pytest.skip(f"the scanned PDFs' outcome is after OCR: {ocr_missing()}")
    index, outcomes = ingested
    expected = REAL_PDF_OUTCOMES[name]
    error = outcomes[name]
    assert type(error) is ERROR_CLASSES[name]
    assert (error.status, error.code, error.message) == (expected["status"], expected["code"], expected["message"])
    assert doc_id(name) not in index.documents


def test_only_labelled_pdfs_have_page_labels(ingested):
    index, _ = ingested
    labelled = {c.doc_id for c in index.docstore.chunks() if c.page_label is not None}
    assert labelled == {"sf-009-geotopo-komprimiert"}


def test_a_citation_carries_the_printed_page_label(ingested):
    index, _ = ingested
    phrase = REAL_PDF_OUTCOMES["sf-009-GeoTopo-komprimiert.pdf"]["phrase"]
    (chunk,) = [c for c in index.docstore.chunks("sf-009-geotopo-komprimiert") if phrase in c.text]
    start = chunk.text.index(phrase)
    citation = citation_for(1, Passage(chunk=chunk, score=1.0), start, start + len(phrase), "evidence")
    # Physical page 6 is printed as "3" (after the roman front matter i-iii).
    assert (citation.page, citation.page_label, citation.quote) == (6, "3", phrase)
    assert index.docstore.clean_text(chunk.doc_id)[citation.start : citation.end] == phrase


def test_pypdf_font_warnings_do_not_flood_the_log(shared_pdfs, caplog):
    # Without ingest/loaders.py lowering pypdf's logger, this one upload logs
    # 2,817 warnings about fonts pypdf cannot fully decode (and recovers from).
    import logging

    from ingest.loaders import load_bytes

    with caplog.at_level(logging.WARNING):
        loaded = load_bytes((shared_pdfs / "sf-009-GeoTopo-komprimiert.pdf").read_bytes(), "geotopo.pdf")
    assert len(loaded.pages) == 117
    assert [r.getMessage()[:80] for r in caplog.records if r.name.startswith("pypdf")] == []
