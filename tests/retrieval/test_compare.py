"""Side-by-side comparison: one row per plan, answered from that plan alone."""

from __future__ import annotations

import pytest

from planchat.errors import InvalidRequest, UnknownFilter
from planchat.records import Citation, Target
from retrieval.compare import CompareRow, CompareService, Comparison, row_summary
from retrieval.formatting import comparison_csv, comparison_markdown, comparison_table, target_short

REBILD_50 = (
    "Der opstilles et konkret mål om, at andelen af beskæftigede flygtninge og familiesammenførte ved udgangen "
    "af 2022 er mindst 50%."
)


def test_row_summary_drops_the_municipality_lead():
    assert row_summary("Rebild: «a» [1] «b» [2]", "Rebild") == "«a» [1] «b» [2]"


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("  ", r"^topic: must not be empty\. Name what to compare, e\.g\. 'langtidsledighed'\.$"),
        ("x" * 301, r"^topic: is 301 characters; the limit is 300\. Name a topic, not a text\.$"),
    ],
)
def test_bad_topics_are_refused(hash_service, topic, message):
    with pytest.raises(InvalidRequest, match=message):
        CompareService(hash_service).compare(topic)


def test_filters_are_checked_like_ask(hash_service):
    service = CompareService(hash_service)
    with pytest.raises(UnknownFilter, match=r"^municipalities: 'Odense' is not in the corpus\."):
        service.compare("ledighed", ["Odense"])
    with pytest.raises(UnknownFilter, match=r"^years: no plan covers 1999\."):
        service.compare("ledighed", None, [1999])
    with pytest.raises(UnknownFilter, match=r"^years: no plan of Rebild covers 2014\. Drop the year filter"):
        service.compare("ledighed", ["Rebild"], [2014])
    assert [m.doc_id for m in service.plans_in_scope(service.index.snapshot, ["rebild", "VEJLE"], None)] == [
        "rebild-2022",
        "vejle-2020-23",
    ]
    assert [m.doc_id for m in service.plans_in_scope(service.index.snapshot, None, [2023])] == [
        "fredericia-2023",
        "vejle-2020-23",
    ]


@pytest.mark.integration
def test_every_plan_gets_a_row_and_a_silent_plan_says_so(real_service):
    result = CompareService(real_service).compare("flygtninge og familiesammenførte")
    assert [(r.municipality, r.stated) for r in result.rows] == [
        ("Beskæftigelsesregion Hovedstaden & Sjælland", False),
        ("Fredericia", True),
        ("Jammerbugt", False),
        ("Rebild", True),
        ("Vejle", True),
    ]
    rebild = result.rows[3]
    assert rebild.summary == f"«{REBILD_50}» [1]"
    assert [(c.quote, c.doc_id, c.role) for c in rebild.citations] == [(REBILD_50, "rebild-2022", "evidence")]
    assert [(t.value, t.direction) for t in rebild.targets] == [(50.0, "at_least")]
    for row in result.rows:
        if not row.stated:
            assert (row.summary, row.citations, row.targets) == ("Ikke nævnt i planen", [], [])
        for c in row.citations:
            assert c.doc_id == row.doc_id and f"«{c.quote}» [{c.n}]" in row.summary
            chunk = real_service.index.chunk(c.chunk_id)
            assert chunk.text[c.start - chunk.start : c.end - chunk.start] == c.quote


@pytest.mark.integration
def test_targets_in_a_row_are_distinct(real_service):
    result = CompareService(real_service).compare("langtidsledighed", ["Jammerbugt"])
    assert [(r.doc_id, r.stated) for r in result.rows] == [("jammerbugt-2014", True)]
    assert [(t.value, t.unit, t.direction, t.change) for t in result.rows[0].targets] == [
        (228.0, "personer", "at_most", None),
        (20.0, "pct", "decrease", "by"),
    ]


def _citation(n: int) -> Citation:
    return Citation(n, "rebild-2022", "Plan", "Rebild", 2022, "Mål › Flygtninge", 3, "Mindst 50%.", 1.0, "c1", 10, 21)


def _target() -> Target:
    return Target(
        "rebild-2022#2", "rebild-2022", "Rebild", 2022, "Plan", 2022, "2022", "andelen i job", 50.0, "50", "pct",
        "at_least", None, None, None, "Mål", 3, "c1", "Mindst 50%.", 10, 21,
    )  # fmt: skip


SAMPLE = Comparison(
    topic="flygtninge",
    rows=[
        CompareRow("Rebild", 2022, "Plan", "rebild-2022", True, "«Mindst 50%.» [1]", [_citation(1)], [_target()]),
        CompareRow("Vejle", 2022, "Plan", "vejle-2020-23", False, "Ikke nævnt i planen", [], []),
    ],
)


def test_target_short_form():
    assert target_short(_target()) == "≥ 50 pct (2022)"


def test_markdown_has_a_citation_in_every_stated_cell():
    assert comparison_markdown(SAMPLE) == (
        "**flygtninge**\n\n"
        "| Kommune | År | Uddrag | Mål | Kilder |\n"
        "|---|---|---|---|---|\n"
        "| Rebild | 2022 | «Mindst 50%.» [1] | andelen i job: ≥ 50 pct (2022) | [1] Rebild 2022, s. 3 – Mål › Flygtninge |\n"
        "| Vejle | 2022 | *Ikke nævnt i planen* | – | – |\n"
    )


def test_csv_has_one_line_per_plan():
    assert comparison_csv(SAMPLE).splitlines() == [
        "municipality,year,doc_id,stated,summary,targets,citations",
        "Rebild,2022,rebild-2022,ja,«Mindst 50%.» [1],andelen i job: ≥ 50 pct (2022),"
        '"[1] Rebild 2022, s. 3 – Mål › Flygtninge"',
        "Vejle,2022,vejle-2020-23,nej,Ikke nævnt i planen,,",
    ]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_table_fits_the_terminal(width):
    lines = comparison_table(SAMPLE, width).splitlines()
    assert lines[0] == "flygtninge"
    assert {len(line) for line in lines[1:]} == {width}
    assert any("Ikke nævnt i planen" in line for line in lines)
