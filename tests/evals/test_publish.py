"""``planchat eval --report FILE`` writes the stand-alone report and publishes the run for /evals
(evals/publish.py): its rows with their verdicts, a summary and the page in the pages' layout."""

from __future__ import annotations

import json
import os

from planchat.cli import main
from planchat.config import REPO_ROOT

QUESTIONS = [
    {"id": "jammerbugt-228", "question": "Hvad er Jammerbugts mål for antallet af langtidsledige i december 2014?",
     "expected": [["228"]], "municipalities": ["Jammerbugt"], "expect_abstain": False, "tags": ["number"]},
    {"id": "umulig", "question": "Hvad koster en kop kaffe på rådhuset i Vejle?", "expected": [],
     "municipalities": [], "expect_abstain": True, "tags": ["abstain"]},
]  # fmt: skip


def test_a_report_is_written_and_published(tmp_path, monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("PLANCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PLANCHAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PLANCHAT_EMBEDDER", "hash")
    monkeypatch.setenv("PLANCHAT_CORPUS_DIR", str(REPO_ROOT / "corpus"))
    monkeypatch.setenv("PLANCHAT_EVAL_REPORTS_DIR", str(tmp_path / "reports"))
    questions = tmp_path / "tiny.jsonl"
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    report = tmp_path / "report.html"
    assert main(["eval", str(questions), "--config", "bm25", "--report", str(report), "--quiet"]) == 0
    assert "<style>" in report.read_text(encoding="utf-8")  # the stand-alone file opens from disk as before
    (summary,) = (tmp_path / "reports").glob("*.summary.json")
    name = summary.name.removesuffix(".summary.json")
    assert (
        name.endswith("-tiny")
        and f"report published: /evals/{name} ({tmp_path / 'reports'})" in capsys.readouterr().out
    )
    listed = json.loads(summary.read_text(encoding="utf-8"))
    assert (listed["set"], [c["config"] for c in listed["configs"]]) == (str(questions), ["bm25"])
    rows = json.loads((tmp_path / "reports" / f"{name}.json").read_text(encoding="utf-8"))["configs"][0]["rows"]
    assert [r["id"] for r in rows] == ["jammerbugt-228", "umulig"]
    assert [r["passed"] for r in rows] == [not (r["facts_expected"] and not r["all_facts"])
                                           and r["expect_abstain"] == r["abstained"] for r in rows]  # fmt: skip
    served = (tmp_path / "reports" / f"{name}.html").read_text(encoding="utf-8")
    assert "<style" not in served and '<link rel="stylesheet" href="/static/eval-report.css">' in served
    assert '<a href="/evals" aria-current="page">Evalueringer</a>' in served
