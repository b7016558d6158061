"""Target selection with the per-snapshot cache of analysed target terms
(retrieval/target_selection.py: TargetTerms): the same selection, analysed once."""

from __future__ import annotations

import dataclasses

import pytest

import retrieval.target_selection as target_selection
from retrieval.target_selection import TargetTerms, select_targets, topic_coverage

TOPICS = ["langtidsledighed", "flygtninge og familiesammenførte", "sygedagpenge varighed", "ledighed fleksjob"]


@pytest.fixture
def counted(monkeypatch):
    """Count the analyses of targets."""
    calls = []
    real = target_selection.target_terms
    monkeypatch.setattr(target_selection, "target_terms", lambda t: calls.append(t.target_id) or real(t))
    return calls


class FakeSnapshot:
    """Just what TargetTerms reads: the snapshot's targets."""

    def __init__(self, targets):
        self._targets = targets

    def targets(self):
        return list(self._targets)


def test_the_same_selection_as_without_the_cache(hash_index, hash_service):
    terms_of = TargetTerms.of(hash_index.snapshot)
    for topic in TOPICS:
        terms = hash_service.analyzer.analyze(topic).terms
        for years in (None, {2014}, {2022, 2023}):
            plain = select_targets(hash_index.targets(), years=years, terms=terms, idf=hash_index.bm25.idf)
            cached = select_targets(
                hash_index.targets(), years=years, terms=terms, idf=hash_index.bm25.idf, terms_of=terms_of
            )
            assert cached == plain
    assert select_targets(hash_index.targets(), terms_of=terms_of) == hash_index.targets()


def test_topic_coverage_is_unchanged(hash_index, hash_service):
    terms = hash_service.analyzer.analyze("langtidsledige december").terms
    weights = {t: max(hash_index.bm25.idf(t), 0.01) for t in dict.fromkeys(terms)}
    for target in hash_index.targets()[:20]:
        found = target_selection.target_terms(target)
        expected = sum(w for t, w in weights.items() if t in found) / sum(weights.values())
        assert topic_coverage(terms, target, hash_index.bm25.idf) == expected
    assert topic_coverage([], hash_index.targets()[0], hash_index.bm25.idf) == 1.0


def test_each_target_is_analysed_once_per_version(hash_index, counted):
    targets = hash_index.targets()[:10]
    terms_of = TargetTerms(FakeSnapshot(targets))
    for _ in range(3):
        select_targets(targets, terms=["ledig"], terms_of=terms_of)
    assert sorted(counted) == sorted(t.target_id for t in targets)

    # A reload: new but equal target objects, one changed, one gone.
    changed = dataclasses.replace(targets[0], quote=targets[0].quote + " flygtninge")
    reloaded = [changed] + [dataclasses.replace(t) for t in targets[1:-1]]
    next_terms = TargetTerms(FakeSnapshot(reloaded), previous=terms_of)  # the next generation's
    counted.clear()
    assert "flygtning" in next_terms(changed)
    select_targets(reloaded, terms=["ledig"], terms_of=next_terms)
    assert counted == [changed.target_id]  # only the changed one is analysed again
    assert set(next_terms._terms) == {t.target_id for t in reloaded}  # the gone one is dropped


def test_a_reader_holding_the_old_version_gets_its_own_terms(hash_index, counted):
    old = hash_index.targets()[0]
    new = dataclasses.replace(old, quote="Ledigheden for flygtninge skal falde.", indicator="flygtninge")
    terms_of = TargetTerms(FakeSnapshot([new]))
    assert "flygtning" in terms_of(new)
    assert terms_of(old) == frozenset(target_selection.target_terms(old))


def test_one_cache_per_snapshot(hash_index):
    snapshot = hash_index.snapshot
    assert TargetTerms.of(snapshot) is TargetTerms.of(snapshot)
