"""Exact outcomes for the Word and HTML documents (issue 16), as tests/expected.py
pins them for the PDFs: what each loads to, its headings and lists, or the
HTTP status, error code and message it is refused with. The files are in
tests/fixtures/documents (made by bench/document_fixtures.py) or made by the
tests themselves (python-docx, inline HTML)."""

from planchat.config import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "documents"

_WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_SAVE_AS = "Open it in Word or LibreOffice, save it as .docx or PDF and upload that."
_NOT_WORD = (
    "this is not a Word document (a .docx is a zip archive holding word/document.xml). "
    "Save it from Word or LibreOffice as .docx and try again."
)


def _refused(status: int, code: str, message: str) -> dict:
    return {"status": status, "code": code, "message": message}


# A page as an editor leaves it: a bold run over a heading's end, <i>/<b> crossed, unclosed <li>, <p>,
# <td> and <h3>, </h3> closing an <h2>, a <div> inside a <p>. Lexbor repairs it as browsers do.
BROKEN_NESTING = (
    "<html><body><h1>Beskæftigelsesplan <b>2025</h1>"
    "<p>Første afsnit <i>kursiv <b>fed</i> stadig fed</b> slut."
    "<ul><li>Et<li>To<p>afsnit i punkt</ul>"
    "<h2>Mål</h3>"
    "<p>Langtidsledige skal ned på 350 personer.<div>Ny blok</p> efter</div>"
    "<table><tr><td>Indikator<td>Mål<tr><td>Ledige<td>350</table>"
    "<h3>Slut"
)
# In tests/fixtures/documents/jammerbugt-2014.html and never in what it loads to.
SEED_PAGE_BOILERPLATE = (
    "Jammerbugt Kommune bruger cookies", "Tillad alle", "Gå til indhold", "Politik og indflydelse", "Søg",
    "Brødkrumme", "Sidst opdateret 12. december 2013", "Relaterede sider", "Tlf. 72 57 77 77", "Toftevej 43",
    "Cookiepolitik", "dataLayer", ".cookie-banner",
)  # fmt: skip

DOCUMENT_OUTCOMES = {
    # tests/ingest/test_loaders_docx.py word_plan(): python-docx, with a Word-style text box, a header and a footer.
    "python-docx": {
        "media_type": _WORD,
        "loaded": (
            "# Beskæftigelsesplan 2025\n\n# 1. Indledning\n\n"
            "Planen sætter mål for R&amp;D-samarbejdet og for &lt;b&gt;-mærkede indsatser.\n\n"
            "Faktaboks: 2.140 borgere fik job i 2024.\n\n"
            "Målet er 25 % færre langtidsledige i 2025.¹\n\n"
            "## Indsatser for unge\n\nJobcentret vil:\n\n"
            "• tilbyde alle unge en samtale inden for en uge\n• samarbejde med erhvervsskolerne\n\n"
            "1. Kortlægning af ledige\n2. Opfølgning hver tredje måned\n\n"
            "Indikator og status\tMål 2025\nLangtidsledige\t410\t350\nUnge på ydelse\t120\t95\n\n"
            "Vidste du? Halvdelen af de ledige er over 50 år.\n\n"
            "Tabellen viser status og mål.\n"
        ),
        # The cleaner joins "1. Kortlægning af ledige" + "2. …" as it would in a .txt (an open-ended line
        # before a figure is a wrapped line there); the outline still reads them as two items.
        "clean": (
            "Beskæftigelsesplan 2025\n\n1. Indledning\n\n"
            "Planen sætter mål for R&D-samarbejdet og for ＜b>-mærkede indsatser.\n\n"
            "Faktaboks: 2.140 borgere fik job i 2024.\n\n"
            "Målet er 25 % færre langtidsledige i 2025.¹\n\n"
            "Indsatser for unge\n\nJobcentret vil:\n\n"
            "• tilbyde alle unge en samtale inden for en uge\n• samarbejde med erhvervsskolerne\n\n"
            "1. Kortlægning af ledige 2. Opfølgning hver tredje måned\n\n"
            "Indikator og status | Mål 2025\nLangtidsledige | 410 | 350\nUnge på ydelse | 120 | 95\n\n"
            "Vidste du? Halvdelen af de ledige er over 50 år.\n\n"
            "Tabellen viser status og mål."
        ),
        "headings": [("Beskæftigelsesplan 2025", 1), ("1. Indledning", 1), ("Indsatser for unge", 2)],
        "lists": [
            ["tilbyde alle unge en samtale inden for en uge", "samarbejde med erhvervsskolerne"],
            ["Kortlægning af ledige", "Opfølgning hver tredje måned"],
        ],
    },
    # LibreOffice 7.4's export of libreoffice-plan.fodt: its text frame is in the XML twice (shape + fallback).
    "libreoffice-plan.docx": {
        "media_type": _WORD,
        "clean": (
            "Beskæftigelsesplan 2025 for Odder Kommune\n\n"
            "Beskæftigelsesplanen fastlægger jobcentrets mål og indsatser for 2025.\n\n"
            "Faktaboks: I 2024 var 1.250 borgere ledige i Odder.\n\n"
            "Indsatser for unge\n\nJobcentret vil:\n\n"
            "• tilbyde alle unge en samtale inden for en uge\n"
            "• samarbejde med erhvervsskolerne om praktikpladser\n"
            "• følge op på unge, der falder fra en uddannelse\n\n"
            "Mål for 2025\n\nMålene er:\n\n"
            "1. Flere unge skal i uddannelse.\n2. Færre skal være langtidsledige.\n\n"
            "Indikator | Status 2024 | Mål 2025\nLangtidsledige | 410 | 350\n\n"
            "Antallet af langtidsledige i Odder skal ned på 350 personer i december 2025."
        ),
        "headings": [("Beskæftigelsesplan 2025 for Odder Kommune", 1), ("Indsatser for unge", 2), ("Mål for 2025", 2)],
        "lists": [
            [
                "tilbyde alle unge en samtale inden for en uge",
                "samarbejde med erhvervsskolerne om praktikpladser",
                "følge op på unge, der falder fra en uddannelse",
            ],
            ["Flere unge skal i uddannelse.", "Færre skal være langtidsledige."],
        ],
    },
    "broken-nesting.html": {
        "loaded": (
            "# Beskæftigelsesplan 2025\n\nFørste afsnit kursiv fed stadig fed slut.\n\n• Et\n• To\n\n"
            "afsnit i punkt\n\n## Mål\n\nLangtidsledige skal ned på 350 personer.\n\nNy blok\n\nefter\n\n"
            "Indikator\tMål\nLedige\t350\n\n### Slut\n"
        ),
        "headings": [("Beskæftigelsesplan 2025", 1), ("Mål", 2), ("Slut", 3)],
        "lists": [["Et", "To\n\nafsnit i punkt"]],  # the paragraph the browser puts inside the second <li>
    },
    # Refused: HTTP status, error code, message (the upload API gives the same).
    "empty.docx": _refused(422, "empty_document", "empty.docx: the file is empty (0 bytes). Nothing was ingested."),
    "zip-not-docx.docx": _refused(422, "bad_document", f"zip-not-docx.docx: {_NOT_WORD}"),
    "truncated.docx": _refused(422, "bad_document", f"truncated.docx: {_NOT_WORD}"),
    "text-as.docx": _refused(422, "bad_document", f"text-as.docx: {_NOT_WORD}"),
    "only-header.docx": _refused(
        422, "empty_document",
        "only-header.docx: the Word document has no text (headers and footers are not read). Nothing was ingested.",
    ),
    "damaged.docx": _refused(
        422, "bad_document",
        "damaged.docx: the Word document is damaged and cannot be read (NotImplementedError). "
        "Open it in Word or LibreOffice, save it again as .docx and try again.",
    ),
    "libreoffice-plan.doc": _refused(
        415, "unsupported_file_type", f"libreoffice-plan.doc: an old binary Word file (.doc) cannot be read. {_SAVE_AS}"
    ),
    "libreoffice-plan.odt": _refused(
        415, "unsupported_file_type",
        f"libreoffice-plan.odt: an OpenDocument text file (.odt) cannot be read. {_SAVE_AS}",
    ),
    "libreoffice-plan.rtf": _refused(
        415, "unsupported_file_type", f"libreoffice-plan.rtf: a Rich Text Format file (.rtf) cannot be read. {_SAVE_AS}"
    ),
    # The same files renamed .docx: what they are is read from their bytes.
    "libreoffice-plan.doc as plan.docx": _refused(
        415, "unsupported_file_type",
        f"plan.docx: this is an old binary Word file (.doc), not a .docx Word document. {_SAVE_AS}",
    ),
    "libreoffice-plan.odt as plan.docx": _refused(
        415, "unsupported_file_type", f"plan.docx: this is an OpenDocument file (.odt), not a .docx Word document. {_SAVE_AS}"
    ),
    "libreoffice-plan.rtf as plan.docx": _refused(
        415, "unsupported_file_type",
        f"plan.docx: this is a Rich Text Format file (.rtf), not a .docx Word document. {_SAVE_AS}",
    ),
    "empty.html": _refused(422, "empty_document", "empty.html: the file is empty (0 bytes). Nothing was ingested."),
    "only-boilerplate.html": _refused(
        422, "empty_document",
        "only-boilerplate.html: the page has no text outside navigation, banners and footers. Nothing was ingested.",
    ),
    "binary.htm": _refused(
        422, "bad_document", "binary.htm: this looks like a binary file, not a web page. Upload the page's .html file."
    ),
    "undecodable.html": _refused(
        422, "bad_document",
        "undecodable.html: the page is not in the encoding it declares, nor UTF-8 or Windows-1252. "
        "Save it as UTF-8 and try again.",
    ),
}  # fmt: skip
