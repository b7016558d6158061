"""/evals (api/pages/evals.py) over reports published by evals/publish.py: the listing, newest first; a report
served under the page CSP with nothing inline; the diff of two runs, exact flipped rows; names never paths."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from evals.publish import publish_report
from evals.runner import by_tag, summarize

T0 = time.mktime((2024, 5, 1, 12, 0, 0, 0, 0, -1))


def row(id: str, passed: bool, answer: str) -> dict:
    return {"id": id, "question": f"Spørgsmål {id}?", "tags": ["number"], "answer": answer, "abstained": False,
            "expect_abstain": False, "facts_expected": 1, "facts_found": int(passed), "all_facts": passed,
            "missing": [] if passed else ["228"], "supported": passed, "municipality_at5": True, "gold_rank": None,
            "verbatim": [True], "citations": [], "latency_ms": 10.0, "has_gold": False}  # fmt: skip


def payload(verdicts: dict[str, bool], generated_at: str) -> dict:
    rows = [row(id, ok, f"Svar <b>{id}</b> {'228' if ok else '?'}") for id, ok in verdicts.items()]
    config = {"config": "hybrid", "summary": summarize(rows), "by_tag": by_tag(rows), "rows": rows}
    return {"set": "evals/sets/core.jsonl", "against": "in-process", "generated_at": generated_at, "configs": [config]}


@pytest.fixture
def published(tmp_path, hash_index):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", eval_reports_kept=2)
    folder = settings.eval_reports
    names = [
        publish_report(payload({"a": True, "b": True, "c": False}, "oldest"), folder, 2, now=T0),
        publish_report(payload({"a": True, "b": False, "c": True, "d": True}, "before"), folder, 2, now=T0 + 60),
        publish_report(payload({"a": True, "b": True, "c": False, "d": True}, "after"), folder, 2, now=T0 + 120),
    ]
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    return client, names, folder


def no_inline(html: str) -> None:
    assert "<style" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)
    assert all(tag.endswith(" defer></script>") for tag in re.findall(r"<script[^>]*></script>", html))
    assert html.count("<script") == len(re.findall(r'<script src="/static/[a-z0-9-]+\.js" defer></script>', html))


def test_publish_keeps_the_newest_reports_with_their_rows(published):
    _, names, folder = published
    assert names == ["20240501-120000-core", "20240501-120100-core", "20240501-120200-core"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{name}{suffix}" for name in names[1:] for suffix in (".html", ".json", ".summary.json")
    )  # the oldest went: eval_reports_kept=2
    rows = json.loads((folder / f"{names[2]}.json").read_text())["configs"][0]["rows"]
    assert [(r["id"], r["passed"]) for r in rows] == [("a", True), ("b", True), ("c", False), ("d", True)]


def test_evals_lists_the_reports_newest_first_with_their_scores(published):
    client, names, _ = published
    response = client.get("/evals")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    no_inline(html)
    assert re.findall(r'<th scope="row"><a href="/evals/([^"]+)">', html) == [names[2], names[1]]
    assert "<strong>hybrid</strong>: 3 af 4 bestået; fakta 0.750" in html
    assert f'href="/evals/diff?report={names[2]}&amp;baseline={names[1]}"' in html


def test_a_report_is_served_as_published_under_the_page_csp(published):
    client, names, folder = published
    response = client.get(f"/evals/{names[2]}")
    assert response.status_code == 200
    assert response.text == (folder / f"{names[2]}.html").read_text()
    assert "script-src 'self'; style-src 'self'" in response.headers["content-security-policy"]
    no_inline(response.text)
    assert '<link rel="stylesheet" href="/static/eval-report.css">' in response.text
    assert "Svar &lt;b&gt;c&lt;/b&gt; ?" in response.text  # answers are text, never markup
    css = client.get("/static/eval-report.css")
    assert css.status_code == 200 and "td.num" in css.text


def test_the_diff_shows_exactly_the_flipped_questions_with_both_answers(published):
    client, names, _ = published
    html = client.get(f"/evals/diff?report={names[2]}&baseline={names[1]}").text
    no_inline(html)
    assert re.findall(r'<tr class="(fixed|broken)"><th scope="row">hybrid<br><code>([a-z])</code>', html) == [
        ("fixed", "b"), ("broken", "c"),
    ]  # fmt: skip
    assert (
        f'<p id="diff-summary">2 spørgsmål skiftede: 1 bestås nu, 1 fejler nu (<code>{names[1]}</code> → '
        f"<code>{names[2]}</code>).</p>"
    ) in html
    flipped_b = html.split("<code>b</code>")[1].split("</tr>")[0]
    assert re.findall(r'<div class="answer">([^<]*)</div>', flipped_b) == ["Svar &lt;b&gt;b&lt;/b&gt; ?",
                                                                          "Svar &lt;b&gt;b&lt;/b&gt; 228"]  # fmt: skip
    assert '<span class="badge fail">Fejlet</span><p class="muted">Mangler: 228</p>' in flipped_b


@pytest.mark.parametrize("name", ["20240501-120000-core", "..%2F..%2Fetc", "x", "20240501-120100-core.json"])
def test_unknown_or_pathlike_names_are_a_404(published, name):
    client, _, _ = published
    response = client.get(f"/evals/{name}")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_an_empty_reports_dir_says_how_to_publish(tmp_path, hash_index):
    client = TestClient(create_app(make_settings(tmp_path / "data"), index=hash_index))
    html = client.get("/evals").text
    assert "Ingen evalueringsrapporter endnu." in html and "--report rapport.html</code>" in html
    assert client.get("/evals/diff?report=a").status_code == 400
