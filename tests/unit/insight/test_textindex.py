"""BM25 with a coverage threshold: the shortcut over the few documents that can reach it gives
exactly what scoring every document and then applying the threshold gives."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.insight.textindex import BM25Index

# A small vocabulary with a few very common words, as real questions have ("data", "kota").
WORDS = [
    "data",
    "kota",
    "tahun",
    "penduduk",
    "inflasi",
    "miskin",
    "ekspor",
    "sensus",
    "padi",
    "upah",
    "hotel",
    "nelayan",
]
word = st.sampled_from(WORDS[:3]) | st.sampled_from(WORDS)
docs = st.lists(st.lists(word, min_size=1, max_size=12), min_size=1, max_size=60)


def exhaustive(index: BM25Index, query, k, allowed, min_coverage):
    full = index.search(query, index.n_docs, allowed=allowed)  # no threshold: every document
    return [hit for hit in full if hit[2] >= min_coverage][:k]


@settings(max_examples=300, deadline=None)
@given(
    docs=docs,
    query=st.lists(st.sampled_from(WORDS), min_size=1, max_size=6),
    k=st.integers(1, 5),
    coverage=st.sampled_from([0.2, 0.4, 0.6, 0.8]),
    mask_seed=st.integers(0, 3),
)
def test_the_threshold_shortcut_ranks_exactly_like_scoring_everything(docs, query, k, coverage, mask_seed):
    index = BM25Index.build(docs)
    allowed = None if mask_seed == 0 else np.random.default_rng(mask_seed).random(len(docs)) < 0.5
    fast = index.search(query, k, allowed=allowed, min_coverage=coverage)
    assert [(d, round(s, 5)) for d, s, _ in fast] == [
        (d, round(s, 5)) for d, s, _ in exhaustive(index, query, k, allowed, coverage)
    ]


def test_a_common_word_alone_reaches_no_document_above_the_threshold():
    index = BM25Index.build([["data", "kota"], ["data", "inflasi"], ["data"]] * 50)
    assert index.search(["data", "hotel", "nelayan"], 3, min_coverage=0.5) == []
