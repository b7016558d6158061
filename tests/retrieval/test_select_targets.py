"""A target selection as GET /v1/targets and ``planchat targets`` both ask
for it (retrieval/target_selection.py: select_targets_for)."""

from __future__ import annotations

import re

import pytest
from expected import KNOWN_MUNICIPALITIES

from planchat.errors import InvalidRequest, UnknownFilter
from retrieval.target_selection import select_targets_for


@pytest.fixture(scope="module")
def analyzer(hash_service):
    return hash_service.analyzer


def ids(targets) -> list[str]:
    return [t.target_id for t in targets]


def test_municipality_year_and_topic_best_match_first(hash_index, analyzer):
    found = select_targets_for(hash_index.snapshot, ["jammerbugt"], [2014], "langtidsledige")
    # Jammerbugt restates its goals in an annex (#20, #21).
    assert ids(found) == ["jammerbugt-2014#5", "jammerbugt-2014#6", "jammerbugt-2014#20", "jammerbugt-2014#21"]
    distinct = select_targets_for(hash_index.snapshot, ["jammerbugt"], [2014], "langtidsledige", distinct=True)
    assert ids(distinct) == ["jammerbugt-2014#5", "jammerbugt-2014#6"]


@pytest.mark.parametrize("q", [None, "", "   "])
def test_no_topic_is_every_target_in_reading_order(hash_index, analyzer, q):
    assert ids(select_targets_for(hash_index.snapshot, q=q)) == ids(hash_index.targets())


def test_an_unknown_municipality_is_refused_naming_the_field(hash_index, analyzer):
    message = f"municipality: 'Aarhus' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}."
    with pytest.raises(UnknownFilter, match=f"^{re.escape(message)}$"):
        select_targets_for(hash_index.snapshot, ["Aarhus"])


def test_a_topic_of_only_stopwords_is_refused(hash_index, analyzer):
    with pytest.raises(InvalidRequest, match=r"^q: has no searchable words \(only stopwords or punctuation\)\. "
                                             r"Name what is measured\.$"):  # fmt: skip
        select_targets_for(hash_index.snapshot, q="og i")
