"""The Danish words and patterns that target extraction reads
(ingest/target_extraction.py): numbers (digits and number words) and their
units, the cues that make a number a target, goal words, the phrases that
only qualify a group, periods and baselines, and the phrases an indicator is
read from. ``parse_number``, ``unit_after``, ``noun_unit`` and ``cue_before``
read one spot of a sentence with them.

Changing a pattern changes what is extracted: bump TARGETS_VERSION in
ingest/target_extraction.py with it.
"""

from __future__ import annotations

import re

MONTHS = "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_NUMBER = re.compile(rf"(?<![\w.,\-–])(?:{_NUM})(?![\w]|[.,\-–]\d)")
_NUMBER_WORDS = {
    "to": 2,
    "tre": 3,
    "fire": 4,
    "fem": 5,
    "seks": 6,
    "syv": 7,
    "otte": 8,
    "ni": 9,
    "ti": 10,
    "tolv": 12,
    "femten": 15,
    "tyve": 20,
    "halvtreds": 50,
}
WORD_NUMBER = re.compile(r"(?<=\s)(" + "|".join(_NUMBER_WORDS) + r")(?=\s)", re.IGNORECASE)

# Units: (pattern right after the number, unit name). Order matters.
_UNIT_SOURCES = [
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
_UNITS = [(re.compile(p, re.IGNORECASE), name) for p, name in _UNIT_SOURCES]
_NOUN = re.compile(r"\s*((?:[a-zæøå-]+\s+){0,2}[a-zæøå-]+)", re.IGNORECASE)
_NOUN_UNITS = [  # (suffix of the counted noun, unit)
    ("sager", "sager"),
    ("sag", "sager"),
    ("bevillinger", "bevillinger"),
    ("forløb", "forløb"),
    ("virksomheder", "virksomheder"),
    ("samtaler", "samtaler"),
    ("personer", "personer"),
    ("modtagere", "personer"),
    ("ledige", "personer"),
    ("borgere", "personer"),
    ("unge", "personer"),
    ("fleksjobbere", "personer"),
    ("pensioner", "personer"),
    ("flygtninge", "personer"),
    ("elever", "personer"),
    ("praktikker", "forløb"),
    ("jobordrer", "jobordrer"),
    ("stillinger", "stillinger"),
    ("medarbejdere", "personer"),
]

_W = r"[\wæøåÆØÅ-]+"
_END = r"\s*$"
# Cues that end right before the number: (pattern, direction, change, needs a goal word in the sentence).
_CUE_SOURCES = [
    (
        rf"\b(?:højst|maksimalt|maks\.?|max\.?|ikke over|ikke mere end|begrænses til|begrænse{_W}? til){_END}",
        "at_most",
        None,
        False,
    ),
    (rf"\b(?:mindst|minimum|min\.|som minimum){_END}", "at_least", None, False),
    (rf"\btop{_END}", "at_most", None, False),
    (
        rf"\b(?:være|er|blive|udgøre)\s+(?:{_W}\s+)?(?:under|mindre end|lavere end|færre end){_END}",
        "at_most",
        None,
        False,
    ),
    (
        rf"\b(?:være|er|blive|udgøre)\s+(?:{_W}\s+)?(?:over|mere end|højere end|flere end){_END}",
        "at_least",
        None,
        False,
    ),
    (
        rf"\b(?:reducere[s]?|nedbringe[s]?|sænke[s]?|falde|nedsætte[s]?|mindske[s]?|halvere[s]?)\s+(?:{_W}\s+){{0,4}}?til{_END}",
        "decrease",
        "to",
        True,
    ),
    (
        rf"\b(?:reducere[s]?|nedbringe[s]?|sænke[s]?|falde|mindske[s]?)\s+(?:{_W}\s+){{0,4}}?med{_END}",
        "decrease",
        "by",
        True,
    ),
    (rf"\b(?:fald|reduktion|nedgang|nedbringelse)\s+(?:på|med){_END}", "decrease", "by", True),
    (
        rf"\b(?:øge[s]?|forøge[s]?|hæve[s]?|stige|løfte[s]?|udvide[s]?)\s+(?:{_W}\s+){{0,4}}?til{_END}",
        "increase",
        "to",
        True,
    ),
    (
        rf"\b(?:øge[s]?|forøge[s]?|hæve[s]?|stige|løfte[s]?|udvide[s]?)\s+(?:{_W}\s+){{0,4}}?med{_END}",
        "increase",
        "by",
        True,
    ),
    (rf"\b(?:stigning|forøgelse|øgning)\s+(?:på|med){_END}", "increase", "by", True),
    (rf"\bforvent\w*\s+(?:{_W}\s+){{0,4}}?at\s+(?:være|udgøre){_END}", "equal", None, True),
    (
        rf"\b(?:være på|er på|udgøre|udgør|besparelse[r]? (?:på|for)|besparelseskrav (?:på|for)|mål (?:om|på)|målet er|"
        rf"måltal(?:let)? (?:er|på)|ambitionen er){_END}",
        "equal",
        None,
        True,
    ),
]
_CUES = [(re.compile(p, re.IGNORECASE), d, c, g) for p, d, c, g in _CUE_SOURCES]
GOAL_WORD = re.compile(
    r"\b(?:skal|skulle|mål\w*|\w*mål|målsætning\w*|ambition\w*|forvent\w*|besparelse\w*|\w*krav|ønske[rs]?|"
    r"måltal\w*|forudsat|budget\w*)\b",
    re.IGNORECASE,
)
# A bound word that only qualifies a group, not a target: "personer med mindst 12 måneders ...".
QUALIFIER_BEFORE = re.compile(
    r"(?:\b(?:med|i|af|på|end)(?:\s+en\s+varighed\s+på)?\s*|\bvarighed\s+på\s*)$", re.IGNORECASE
)
RELATIVE = re.compile(r"\b(?:der|som)\s+(?:ikke\s+)?(?:har|havde)\b", re.IGNORECASE)
_PERIOD = rf"(?:(?:{MONTHS})\s+)?(?:20\d\d|19\d\d)(?:\s*[-–]\s*(?:20\d\d))?"
PERIOD_AFTER = re.compile(
    rf"^\s*(?:\([^)]{{0,40}}\)\s*)?(?:i|ved udgangen af|inden udgangen af|i løbet af|frem mod|ultimo|primo|medio|pr\.|"
    rf"inden|for)\s+({_PERIOD})",
    re.IGNORECASE,
)
FROM_TO_AFTER = re.compile(rf"^\s*fra\s+({_PERIOD})\s+til\s+({_PERIOD})", re.IGNORECASE)
PERIOD_ANY = re.compile(
    rf"\b(?:i|ved udgangen af|inden udgangen af|i løbet af|frem mod|ultimo|primo|medio|for|i år)\s+({_PERIOD})",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
BASELINE_BEFORE = re.compile(rf"\bfra\s+({_NUM})(?:\s*\S+){{0,2}}?\s+til\s*$", re.IGNORECASE)
DVS = re.compile(r"\s*[–-]\s*dvs\..*?[–-]\s*|\s*\([^)]*\)\s*")
SUBJECT_START = re.compile(r"(?:^|[,:]\s*at\s|\bom,?\s+at\s|\ber,?\s+at\s|:\s*|\bat\s|,\s*og\s)", re.IGNORECASE)
SUBJECT_VERB = re.compile(r"\s+(?:skal|skulle|er|bliver|udgør|forventes)\b", re.IGNORECASE)
TIME_PHRASE = re.compile(
    rf"\s*\b(?:i|ved udgangen af|inden udgangen af|i løbet af|frem mod)\s+{_PERIOD}", re.IGNORECASE
)
LIST_GAP = re.compile(r"^\s*(?:,|og|samt|,\s*og)\s*$")

# Subjects that say nothing about what is measured ("ambitionen er top 20"): look further.
PRONOUN_SUBJECTS = {
    "der",
    "det",
    "heraf",
    "vi",
    "de",
    "den",
    "dette",
    "disse",
    "hvilket",
    "ambitionen",
    "målet",
    "målsætningen",
}
OF_PHRASE = re.compile(
    r"\b((?:antallet|andelen|andel|tilgangen|niveauet|udgifterne|ledigheden|varigheden)\s+(?:(?:af|til|for|blandt)\s+)?"
    r"[\wæøå-]+(?:\s+(?!skal\b|er\b|bliver\b|der\b|som\b|at\b|ved\b|i\b|gennemsnitligt\b|forventes\b)[\wæøå-]+){0,7})",
    re.IGNORECASE,
)
SAVINGS = re.compile(
    r"((?:(?:årlig|årlige|samlet|samlede|yderligere)\s+)?[\wæøå-]*(?:besparelse[r]?|besparelseskrav))\s+(?:på|for|til)\s*$",
    re.IGNORECASE,
)


def parse_number(text: str) -> float:
    if text.lower() in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text.lower()])
    return float(text.replace(".", "").replace(",", "."))


def unit_after(text: str, pos: int) -> tuple[str, int, str]:
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


def noun_unit(word: str) -> str | None:
    """The unit a counted noun implies ("kontanthjælpsmodtagere" -> personer), or None."""
    word = word.lower()
    for suffix, unit in _NOUN_UNITS:
        if word.endswith(suffix):
            return unit
    return None


def cue_before(prefix: str):
    for pattern, direction, change, needs_goal in _CUES:
        m = pattern.search(prefix)
        if m:
            return m, direction, change, needs_goal
    return None


def numbers_in(text: str):
    for m in _NUMBER.finditer(text):
        yield m.start(), m.end(), m.group(0)
    for m in WORD_NUMBER.finditer(text):
        yield m.start(), m.end(), m.group(0)
