"""Cleaning: LoadedText -> CleanText.

Keeps every word of the source while removing extraction debris:
HTML fragments (<b>, <h3 style=...>, <ul>, <sup>, <!-- -->), markdown emphasis and
table rules, words hyphenated across line ends, ligatures (NFKC, but
fractions, super- and subscripts stay: "1½ år" is not "11⁄2 år"), runs of
whitespace, dot leaders, and page furniture (running headers/footers and
bare page numbers that repeat on most pages of a PDF). Table rows stay one
row per line with cells joined by " | ". Headings (markdown '#', <hN>, or
numbered headings in text without markup) are recorded with their offsets
so the chunker can give each chunk its heading path.

The clean text is what gets stored and quoted: every citation is a
substring of it.

Entities are text, tags are markup. HTML entities are decoded first, each
once ("&amp;lt;" is the text "&lt;"), before the markup is stripped; a
decoded "<" or ">" is held aside while the real tags go, so encoded HTML
("&lt;img src=x onerror=…&gt;") stays what a browser shows for it: the
author's words, not an element, and not deleted with the tags. Then no "<"
that could open a tag, a comment or a markdown autolink ("<img", "</p",
"<!--", "<javascript:") is left in the clean text, decoded or literal: it
becomes "＜" (FULLWIDTH LESS-THAN SIGN), which reads the same and is never
markup. So no client that renders the text as HTML or Markdown can be made
to run anything a plan says.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from dataclasses import replace

from planchat.records import CleanText, Heading, LoadedText, PageSpan

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUP = re.compile(r"<sup>\s*([^<]*?)\s*</sup>", re.IGNORECASE)
_HEADING_TAG = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAG = re.compile(r"</?(?:p|ul|ol|li|br|div|table|tr|td|th|h[1-6])\b[^>]*/?>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*/?>")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# A named or numeric character reference with its semicolon (a bare "&copy" in a URL stays).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Decoded "<" and ">" wait as Unicode noncharacters (reserved for a program's internal use) while tags are stripped.
_HELD = {"<": "\ufdd0", ">": "\ufdd1"}
# A "<" (literal or decoded) before what would make it a tag, comment, processing instruction or autolink.
_TAG_OPENER = re.compile("[<\ufdd0](?=[A-Za-z/!?])")
INERT_LESS_THAN = "\uff1c"
_EMPHASIS = re.compile(r"(\*\*|__)(.{1,300}?)\1", re.DOTALL)
_STAR_EMPHASIS = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_TABLE_RULE = re.compile(r"^[\s|:\-–—\t]*-{2,}[\s|:\-–—\t]*$")
_INLINE_BULLET = re.compile(r"(?<=\S)[ \t]*(?=[•➤▪●■◦][ \t]*\S)")
# Only a lower-case word part joins ("arbejds-\nmarkedet"); "IT-\nsystemer",
# "EU-\nlande" and "a-\nkasse" keep their hyphen.
_HYPHEN_BREAK = re.compile(r"([a-zæøåäöüé]{2})-[ \t]*\n[ \t]*(?!(?:og|eller|samt|el|til)\b)([a-zæøåäöüé])")
_CAPS_HYPHEN_BREAK = re.compile(r"(\b[A-ZÆØÅ]{3,})-[ \t]*\n[ \t]*([A-ZÆØÅ]{2,})")  # "BESKÆFT-\nIGELSE"
_DOT_LEADER = re.compile(r"(?:\s*\.){4,}\s*|…{2,}")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*#*\s*$")
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-ZÆØÅ][^.!?|]{2,90})$")
_TITLE_LINE = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+)?[A-ZÆØÅ][^|]{1,78}$")
# Characters whose NFKC form changes what a number says: vulgar fractions
# ("1½ år" -> "11⁄2 år", eleven halves), super- and subscripts ("2014¹" ->
# "20141", "m²" -> "m2"), circled digits. They stay as the source has them.
_OTHER_NUMBER = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in range(0x20, 0x10000) if unicodedata.category(chr(c)) == "No") + "]"
)
_PAGE_NUMBER = re.compile(r"^(?:side\s+)?\d{1,4}(?:\s*(?:af|/)\s*\d{1,4})?$", re.IGNORECASE)


def normalize_keeping_numbers(text: str) -> str:
    """NFKC (ligatures, compatibility spaces and letters), except for the
    characters whose NFKC form would change a number's meaning."""
    out, last = [], 0
    for m in _OTHER_NUMBER.finditer(text):
        out.append(unicodedata.normalize("NFKC", text[last : m.start()]))
        out.append(m.group())
        last = m.end()
    out.append(unicodedata.normalize("NFKC", text[last:]))
    return "".join(out)


def decode_entities(text: str) -> str:
    """Every HTML entity decoded once, as a browser would; "<" and ">" held aside (``inert_markup``)."""

    def decoded(match: re.Match[str]) -> str:
        char = html.unescape(match.group())
        return _HELD.get(char, char)

    return _ENTITY.sub(decoded, text.replace("\ufdd0", "").replace("\ufdd1", ""))


def inert_markup(text: str) -> str:
    """The held "<" and ">" back, and every "<" that could open markup written as "＜"."""
    return _TAG_OPENER.sub(INERT_LESS_THAN, text).replace("\ufdd0", "<").replace("\ufdd1", ">")


def superscript(text: str) -> str:
    """Raised text as a reader sees it: a footnote number "¹" (never glued to the figure before it:
    "2014.1"), other raised text in parentheses."""
    text = text.strip()
    return text.translate(_SUPERSCRIPT) if text.isdigit() else f" ({text})"


def _strip_markup(text: str) -> str:
    text = _COMMENT.sub("", text)
    text = _SUP.sub(lambda m: superscript(m.group(1)), text)
    text = _HEADING_TAG.sub(lambda m: f"\n{'#' * int(m.group(1))} {_ANY_TAG.sub(' ', m.group(2)).strip()}\n", text)
    text = _BLOCK_TAG.sub("\n", text)
    text = _ANY_TAG.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _STAR_EMPHASIS.sub(r"\1", text)
    return inert_markup(text)


def _clean_line(line: str) -> str:
    if "\t" in line:
        cells = [_SPACES.sub(" ", cell).strip() for cell in line.split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        line = " | ".join(cells)
    line = _DOT_LEADER.sub(" ", line)
    return _SPACES.sub(" ", line).strip()


def clean_page(text: str) -> str:
    """Clean one page (or a whole text file); returns text with markdown '#'
    heading lines still marked."""
    text = normalize_keeping_numbers(decode_entities(text)).replace("\r\n", "\n").replace("\r", "\n")
    text = _strip_markup(text)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _CAPS_HYPHEN_BREAK.sub(r"\1\2", text)
    text = _INLINE_BULLET.sub("\n", text)
    lines = []
    for raw in text.split("\n"):
        if _TABLE_RULE.match(raw):
            continue
        lines.append(_clean_line(raw))
    text = "\n".join(_unwrap(lines))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_SUSPENDED = re.compile(r"^(?:og|eller|samt|el|til)\b")  # "om- og opkvalificering" keeps its space
_CONTINUES = re.compile(r"^[a-zæøåäöüé(]")
_OPEN_END = re.compile(r"[a-zæøåäöüé,]$")


def _is_block_line(line: str) -> bool:
    return not line or line.startswith("#") or " | " in line or line.startswith("| ")


def _unwrap(lines: list[str]) -> list[str]:
    """Join hard-wrapped prose: a line continues on the next when the next
    starts in lower case (or with a figure after an open-ended line), as in
    "... 7,0 mio. kr. i 2023 og 11" + "mio. kr. i 2024". Headings, table rows
    and blank lines are never joined."""
    out: list[str] = []
    for line in lines:
        # A paragraph that stops mid-sentence (a page break in the source:
        # "... skal finansieres med" + blank + "300 mio. kr. ...") goes on.
        if line and len(out) >= 2 and out[-1] == "" and not _is_block_line(out[-2]) and not _is_block_line(line):
            prev = out[-2]
            # Only a long line is a sentence cut by a page break; a short one
            # ("4.3 Unge uden uddannelse", "Målgrupper") is a heading.
            if (
                len(prev.split()) >= 8
                and _OPEN_END.search(prev)
                and not prev.endswith(",")
                and (_CONTINUES.match(line) or line[0].isdigit())
            ):
                out.pop()
                out[-1] = f"{prev} {line}"
                continue
        if out and not _is_block_line(out[-1]) and not _is_block_line(line):
            prev = out[-1]
            if not prev.endswith((":", ".", "!", "?")) and (
                _CONTINUES.match(line) or (line[0].isdigit() and _OPEN_END.search(prev) and len(prev.split()) >= 4)
            ):
                # "nye IT-" + "systemer": the hyphen belongs to the word.
                joiner = "" if re.search(r"\w-$", prev) and not _SUSPENDED.match(line) else " "
                out[-1] = f"{prev}{joiner}{line}"
                continue
        out.append(line)
    return out


FURNITURE_EDGE = 2  # running headers/footers sit in a page's first or last lines


def _edges(page: str) -> list[str]:
    lines = [line for line in page.split("\n") if line.strip()]
    if len(lines) <= 2 * FURNITURE_EDGE:
        return lines
    return lines[:FURNITURE_EDGE] + lines[-FURNITURE_EDGE:]


def _furniture(pages: list[str]) -> set[str]:
    """Short lines at the top or bottom of most pages (running headers and
    footers). A body line or a table row in mid-page is never furniture, and
    pages that are all alike (a repeated form) keep their text."""
    if len(pages) < 4:
        return set()
    distinct = {_furniture_key(p) for p in pages}
    if len(distinct) == 1:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({_furniture_key(line) for line in _edges(page) if len(line.strip()) <= 100})
    threshold = max(3, int(0.5 * len(pages) + 0.5))
    # A bare figure is never furniture by repetition: page numbers are
    # handled on their own, and "228" in mid-page is data.
    return {key for key, n in counts.items() if n >= threshold and key and not re.fullmatch(r"[#\s./-]*", key)}


def _furniture_key(line: str) -> str:
    # Page numbers inside a running footer differ from page to page.
    return re.sub(r"\d+", "#", _SPACES.sub(" ", line).strip().lower())


def clean(loaded: LoadedText) -> CleanText:
    raw_pages = [p.text or "" for p in loaded.pages]
    is_paged = loaded.pages[0].number is not None
    furniture = _furniture(raw_pages) if is_paged else set()

    out: list[str] = []
    headings: list[Heading] = []
    spans: list[PageSpan] = []
    offset = 0
    cleaned_pages = []
    for page, raw in zip(loaded.pages, raw_pages):
        if is_paged:
            edges = set(_edges(raw))
            nonempty = [line for line in raw.split("\n") if line.strip()]
            ends = {nonempty[0], nonempty[-1]} if nonempty else set()
            kept = [
                line
                for line in raw.split("\n")
                if not (line in edges and _furniture_key(line) in furniture)
                and not (line in ends and _PAGE_NUMBER.match(line.strip()))
            ]
            raw = "\n".join(kept)
        cleaned_pages.append((page, clean_page(raw)))
    markup_headings = sum(1 for _, text in cleaned_pages for line in text.split("\n") if _MD_HEADING.match(line))
    total_chars = sum(len(text) for _, text in cleaned_pages)
    # Text without (enough) markup: recognise numbered headings and short
    # stand-alone title lines instead.
    infer_headings = markup_headings < total_chars / 2500

    for page, text in cleaned_pages:
        if not text:
            continue
        if out:
            out.append("\n\n")
            offset += 2
        page_start = offset
        lines = text.split("\n")
        for i, line in enumerate(lines):
            md = _MD_HEADING.match(line)
            if md:
                title = md.group(2).strip()
                headings.append(Heading(start=offset, level=len(md.group(1)), title=title))
                line = title
            elif infer_headings:
                level = _inferred_heading_level(lines, i)
                if level:
                    headings.append(Heading(start=offset, level=level, title=line))
            out.append(line)
            offset += len(line)
            if i < len(lines) - 1:
                out.append("\n")
                offset += 1
        spans.append(PageSpan(start=page_start, end=offset, number=_page_number(page), label=page.label, ocr=page.ocr))
    numbers = [span.number for span in spans if span.number is not None]
    if len(numbers) != len(set(numbers)):
        # Printed labels that repeat (roman front matter i-iii, then 1-3) would
        # make "page 1" name two pages: use physical page numbers throughout.
        physical = iter(page.number for page, text in cleaned_pages if text)
        spans = [replace(span, number=next(physical)) for span in spans]
    return CleanText(text="".join(out), headings=tuple(_relevel(headings)), pages=tuple(spans))


_MULTI_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s+\S")
_SINGLE_NUMBER = re.compile(r"^\d{1,2}\.?\s+[A-ZÆØÅ]")


def _relevel(headings: list[Heading]) -> list[Heading]:
    """Extracted markdown often gets heading levels wrong ("## 4.2" then
    "### 4.3"). Where the document numbers its sections, the numbering
    decides: "4" is level 1, "4.3" level 2, and an unnumbered heading sits
    just below the last numbered one."""
    if sum(1 for h in headings if _MULTI_NUMBER.match(h.title)) < 2:
        return headings
    out = []
    last_numbered = 0
    for h in headings:
        multi = _MULTI_NUMBER.match(h.title)
        if multi:
            level = multi.group(1).count(".") + 1
            last_numbered = level
        elif _SINGLE_NUMBER.match(h.title) and "." not in h.title.split()[0]:
            level = last_numbered = 1
        elif last_numbered:
            level = last_numbered + 1
        else:
            level = h.level
        out.append(Heading(start=h.start, level=level, title=h.title))
    return out


def _inferred_heading_level(lines: list[str], i: int) -> int:
    line = lines[i]
    alone = (i == 0 or not lines[i - 1].strip()) and (i + 1 == len(lines) or not lines[i + 1].strip())
    numbered = _NUMBERED_HEADING.match(line)
    if numbered and not line.endswith(",") and ("." in numbered.group(1) or alone):
        return numbered.group(1).count(".") + 1
    if len(re.findall(r"\d+", line)) >= 2:  # a table row or a figure, not a title
        return 0
    if (
        alone
        and _TITLE_LINE.match(line)
        and not line.rstrip().endswith((".", ",", ";", ":", "!", "?", "»", '"', "”"))
        and len(line.split()) <= 10
        and not _PAGE_NUMBER.match(line)
    ):
        return 2
    return 0


def _page_number(page) -> int | None:
    if page.number is None:
        return None
    if page.label and page.label.isdigit():
        return int(page.label)
    return page.number
