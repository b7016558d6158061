"""Expected values shared by the API, CLI and end-to-end tests: the answer
contract's keys and the exact texts the seed corpus must produce."""

KNOWN_MUNICIPALITIES = "Beskæftigelsesregion Hovedstaden & Sjælland, Fredericia, Jammerbugt, Rebild, Vejle"

JAMMERBUGT_Q = "Hvad er Jammerbugts mål for langtidsledigheden i 2014?"
JAMMERBUGT_228 = (
    "Antallet af langtidsledige – dvs. ledige, der har været ledige i min. 80 pct. af tiden inden for de "
    "seneste 52 uger – skal begrænses til 228 personer (antal personer) i december 2014, svt. et fald på "
    "20 pct. fra december 2012 til december 2014."
)
AARHUS_Q = "Hvad er Aarhus' mål for ledigheden i 2022?"
AARHUS_ANSWER = (
    "Det fremgår ikke af planerne: der er ingen beskæftigelsesplan for Aarhus i samlingen. "
    f"Planerne dækker {KNOWN_MUNICIPALITIES}."
)

ANSWER_KEYS = {
    "answer", "abstained", "citations", "targets", "timings_ms", "municipalities", "years",
    "question", "carried", "conversation_id", "conversation_token", "generator", "fallback_reason", "notice", "kind",
    "markers",
}  # fmt: skip
# The follow-up pair of issue 5: the second question names no municipality or year.
FOLLOWUP_FIRST_Q = "Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?"
FOLLOWUP_Q = "Og hvor mange må tilgangen til førtidspension højst være samme sted?"
FOLLOWUP_RESOLVED = f"{FOLLOWUP_Q} (Jammerbugt, 2014)"
JAMMERBUGT_36 = "Tilgangen til førtidspension skal begrænses til 36 personer i december 2014"
# Quantitative targets extracted per corpus document (ingest/target_extraction.py; 46 hand-labelled in evals/targets.jsonl).
TARGET_COUNTS = {
    "fredericia-2023": 10,
    "jammerbugt-2014": 28,
    "rebild-2022": 2,
    "region-hovedstaden-sjaelland-2010": 0,
    "vejle-2020-23": 3,
}
CITATION_KEYS = {
    "n", "doc_id", "title", "municipality", "year", "section", "page", "page_label",
    "quote", "score", "role", "chunk_id", "start", "end", "ocr",
}  # fmt: skip
# The API's citations add the source viewer's link (issue 15); the CLI's records do not.
API_CITATION_KEYS = CITATION_KEYS | {"url"}
# Every real-world PDF in ../shared/pdfs (tests/ingest/test_real_pdfs.py; the upload API gives the same).
# Ingested: status, pages, chunks (220-token budget), pages without text, a phrase one chunk holds verbatim,
# and where the PDF defines page labels the printed label of the first chunk's page and of the phrase's page.
# Refused: the HTTP status, error code and exact message (planchat/errors.py).
_ENCRYPTED = (
    "the PDF is encrypted with a password. Remove the password (or export an unprotected copy) and upload it again."
)
_NO_TEXT = "the PDF has no text layer (1 page(s), 0 characters; scanned?). Run OCR first or upload the text."
# The two scanned PDFs hold no words (a 16×16-pixel fax smiley; a drawing of a scout): OCR reads
# their page (ingest/ocr.py) and finds none, so they stay refused, now saying OCR looked.
_NO_TEXT_AFTER_OCR = (
    "the PDF has no text layer and OCR found no text on its 1 page(s) (a picture, or a scan too faint to read?). "
    "Upload the text instead."
)
# Where OCR cannot run, the 422 of a scanned PDF is the one before OCR, with why and what to install.
NO_OCR_REASONS = {
    "off": "OCR of scanned pages is switched off here (PLANCHAT_OCR=off).",
    "missing": "This server has no tesseract and pdftoppm. To read scanned pages at ingest, install Debian's "
    "tesseract-ocr tesseract-ocr-dan poppler-utils (`make ocr`) and upload it again.",
}
SCANNED_PDFS = ("sf-007-imagemagick-CCITTFaxDecode.pdf", "sf-019-grayscale-image.pdf")


def no_ocr_message(name: str, reason: str) -> str:
    return f"{name}: {_NO_TEXT} {NO_OCR_REASONS[reason]}"


REAL_PDF_OUTCOMES = {
    "pp-empty.pdf": {
        "status": 422, "code": "empty_document", "message": "pp-empty.pdf: the file is empty (0 bytes). Nothing was ingested.",
    },
    "pp-federal-register-2020-17221.pdf": {
        "status": "added", "pages": 15, "chunks": 71, "empty_pages": 0,
        # Runs from the first column into the second: the columns read in order.
        "phrase": "These effects include stall warning activation, airspeed disagree alert, and altitude disagree "
                  "alert,5 and may affect the flightcrew’s ability to accomplish continued safe flight and landing.",
    },
    "pp-issue-848.pdf": {
        "status": "added", "pages": 8, "chunks": 16, "empty_pages": 0,
        "phrase": "Desk Sergeant Warren Reed gets Murphy a set of riot armor",  # on all 8 (identical) pages
    },
    "pp-nics-background-checks-2015-11.pdf": {
        "status": "added", "pages": 1, "chunks": 24, "empty_pages": 0,
        "phrase": "Alabama | 18,870 | 23,022 | 22,650 | 859 | 1,178 | 0 | 14 | 15 | 0 | 2,179 | 2,307 | 11",
    },
    "pp-password-example.pdf": {"status": 422, "code": "encrypted_pdf", "message": f"pp-password-example.pdf: {_ENCRYPTED}"},
    "sf-005-libreoffice-writer-password.pdf": {
        "status": 422, "code": "encrypted_pdf", "message": f"sf-005-libreoffice-writer-password.pdf: {_ENCRYPTED}",
    },
    "sf-007-imagemagick-CCITTFaxDecode.pdf": {
        "status": 422, "code": "no_text_layer",
        "message": f"sf-007-imagemagick-CCITTFaxDecode.pdf: {_NO_TEXT_AFTER_OCR}",
    },
    "sf-009-GeoTopo-komprimiert.pdf": {
        "status": "added", "pages": 117, "chunks": 306, "empty_pages": 0,
        "phrase": "Ein topologischer Raum ist ein Paar (X; T) bestehend aus einer Menge X und",
        "page_label": "i", "phrase_page_label": "3",  # physical pages 1 and 6
    },
    "sf-015-habibi-rotated.pdf": {"status": "added", "pages": 4, "chunks": 1, "empty_pages": 0, "phrase": "حَبيبي habibi حَبيبي"},
    "sf-015-habibi.pdf": {"status": "added", "pages": 1, "chunks": 1, "empty_pages": 0, "phrase": "حَبيبي habibi حَبيبي"},
    "sf-017-unreadablemetadata.pdf": {
        "status": 422, "code": "bad_document",
        "message": "sf-017-unreadablemetadata.pdf: the PDF is damaged and cannot be read (Invalid object in /Pages). "
                   "Re-export it and try again.",
    },
    "sf-019-grayscale-image.pdf": {
        "status": 422, "code": "no_text_layer", "message": f"sf-019-grayscale-image.pdf: {_NO_TEXT_AFTER_OCR}",
    },
    "sf-026-multicolumn.pdf": {
        "status": "added", "pages": 3, "chunks": 13, "empty_pages": 0,
        # The left column's last line ("... Donec nonummy") runs on at the top of the right column.
        "phrase": "Donec nonummy pellentesque ante. Phasellus adipiscing semper elit.",
    },
}  # fmt: skip

# Issue 14's examples: three list answers and two abstentions, exactly as the seed corpus
# answers them (real model, hybrid; bm25 over the hash index gives the same lists).
# A list answer reads "<municipality>: «<intro>» [1]", then one "- «<item>» [n]" line per item.
LIST_EXAMPLES = {
    "rebild-opgaver": (
        "Hvilke opgaver skal Jobcenter Rebild løse?", "Rebild", "I Jobcenter Rebild vil vi derfor:", [
            "bistå jobsøgende med at finde job",
            "bistå virksomhederne med rekruttering og fastholdelse af arbejdskraft",
            "bistå personer med behov for særlig indsats ift. job med en individuel og målrettet "
            "beskæftigelsesindsats med henblik på varig selvforsørgelse",
            "bistå unge uden uddannelse med en indsats, der gør at de kan gennemføre en studie- eller "
            "erhvervskompetencegivende uddannelse.",
        ],
    ),
    "jammerbugt-ministermaal": (
        "Hvilke ministermål skal Jammerbugt arbejde efter i 2014?", "Jammerbugt",
        "De 4 beskæftigelsespolitiske ministermål for 2014 er:", [
            "Flere unge skal have en uddannelse",
            "Bedre og mere helhedsorienteret hjælp til ledige på kanten af arbejds-markedet – færre personer på "
            "førtidspension",
            "Langtidsledigheden skal bekæmpes",
            "En tættere kontakt og styrket dialog med de lokale virksomheder",
        ],
    ),
    "fredericia-hjoernesten": (
        "Hvilke fire grundpiller bygger Fredericias plan for beskæftigelsen i 2023 på?", "Fredericia",
        "Der er fire hjørnesten for beskæftigelsesplanen 2023:", [
            "Den første hjørnesten er udviklingen i beskæftigelsesindsatsen; målgrupperne som modtager offentlig "
            "forsørgelse, sagsvarigheden for målgrupperne og udviklingen i arbejdsmarkedet, herunder virksomhedernes "
            "stigende rekrutteringsbehov.",
            "Den anden hjørnesten er Byrådets budgetaftaler, som også er med til at sætte rammerne for "
            "beskæftigelsesindsatsen.",
            "Den tredje hjørnesten er de økonomiske konsekvenser af regeringens aftale om ret til tidlig pension. I de "
            "kommende år forventes den at lægge yderligere pres på finansieringen af beskæftigelsesindsatsen. I "
            "forligsteksten skal retten til tidlig pension finansieres med 300 mio. kr. i 2022, 750 mio. kr. i 2023 og "
            "1,1 mia. kr. i 2024, som skal findes via ændringer i den kommunale beskæftigelsesindsats.",
            "Den fjerde hjørnesten er de beskæftigelsespolitiske mål\n\u0301Ministermålene ,\u0301 som udmeldes årligt "
            "og sætter rammerne for beskæftigelsesindsatsen på landsplan. Fælles for målene er, at de alle har til "
            "formål at få flere med i arbejdsfællesskabet og sikre danske virksomheder den arbejdskraft, de har behov "
            "for. De gældende ministermål for 2022 fortsætter i 2023.",
        ],
    ),
}  # fmt: skip
# Abstentions: question, answer text, how many nearest passages are shown as see-also.
ABSTENTION_EXAMPLES = {
    "vejle-medarbejdere": (
        "Hvor mange medarbejdere er ansat i Jobcenter Vejle?",
        "Det fremgår ikke af planerne for Vejle. Planen omtaler emnet, men nævner ikke det tal, der spørges om. "
        "Nærmeste afsnit: [1], [2], [3].",
        3,
    ),
    "aarhus-2014": ("Hvad er Aarhus' mål for ledigheden i 2014?", AARHUS_ANSWER, 0),
}
# Two lists under «Tilgang» headings, a quote between them, and the plan's list longer than shown.
VEJLE_TOOLS_Q = "Hvilke redskaber bruger Jobcenter Vejle til kompetenceløft af unge ledige uden uddannelse?"
VEJLE_TOOLS_BETWEEN = (
    "«For at kunne give denne gruppe borgere et kompetenceløft, laves en målrettet indsats med fokus på "
    'redskaberne "voksenlære" og "ny mesterlære".» [9] «Tilgang» [10]'
)
LIST_MORE_14 = "(Listen i planen har fjorten punkter; de første ti er vist.)"


def list_answer(municipality: str, intro: str, items: list[str]) -> str:
    """A list answer's text: the introduction as quote [1], then one line per item."""
    return "\n".join([f"{municipality}: «{intro}» [1]", *(f"- «{item}» [{n}]" for n, item in enumerate(items, 2))])


# The generated scanned plan page (bench/scans.py: DejaVu Serif 11 pt, turned 0.7°, grey noise, JPEG 60 %,
# no text layer) as Debian's tesseract 5.3 reads it with -l dan: one misread character in 709
# («december 20235» for «december 2025»), kept verbatim, since the OCR text is the stored text.
SCAN_OCR_TEXT = (
    "3. Langtidsledighed\n\nJobcenter Thisted vil i 2025 nedbringe antallet af langtidsledige borgere. Målet er,\n"
    "at antallet af langtidsledige højst må være 145 personer i december 20235. Det\n"
    "svarer til et fald på 12 pct. i forhold til december 2023.\n\n"
    "Indsatsen sker gennem tæt kontakt med virksomhederne, flere samtaler med de\n"
    "ledige og målrettet opkvalificering. Særligt ledige over 50 år skal have hjælp til at\n"
    "finde job i lokalområdet, og jobcentret følger op på hver enkelt borger hver tredje\n"
    "måned.\n\n4. Unge uden uddannelse\n\n"
    "Andelen af unge under 30 år, der modtager uddannelseshjælp, skal falde.\n"
    "Jobcentret samarbejder med ungdomsuddannelserne og erhvervsskolerne om at få\n"
    "flere unge i gang med en uddannelse."
)
SCAN_CONFIDENCE = 96.1  # tesseract's mean word confidence on that page
SCAN_QUESTION = "Hvor mange langtidsledige må der højst være i Thisted i 2025?"
SCAN_QUOTE = "Målet er, at antallet af langtidsledige højst må være 145 personer i december 20235."
# The same page scanned with grey noise of 58 (bench/ocr.py --sweep): 8.5 % character errors.
LOW_CONFIDENCE = 75.9
