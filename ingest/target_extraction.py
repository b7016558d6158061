"""Quantitative targets: a document's clean text + chunks -> [Target].

Rule-based, Danish, and conservative: a number becomes a target only when
a bound word governs it ("højst 228", "mindst 50%", "begrænses til 36"), or
a change/level phrase does ("reduceres til 10%", "et fald på 20 pct.",
"være på 24 pct.", "besparelse på 3,7 mio. kr.") inside a sentence that
speaks of a goal (skal, mål, forventes, ambition, besparelse ...). Numbers
that only qualify a group ("personer med mindst 12 måneders anciennitet",
"ledige i min. 80 pct. af tiden", "sager med en varighed på over 52 uger")
are not targets. A list continues its first value's phrase ("3,7 mio. kr. i
2022, 7,0 mio. kr. i 2023 og 11 mio. kr. i 2024").

Every target carries the sentence it came from as a verbatim quote
(clean_text[start:end]), the chunk, section and page that hold it. The
hand-labelled gold set in evals/targets.jsonl measures precision and recall
(``planchat eval-targets``). The words and patterns read here are in
ingest/target_patterns.py.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from planchat.danish import sentence_spans
from planchat.records import Chunk, DocumentMeta, Target

from .target_patterns import (
    BASELINE_BEFORE,
    DVS,
    FROM_TO_AFTER,
    GOAL_WORD,
    LIST_GAP,
    OF_PHRASE,
    PERIOD_AFTER,
    PERIOD_ANY,
    PRONOUN_SUBJECTS,
    QUALIFIER_BEFORE,
    RELATIVE,
    SAVINGS,
    SUBJECT_START,
    SUBJECT_VERB,
    TIME_PHRASE,
    WORD_NUMBER,
    YEAR,
    cue_before,
    noun_unit,
    numbers_in,
    parse_number,
    unit_after,
)

# Bump when extraction changes (here or in target_patterns.py); stored targets of an older
# version are re-extracted at start-up.
TARGETS_VERSION = "1"

MAX_QUOTE = 400


@dataclass
class _Found:
    start: int  # of the number, in the unit's text
    end: int  # after number + unit
    value: float
    value_text: str
    unit: str
    direction: str
    change: str | None
    unit_noun: str  # the counted noun phrase, where the unit came from one
    cue: str = ""  # the words that made it a target ("maksimalt", "besparelse på")
    list_head: int | None = None  # index of the list's first item, for "3,7 ..., 7,0 ... og 11 ..."


def _is_qualifier(prefix: str, cue_start: int, direction: str) -> bool:
    before = prefix[:cue_start]
    if direction in ("at_most", "at_least") and QUALIFIER_BEFORE.search(before):
        return True
    # Inside a relative clause ("..., der ikke har modtaget ... min. 100 timer") the bound describes a group.
    window = before[-80:]
    rel = next(reversed(list(RELATIVE.finditer(window))), None)  # the nearest relative clause
    return rel is not None and "skal" not in window[rel.end() :]


def find_targets(sentence: str) -> list[_Found]:
    """The target values of one sentence, in order."""
    has_goal = bool(GOAL_WORD.search(sentence))
    found: list[_Found] = []
    for start, end, raw in sorted(numbers_in(sentence)):
        is_word = not raw[0].isdigit()
        unit, unit_end, noun = unit_after(sentence, end)
        if unit == "antal" and YEAR.fullmatch(raw):
            continue  # a year, not a value
        prefix = sentence[:start]
        cue = cue_before(prefix)
        if cue is None:
            # The next item of a list that a cue opened: "3,7 mio. kr. i 2022, 7,0 mio. kr. i 2023 og 11 ...".
            if found and not is_word:
                prev = found[-1]
                tail = sentence[prev.end : start]
                period = PERIOD_AFTER.match(tail)
                gap = tail[period.end() :] if period else tail
                if LIST_GAP.match(gap) and unit == prev.unit:
                    head = prev.list_head if prev.list_head is not None else len(found) - 1
                    found.append(
                        _Found(
                            start,
                            unit_end,
                            parse_number(raw),
                            raw,
                            unit,
                            prev.direction,
                            prev.change,
                            noun,
                            prev.cue,
                            head,
                        )
                    )
                    continue
            baseline = BASELINE_BEFORE.search(prefix)
            if baseline and has_goal and not is_word:
                base = parse_number(baseline.group(1))
                value = parse_number(raw)
                direction = "decrease" if value < base else "increase"
                found.append(_Found(start, unit_end, value, raw, unit, direction, "to", noun))
            continue
        match, direction, change, needs_goal = cue
        if is_word and direction not in ("at_most", "at_least"):
            continue
        if needs_goal and not has_goal:
            continue
        if _is_qualifier(prefix, match.start(), direction):
            continue
        if unit == "år" and direction in ("at_most", "at_least"):
            continue  # "unge under 30 år": an age bound, not a target
        if match.group(0).strip().lower() == "top":
            unit = "placering"  # "top 20 i landet": a rank among the municipalities
            unit_end, noun = end, ""
        found.append(
            _Found(start, unit_end, parse_number(raw), raw, unit, direction, change, noun, match.group(0).strip())
        )
    # "skal ... være på 24 pct., svt. en stigning på 7,1 procentpoint": the level is a level to rise to.
    for n, item in enumerate(found):
        if item.direction == "equal" and n + 1 < len(found) and found[n + 1].change == "by":
            if re.match(
                r"^[\s,]*(?:\([^)]*\)\s*)?(?:i\s+\S+\s+\d{4}\s*)?[\s,]*(?:svt\.|svarende til|dvs\.)",
                sentence[item.end : found[n + 1].start],
            ):
                item.direction, item.change = found[n + 1].direction, "to"
    return found


def _period(sentence: str, item: _Found) -> tuple[str | None, str | None]:
    """(target period, baseline period) in the sentence's words."""
    after = sentence[item.end :]
    m = FROM_TO_AFTER.match(after)
    if m:
        return m.group(2), m.group(1)
    m = PERIOD_AFTER.match(after)
    if m:
        return m.group(1), None
    before = [p for p in PERIOD_ANY.finditer(sentence[: item.start])]
    if before:
        return before[-1].group(1), None
    return None, None


def _year_of(period: str | None) -> int | None:
    years = YEAR.findall(period or "")
    return int(years[-1]) if years else None


def _indicator(sentence: str, item: _Found, found: list[_Found], section: str, cache: dict) -> str:
    """What the target measures, in the sentence's own words."""
    if item.list_head is not None and item.list_head in cache:
        return cache[item.list_head]
    prefix = sentence[: item.start]
    savings = SAVINGS.search(prefix)
    if savings:
        return _trim(savings.group(1))
    if item.unit_noun and item.unit_noun.split()[-1].lower() != "personer":
        # The counted noun, with its qualifier: "sygedagpengesager med en varighed på over 52 uger".
        tail = sentence[item.end - len(item.unit_noun) :]
        phrase = re.split(r"[.,;:(]|\s+(?:og|dog|heraf|i alt)\s", tail, maxsplit=1)[0].strip()
        if phrase:
            return _trim(phrase)
    verb = next(reversed(list(SUBJECT_VERB.finditer(prefix))), None)  # the last subject and verb
    if verb is not None:
        head = DVS.sub(" ", prefix[: verb.start()])
        starts = list(SUBJECT_START.finditer(head))
        subject = head[starts[-1].end() :] if starts else head
        subject = TIME_PHRASE.sub("", subject).strip(" -–,")
        if subject and subject.lower() not in PRONOUN_SUBJECTS and len(subject.split()) <= 40:
            return _trim(subject)
    of_phrase = OF_PHRASE.search(prefix)
    if of_phrase:
        return _trim(TIME_PHRASE.sub("", of_phrase.group(1)))
    if item.unit in ("timer", "uger", "dage", "måneder"):
        phrase = re.split(r"[.;:(]", sentence[item.start + len(item.value_text) :], maxsplit=1)[0].strip()
        if len(phrase.split()) > 1:
            return _trim(phrase)
    last = section.split(" › ")[-1] if section else ""
    return _trim(last or prefix)


def _trim(text: str, limit: int = 120) -> str:
    text = re.sub(r"\s+", " ", text).strip(" -–,.:")
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _quote_span(text: str, start: int, end: int, number_at: int) -> tuple[int, int]:
    """The sentence, or a window of it around the number when it is very long."""
    if end - start <= MAX_QUOTE:
        return start, end
    lo = max(start, number_at - MAX_QUOTE // 2)
    hi = min(end, lo + MAX_QUOTE)
    if lo > start:
        lo = text.find(" ", lo) + 1 or lo
    if hi < end:
        hi = text.rfind(" ", lo, hi) or hi
    return lo, hi


def _section_year(section: str) -> int | None:
    years = YEAR.findall(section or "")
    return int(years[-1]) if years else None


def _units(text: str) -> list[tuple[int, int]]:
    """Sentence units for extraction: sentence_spans, with a sentence that the
    layout broke over two lines ("... eller min.\n100 timers ...") joined again."""
    spans = [(sp.start, sp.end) for sp in sentence_spans(text)]
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged:
            p_start, p_end = merged[-1]
            gap = text[p_end:start]
            prev = text[p_start:p_end]
            nxt = text[start:end]
            if (
                gap == "\n"
                and " | " not in prev
                and " | " not in nxt
                and (not prev.rstrip().endswith((".", "!", "?", ":")) or re.search(r"\b(?:min|max|ca|jf|pr)\.$", prev))
                and (nxt[:1].islower() or nxt[:1].isdigit())
            ):
                merged[-1] = (p_start, end)
                continue
        merged.append((start, end))
    return merged


def _pieces(sentence: str) -> list[tuple[int, str]]:
    """A table row's cells (each read on its own), or the sentence itself."""
    if " | " not in sentence:
        return [(0, sentence)]
    out, pos = [], 0
    for cell in sentence.split(" | "):
        out.append((pos, cell))
        pos += len(cell) + 3
    return out


def extract_targets(clean_text: str, chunks: Sequence[Chunk], meta: DocumentMeta) -> list[Target]:
    """Every quantitative target of a document, in reading order."""
    chunks = sorted(chunks, key=lambda c: c.start)
    starts = [c.start for c in chunks]
    out: list[Target] = []
    for u_start, u_end in _units(clean_text):
        sentence = clean_text[u_start:u_end]
        if not any(ch.isdigit() for ch in sentence) and not WORD_NUMBER.search(f" {sentence} "):
            continue
        for offset, piece in _pieces(sentence):
            found = find_targets(piece)
            indicators: dict[int, str] = {}
            for n, item in enumerate(found):
                at = u_start + offset + item.start
                i = bisect.bisect_right(starts, at) - 1
                chunk = chunks[i] if i >= 0 and chunks[i].end > at else None
                section = chunk.section if chunk else ""
                unit = item.unit
                if (
                    unit == "antal"
                    and n > 0
                    and re.fullmatch(r"[\s,]*(?:dog|og|men)?\s*\w*\s*", piece[found[n - 1].end : item.start])
                ):
                    # "minimum 100 igangværende revalideringsbevillinger, dog maksimalt 175": the same indicator.
                    indicators[n] = indicator = indicators[n - 1]
                    unit = found[n - 1].unit
                else:
                    indicator = _indicator(piece, item, found, section, indicators)
                    indicators[n] = indicator
                if unit == "antal":
                    unit = (noun_unit(indicator.split()[-1]) if indicator else None) or "antal"
                period, baseline_period = _period(piece, item)
                year = _year_of(period) or _section_year(section)
                if year is None and len(meta.covered_years) == 1:
                    year = meta.year
                if year is None:
                    year = _earlier_section_year(chunks[: i + 1] if chunk else [], meta)
                baseline = BASELINE_BEFORE.search(piece[: item.start])
                q_start, q_end = _quote_span(clean_text, u_start, u_end, at)
                out.append(
                    Target(
                        target_id=f"{meta.doc_id}#{len(out) + 1}",
                        doc_id=meta.doc_id,
                        municipality=meta.municipality,
                        plan_year=meta.year,
                        title=meta.title,
                        target_year=year,
                        target_period=period,
                        indicator=indicator,
                        value=item.value,
                        value_text=item.value_text,
                        unit=unit,
                        direction=item.direction,
                        change=item.change,
                        baseline=parse_number(baseline.group(1)) if baseline else None,
                        baseline_period=baseline_period,
                        section=section,
                        page=chunk.page if chunk else None,
                        chunk_id=chunk.chunk_id if chunk else "",
                        ocr=chunk.ocr if chunk else False,
                        quote=clean_text[q_start:q_end],
                        start=q_start,
                        end=q_end,
                    )
                )
    return out


def _earlier_section_year(chunks: Sequence[Chunk], meta: DocumentMeta) -> int | None:
    """The year of the nearest earlier section that names one of the plan's years
    ("Resultatmål med udgangspunkt i ministermål for 2022" over its sub-sections)."""
    for chunk in reversed(chunks):
        named = re.search(r"\bfor (20\d\d)\b", chunk.section)
        if named and int(named.group(1)) in meta.covered_years:
            return int(named.group(1))
    return None
