"""Document structure: CleanText -> Outline (headings and list blocks).

Everything is a verbatim span of the clean text, so a list item or a
heading can be quoted as it stands. Found here:

- headings: the cleaner's (markdown '#', <hN>, numbered headings), all-caps
  lines («LANGTIDSLEDIGHED OG SYGEMELDTE», «UNGE»; one broken over lines is
  one heading), «Mål 1.»-style lines (a bare «Mål 3:» only where marked),
  numbered chapters («1. Rammerne for …»,
  also one glued to the end of the line above, between chapters N-1 and N+1),
  lines the table of contents lists; numbered items with paragraphs between
  them are headings one level below the heading they sit under;
- list blocks: consecutive items marked "•", "➤", "✓", "▪", "-", "–", "*"
  or "1." / "1)", numbered items run together on one line ("1. Arbejde …
  2. Gennemføre …"), an item wrapped over lines (the next line goes on in
  lower case, or follows an item without an end stop); the line that
  introduces the list (ending with ":", past an icon label or page number),
  or else the heading right above.

Noise, not headings: the table of contents (from «Indhold» to the body's
first section), dates ("DECEMBER 2020"), table rows, captions («Tabel 1: …»,
«Figur 2 – …») and the cells and labels around them, a figure's run of
title-like labels (its first line stays), a sentence that goes on in lower
case on the next line, fragments ending in "-" or "og", all-caps lines of
fewer than four letters. A line that introduces a list («Vi vil:», «… skal
sikre, at») is its introduction; a numbered line of a list without
paragraphs between the items («INDSATSOMRÅDER» 1.–5.) is an item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from planchat.records import CleanText, ListBlock, Outline, OutlineHeading

from .outline_lists import BULLET, NUMBER, Line, find_lists, find_ordinal_lists, line_start

_CAPS_LINE = re.compile(r"[A-ZÆØÅ][A-ZÆØÅ0-9 ,&/()'-]{2,90}")
_MONTH_YEAR = re.compile(
    r"(?i)(januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december)\s+\d{4}"
)
# «Mål 1:», «Mål 1. Flere unge …», «Fokusmål 2: Samtaler»; not a bare icon label «Ministermål 1».
_GOAL_LINE = re.compile(
    r"^(?:Mål|Fokusmål|Delmål|Ministermål|Indsatsområde|Målsætning)\s+\d{1,2}(?:[.:][^.!?]{0,90}|\s[^.!?]{1,90})$"
)
# «Mål 3:» alone on its line introduces the goal sentence after it: a heading
# only where the source marks it (as a section it would cut the goal from the
# section's restatement of it above: Jammerbugt 4.2, 4.3).
_BARE_LABEL = re.compile(r"^(?:Mål|Fokusmål|Delmål|Ministermål|Indsatsområde|Målsætning)\s+\d{1,2}\s*[.:]$")
_CHAPTER = re.compile(r"^\d{1,2}\.\s+[A-ZÆØÅ][^.!?:;|]{2,80}$")
_GLUED_CHAPTER = re.compile(r"\s(\d{1,2})\.\s+[A-ZÆØÅ][^.!?:;|]{2,60}$")
_TOC_LINE = re.compile(r"(?:\|\s*|\s{2,}|,\s*)\d{1,3}$")  # «Indledning | 3», an index's «SNCF, 8»
_TOC_TITLE = re.compile(r"(?i)^(?:indhold|indholdsfortegnelse|indholdsoversigt)$")
_APPENDIX = re.compile(r"(?i)^bilag\s+\d{1,2}\s*[:.–-]\s*")
_CAPTION = re.compile(r"^(?:Tabel|Figur|Boks)\s+\d{1,2}(?:\.\d{1,2})?\s*[:.–-]")
_FRAGMENT_END = re.compile(r"(?:-|\s(?:og|i|af|for|til|med|på|om|samt|eller|ved|fra))$")
_INTRO_END = re.compile(r"(?::|\s(?:vil|at))$")
_DATA_ROW = re.compile(r"\d,\d|\d\.\d{3}\b|\d\s?%")  # a decimal comma, a thousands dot, a percentage
_PROSE_WORDS = 10  # a line of this many words is body text, not a label
_FIGURE_RUN = 4  # this many title-like lines without body text are a figure's labels


def build_outline(clean: CleanText) -> Outline:
    lines = list(_lines(clean.text))
    toc_start, toc_end, toc = _toc_span(lines)
    body = [line for line in lines if not (toc_start <= line[0] < toc_end)]
    candidates = _drop_labels(_candidates(clean, body, toc), body)
    lists = find_lists(clean, body, {h.start for h in candidates}, candidates)
    lists = sorted([*lists, *find_ordinal_lists(clean, body, candidates)], key=lambda b: b.start)
    headings = _glued_chapters(clean, body, _settle(clean, body, candidates, lists))
    return Outline(headings=tuple(headings), lists=tuple(lists))


def _lines(text: str) -> Iterator[Line]:
    """(start, end, line) for every line, end excluding the newline."""
    start = 0
    for line in text.split("\n"):
        yield start, start + len(line), line
        start += len(line) + 1


def _words(line: str) -> str:
    return re.sub(r"[^0-9a-zæøåäöüé]", "", line.lower())


def _toc_span(lines: list[Line]) -> tuple[int, int, dict]:
    """(start, end, {entry title: level}) of the table of contents: its title,
    its entries («Indledning | 3»), and what follows them up to the body's first
    section (the line that repeats the first entry: «Bilag 2: …» lines between
    name appendices, level 1)."""
    title = next((i for i, (_, _, line) in enumerate(lines) if _TOC_TITLE.match(line.strip())), None)
    if title is None:
        return 0, 0, {}
    entries = [i for i in range(title + 1, min(len(lines), title + 80)) if _TOC_LINE.search(lines[i][2].strip())]
    if not entries:
        return lines[title][0], lines[title][1], {}
    first = _words(re.sub(r"(?:\|\s*|\s+)\d{1,3}\s*$", "", lines[entries[0]][2]))
    end = next((s for s, _, line in lines[entries[-1] + 1 : entries[-1] + 40] if _words(line) == first), None)
    titles = {}
    for start, _, line in lines[title + 1 :]:
        if start >= (end or lines[entries[-1]][1]):
            break
        appendix = _APPENDIX.match(line.strip())
        entry = _words(re.sub(r"(?:\|\s*|\s+)\d{1,3}\s*$", "", line[appendix.end() :] if appendix else line))
        titles[entry] = 1 if appendix else 1 if _CHAPTER.match(line.strip()) else 2
    return lines[title][0], end or lines[entries[-1]][1], {t: v for t, v in titles.items() if t}


def toc_span(text: str) -> tuple[int, int]:
    """(start, end) of the table of contents, from its title line; (0, 0)
    when there is none. Not a section of the outline, but a chunk inside it
    is filed under its title, so answers can tell a contents line from text."""
    start, end, _ = _toc_span(list(_lines(text)))
    return start, end


def _toc_level(line: str, toc: dict) -> int | None:
    """The level of a line the table of contents lists; an appendix also by
    the start of its title («Resultatmål … for 2022 - Bilag til …»)."""
    words = _words(line)
    if words in toc:
        return toc[words]
    if len(line.split()) > 25 or line.rstrip().endswith((".", "!", "?", ":")):
        return None
    return next((1 for t, level in toc.items() if level == 1 and len(t) >= 20 and words.startswith(t)), None)


def _candidates(clean: CleanText, lines: list[Line], toc: dict) -> list[OutlineHeading]:
    """Heading lines: marked by the cleaner, all-caps, «Mål 1.», chapters, or
    listed in the table of contents; noise and cut sentences left out."""
    marked = {h.start: h.level for h in clean.headings}
    found: list[OutlineHeading] = []
    for i, (start, end, line) in enumerate(lines):
        stripped = line.strip()
        level = marked.get(start)
        if level is None and _is_caps_heading(stripped):
            level = 2
        elif level is None and _GOAL_LINE.match(stripped):
            level = 3
        elif level is None and _CHAPTER.match(stripped) and len(stripped.split()) <= 12:
            level = 1
        elif level is None and stripped:
            level = _toc_level(stripped, toc)
        if level is None or _is_noise(stripped) or _sentence_goes_on(lines, i):
            continue
        if _BARE_LABEL.match(stripped) and start not in marked:
            continue
        previous = found[-1] if found else None
        if previous is not None and _continues(clean.text, previous, start, stripped):
            found[-1] = _heading(clean, previous.start, end, previous.level)
            continue
        found.append(_heading(clean, start, end, level))
    return found


def _is_caps_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(_CAPS_LINE.fullmatch(line)) and len(letters) >= 4 and "|" not in line


def _is_noise(line: str) -> bool:
    toc = _TOC_LINE.search(line) and re.search(r"[A-Za-zÆØÅæøå]", line)
    return bool(toc or _MONTH_YEAR.fullmatch(line) or _CAPTION.match(line) or _FRAGMENT_END.search(line))


def _sentence_goes_on(lines: list[Line], i: int) -> bool:
    """«Det er dog uvist hvordan beskæftigelsen udvikler» + «sig og …»: a
    sentence cut by the layout, not a title."""
    following = next((line.strip() for _, _, line in lines[i + 1 :] if line.strip()), "")
    return following[:1].islower()


def _continues(text: str, previous: OutlineHeading, start: int, line: str) -> bool:
    """An all-caps heading broken over lines: «FLERE FLYGTNINGE … SKAL» +
    «VÆRE SELVFORSØRGENDE»; a cover's «STYRINGSKONCEPT», «SÅDAN STYRER VI», …"""
    return (
        not text[previous.end : start].strip()
        and previous.title.isupper()
        and line.isupper()
        and not previous.title.rstrip().endswith((".", ":", "!", "?"))
    )


def _heading(clean: CleanText, start: int, end: int, level: int) -> OutlineHeading:
    title = " ".join(clean.text[start:end].split())
    return OutlineHeading(start, end, level, title, clean.page_at(start), clean.label_at(start))


def _glued_chapters(clean: CleanText, lines: list[Line], found: list[OutlineHeading]) -> list[OutlineHeading]:
    """Chapter N glued to the end of a line («… marts og oktober 3.
    Arbejdsmarkedet i Fredericia Kommune»), taken only between chapters N-1
    and N+1, so a numbered item in running text is never a chapter."""
    chapters: dict[int, int] = {}
    for h in found:
        if h.level == 1 and _CHAPTER.match(h.title):
            chapters.setdefault(int(h.title.split(".")[0]), h.start)
    added = []
    for n in sorted(set(range(min(chapters, default=0), max(chapters, default=0))) - set(chapters)):
        if n - 1 not in chapters or n + 1 not in chapters:
            continue
        for start, end, line in lines:
            m = _GLUED_CHAPTER.search(line)
            if chapters[n - 1] < start < chapters[n + 1] and m and int(m.group(1)) == n and not NUMBER.match(line):
                added.append(_heading(clean, start + m.start(1), end, 1))
                break
    return sorted(found + added, key=lambda h: h.start)


def _drop_labels(found: list[OutlineHeading], lines: list[Line]) -> list[OutlineHeading]:
    """Without table cells after a «Tabel N» caption (up to the next body text
    or chapter), the labels just above a «Figur N» caption, and the labels of
    a figure drawn as a run of title-like lines (the run's first line stays,
    as the figure's title)."""
    drop: set[int] = set()
    for i, (start, _, line) in enumerate(lines):
        if not _CAPTION.match(line.strip()):
            continue
        if line.strip().startswith("Tabel"):
            stop = next((s for s, _, text in lines[i + 1 :] if _is_prose(text) or _CHAPTER.match(text.strip())), None)
            drop |= {h.start for h in found if start < h.start < (stop or start) and h.level > 1}
        else:
            since = max((s for s, _, text in lines[:i] if _is_prose(text)), default=0)
            drop |= {h.start for h in found if since < h.start < start}
    run: list[OutlineHeading] = []
    for h, nxt in zip(found, found[1:] + [None]):
        run.append(h)
        if h.title[:1].isdigit() or _has_body(lines, h.end, nxt.start if nxt else None):  # «1. …» is no label
            if len(run) >= _FIGURE_RUN:  # the first is the figure's title; the last has a body of its own
                drop |= {r.start for r in run[1:-1]}
            run = []
    return [h for h in found if h.start not in drop]


def table_spans(text: str, heading_starts: set[int]) -> list[tuple[int, int, int]]:
    """(start, header end, end) of each table a «Tabel N: …» caption heads:
    from the caption to the next body text or heading (PDF tables flattened to
    lines of cells and figures, Fredericia's tables 1–3); its header runs from
    the caption to the first row of figures («A-dagpenge 414 -45,8% …»)."""
    lines = list(_lines(text))
    spans = []
    for i, (start, _, line) in enumerate(lines):
        if _CAPTION.match(line.strip()) and line.strip().startswith("Tabel"):
            after = (
                s for s, _, t in lines[i + 1 :] if s in heading_starts or _is_prose(t) or _CAPTION.match(t.strip())
            )
            end = next(after, len(text))
            header = next((s for s, _, t in lines[i + 1 :] if s >= end or _DATA_ROW.search(t)), end)
            spans.append((start, min(header, end), end))
    return spans


def _is_prose(line: str) -> bool:
    return len(line.split()) >= _PROSE_WORDS and line.rstrip().endswith((".", "!", "?", ":"))


def _has_body(lines: list[Line], after: int, before: int | None) -> bool:
    """Body text or a list between ``after`` and ``before``."""
    return any(
        len(line.split()) >= _PROSE_WORDS or BULLET.match(line) or NUMBER.match(line)
        for s, _, line in lines
        if s > after and (before is None or s < before)
    )


def _settle(clean: CleanText, lines: list[Line], found: list[OutlineHeading], lists: list[ListBlock]):
    """The headings once the lists are known: a line that introduces a list is
    its introduction; a numbered line of a list without paragraphs between the
    items is an item; items with paragraphs between them, most of them
    headings already, are headings one level below the heading they sit under."""
    by_start = {h.start: h for h in found}
    for block in lists:
        item_lines = [(line_start(clean.text, s), e) for s, e in block.items]
        if block.numbered and not block.sparse:
            for start, _ in item_lines:
                by_start.pop(start, None)
        elif block.sparse and sum(start in by_start for start, _ in item_lines) >= 2:
            above = [h for h in by_start.values() if h.start < block.start]
            level = max(above, key=lambda h: h.start).level + 1 if above else 1
            for start, end in item_lines:
                if clean.text[start:end].find("\n") == -1 and clean.text[end : end + 1] in ("\n", ""):
                    by_start[start] = _heading(clean, start, end, level)
    for i, (start, _, line) in enumerate(lines):
        if start in by_start and _INTRO_END.search(line.rstrip()) and _list_follows(lines, i):
            del by_start[start]
    return _announced(clean, sorted(by_start.values(), key=lambda h: h.start))


def _announced(clean: CleanText, headings: list[OutlineHeading]) -> list[OutlineHeading]:
    """Numbered headings 1., 2., … announced by a line ending with ":" («De fem
    ministermål for 2022 … er:») sit one level below the heading above them,
    however far apart they are (Vejle's appendix, bullets between its goals)."""
    out = list(headings)
    for i, h in enumerate(out):
        if not h.title.startswith("1. ") or not clean.text[: h.start].rstrip().endswith(":"):
            continue
        run = [i]
        while run[-1] + 1 < len(out) and out[run[-1] + 1].title.startswith(f"{len(run) + 1}. "):
            run.append(run[-1] + 1)
        level = out[i - 1].level + 1 if i > 0 else 1
        for j in run if len(run) >= 2 else ():
            out[j] = OutlineHeading(out[j].start, out[j].end, level, out[j].title, out[j].page, out[j].page_label)
    return out


def _list_follows(lines: list[Line], i: int) -> bool:
    """Is the next line (past up to two one-word lines: an icon label, a page
    number) a list item?"""
    skipped = 0
    for _, _, line in lines[i + 1 :]:
        stripped = line.strip()
        if not stripped:
            continue
        if BULLET.match(stripped) or NUMBER.match(stripped):
            return True
        skipped += 1
        if len(stripped.split()) > 1 or skipped > 2:
            return False
    return False
