"""bench/synth.py: the synthetic plans the scale benchmark (issue 7) measures
with must stay checkable: deterministic, every gold quote and expected
figure in its plan, fictional municipalities only, a corpus ingest reads."""

from __future__ import annotations

import json
import re
import sys

import pytest

from planchat.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
import synth  # noqa: E402

SEED_MUNICIPALITIES = {"Jammerbugt", "Rebild", "Fredericia", "Vejle"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    summary = synth.generate(out, 12, seed=7, municipalities=5)
    return out, summary


def test_same_arguments_same_bytes(generated, tmp_path):
    out, _ = generated
    synth.generate(tmp_path, 12, seed=7, municipalities=5)
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(p.name for p in tmp_path.iterdir())
    assert all((out / f).read_bytes() == (tmp_path / f).read_bytes() for f in files)


def test_plans_are_spread_over_fictional_municipalities_without_overlapping_years(generated):
    from planchat.municipalities import ALL_MUNICIPALITIES

    out, summary = generated
    assert (summary["plans"], summary["municipalities"]) == (12, 5)
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"]
    names = {e["municipality"] for e in entries}
    assert len(names) == 5 and not names & set(ALL_MUNICIPALITIES)
    for name in names:
        years = [y for e in entries if e["municipality"] == name for y in e["years"]]
        assert len(years) == len(set(years))
    for e in entries:
        text = (out / e["file"]).read_text(encoding="utf-8")
        assert e["municipality"] in text
        assert not any(re.search(rf"(?<!\w){seed}(?!\w)", text) for seed in SEED_MUNICIPALITIES)


def test_every_question_is_answerable_from_its_own_plan(generated):
    out, summary = generated
    questions = [json.loads(line) for line in (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(questions) == summary["questions"] == 52
    for q in questions:
        doc_id = q["id"].split("/")[0]
        text = (out / f"{doc_id}.txt").read_text(encoding="utf-8")
        assert q["gold_quote"] in text
        assert q["municipalities"][0] in q["question"]
        assert all(any(spelling in text for spelling in fact) for fact in q["expected"])


def test_the_corpus_ingests(generated, tmp_path):
    from conftest import make_settings

    from ingest.index import PlanIndex

    out, _ = generated
    settings = make_settings(tmp_path / "data")
    reports = PlanIndex(settings).sync_corpus(out)
    assert [r.status for r in reports] == ["added"] * 12
