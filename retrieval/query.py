"""Query analysis: a question (+ explicit filters) -> Query.

Detects municipalities ("i Jammerbugt", "Vejles", aliases from the
manifest) and the other publishers in the index (a region, a ministry, a
municipality before 2007: "Beskæftigelsesregion Nordjylland", "Sejlflod
Kommune") and years ("2014") in the question, validates explicit filters
against the corpus, and notices municipalities the corpus holds no plan for
(the answerer then abstains instead of answering about someone else).

Explicit filters are hard: an unknown municipality or a year no plan covers
is a 400. Years detected in the question are soft: they narrow the search
only when some plan of the chosen municipalities covers that year (a 2023
plan that states 2024 savings must still answer "i 2024").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from planchat.danish import analyze, words
from planchat.errors import InvalidRequest, UnknownFilter
from planchat.municipalities import MunicipalityMatcher, national_names
from planchat.records import DocumentMeta

YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_NUMBER_QUESTION = re.compile(
    r"\b(hvor mange|hvor stor|hvor meget|hvor højt|hvor lav|hvilket mål|hvilke mål|måltal|mål for|målet for|"
    r"andel|procent|pct|antal|budget|besparelse|beløb|how many|how much|what share|what percentage|target|"
    r"percent|number of|højst|mindst|maksimalt|minimum|maximum)\b",
    re.IGNORECASE,
)
_SPANNING = re.compile(
    r"\b(hvilke kommuner|hvilken kommune|alle kommuner|kommunerne|planerne|sammenlign\w*|på tværs|forskel\w*|"
    r"which municipalities|compare|comparison|across|each municipality|both)\b",
    re.IGNORECASE,
)
_ENGLISH_MARKERS = {
    "what",
    "which",
    "how",
    "does",
    "do",
    "is",
    "are",
    "the",
    "of",
    "for",
    "target",
    "plan",
    "municipality",
    "many",
    "much",
    "who",
    "when",
    "where",
    "why",
    "there",
    "their",
}
_DANISH_MARKERS = {"hvad", "hvilke", "hvor", "hvordan", "er", "og", "for", "i", "på", "af", "det", "den", "mål", "skal"}


@dataclass(frozen=True)
class Query:
    """An analysed question. Frozen: a variant is made with ``with_``."""

    text: str
    terms: list[str]  # stemmed content terms (with English glossary expansion)
    municipalities: list[str] = field(default_factory=list)  # canonical corpus names to search
    years: list[int] = field(default_factory=list)
    doc_ids: list[str] | None = None  # None: every document
    unknown_municipalities: list[str] = field(default_factory=list)
    wants_number: bool = False
    spanning: bool = False
    lang: str = "da"
    answer_type: str = ""  # "when", "how_often", "who", "why", "target" or "" (see retrieval/answer.py)
    wants_list: bool = (
        False  # "Hvilke …", "Hvad gør/vil …", "Hvordan …": the answer may be a list (retrieval/structure.py)
    )
    corpus_municipalities: list[str] = field(default_factory=list)
    vector: Any = None  # the question's embedding, set once per request (AskService.embedded)

    def with_(self, **changes) -> Query:
        return replace(self, **changes)


_ANSWER_TYPE_CUES = (
    ("how_often", re.compile(r"(?i)\b(hvor ofte|hvor tit|hvor hyppigt|how often)\b")),
    ("when", re.compile(r"(?i)\b(hvornår|when|by what date|deadline|frist|hvilken dato|what date)\b")),
    ("who", re.compile(r"(?i)\b(hvem|who|which body)\b")),
    ("why", re.compile(r"(?i)\b(hvorfor|hvad skyldes|hvad er årsagen|why|what is the reason)\b")),
    ("target", re.compile(r"(?i)\b(mål|målet|måltal|målsætning\w*|resultatkrav\w*|resultatmål|target\w*|goals?)\b")),
    ("how", re.compile(r"(?i)\b(hvordan|på hvilken måde|hvad gør|how (?:do|does|will|can|is|are|should))\b")),
)


_LIST_CUE = re.compile(
    r"(?i)^\W*(hvilke|hvilken|hvem|hvad (gør|vil|skal|kan|er)|hvordan|nævn|list|which|who|what (do|does|will|are|is)|how)\b"
)


def wants_list(question: str) -> bool:
    """Could the answer be a list of things the plan names (measures,
    goals, members, tasks)? Not when the question asks for a number or a
    date."""
    return (
        bool(_LIST_CUE.search(question))
        and not _NUMBER_QUESTION.search(question)
        and answer_type(question) not in ("when", "how_often")
    )


def answer_type(question: str) -> str:
    for name, cue in _ANSWER_TYPE_CUES:
        if cue.search(question):
            return name
    return ""


def detect_language(text: str) -> str:
    tokens = words(text)
    english = sum(1 for t in tokens if t in _ENGLISH_MARKERS)
    danish = sum(1 for t in tokens if t in _DANISH_MARKERS) + len(re.findall(r"[æøå]", text.lower()))
    return "en" if english > danish else "da"


class QueryAnalyzer:
    def __init__(self, documents: dict[str, DocumentMeta]):
        self.documents = documents
        surfaces: dict[str, str] = {}
        as_written: set[str] = set()
        for meta in documents.values():
            for name in (meta.municipality, meta.publisher, *meta.aliases):
                if name:
                    surfaces[name] = meta.municipality
            if meta.publisher_kind == "historical" and " " not in meta.municipality:
                as_written.add(meta.municipality)  # old names are often words too ("Hals", "Ry"): capitalised only
        self.corpus_municipalities = sorted({m.municipality for m in documents.values()})
        self._lookup = {s.casefold(): canonical for s, canonical in surfaces.items()}
        national = {s: c for s, c in national_names().items() if c not in self.corpus_municipalities}
        self._matcher = MunicipalityMatcher({**national, **surfaces}, frozenset(as_written - set(national_names())))

    def resolve_municipality(self, name: str, field: str = "municipalities") -> str:
        """The corpus name for ``name``; else UnknownFilter naming ``field`` (the request's own field name)."""
        canonical = self._lookup.get(name.strip().casefold())
        if canonical is None:
            known = ", ".join(self.corpus_municipalities) or "(none: the index is empty)"
            raise UnknownFilter(f"{field}: '{name}' is not in the corpus. Known municipalities: {known}.")
        return canonical

    def docs_for(self, municipalities: list[str], years: list[int], strict_years: bool = True) -> list[str]:
        """Documents of the municipalities (all if none) that cover one of
        the years. With ``strict_years`` off, a municipality none of whose
        plans covers the years keeps all its plans ("Fredericia i 2022 og
        Jammerbugt i 2014" must still reach Fredericia's 2023 plan)."""
        in_scope = [m for m in self.documents.values() if not municipalities or m.municipality in municipalities]
        if not years:
            return sorted(m.doc_id for m in in_scope)
        covering = [m for m in in_scope if set(years) & set(m.covered_years)]
        if strict_years:
            return sorted(m.doc_id for m in covering)
        covered_munis = {m.municipality for m in covering}
        return sorted(
            m.doc_id for m in in_scope if m.municipality not in covered_munis or set(years) & set(m.covered_years)
        )

    def analyze(
        self,
        question: str,
        municipalities: list[str] | None = None,
        years: list[int] | None = None,
    ) -> Query:
        if not question or not question.strip():
            raise InvalidRequest("question: must not be empty. Ask something about the plans.")
        if municipalities:
            chosen, unknown = sorted({self.resolve_municipality(m) for m in municipalities}), list[str]()
        else:
            chosen, unknown = self.mentioned_municipalities(question)
        if years:
            chosen_years = self.check_years(years)
        else:
            detected = sorted({int(y) for y in YEAR.findall(question)})
            chosen_years = detected if detected and self.docs_for(chosen, detected) else []
        doc_ids = None
        if chosen or chosen_years:
            # Explicit years are a hard filter; years read from the question
            # narrow only the municipalities that have a plan for them.
            doc_ids = self.docs_for(chosen, chosen_years, strict_years=bool(years))
        return Query(
            text=question.strip(),
            terms=analyze(question, expand_english=True),
            municipalities=chosen,
            years=chosen_years,
            doc_ids=doc_ids,
            unknown_municipalities=unknown,
            wants_number=bool(_NUMBER_QUESTION.search(question)),
            spanning=bool(_SPANNING.search(question)),
            lang=detect_language(question),
            answer_type=answer_type(question),
            wants_list=wants_list(question),
            corpus_municipalities=self.corpus_municipalities,
        )

    def check_years(self, years: list[int]) -> list[int]:
        """Explicit years, each covered by some plan (else UnknownFilter)."""
        covered = {y for meta in self.documents.values() for y in meta.covered_years}
        missing = [y for y in years if y not in covered]
        if missing:
            raise UnknownFilter(
                f"years: no plan covers {', '.join(map(str, missing))}. "
                f"Years in the corpus: {', '.join(map(str, sorted(covered)))}."
            )
        return sorted(set(years))

    def mentions(self, text: str):
        """Every municipality or publisher name the text mentions (with spans)."""
        return self._matcher.find(text)

    def mentioned_municipalities(self, question: str) -> tuple[list[str], list[str]]:
        """(corpus municipalities named in the question, sorted; names of
        municipalities the corpus holds no plan for, in order of mention)."""
        mentioned: list[str] = []
        unknown: list[str] = []
        for mention in self._matcher.find(question):
            if mention.name in self.corpus_municipalities:
                if mention.name not in mentioned:
                    mentioned.append(mention.name)
            elif mention.name not in unknown:
                unknown.append(mention.name)
        return sorted(mentioned), unknown


def query_analyzer(snapshot) -> QueryAnalyzer:
    """The analyser of one index snapshot (built once per generation)."""
    return snapshot.derived(_build_analyzer)


def _build_analyzer(snapshot, previous) -> QueryAnalyzer:
    return QueryAnalyzer(dict(snapshot.documents))
