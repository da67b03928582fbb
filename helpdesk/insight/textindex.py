"""Indonesian-aware tokens and a BM25 index over them (insight; pure, no I/O).

Words are lower-cased, common function words dropped (before stemming: "dapat" is a stopword but
the stem of "pendapatan" is not), and stemmed with PySastrawi (Nazief-Adriani), so "kemiskinan"
meets "miskin" and "kependudukan" meets "penduduk". Without PySastrawi a small affix stripper is used.

Scoring is Okapi BM25 (k1=1.2, b=0.75, Lucene's idf). Each posting stores its final weight, so a
query is one scatter-add per query term over that term's postings: in plain Python for a small
index (an office's public answers, above all), with numpy (insight.bm25numpy) when the postings a
query walks make it faster, counting its import (0.1-0.13 s) in a process that searches once.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
import struct
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

log = logging.getLogger(__name__)
_WORD = re.compile(r"[^\W_]+")
STOPWORDS = frozenset(
    """
yang dan di ke dari untuk pada dengan ini itu atau juga saya kami kita anda bapak ibu bpk mohon
terima kasih terimakasih apakah bagaimana adalah ada tidak tak bisa dapat akan dalam oleh sebagai
per tersebut mau ingin minta tolong selamat pagi siang sore malam yth hormat halo hai assalamualaikum
wr wb apa berapa dimana mana kapan siapa sudah belum telah masih agar supaya jika kalau bila maka
karena sehingga namun tetapi tapi serta hal nya lah kah pun saja hanya sangat lebih kurang dengan
mengenai tentang perihal sdr sdri the of and to in for on is are a an please thank thanks you your
i we our with from by this that be can
""".split()
)
MIN_STEM_LENGTH = 4
# Postings a query's terms hold (the scorer's work), measured (README, "Start-up"): from NUMPY_FROM
# numpy scores faster than plain Python (0.3 us a posting); from NUMPY_UNLOADED_FROM plain Python
# takes longer than importing numpy (0.1-0.13 s) too, which a process searching once pays in full.
NUMPY_FROM = 500
NUMPY_UNLOADED_FROM = 300_000
LOOKUP_FROM = 8  # a term's postings longer than this many times the reachable documents: looked up


def _fallback_stem(word: str) -> str:
    """A crude Indonesian affix stripper, used only when PySastrawi is not installed."""
    for suffix in ("nya", "lah", "kah"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            word = word[: -len(suffix)]
    for prefix in ("keber", "keter", "peng", "peny", "pem", "pen", "per", "pe", "ke", "me", "ber", "di"):
        if word.startswith(prefix) and len(word) > len(prefix) + 4:
            word = word[len(prefix) :]
            break
    for suffix in ("an", "kan", "i"):
        if word.endswith(suffix) and len(word) > len(suffix) + 3:
            return word[: -len(suffix)]
    return word


def _make_stemmer() -> Callable[[str], str]:
    try:
        from Sastrawi.Dictionary.ArrayDictionary import ArrayDictionary
        from Sastrawi.Stemmer.Stemmer import Stemmer
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
    except ImportError:
        log.warning("PySastrawi not installed: consultation search uses a crude affix stripper")
        return _fallback_stem
    # StemmerFactory().create_stemmer() adds its 30,000 root words one method call at a time, more
    # than the rest of a `helpdesk search` start: the same dictionary (ArrayDictionary.add skips
    # blank lines and maps a word to itself) filled at once. Its result cache is left out: `stem`
    # below keeps one.
    dictionary = ArrayDictionary()
    dictionary.words = {w: w for w in StemmerFactory().get_words() if w.strip()}
    return Stemmer(dictionary).stem  # type: ignore[no-any-return]


_stemmer: Callable[[str], str] | None = None
_searches_often = False


def searches_often() -> None:
    """Say that this process searches for every mail (the daemon): numpy's import, paid once for
    many searches, is then worth it as soon as numpy scores faster."""
    global _searches_often
    _searches_often = True


def use_numpy(work: int) -> bool:
    """Whether a search walking `work` postings is scored with numpy (the same results either way)."""
    if work >= NUMPY_FROM and (_searches_often or "numpy" in sys.modules):
        return True
    return work >= NUMPY_UNLOADED_FROM


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """The stem of one lower-case word; numbers and short words are kept as they are."""
    global _stemmer
    if len(word) < MIN_STEM_LENGTH or not word.isalpha():
        return word
    if _stemmer is None:
        _stemmer = _make_stemmer()
    return _stemmer(word) or word


def tokens(text: str) -> list[str]:
    """Index terms of a text: words, lower-cased, stopwords removed, stemmed."""
    return [stem(w) for w in _WORD.findall((text or "").lower()) if w not in STOPWORDS]


@dataclass
class BM25Index:
    """Postings term -> (document numbers, BM25 weights); documents are numbered 0..n-1.

    Postings are kept in `array` form (int32 numbers, ascending; float32 weights): a search is
    scored in plain Python, or (`use_numpy`) by insight.bm25numpy over the same buffers without a
    copy, with the same float32 sums in the same order: the two give the same ranking and the same
    scores, bit for bit (tests/unit/insight/test_textindex.py)."""

    n_docs: int
    postings: dict[str, tuple[array[int], array[float]]]
    idf: dict[str, float]
    # What a scorer derives from the postings once (insight.bm25numpy's postings turned around):
    # an index is never changed once built, a change builds a new one.
    cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    @property
    def unseen_idf(self) -> float:
        """The idf a term no document contains would have (the most specific possible)."""
        return math.log(1 + (self.n_docs + 0.5) / 0.5)

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> BM25Index:
        n = len(docs)
        lengths = [len(d) for d in docs]
        avg = (sum(lengths) / n) if n and sum(lengths) else 1.0
        grouped: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                ids, tfs = grouped.setdefault(term, ([], []))
                ids.append(i)
                tfs.append(tf)
        norm = [k1 * (1 - b + b * dl / avg) for dl in lengths]
        postings, idfs = {}, {}
        for term, (ids, tfs) in grouped.items():
            df = len(ids)
            idf = idfs[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))
            # Computed in double, stored as float32: as numpy computed it before (float64, then astype).
            weights = array("f", [idf * tf * (k1 + 1) / (tf + norm[i]) for i, tf in zip(ids, tfs, strict=True)])
            postings[term] = (array("i", ids), weights)
        return cls(n, postings, idfs)

    def only(self, keep: bytes) -> BM25Index:
        """The same index with only the documents `keep` marks (same weights, same idf, same numbers)."""
        postings = {}
        for term, (ids, weights) in self.postings.items():
            at = [j for j, doc in enumerate(ids) if keep[doc]]
            if at:
                postings[term] = (array("i", [ids[j] for j in at]), array("f", [weights[j] for j in at]))
        return BM25Index(self.n_docs, postings, self.idf)

    def search(
        self, query: Sequence[str], k: int, allowed: bytes | None = None, min_coverage: float = 0.0
    ) -> list[tuple[int, float, float]]:
        """Best `k` documents as (doc, score, coverage), best first; ties to the lower number.

        Coverage is the idf-weighted share of the distinct query terms a document contains, so
        matching only common words ("data", "kota") covers little. `allowed` (one byte per
        document, 1: allowed, 0: not) excludes documents before ranking; documents below
        `min_coverage` are dropped.
        """
        distinct = list(dict.fromkeys(query))
        terms = [t for t in distinct if t in self.postings]
        if not terms or k <= 0 or self.n_docs == 0:
            return []
        unseen = self.unseen_idf
        total_idf = sum(self.idf.get(t, unseen) for t in distinct)
        specific = specific_terms(self.idf, terms, total_idf, min_coverage)
        if specific is not None and not specific:
            return []  # even every term together falls short of the threshold
        if use_numpy(sum(len(self.postings[t][0]) for t in terms)):
            from .bm25numpy import search_numpy

            return search_numpy(self, terms, total_idf, specific, k, allowed, min_coverage)
        return self._search_python(terms, total_idf, specific, k, allowed, min_coverage)

    def _search_python(
        self,
        terms: list[str],
        total_idf: float,
        specific: list[str] | None,
        k: int,
        allowed: bytes | None,
        min_coverage: float,
    ) -> list[tuple[int, float, float]]:
        # float32 accumulators (array "f" rounds each stored sum to float32) summed term by term,
        # as numpy's float32 arrays do: the same bits. A sum of two float32 values computed in
        # double and rounded once to float32 is the float32 sum; so is a quotient.
        scores = array("f", bytes(4 * self.n_docs))
        covered = array("f", bytes(4 * self.n_docs))
        wanted = None if specific is None else {d for t in specific for d in self.postings[t][0]}
        reachable = None if wanted is None else sorted(wanted)
        for term in terms:
            ids, weights = self.postings[term]
            idf = to_float32(self.idf[term])
            pairs: Iterable[tuple[int, float]]
            if wanted is None or reachable is None:
                pairs = zip(ids, weights, strict=True)
            elif len(ids) > LOOKUP_FROM * len(reachable):
                pairs = _looked_up(ids, weights, reachable)  # a common word's long list: searched, not walked
            else:
                pairs = ((d, w) for d, w in zip(ids, weights, strict=True) if d in wanted)
            for doc, weight in pairs:
                scores[doc] += weight
                covered[doc] += idf
        total, threshold = to_float32(total_idf), to_float32(min_coverage)
        found = []
        for doc in reachable if reachable is not None else range(self.n_docs):
            score = scores[doc]
            if score > 0 and (allowed is None or allowed[doc]):
                coverage = to_float32(covered[doc] / total)
                if min_coverage <= 0 or coverage >= threshold:
                    found.append((-score, doc, coverage))
        return [(doc, -negative, coverage) for negative, doc, coverage in heapq.nsmallest(k, found)]


def _looked_up(ids: array[int], weights: array[float], docs: list[int]) -> Iterator[tuple[int, float]]:
    """(doc, weight) of the postings (`ids` ascending) of each of `docs` that has one."""
    for doc in docs:
        at = bisect_left(ids, doc)
        if at < len(ids) and ids[at] == doc:
            yield doc, weights[at]


def specific_terms(idf: dict[str, float], terms: list[str], total_idf: float, min_coverage: float) -> list[str] | None:
    """The query's most specific terms one of which a document must hold to reach `min_coverage`;
    None when any document might (no threshold, or the other terms alone can reach it).

    A document containing none of the query's most specific terms covers at most the idf of the
    other terms: when those together stay below the threshold, only documents holding one of the
    specific terms need scoring, and a search no longer touches every document that shares a
    common word with the question (which grew with every consultation answered)."""
    if min_coverage <= 0:
        return None
    limit = min_coverage * total_idf * (1 - 1e-4)  # a margin for float32 sums
    specific = sorted(terms, key=lambda t: -idf[t])
    rest = sum(idf[t] for t in specific)
    chosen = []
    for term in specific:
        if rest < limit:
            break
        chosen.append(term)
        rest -= idf[term]
    return None if rest >= limit else chosen


def to_float32(value: float) -> float:
    """`value` rounded to the nearest float32, as numpy stores it in a float32 array."""
    return _FLOAT32.unpack(_FLOAT32.pack(value))[0]  # type: ignore[no-any-return]


_FLOAT32 = struct.Struct("f")
