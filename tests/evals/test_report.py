"""The HTML eval report: exact contents on a tiny hand-built payload (two
configurations, three questions, two tags), built with the runner's own
summarize/by_tag so the payload has the shape --json writes."""

from __future__ import annotations

import json
import re

import pytest

from evals.report import render_report
from evals.runner import by_tag, summarize

EVIL_QUOTE = "Målgruppen er <script>alert(1)</script> 228 personer"
CITATION = {"n": 1, "municipality": "Jammerbugt", "year": 2014, "page": None, "section": "Mål > Ledighed"}


def row(id, tags, *, expected, found, latency, answer, missing=(), supported=False, abstain=False, abstained=None):
    return {
        "id": id,
        "question": f"Spørgsmål {id}?",
        "tags": tags,
        "answer": answer,
        "abstained": abstain if abstained is None else abstained,
        "expect_abstain": abstain,
        "facts_expected": expected,
        "facts_found": found,
        "all_facts": bool(expected) and found == expected,
        "missing": list(missing),
        "supported": supported,
        "municipality_at5": True if expected else None,
        "gold_rank": None,
        "verbatim": [True] if expected else [],
        "citations": [{**CITATION, "quote": EVIL_QUOTE, "role": "evidence"}] if expected else [],
        "latency_ms": latency,
        "has_gold": False,
    }


def config(name, rows):
    return {"config": name, "summary": summarize(rows), "by_tag": by_tag(rows), "rows": rows}


@pytest.fixture
def payload():
    bm25 = [
        row("q-pass", ["number"], expected=1, found=1, supported=True, latency=12.5, answer="Det er 228.\nKilde [1]"),
        row("q-miss", ["number"], expected=2, found=1, missing=["66 pct"], latency=30.46, answer="Kun <b>228</b> [1]"),
        row("q-abstain", ["abstain"], expected=0, found=0, abstain=True, abstained=False, latency=5.0, answer="Svar"),
    ]
    hybrid = [
        row("q-pass", ["number"], expected=1, found=1, supported=True, latency=40.0, answer="Det er 228 [1]"),
        row("q-miss", ["number"], expected=2, found=2, supported=True, latency=20.0, answer="228 og 66 pct [1]"),
        row("q-abstain", ["abstain"], expected=0, found=0, abstain=True, latency=10.0, answer="Det ved jeg ikke."),
    ]
    return {
        "set": "evals/sets/tiny.jsonl",
        "against": "in-process",
        "generated_at": "2024-05-01T12:00:00Z",
        "configs": [config("bm25", bm25), config("hybrid", hybrid)],
    }


def test_self_contained_and_danish(payload):
    html = render_report(payload)
    assert html.startswith('<!DOCTYPE html>\n<html lang="da">\n<head>\n<meta charset="utf-8">')
    for forbidden in ("http://", "https://", "<script src", "<link", "<img", "@import", "url("):
        assert forbidden not in html


def test_document_text_is_escaped(payload):
    html = render_report(payload)
    assert "Målgruppen er &lt;script&gt;alert(1)&lt;/script&gt; 228 personer" in html
    assert "<script" not in html
    assert "Kun &lt;b&gt;228&lt;/b&gt; [1]" in html


def test_header_shows_only_present_metadata(payload):
    html = render_report(payload)
    assert "<h1>planchat eval: evals/sets/tiny.jsonl</h1>" in html
    meta = "<dt>run</dt><dd>in-process</dd><dt>generated</dt><dd>2024-05-01T12:00:00Z</dd>"
    assert f'<dl class="meta">{meta}</dl>' in html
    assert "<dt>commit</dt>" not in html
    payload["commit"] = "996c3d4"
    assert f'<dl class="meta">{meta}<dt>commit</dt><dd>996c3d4</dd></dl>' in render_report(payload)


def test_summary_table_has_one_exact_row_per_config(payload):
    html = render_report(payload)
    body = html.split("<h2>Summary</h2>")[1].split("</table>")[0]
    rows = re.findall(r"<tbody>.*", body, re.S)[0]
    assert rows.count("<tr>") == 2

    def cells(name):
        return re.findall(r'<td class="num">([^<]*)</td>', re.search(rf"<tr><th>{name}</th>(.*?)</tr>", rows).group(1))

    # facts, fact share, support, muni@5, R@1, R@5, MRR, abst P, abst R, verbatim, p50 ms, p95 ms
    assert cells("bm25") == "0.500 0.667 0.500 1.000 – – – – 0.000 1.000 12.5 30.5".split()
    assert cells("hybrid") == "1.000 1.000 1.000 1.000 – – – 1.000 1.000 1.000 20.0 40.0".split()


def test_none_renders_as_dash(payload):
    payload["configs"][1]["summary"] = {key: None for key in payload["configs"][1]["summary"]}
    html = render_report(payload)
    assert re.search(r"<tr><th>hybrid</th>((?:<td class=\"num\">–</td>){12})</tr>", html)


def test_failing_questions_are_exactly_the_failing_ids_sorted(payload):
    html = render_report(payload)
    assert re.findall(r'<section class="failing" id="([^"]+)">', html) == ["bm25-q-abstain", "bm25-q-miss"]
    assert "<p>2 of 3 questions failing</p>" in html
    assert "<p>0 of 3 questions failing</p>" in html
    miss = html.split('id="bm25-q-miss">')[1].split("</section>")[0]
    assert "facts 1/2 · missing: 66 pct" in miss
    assert "abstained: no (expected: no)" in miss
    assert "<details><summary>1 citations</summary>" in miss
    assert "[1] municipality Jammerbugt, year 2014, section Mål &gt; Ledighed, role evidence<blockquote>" in miss
    abstain = html.split('id="bm25-q-abstain">')[1].split("</section>")[0]
    assert "abstained: no (expected: yes)" in abstain
    assert '<div class="answer">Svar</div>' in abstain


def test_slowest_questions_per_config(payload):
    html = render_report(payload)
    tables = re.findall(r"<h3>Slowest 3 questions</h3>\n<table>.*?</table>", html)
    assert len(tables) == 2
    assert re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">([^<]+)</td></tr>", tables[0]) == [
        ("q-miss", "30.5"), ("q-pass", "12.5"), ("q-abstain", "5.0"),
    ]  # fmt: skip


def test_one_bar_per_tag_and_config(payload):
    html = render_report(payload)
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 2
    facts, abstain = svgs
    assert '<title id="facts-title">fact_accuracy by tag and configuration</title>' in facts
    assert '<desc id="facts-desc">' in facts
    # fact_accuracy: "number" only (the abstain tag has no answerable question); abstention_recall: "abstain".
    bars = r'<rect class="bar" [^>]*><title>([^<]+)</title>'
    assert re.findall(bars, facts) == ["bm25 · number: 0.500", "hybrid · number: 1.000"]
    assert re.findall(bars, abstain) == ["bm25 · abstain: 0.000", "hybrid · abstain: 1.000"]
    assert html.count('<rect class="bar"') == 4  # 2 tags x 2 configurations
    assert facts.count('<rect class="swatch"') == 2


def test_deterministic(payload):
    first = render_report(payload)
    assert render_report(payload) == first
    assert render_report(json.loads(json.dumps(payload, ensure_ascii=False))) == first
