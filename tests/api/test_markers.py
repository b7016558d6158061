"""api/markers.py: an answer's [n] markers come from its structure, never
from text that only looks like one (issue 17, finding 5c). Exact spans on
hand-built answers, then the markers of a real answer over the API."""

from __future__ import annotations

import pytest
from conftest import make_settings
from expected import JAMMERBUGT_Q
from fastapi.testclient import TestClient

from api.app import create_app
from api.markers import Marker, find_markers, markers_of

QUOTE_WITH_MARKERS = "Tabel [1] og «[2]» viser det."


@pytest.mark.parametrize(
    "text, citations, generator, abstained, markers",
    [
        # Plan text holding "[1]" and «[2]»: only the marker after each quote is one.
        (
            f"Aarhus: «{QUOTE_WITH_MARKERS}» [1]",
            [(1, QUOTE_WITH_MARKERS, "evidence")],
            "extractive",
            False,
            [Marker(1, 40, 43)],
        ),
        # Two quotes; the first holds what the second's «quote» [n] looks like: looked up in order, after the first.
        (
            "Vejle: «Se «b» [2] her» [1] «b» [2]",
            [(1, "Se «b» [2] her", "evidence"), (2, "b", "evidence")],
            "extractive",
            False,
            [Marker(1, 24, 27), Marker(2, 32, 35)],
        ),
        # A quote not written as «quote» [n] gets no marker rather than a guess.
        ("Vejle: «a» [1]", [(1, "a", "evidence"), (2, "zz", "evidence")], "extractive", False, [Marker(1, 11, 14)]),
        # An abstention: the project's own words; every see-also marker is one.
        (
            "Det fremgår ikke af planerne. Nærmeste afsnit: [1], [2].",
            [(1, "x", "see_also"), (2, "y", "see_also")],
            "extractive",
            True,
            [Marker(1, 47, 50), Marker(2, 52, 55)],
        ),
        # An LLM's answer: the markers the truth rules read; a group gives each number's digits; [9] names nothing.
        (
            "Ledigheden falder [1, 2] og stiger [2][9].",
            [(1, "x", "evidence"), (2, "y", "evidence")],
            "llm:m",
            False,
            [Marker(1, 19, 20), Marker(2, 22, 23), Marker(2, 35, 38)],
        ),
    ],  # fmt: skip
    ids=["plan-text-markers", "quote-holds-a-later-marker", "missing-quote", "abstention", "llm"],
)
def test_markers(text, citations, generator, abstained, markers):
    found = find_markers(text, citations, generator, abstained)
    assert found == markers
    assert [text[m.start : m.end] for m in found] == [text[m.start : m.end] for m in markers]


def test_markers_of_a_stored_body_read_its_fields():
    body = {"answer": f"Aarhus: «{QUOTE_WITH_MARKERS}» [1]", "generator": "extractive", "abstained": False,
            "citations": [{"n": 1, "quote": QUOTE_WITH_MARKERS, "role": "evidence"}]}  # fmt: skip
    assert markers_of(body) == [Marker(1, 40, 43)]


def test_a_real_answer_carries_its_markers(hash_index, tmp_path):
    client = TestClient(create_app(make_settings(tmp_path, retrieval_mode="bm25"), index=hash_index))
    body = client.post("/v1/ask", json={"question": JAMMERBUGT_Q}).json()
    assert body["markers"] and [m["n"] for m in body["markers"]] == [c["n"] for c in body["citations"]]
    for m, c in zip(body["markers"], body["citations"]):
        assert body["answer"][m["start"] : m["end"]] == f"[{c['n']}]"
        assert body["answer"][: m["start"]].endswith(f"«{c['quote']}» ")
