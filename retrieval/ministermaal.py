"""The ministermål matrix: the national goals of a year (rows) × the plans
that cover that year (columns).

The goals are read from the plans themselves, not from a hard-coded list:
a line that announces the minister's goals ("De 4 beskæftigelsespolitiske
ministermål for 2014 er:", "Ministermålene for 2022 er som følger:",
"MINISTERMÅL") followed by a numbered list ("Mål 1. Flere unge skal have en
uddannelse", "1. Alle ledige skal have en værdig sagsbehandling (videreført
fra 2021)", or "1. ... 2. ... 3. ..." on one line). The year is the one the
announcing line names, else the plan's own year. Plans that list the same
year's goals are merged by goal number; every listing is kept as a source
citation.

Each cell is answered like a comparison row (retrieval inside that one
plan, the goal's title as the question), with the goal lists themselves
excluded as evidence: a plan restating the goal has not said how it meets
it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.snapshot import IndexSnapshot
from planchat.danish import analyze, sentence_spans
from planchat.deadline import Deadline
from planchat.errors import NotFound
from planchat.records import Citation, DocumentMeta

from .answer import ExcludedSpans
from .compare import CompareRow, CompareService
from .query import query_analyzer

_ANNOUNCE = re.compile(
    r"(?i)^(?:.*\b(?:ministerm[aå]l\w*|ministerens\s+m[aå]l|beskæftigelsespolitiske\s+m[aå]l)\b.*(?:er|følger|følgende)\s*:\s*"
    r"|\s*(?:beskæftigelses)?ministerm[aå]l(?:ene)?\s*(?:for\s+\d{4})?\s*)$"
)
_ITEM = re.compile(r"^\s*(?:(?:minister)?m[aå]l\s+)?(\d)\s*[.:)]\s+(\S.{3,200}?)\s*$", re.IGNORECASE)
_INLINE = re.compile(r"(?:^|\s)(\d)\.\s*(.+?)(?=\s+\d\.\s*[A-ZÆØÅ]|$)")
_YEAR = re.compile(r"\b(20\d\d|19\d\d)\b")
_CARRIED = re.compile(r"\s*\((?:videreført|ny|nyt)[^)]*\)\s*$", re.IGNORECASE)
LOOKAHEAD_LINES = 40
# A cell's quotes must hold this share of the goal's idf mass: a sentence that
# shares only "flere ... beskæftigelse" with "Flere personer med handicap skal
# i beskæftigelse" does not say how the plan meets that goal.
MIN_EVIDENCE_COVERAGE = 0.5


def _unhyphenate(text: str) -> str:
    """'arbejds-markedet' (a line-break hyphen kept by the source) -> 'arbejdsmarkedet', for matching only."""
    return re.sub(r"(?<=[a-zæøå])-(?=[a-zæøå])", "", text)


_RESTATEMENT_EXTRA = set(
    analyze("ministermål ministerens mål videreført fra nyt mål 2020 2021 2022 2023 2024 1 2 3 4 5")
)


@dataclass
class GoalListing:
    number: int
    title: str
    year: int
    doc_id: str
    start: int  # span of the listed goal (its line or inline item) in the clean text
    end: int


@dataclass
class Goal:
    year: int
    number: int
    title: str
    sources: list[GoalListing] = field(default_factory=list)


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def find_goal_listings(clean_text: str, meta: DocumentMeta) -> list[GoalListing]:
    """The numbered ministermål lists of one document."""
    lines = list(_lines(clean_text))
    out: list[GoalListing] = []
    i = 0
    while i < len(lines):
        offset, line = lines[i]
        if not _ANNOUNCE.match(line.strip()) or len(line) > 200:
            i += 1
            continue
        named = _YEAR.search(line)
        year = int(named.group(1)) if named else meta.year
        expected, found = 1, []
        j = i + 1
        while j < len(lines) and j <= i + LOOKAHEAD_LINES:
            l_off, l_text = lines[j]
            item = _ITEM.match(l_text)
            inline = [m for m in _INLINE.finditer(l_text)]
            if len(inline) >= 3 and [int(m.group(1)) for m in inline] == list(range(expected, expected + len(inline))):
                for m in inline:
                    title = m.group(2).strip()
                    start = l_off + m.start(2)
                    found.append(
                        GoalListing(
                            int(m.group(1)), _CARRIED.sub("", title), year, meta.doc_id, start, start + len(title)
                        )
                    )
                expected += len(inline)
                break
            if item and int(item.group(1)) == expected:
                title = item.group(2).strip()
                start = l_off + item.start(2)
                found.append(
                    GoalListing(expected, _CARRIED.sub("", title), year, meta.doc_id, start, start + len(title))
                )
                expected += 1
            elif item and found:
                break  # another numbering: the list is over
            elif re.match(r"^\s*\d+(?:\.\d+)*\s+[A-ZÆØÅ]", l_text) and found and not item:
                break  # the next numbered section heading
            j += 1
        if len(found) >= 2:
            out.extend(found)
            i = j
        else:
            i += 1
    return out


def derive_goals(listings: list[GoalListing]) -> dict[int, list[Goal]]:
    """year -> goals in number order, merged over the plans that list them."""
    by_key: dict[tuple[int, int], Goal] = {}
    for listing in listings:
        goal = by_key.setdefault((listing.year, listing.number), Goal(listing.year, listing.number, listing.title))
        goal.sources.append(listing)
    years: dict[int, list[Goal]] = {}
    for (year, _), goal in sorted(by_key.items()):
        # The shortest listing is the plain title; others add quotes or comments.
        goal.title = min((s.title for s in goal.sources), key=len)
        years.setdefault(year, []).append(goal)
    return years


@dataclass
class Matrix:
    year: int
    goals: list[Goal]
    plans: list[DocumentMeta]
    cells: dict[int, list[CompareRow]]  # goal number -> one row per plan, in plans order


def plan_goals(snapshot: IndexSnapshot) -> dict[int, list[Goal]]:
    """year -> the ministermål the snapshot's plans list for it (once per generation)."""
    return snapshot.derived(_read_goals)


def _read_goals(snapshot: IndexSnapshot, previous) -> dict[int, list[Goal]]:
    listings = []
    for doc_id, meta in sorted(snapshot.documents.items()):
        listings.extend(find_goal_listings(snapshot.clean_text(doc_id) or "", meta))
    return derive_goals(listings)


def _sentence_cache(snapshot: IndexSnapshot, previous) -> dict[str, list]:
    return {}  # doc_id -> [(start, end, analysed terms)], filled on use


def restatements(snapshot: IndexSnapshot, doc_id: str, title: str) -> list[tuple[str, int, int]]:
    """Sentences of the plan that only repeat the goal's title (as a heading,
    in capitals, with "(videreført fra 2021)"): they say nothing of how the
    plan meets it."""
    allowed = set(analyze(title)) | _RESTATEMENT_EXTRA
    cache = snapshot.derived(_sentence_cache)
    sentences = cache.get(doc_id)
    if sentences is None:
        text = snapshot.clean_text(doc_id) or ""
        sentences = [(sp.start, sp.end, frozenset(analyze(text[sp.start : sp.end]))) for sp in sentence_spans(text)]
        cache[doc_id] = sentences
    return [(doc_id, a, b) for a, b, terms in sentences if terms and terms <= allowed]


class MinistermaalService:
    def __init__(self, compare: CompareService):
        self.compare = compare
        self.index = compare.index

    def goals(self, snapshot: IndexSnapshot | None = None) -> dict[int, list[Goal]]:
        return plan_goals(snapshot if snapshot is not None else self.index.snapshot)

    @staticmethod
    def source_citation(snapshot: IndexSnapshot, n: int, listing: GoalListing) -> Citation:
        meta = snapshot.documents[listing.doc_id]
        text = snapshot.clean_text(listing.doc_id) or ""
        chunk = next((c for c in snapshot.document_chunks(listing.doc_id) if c.start <= listing.start < c.end), None)
        return Citation(
            n=n,
            doc_id=listing.doc_id,
            title=meta.title,
            municipality=meta.municipality,
            year=meta.year,
            section=chunk.section if chunk else "",
            page=chunk.page if chunk else None,
            page_label=chunk.page_label if chunk else None,
            quote=text[listing.start : listing.end],
            score=1.0,
            chunk_id=chunk.chunk_id if chunk else "",
            start=listing.start,
            end=listing.end,
            ocr=chunk.ocr if chunk else False,
        )

    def matrix(
        self,
        year: int,
        municipalities: list[str] | None = None,
        snapshot: IndexSnapshot | None = None,
        deadline: Deadline | None = None,
    ) -> Matrix:
        snapshot = snapshot if snapshot is not None else self.index.snapshot
        deadline = deadline or Deadline.unlimited()
        goals = plan_goals(snapshot)
        if year not in goals:
            known = ", ".join(map(str, sorted(goals))) or "none"
            raise NotFound(
                f"year: no plan in the corpus lists the ministermål for {year}. Years with listed goals: {known}."
            )
        plans = (
            self.compare.plans_in_scope(snapshot, municipalities, [year])
            if any(year in m.covered_years for m in snapshot.documents.values())
            else []
        )
        # Every goal list of every year (the same goals are listed again as headings elsewhere).
        listed = [
            (s.doc_id, s.start, s.end) for year_goals in goals.values() for goal in year_goals for s in goal.sources
        ]
        ask = self.compare.ask
        cells: dict[int, list[CompareRow]] = {}
        for goal in goals[year]:
            title = _unhyphenate(goal.title)
            base = ask.embedded(query_analyzer(snapshot).analyze(title))
            restated = [span for meta in plans for span in restatements(snapshot, meta.doc_id, title)]
            excluded = ExcludedSpans(listed + restated)  # grouped once per goal, not per plan
            cells[goal.number] = []
            for meta in plans:
                deadline.check(
                    f"The ministermål matrix for {year} ({Deadline.count(len(goals[year]), 'goal')} × "
                    f"{Deadline.count(len(plans), 'plan')})"
                )
                cells[goal.number].append(self.compare.row(snapshot, base, meta, ask.settings.top_k, exclude=excluded,
                                                           min_evidence_coverage=MIN_EVIDENCE_COVERAGE))  # fmt: skip
        return Matrix(year=year, goals=goals[year], plans=plans, cells=cells)
