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
(``planchat eval-targets``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Optional, Sequence

from planchat.danish import sentence_spans
from planchat.records import Chunk, DocumentMeta, Target

# Bump when extraction changes; stored targets of an older version are re-extracted at start-up.
TARGETS_VERSION = "1"

MONTHS = "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_NUMBER = re.compile(rf"(?<![\w.,\-–])(?:{_NUM})(?![\w]|[.,\-–]\d)")
_NUMBER_WORDS = {"to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8, "ni": 9, "ti": 10,
                 "tolv": 12, "femten": 15, "tyve": 20, "halvtreds": 50}
_WORD_NUMBER = re.compile(r"(?<=\s)(" + "|".join(_NUMBER_WORDS) + r")(?=\s)", re.IGNORECASE)

# Units: (pattern right after the number, unit name). Order matters.
_UNITS = [
    (r"\s*(?:%|pct\.?(?:\s*pct\.?)?|procent\b)", "pct"),
    (r"\s*procent-?point\w*", "procentpoint"),
    (r"\s*(?:mio\.?|millioner?)\s*(?:kr\.?|kroner)", "mio. kr."),
    (r"\s*(?:mia\.?|milliarder?)\s*(?:kr\.?|kroner)", "mia. kr."),
    (r"\s*(?:kr\.?|kroner)(?!\w)", "kr."),
    (r"\s*uge(?:r|rs)?\b", "uger"),
    (r"\s*(?:måned(?:er|ers)?|mdr\.?)(?!\w)", "måneder"),
    (r"\s*dage?s?\b", "dage"),
    (r"\s*timer?s?\b", "timer"),
    (r"\s*år\b", "år"),
]
_UNITS = [(re.compile(p, re.IGNORECASE), name) for p, name in _UNITS]
_NOUN = re.compile(r"\s*((?:[a-zæøå-]+\s+){0,2}[a-zæøå-]+)", re.IGNORECASE)
_NOUN_UNITS = [  # (suffix of the counted noun, unit)
    ("sager", "sager"), ("sag", "sager"), ("bevillinger", "bevillinger"), ("forløb", "forløb"),
    ("virksomheder", "virksomheder"), ("samtaler", "samtaler"), ("personer", "personer"), ("modtagere", "personer"),
    ("ledige", "personer"), ("borgere", "personer"), ("unge", "personer"), ("fleksjobbere", "personer"),
    ("pensioner", "personer"), ("flygtninge", "personer"), ("elever", "personer"), ("praktikker", "forløb"),
    ("jobordrer", "jobordrer"), ("stillinger", "stillinger"), ("medarbejdere", "personer"),
]

_W = r"[\wæøåÆØÅ-]+"
_END = r"\s*$"
# Cues that end right before the number: (pattern, direction, change, needs a goal word in the sentence).
_CUES = [
    (rf"\b(?:højst|maksimalt|maks\.?|max\.?|ikke over|ikke mere end|begrænses til|begrænse{_W}? til){_END}", "at_most", None, False),
    (rf"\b(?:mindst|minimum|min\.|som minimum){_END}", "at_least", None, False),
    (rf"\btop{_END}", "at_most", None, False),
    (rf"\b(?:være|er|blive|udgøre)\s+(?:{_W}\s+)?(?:under|mindre end|lavere end|færre end){_END}", "at_most", None, False),
    (rf"\b(?:være|er|blive|udgøre)\s+(?:{_W}\s+)?(?:over|mere end|højere end|flere end){_END}", "at_least", None, False),
    (rf"\b(?:reducere[s]?|nedbringe[s]?|sænke[s]?|falde|nedsætte[s]?|mindske[s]?|halvere[s]?)\s+(?:{_W}\s+){{0,4}}?til{_END}", "decrease", "to", True),
    (rf"\b(?:reducere[s]?|nedbringe[s]?|sænke[s]?|falde|mindske[s]?)\s+(?:{_W}\s+){{0,4}}?med{_END}", "decrease", "by", True),
    (rf"\b(?:fald|reduktion|nedgang|nedbringelse)\s+(?:på|med){_END}", "decrease", "by", True),
    (rf"\b(?:øge[s]?|forøge[s]?|hæve[s]?|stige|løfte[s]?|udvide[s]?)\s+(?:{_W}\s+){{0,4}}?til{_END}", "increase", "to", True),
    (rf"\b(?:øge[s]?|forøge[s]?|hæve[s]?|stige|løfte[s]?|udvide[s]?)\s+(?:{_W}\s+){{0,4}}?med{_END}", "increase", "by", True),
    (rf"\b(?:stigning|forøgelse|øgning)\s+(?:på|med){_END}", "increase", "by", True),
    (rf"\bforvent\w*\s+(?:{_W}\s+){{0,4}}?at\s+(?:være|udgøre){_END}", "equal", None, True),
    (rf"\b(?:være på|er på|udgøre|udgør|besparelse[r]? (?:på|for)|besparelseskrav (?:på|for)|mål (?:om|på)|målet er|"
     rf"måltal(?:let)? (?:er|på)|ambitionen er){_END}", "equal", None, True),
]
_CUES = [(re.compile(p, re.IGNORECASE), d, c, g) for p, d, c, g in _CUES]
_GOAL_WORD = re.compile(
    r"\b(?:skal|skulle|mål\w*|\w*mål|målsætning\w*|ambition\w*|forvent\w*|besparelse\w*|\w*krav|ønske[rs]?|"
    r"måltal\w*|forudsat|budget\w*)\b",
    re.IGNORECASE,
)
# A bound word that only qualifies a group, not a target: "personer med mindst 12 måneders ...".
_QUALIFIER_BEFORE = re.compile(
    r"(?:\b(?:med|i|af|på|end)(?:\s+en\s+varighed\s+på)?\s*|\bvarighed\s+på\s*)$", re.IGNORECASE
)
_RELATIVE = re.compile(r"\b(?:der|som)\s+(?:ikke\s+)?(?:har|havde)\b", re.IGNORECASE)
_PERIOD = rf"(?:(?:{MONTHS})\s+)?(?:20\d\d|19\d\d)(?:\s*[-–]\s*(?:20\d\d))?"
_PERIOD_AFTER = re.compile(
    rf"^\s*(?:\([^)]{{0,40}}\)\s*)?(?:i|ved udgangen af|inden udgangen af|i løbet af|frem mod|ultimo|primo|medio|pr\.|"
    rf"inden|for)\s+({_PERIOD})",
    re.IGNORECASE,
)
_FROM_TO_AFTER = re.compile(rf"^\s*fra\s+({_PERIOD})\s+til\s+({_PERIOD})", re.IGNORECASE)
_PERIOD_ANY = re.compile(
    rf"\b(?:i|ved udgangen af|inden udgangen af|i løbet af|frem mod|ultimo|primo|medio|for|i år)\s+({_PERIOD})",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_BASELINE_BEFORE = re.compile(rf"\bfra\s+({_NUM})(?:\s*\S+){{0,2}}?\s+til\s*$", re.IGNORECASE)
_DVS = re.compile(r"\s*[–-]\s*dvs\..*?[–-]\s*|\s*\([^)]*\)\s*")
_SUBJECT_START = re.compile(
    r"(?:^|[,:]\s*at\s|\bom,?\s+at\s|\ber,?\s+at\s|:\s*|\bat\s|,\s*og\s)", re.IGNORECASE
)
_SUBJECT_VERB = re.compile(r"\s+(?:skal|skulle|er|bliver|udgør|forventes)\b", re.IGNORECASE)
_TIME_PHRASE = re.compile(rf"\s*\b(?:i|ved udgangen af|inden udgangen af|i løbet af|frem mod)\s+{_PERIOD}", re.IGNORECASE)
_LIST_GAP = re.compile(r"^\s*(?:,|og|samt|,\s*og)\s*$")
MAX_QUOTE = 400


@dataclass
class _Found:
    start: int  # of the number, in the unit's text
    end: int  # after number + unit
    value: float
    value_text: str
    unit: str
    direction: str
    change: Optional[str]
    unit_noun: str  # the counted noun phrase, where the unit came from one
    cue: str = ""  # the words that made it a target ("maksimalt", "besparelse på")
    list_head: Optional[int] = None  # index of the list's first item, for "3,7 ..., 7,0 ... og 11 ..."


def parse_number(text: str) -> float:
    if text.lower() in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text.lower()])
    return float(text.replace(".", "").replace(",", "."))


def _unit_after(text: str, pos: int) -> tuple[str, int, str]:
    for pattern, name in _UNITS:
        m = pattern.match(text, pos)
        if m:
            return name, m.end(), ""
    m = _NOUN.match(text, pos)
    if m:
        offset = m.start(1)
        for word in re.finditer(r"[a-zæøå-]+", m.group(1), re.IGNORECASE):
            unit = noun_unit(word.group(0))
            if unit:
                return unit, offset + word.end(), text[offset : offset + word.end()]
    return "antal", pos, ""


def noun_unit(word: str) -> Optional[str]:
    """The unit a counted noun implies ("kontanthjælpsmodtagere" -> personer), or None."""
    word = word.lower()
    for suffix, unit in _NOUN_UNITS:
        if word.endswith(suffix):
            return unit
    return None


def _cue_before(prefix: str):
    for pattern, direction, change, needs_goal in _CUES:
        m = pattern.search(prefix)
        if m:
            return m, direction, change, needs_goal
    return None


def _is_qualifier(prefix: str, cue_start: int, direction: str) -> bool:
    before = prefix[:cue_start]
    if direction in ("at_most", "at_least") and _QUALIFIER_BEFORE.search(before):
        return True
    # Inside a relative clause ("..., der ikke har modtaget ... min. 100 timer") the bound describes a group.
    window = before[-80:]
    rel = None
    for rel in _RELATIVE.finditer(window):
        pass
    return rel is not None and "skal" not in window[rel.end():]


def _numbers(text: str):
    for m in _NUMBER.finditer(text):
        yield m.start(), m.end(), m.group(0)
    for m in _WORD_NUMBER.finditer(text):
        yield m.start(), m.end(), m.group(0)


def find_targets(sentence: str) -> list[_Found]:
    """The target values of one sentence, in order."""
    has_goal = bool(_GOAL_WORD.search(sentence))
    found: list[_Found] = []
    for start, end, raw in sorted(_numbers(sentence)):
        is_word = not raw[0].isdigit()
        unit, unit_end, noun = _unit_after(sentence, end)
        if unit == "antal" and _YEAR.fullmatch(raw):
            continue  # a year, not a value
        prefix = sentence[:start]
        cue = _cue_before(prefix)
        if cue is None:
            # The next item of a list that a cue opened: "3,7 mio. kr. i 2022, 7,0 mio. kr. i 2023 og 11 ...".
            if found and not is_word:
                prev = found[-1]
                tail = sentence[prev.end:start]
                period = _PERIOD_AFTER.match(tail)
                gap = tail[period.end():] if period else tail
                if _LIST_GAP.match(gap) and unit == prev.unit:
                    head = prev.list_head if prev.list_head is not None else len(found) - 1
                    found.append(
                        _Found(start, unit_end, parse_number(raw), raw, unit, prev.direction, prev.change, noun,
                               prev.cue, head)
                    )
                    continue
            baseline = _BASELINE_BEFORE.search(prefix)
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
        found.append(_Found(start, unit_end, parse_number(raw), raw, unit, direction, change, noun, match.group(0).strip()))
    # "skal ... være på 24 pct., svt. en stigning på 7,1 procentpoint": the level is a level to rise to.
    for n, item in enumerate(found):
        if item.direction == "equal" and n + 1 < len(found) and found[n + 1].change == "by":
            if re.match(r"^[\s,]*(?:\([^)]*\)\s*)?(?:i\s+\S+\s+\d{4}\s*)?[\s,]*(?:svt\.|svarende til|dvs\.)",
                        sentence[item.end : found[n + 1].start]):
                item.direction, item.change = found[n + 1].direction, "to"
    return found


def _period(sentence: str, item: _Found) -> tuple[Optional[str], Optional[str]]:
    """(target period, baseline period) in the sentence's words."""
    after = sentence[item.end:]
    m = _FROM_TO_AFTER.match(after)
    if m:
        return m.group(2), m.group(1)
    m = _PERIOD_AFTER.match(after)
    if m:
        return m.group(1), None
    before = [p for p in _PERIOD_ANY.finditer(sentence[: item.start])]
    if before:
        return before[-1].group(1), None
    return None, None


def _year_of(period: Optional[str]) -> Optional[int]:
    years = _YEAR.findall(period or "")
    return int(years[-1]) if years else None


# Subjects that say nothing about what is measured ("ambitionen er top 20"): look further.
_PRONOUN_SUBJECTS = {
    "der", "det", "heraf", "vi", "de", "den", "dette", "disse", "hvilket", "ambitionen", "målet", "målsætningen",
}
_OF_PHRASE = re.compile(
    r"\b((?:antallet|andelen|andel|tilgangen|niveauet|udgifterne|ledigheden|varigheden)\s+(?:(?:af|til|for|blandt)\s+)?"
    r"[\wæøå-]+(?:\s+(?!skal\b|er\b|bliver\b|der\b|som\b|at\b|ved\b|i\b|gennemsnitligt\b|forventes\b)[\wæøå-]+){0,7})",
    re.IGNORECASE,
)
_SAVINGS = re.compile(
    r"((?:(?:årlig|årlige|samlet|samlede|yderligere)\s+)?[\wæøå-]*(?:besparelse[r]?|besparelseskrav))\s+(?:på|for|til)\s*$",
    re.IGNORECASE,
)


def _indicator(sentence: str, item: _Found, found: list[_Found], section: str, cache: dict) -> str:
    """What the target measures, in the sentence's own words."""
    if item.list_head is not None and item.list_head in cache:
        return cache[item.list_head]
    prefix = sentence[: item.start]
    savings = _SAVINGS.search(prefix)
    if savings:
        return _trim(savings.group(1))
    if item.unit_noun and item.unit_noun.split()[-1].lower() != "personer":
        # The counted noun, with its qualifier: "sygedagpengesager med en varighed på over 52 uger".
        tail = sentence[item.end - len(item.unit_noun) :]
        phrase = re.split(r"[.,;:(]|\s+(?:og|dog|heraf|i alt)\s", tail, maxsplit=1)[0].strip()
        if phrase:
            return _trim(phrase)
    verb = None
    for verb in _SUBJECT_VERB.finditer(prefix):
        pass
    if verb is not None:
        head = _DVS.sub(" ", prefix[: verb.start()])
        starts = list(_SUBJECT_START.finditer(head))
        subject = (head[starts[-1].end() :] if starts else head)
        subject = _TIME_PHRASE.sub("", subject).strip(" -–,")
        if subject and subject.lower() not in _PRONOUN_SUBJECTS and len(subject.split()) <= 40:
            return _trim(subject)
    of_phrase = _OF_PHRASE.search(prefix)
    if of_phrase:
        return _trim(_TIME_PHRASE.sub("", of_phrase.group(1)))
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


def _section_year(section: str) -> Optional[int]:
    years = _YEAR.findall(section or "")
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
            if gap == "\n" and " | " not in prev and " | " not in nxt and (
                not prev.rstrip().endswith((".", "!", "?", ":")) or re.search(r"\b(?:min|max|ca|jf|pr)\.$", prev)
            ) and (nxt[:1].islower() or nxt[:1].isdigit()):
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
        if not any(ch.isdigit() for ch in sentence) and not _WORD_NUMBER.search(f" {sentence} "):
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
                if unit == "antal" and n > 0 and re.fullmatch(r"[\s,]*(?:dog|og|men)?\s*\w*\s*", piece[found[n - 1].end : item.start]):
                    # "minimum 100 igangværende revalideringsbevillinger, dog maksimalt 175": the same indicator.
                    indicators[n] = indicator = indicators[n - 1]
                    unit = found[n - 1].unit
                else:
                    indicator = _indicator(piece, item, found, section, indicators)
                    indicators[n] = indicator
                if unit == "antal":
                    unit = noun_unit(indicator.split()[-1]) if indicator else None
                    unit = unit or "antal"
                period, baseline_period = _period(piece, item)
                year = _year_of(period) or _section_year(section)
                if year is None and len(meta.covered_years) == 1:
                    year = meta.year
                if year is None:
                    year = _earlier_section_year(chunks[: i + 1] if chunk else [], meta)
                baseline = _BASELINE_BEFORE.search(piece[: item.start])
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
                        quote=clean_text[q_start:q_end],
                        start=q_start,
                        end=q_end,
                    )
                )
    return out


def _earlier_section_year(chunks: Sequence[Chunk], meta: DocumentMeta) -> Optional[int]:
    """The year of the nearest earlier section that names one of the plan's years
    ("Resultatmål med udgangspunkt i ministermål for 2022" over its sub-sections)."""
    for chunk in reversed(chunks):
        named = re.search(r"\bfor (20\d\d)\b", chunk.section)
        if named and int(named.group(1)) in meta.covered_years:
            return int(named.group(1))
    return None
