"""The regression gate: the core set against the committed baseline
(evals/baseline.json), in every configuration the baseline holds, on the
real model. This is how `make test` (and CI) runs the core set."""

from __future__ import annotations

import json

import pytest

from evals.runner import (
    DEFAULT_TOLERANCE,
    GATED,
    baseline_payload,
    compare_with_baseline,
    load_set,
    run_config,
)
from planchat.config import REPO_ROOT

BASELINE = REPO_ROOT / "evals" / "baseline.json"


@pytest.mark.integration
def test_core_set_holds_the_committed_baseline(real_index, real_settings):
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    questions = load_set(REPO_ROOT / baseline["set"])
    results = [run_config(questions, real_settings, mode, real_index) for mode in sorted(baseline["configs"])]
    assert sorted(baseline["configs"]) == ["bm25", "dense", "hybrid"]
    assert compare_with_baseline(results, baseline) == []


def result(config: str, **scores) -> dict:
    return {"config": config, "summary": {key: scores.get(key) for key in GATED}}


def test_a_drop_beyond_the_tolerance_is_a_regression():
    baseline = baseline_payload([result("hybrid", fact_accuracy=0.75, mrr=0.70)], "core.jsonl", 0.02)
    assert baseline == {
        "set": "core.jsonl",
        "tolerance": 0.02,
        "configs": {"hybrid": {key: {"fact_accuracy": 0.75, "mrr": 0.70}.get(key) for key in GATED}},
    }
    assert compare_with_baseline([result("hybrid", fact_accuracy=0.73, mrr=0.70)], baseline) == []
    assert compare_with_baseline([result("hybrid", fact_accuracy=0.72, mrr=0.71)], baseline) == [
        "hybrid: fact_accuracy 0.720 < baseline 0.750 - tolerance 0.020"
    ]


def test_a_score_that_disappears_is_a_regression_and_unknown_configs_are_ignored():
    baseline = baseline_payload([result("bm25", recall_at_5=0.9)], "core.jsonl", DEFAULT_TOLERANCE)
    assert compare_with_baseline([result("bm25"), result("dense", recall_at_5=0.1)], baseline) == [
        "bm25: recall_at_5 missing < baseline 0.900 - tolerance 0.020"
    ]


def test_an_explicit_tolerance_overrides_the_baselines():
    baseline = baseline_payload([result("hybrid", fact_accuracy=0.75)], "core.jsonl", 0.02)
    assert compare_with_baseline([result("hybrid", fact_accuracy=0.70)], baseline, tolerance=0.1) == []
