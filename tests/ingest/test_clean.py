"""Cleaning: extraction debris goes, every word of the source stays, and
headings and page spans are recorded with exact offsets."""

from __future__ import annotations

from functools import cache

import pytest

from ingest.clean import clean, clean_page
from ingest.loaders import load_bytes, load_path
from planchat.config import REPO_ROOT
from planchat.records import CleanText, Heading, LoadedText, PageSpan, PageText

SHARED_PDFS = REPO_ROOT.parent / "shared" / "pdfs"


def plain(text: str) -> CleanText:
    return clean(LoadedText(pages=(PageText(number=None, text=text),), media_type="text/plain"))


def pdf(*pages: str, labels: tuple | None = None) -> CleanText:
    return clean(
        LoadedText(
            pages=tuple(
                PageText(number=i + 1, text=text, label=labels[i] if labels else None) for i, text in enumerate(pages)
            ),
            media_type="application/pdf",
        )
    )


# -- one page ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("Det er <b>vigtigt</b> at huske.", "Det er vigtigt at huske."),
        ("<b>Mål 3:</b> Langtidsledigheden skal <i>bekæmpes</i>.", "Mål 3: Langtidsledigheden skal bekæmpes."),
        ('<h3 style="color:#1f4e79;margin:0">4.3 Unge</h3>\nTekst her.', "### 4.3 Unge\n\nTekst her."),
        (
            '<ul style="margin-left:12pt">\n<li>Flere i job</li>\n<li>Færre på ydelse</li>\n</ul>',
            "Flere i job\n\nFærre på ydelse",
        ),
        ("Ledigheden<sup>1</sup> faldt.", "Ledigheden¹ faldt."),
        ("Ledigheden<sup> 12 </sup> faldt.", "Ledigheden¹² faldt."),
        ("Ledigheden<sup>a</sup> faldt.", "Ledigheden (a) faldt."),
        ("Linje et<br/>Linje to", "Linje et\nLinje to"),
        ("A &amp; B&nbsp;C &lt;5&gt;", "A & B C <5>"),
        ("**fed** og __fed__ og *kursiv* tekst", "fed og fed og kursiv tekst"),
        ("på arbejds-\nmarkedet i dag", "på arbejdsmarkedet i dag"),
        ("tilbud om- og opkvalificering", "tilbud om- og opkvalificering"),
        # A line-end hyphen before "og" is a Danish ellipsis, not a broken word.
        ("tilbud om-\nog opkvalificering", "tilbud om- og opkvalificering"),
        ("social-\n og sundhedsområdet", "social- og sundhedsområdet"),
        ("Eﬀektiv ﬁnansiering af ﬂere forløb", "Effektiv finansiering af flere forløb"),
        ("a\tb\tc", "a | b | c"),
        ("Ydelse\t2013\t2014\t\t", "Ydelse | 2013 | 2014"),
        ("Dagpenge \t 1.234\t  1.100", "Dagpenge | 1.234 | 1.100"),
        ("| Ydelse | Antal |\n|---|---:|\n| Dagpenge | 1.234 |", "| Ydelse | Antal |\n| Dagpenge | 1.234 |"),
        ("Ydelse\tAntal\n---\t---\nDagpenge\t1.234", "Ydelse | Antal\nDagpenge | 1.234"),
        ("1 Indledning .......... 6", "1 Indledning 6"),
        ("2 Udfordringer . . . . . . . 7", "2 Udfordringer 7"),
        ("3 Mål…… 9", "3 Mål 9"),
        ("Indledning.....\t6", "Indledning | 6"),
        ("• a• b", "• a\n• b"),
        (
            "Indsatser:• Flere i job• Færre på ydelse ➤ Mere uddannelse",
            "Indsatser:\n• Flere i job\n• Færre på ydelse\n➤ Mere uddannelse",
        ),
        ("  mange    mellemrum\u00a0her  \n\n\n\nNy afsnit", "mange mellemrum her\n\nNy afsnit"),
        ("Linje et\r\nLinje to\rLinje tre", "Linje et\nLinje to\nLinje tre"),
        ("Ledigheden er 1.234,5 personer.", "Ledigheden er 1.234,5 personer."),
    ],
)
def test_clean_page(raw, cleaned):
    assert clean_page(raw) == cleaned


# -- entities are text, tags are markup (issue 17, finding 5) --------------------------------


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        # Encoded HTML is what a browser shows for it: the author's words, never an element.
        ("Se &lt;img src=x onerror=alert(1)&gt; her.", "Se ＜img src=x onerror=alert(1)> her."),
        ("&lt;script&gt;alert(2)&lt;/script&gt;", "＜script>alert(2)＜/script>"),
        ("&#60;img src=x&#62; &#x3C;svg onload=x&#x3e; &LT;b&GT;", "＜img src=x> ＜svg onload=x> ＜b>"),
        ("&lt;!-- x --&gt; &lt;?xml?&gt; &lt;javascript:alert(1)&gt;", "＜!-- x --> ＜?xml?> ＜javascript:alert(1)>"),
        # Decoded once: "&amp;lt;" is the text "&lt;", as a browser shows it.
        ("&amp;lt;img src=x onerror=alert(1)&amp;gt;", "&lt;img src=x onerror=alert(1)&gt;"),
        # A "<" that opens nothing stays as it is: comparisons keep their sign.
        ("unge &lt; 30 år og &lt;25 år, &gt;50 år", "unge < 30 år og <25 år, >50 år"),
        ("ca. &lt;ca. 30 %, og &gt; 50", "ca. ＜ca. 30 %, og > 50"),
        # Real tags are stripped, encoded ones stay: the decoded text is never deleted as if it were a tag.
        ("<b>Mål</b> &lt;b&gt;fed&lt;/b&gt;", "Mål ＜b>fed＜/b>"),
        # A literal "<" that survives the stripping (no closing ">") is made inert too.
        ("a<b og <img src=x onerror=alert(1)", "a＜b og ＜img src=x onerror=alert(1)"),
        ("Tekst <!-- en kommentar --> her", "Tekst her"),
        # Other entities are decoded like any text, and normalised after.
        ("Tr&aelig;ning &oslash;ger &aring;bent &#230; &ndash; &quot;x&quot; &frac12;", 'Træning øger åbent æ – "x" ½'),
        ("ukendt &foo; og &copy uden semikolon", "ukendt &foo; og &copy uden semikolon"),
        # The noncharacters cleaning holds "<" and ">" in never come from the source.
        ("a\ufdd0img b\ufdd1", "aimg b"),
    ],
)
def test_entities_are_text_and_no_markup_survives(raw, cleaned):
    assert clean_page(raw) == cleaned


def test_a_loaded_text_file_with_encoded_html_cleans_to_inert_text():
    for name in ("plan.txt", "plan.md"):
        loaded = load_bytes(b"# Plan\n\nBrug &lt;img src=x onerror=alert(1)&gt; ikke.\n", name)
        assert clean(loaded).text == "Plan\n\nBrug ＜img src=x onerror=alert(1)> ikke."


@pytest.mark.parametrize(
    "raw, cleaned", [("nye IT-\nsystemer", "nye IT-systemer"), ("borgere fra EU-\nlande", "borgere fra EU-lande")]
)
def test_hyphen_after_abbreviation_is_kept(raw, cleaned):
    assert clean_page(raw) == cleaned


# -- headings ---------------------------------------------------------------


def test_markdown_headings_are_recorded_and_unmarked():
    result = plain("# Plan 2014\n\nIntro tekst.\n\n## 4 Udfordringer\n\nTekst om ledighed.\n")
    assert result.text == "Plan 2014\n\nIntro tekst.\n\n4 Udfordringer\n\nTekst om ledighed."
    assert result.headings == (
        Heading(start=0, level=1, title="Plan 2014"),
        Heading(start=25, level=2, title="4 Udfordringer"),
    )
    assert result.text[25:].startswith("4 Udfordringer")
    assert result.pages == (PageSpan(start=0, end=59, number=None),)


def test_html_heading_becomes_a_heading():
    result = plain('Forord.\n<h3 style="font-weight:bold">4.3 Unge uden uddannelse</h3>\nFlere unge skal i uddannelse.')
    assert result.text == "Forord.\n\n4.3 Unge uden uddannelse\n\nFlere unge skal i uddannelse."
    assert result.headings == (Heading(start=9, level=3, title="4.3 Unge uden uddannelse"),)


def test_emphasis_inside_a_markdown_heading_is_removed():
    result = plain("## **4 Beskæftigelsespolitiske udfordringer**\n\nTekst.")
    assert result.headings == (Heading(start=0, level=2, title="4 Beskæftigelsespolitiske udfordringer"),)


def test_numbered_headings_are_inferred_in_text_without_markup():
    result = plain(
        "Beskæftigelsesplan 2014\n\n4 Udfordringer\n\nLedigheden er steget i 2013 og forventes at falde.\n"
        "4.3 Unge uden uddannelse\nFlere unge skal i uddannelse.\n"
    )
    assert result.text == (
        "Beskæftigelsesplan 2014\n\n4 Udfordringer\n\nLedigheden er steget i 2013 og forventes at falde.\n"
        "4.3 Unge uden uddannelse\nFlere unge skal i uddannelse."
    )
    assert result.headings == (
        Heading(start=0, level=2, title="Beskæftigelsesplan 2014"),  # a short stand-alone title line
        Heading(start=25, level=1, title="4 Udfordringer"),
        Heading(start=92, level=2, title="4.3 Unge uden uddannelse"),
    )
    assert [result.text[h.start : h.start + len(h.title)] for h in result.headings] == [
        h.title for h in result.headings
    ]


def test_sentences_and_table_rows_are_not_headings():
    result = plain(
        "Indledning\n\nI alt blev 3 kurser og 12 forløb gennemført.\n\n2013 | 1.234 | 1.100\n\nLedigheden faldt i 2023."
    )
    assert result.headings == (Heading(start=0, level=2, title="Indledning"),)


def test_a_paragraph_broken_mid_sentence_is_joined():
    broken = "I forligsteksten skal retten til tidlig pension finansieres med\n\n300 mio. kr. i 2024."
    assert clean_page(broken) == "I forligsteksten skal retten til tidlig pension finansieres med 300 mio. kr. i 2024."
    # A short line before a figure is a heading, not a broken sentence.
    assert clean_page("Målgrupper\n\n2.000 borgere er ledige.") == "Målgrupper\n\n2.000 borgere er ledige."


@pytest.mark.parametrize(
    "source, heading",
    [
        (
            "4.3 Unge uden uddannelse\n\n1.200 unge er uden uddannelse.",
            Heading(start=0, level=2, title="4.3 Unge uden uddannelse"),
        ),
        ("Målgrupper\n\n2.000 borgere er ledige.", Heading(start=0, level=2, title="Målgrupper")),
    ],
)
def test_a_heading_is_not_joined_to_a_paragraph_that_starts_with_a_figure(source, heading):
    result = plain("Indledende tekst.\n\n" + source)
    moved = Heading(start=heading.start + len("Indledende tekst.\n\n"), level=heading.level, title=heading.title)
    assert result.text == "Indledende tekst.\n\n" + source
    assert moved in result.headings


def test_markup_headings_switch_off_inference():
    # With enough markdown headings, a bare numbered line is ordinary text.
    result = plain("# Plan\n\n4 Udfordringer\n\nTekst.")
    assert result.headings == (Heading(start=0, level=1, title="Plan"),)


# -- pages, running headers and footers ------------------------------------

BODIES = (
    "Ledigheden faldt.",
    "Flere unge er i uddannelse.",
    "Sygefraværet steg.",
    "Virksomhederne mangler arbejdskraft.",
    "Budgettet holdt.",
)


def test_running_header_and_page_footer_are_removed():
    result = pdf(
        *(f"Jobcenter Jammerbugt – Beskæftigelsesplan 2014\n{body}\nSide {i + 1} af 5" for i, body in enumerate(BODIES))
    )
    assert result.text == "\n\n".join(BODIES)
    assert result.pages == (
        PageSpan(start=0, end=17, number=1),
        PageSpan(start=19, end=46, number=2),
        PageSpan(start=48, end=66, number=3),
        PageSpan(start=68, end=104, number=4),
        PageSpan(start=106, end=122, number=5),
    )
    assert [result.text[s.start : s.end] for s in result.pages] == list(BODIES)


def test_bare_page_numbers_are_removed():
    result = pdf(*(f"{i + 1}\n{body}\n{i + 1}/5" for i, body in enumerate(BODIES)))
    assert result.text == "\n\n".join(BODIES)


def test_a_line_on_most_pages_is_furniture_but_not_on_two_of_five():
    pages = [
        ("Udkast\n" if i < 3 else "") + ("Fortroligt\n" if i in (0, 4) else "") + body for i, body in enumerate(BODIES)
    ]
    assert pdf(*pages).text == (
        "Fortroligt\nLedigheden faldt.\n\nFlere unge er i uddannelse.\n\nSygefraværet steg.\n\n"
        "Virksomhederne mangler arbejdskraft.\n\nFortroligt\nBudgettet holdt."
    )


def test_short_documents_keep_repeated_lines():
    # Fewer than 4 pages: too little evidence that a line is furniture.
    result = pdf(*(f"Udkast\n{body}" for body in BODIES[:3]))
    assert (
        result.text == "Udkast\nLedigheden faldt.\n\nUdkast\nFlere unge er i uddannelse.\n\nUdkast\nSygefraværet steg."
    )


def test_text_files_keep_page_number_like_lines():
    assert plain("Antal ledige:\n228\n").text == "Antal ledige:\n228"


def test_table_rows_with_different_figures_on_each_page_are_kept():
    areas = ["Nord", "Syd", "Øst", "Vest", "Midt"]
    result = pdf(
        *(
            f"Jobcenter Jammerbugt – Statistik 2014\nLedige i området {area} fordelt på ydelse.\n"
            f"Dagpenge\t{100 + i}\nKontanthjælp\t{50 + i}\nI alt\t{150 + 2 * i}\n"
            f"Kilden er Jobindsats for område {area}.\nSide {i + 1} af 5"
            for i, area in enumerate(areas)
        )
    )
    assert result.text.split("\n\n")[0] == (
        "Ledige i området Nord fordelt på ydelse.\nDagpenge | 100\nKontanthjælp | 50\nI alt | 150\n"
        "Kilden er Jobindsats for område Nord."
    )


def test_a_figure_alone_on_a_line_inside_the_page_is_kept():
    areas = ["Nord", "Syd", "Øst", "Vest", "Midt"]
    result = pdf(
        *(
            f"{body}\n{228 + i}\nTallet er antal langtidsledige i {area}.\nSide {i + 1} af 5"
            for i, (body, area) in enumerate(zip(BODIES, areas))
        )
    )
    assert result.text.split("\n\n")[0] == "Ledigheden faldt.\n228\nTallet er antal langtidsledige i Nord."


def test_page_labels_give_printed_page_numbers():
    result = pdf("Forord.", "Kapitel et.", "", "Slut.", labels=("i", "7", "8", "9"))
    assert result.text == "Forord.\n\nKapitel et.\n\nSlut."
    # A roman label falls back to the physical page (the label is kept as
    # printed); an empty page gets no span.
    assert result.pages == (
        PageSpan(start=0, end=7, number=1, label="i"),
        PageSpan(start=9, end=20, number=7, label="7"),
        PageSpan(start=22, end=27, number=9, label="9"),
    )
    assert [result.page_at(o) for o in (0, 6, 9, 19, 22, 26)] == [1, 1, 7, 7, 9, 9]
    assert [result.label_at(o) for o in (0, 6, 9, 19, 22, 26)] == ["i", "i", "7", "7", "9", "9"]
    assert (result.page_at(10_000), result.label_at(10_000)) == (9, "9")  # past the end: the last page


def test_repeated_labels_keep_physical_numbers_and_printed_labels():
    result = pdf("Forord.", "Indhold.", "Kapitel et.", "Kapitel to.", labels=("i", "ii", "1", "2"))
    assert [(span.number, span.label) for span in result.pages] == [(1, "i"), (2, "ii"), (3, "1"), (4, "2")]


def test_pdfs_without_labels_and_text_files_have_no_labels():
    assert [span.label for span in pdf("Et.", "To.").pages] == [None, None]
    assert plain("Et.").label_at(0) is None


def test_text_files_have_one_unnumbered_span():
    result = plain("Et.\n\nTo.")
    assert result.pages == (PageSpan(start=0, end=8, number=None),)
    assert result.page_at(3) is None


# -- real PDFs --------------------------------------------------------------


@cache
def load_shared(name: str) -> LoadedText:
    return load_path(SHARED_PDFS / name)


@cache
def clean_shared(name: str) -> CleanText:
    return clean(load_shared(name))


@pytest.mark.parametrize(
    "name, word",
    [
        ("pp-federal-register-2020-17221.pdf", "Airworthiness"),
        ("pp-issue-848.pdf", "Murphy"),
        ("pp-nics-background-checks-2015-11.pdf", "Alabama"),
        ("sf-009-GeoTopo-komprimiert.pdf", "Topologie"),
        ("sf-015-habibi.pdf", "habibi"),
        ("sf-026-multicolumn.pdf", "Lorem"),
        ("sf-015-habibi-rotated.pdf", "habibi"),
    ],
)
def test_real_pdf_text_survives_cleaning(shared_pdfs, name, word):
    result = clean_shared(name)
    assert word in result.text
    assert len(result.pages) == len(load_shared(name).pages)


def test_real_pdf_ligatures_are_normalised(shared_pdfs):
    result = clean_shared("sf-009-GeoTopo-komprimiert.pdf")
    assert "Auflage" in result.text
    assert not any(ch in result.text for ch in "ﬀﬁﬂﬃﬄ")
    assert "ﬁ" not in clean_shared("sf-026-multicolumn.pdf").text


def test_real_running_header_is_removed(shared_pdfs):
    result = clean_shared("pp-federal-register-2020-17221.pdf")
    assert "Federal Register / Vol. 85, No. 152 / Thursday, August 6, 2020 / Proposed Rules" not in result.text
    assert "Federal Register / Vol. 85, No. 152 / Thursday, August 6, 2020 / Proposed Rules" in "\n".join(
        p.text for p in load_shared("pp-federal-register-2020-17221.pdf").pages
    )


def test_page_numbers_of_a_labelled_pdf_are_unambiguous(shared_pdfs):
    numbers = [span.number for span in clean_shared("sf-009-GeoTopo-komprimiert.pdf").pages if span.number is not None]
    assert len(numbers) == len(set(numbers))


# -- real PDFs: reading order and table rows ----------------------------------


def test_two_columns_read_left_then_right(shared_pdfs):
    text = clean_shared("sf-026-multicolumn.pdf").text
    # A sentence hyphenated across lines inside the left column is whole.
    assert "Lorem ipsum dolor sit amet, consectetuer adipiscing elit. Ut purus elit, vestibulum ut, placerat ac" in text
    # The left column's last line runs on at the top of the right column ...
    assert "Vivamus viverra fermentum felis. Donec nonummy pellentesque ante. Phasellus adipiscing semper elit." in text
    # ... so the right column's first sentence comes after the left column's
    # last, and the abstract (left) is not interleaved with the right column.
    assert text.index("Pellentesque cursus luctus mauris.") < text.index("Phasellus adipiscing semper elit.")
    assert "Abstract\nThis is a sample document with two columns filled with Lorem Ipsum text." in text


def test_three_column_register_reads_down_each_column(shared_pdfs):
    text = clean_shared("pp-federal-register-2020-17221.pdf").text
    # Starts at the foot of the first column and ends at the top of the second.
    assert (
        "These effects include stall warning activation, airspeed disagree alert, and altitude disagree alert,5 and "
        "may affect the flightcrew’s ability to accomplish continued safe flight and landing."
    ) in text


def test_a_dense_table_keeps_one_row_per_line(shared_pdfs):
    lines = clean_shared("pp-nics-background-checks-2015-11.pdf").text.split("\n")
    assert lines[1] == (
        "Alabama | 18,870 | 23,022 | 22,650 | 859 | 1,178 | 0 | 14 | 15 | 0 | 2,179 | 2,307 | 11 | 0 | 0 | 0 | 13 | 14 "
        "| 0 | 3 | 2 | 0 | 71,137"
    )
    assert lines[2].startswith("Alaska | 209 | 3,062 | 3,209 | ")
    assert sum(1 for line in lines if " | " in line) == 57


def test_fractions_and_superscripts_keep_their_meaning():
    """NFKC would turn «1½ år» into «11⁄2 år» (eleven halves) and «2014¹»
    into «20141»; ligatures are still unfolded."""
    assert clean_page("de seneste 1½ år, ¾ af de ledige, 20 m², note 2014¹, ﬁre") == (
        "de seneste 1½ år, ¾ af de ledige, 20 m², note 2014¹, fire"
    )


def test_the_jammerbugt_sentence_with_one_and_a_half_years_is_stored_verbatim():
    text = clean(load_path(REPO_ROOT / "corpus" / "jammerbugt-2014.txt")).text
    sentence = "Der er dog tale om, at langtidsledigheden inden for de seneste 1½ år er faldet blandt dagpengemodtagere"
    assert sentence in text and "11⁄2" not in text
