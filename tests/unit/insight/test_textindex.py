"""BM25 with a coverage threshold: the shortcut over the few documents that can reach it gives
exactly what scoring every document and then applying the threshold gives; the plain-Python scorer
of small indexes and numpy's of big ones rank and score alike."""

from __future__ import annotations

import random
from contextlib import contextmanager
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.insight import textindex
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
    allowed = mask(len(docs), mask_seed)
    fast = index.search(query, k, allowed=allowed, min_coverage=coverage)
    assert [(d, round(s, 5)) for d, s, _ in fast] == [
        (d, round(s, 5)) for d, s, _ in exhaustive(index, query, k, allowed, coverage)
    ]


def test_a_common_word_alone_reaches_no_document_above_the_threshold():
    index = BM25Index.build([["data", "kota"], ["data", "inflasi"], ["data"]] * 50)
    assert index.search(["data", "hotel", "nelayan"], 3, min_coverage=0.5) == []


def mask(n: int, seed: int) -> bytes | None:
    """None (every document allowed) for seed 0, else about half the documents."""
    rng = random.Random(seed)
    return None if seed == 0 else bytes(rng.random() < 0.5 for _ in range(n))


@contextmanager
def scorer(numpy: bool):
    with patch.object(textindex, "use_numpy", lambda work: numpy):
        yield


# Words repeated within a document (term frequencies above 1) and documents of very different
# lengths: the weights then differ in their last float32 bits, where a different sum would show.
# In the skewed ones the specific words are rare, so the threshold's shortcut to the few documents
# holding them is taken too.
long_docs = st.lists(st.lists(word, min_size=1, max_size=40), min_size=1, max_size=80) | st.lists(
    st.lists(st.sampled_from(WORDS[:3] * 20 + WORDS[3:]), min_size=1, max_size=40), min_size=1, max_size=80
)


@settings(max_examples=400, deadline=None)
@given(
    docs=long_docs,
    query=st.lists(st.sampled_from(WORDS + ["tidak-ada"]), min_size=1, max_size=8),
    k=st.integers(1, 8),
    coverage=st.sampled_from([0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0]),
    mask_seed=st.integers(0, 3),
    public_seed=st.integers(0, 3),
)
def test_plain_python_and_numpy_rank_and_score_alike(docs, query, k, coverage, mask_seed, public_seed):
    index = BM25Index.build(docs)
    public = mask(len(docs), public_seed)
    view = index if public is None else index.only(public)  # an acknowledgement's public-only search
    allowed = mask(len(docs), mask_seed)
    with scorer(numpy=False):
        plain = view.search(query, k, allowed=allowed, min_coverage=coverage)
    with scorer(numpy=True):
        with_numpy = view.search(query, k, allowed=allowed, min_coverage=coverage)
    assert plain == with_numpy  # same documents, same order, same scores and coverage to the bit


@pytest.mark.parametrize("by_document", [True, False])
def test_the_shortcut_for_a_rare_term_scores_as_the_plain_scorer_does_either_way(by_document):
    """The numpy scorer's shortcut for a rare term (only the documents holding it are scored)
    gives the plain scorer's results to the bit, whether it reads those documents' own terms or
    looks each term up in each of them: with other words in the documents, a public view, a mask
    and queries whose terms come in any order."""
    from helpdesk.insight import bm25numpy

    rng = random.Random(5)
    rare = [f"langka{i}" for i in range(6)]
    docs = [
        rng.choices(WORDS[:3] * 30 + WORDS[3:], k=rng.randint(1, 40)) + rng.sample(rare, k=rng.choice([0, 0, 0, 1, 2]))
        for _ in range(400)
    ]
    index = BM25Index.build(docs)
    view = index.only(mask(len(docs), 1) or b"")
    allowed = mask(len(docs), 2)
    scored = []
    real = bm25numpy._reachable_sums

    def counted(*args):
        scored.append(args[2].size)
        return real(*args)

    queries = [rng.sample(WORDS, k=rng.randint(2, 8)) + rng.sample(rare, k=rng.randint(1, 2)) for _ in range(60)]
    with (
        patch.object(bm25numpy, "_reachable_sums", counted),
        patch.object(bm25numpy, "by_document_is_cheaper", lambda *_: by_document),
    ):
        for query in queries:
            for searched in (index, view):
                with scorer(numpy=False):
                    plain = searched.search(query, 5, allowed=allowed, min_coverage=0.4)
                with scorer(numpy=True):
                    assert searched.search(query, 5, allowed=allowed, min_coverage=0.4) == plain, query
    assert len(scored) > 20 and max(scored) > 1  # the shortcut was taken, over several documents


def test_a_long_question_over_few_documents_reads_them_and_a_short_one_over_many_looks_up():
    from helpdesk.insight.bm25numpy import by_document_is_cheaper

    assert by_document_is_cheaper(terms=27, docs=300, entries=11_000)  # an acknowledgement's mail
    assert not by_document_is_cheaper(terms=5, docs=2_200, entries=80_000)  # a few words, a common topic


def test_ties_go_to_the_lower_document_number_in_both():
    index = BM25Index.build([["inflasi", "kota"], ["padi"], ["inflasi", "kota"]] * 5)
    for numpy in (False, True):
        with scorer(numpy):
            assert [d for d, _, _ in index.search(["inflasi"], 4)] == [0, 2, 3, 5]


def test_the_stemmer_built_at_once_stems_as_sastrawis_factory_builds_it():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    factory = StemmerFactory().create_stemmer()
    fast = textindex._make_stemmer()
    roots = [w for w in StemmerFactory().get_words() if w.strip()][::97]
    words = [
        "kemiskinan",
        "kependudukan",
        "pendapatan",
        "perekonomian",
        "mempublikasikan",
        "data-data",
        "ketenagakerjaan",
    ]
    words += [
        f"{pre}{root}{suf}" for root in roots for pre, suf in (("pe", "an"), ("me", "kan"), ("ke", "an"), ("", "nya"))
    ]
    assert [fast(w) for w in words] == [factory.stem(w) for w in words]
