"""Indonesian-aware tokens and a BM25 index over them (insight; pure, no I/O).

Words are lower-cased, common function words dropped (before stemming: "dapat" is a stopword but
the stem of "pendapatan" is not), and stemmed with PySastrawi (Nazief-Adriani), so "kemiskinan"
meets "miskin" and "kependudukan" meets "penduduk". Without PySastrawi a small affix stripper is used.

Scoring is Okapi BM25 (k1=1.2, b=0.75, Lucene's idf). Each posting stores its final weight, so a
query is one numpy scatter-add per query term over that term's postings.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

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
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory
    except ImportError:
        log.warning("PySastrawi not installed: consultation search uses a crude affix stripper")
        return _fallback_stem
    return StemmerFactory().create_stemmer().stem


_stemmer: Callable[[str], str] | None = None


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
    """Postings term -> (document numbers, BM25 weights); documents are numbered 0..n-1."""

    n_docs: int
    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    idf: dict[str, float]

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
        norm = np.array([k1 * (1 - b + b * dl / avg) for dl in lengths], dtype=np.float64)
        postings, idfs = {}, {}
        for term, (ids, tfs) in grouped.items():
            df = len(ids)
            idf = idfs[term] = math.log(1 + (n - df + 0.5) / (df + 0.5))
            id_arr = np.array(ids, dtype=np.int32)
            tf_arr = np.array(tfs, dtype=np.float64)
            postings[term] = (id_arr, (idf * tf_arr * (k1 + 1) / (tf_arr + norm[id_arr])).astype(np.float32))
        return cls(n, postings, idfs)

    def search(
        self, query: Sequence[str], k: int, allowed: np.ndarray | None = None, min_coverage: float = 0.0
    ) -> list[tuple[int, float, float]]:
        """Best `k` documents as (doc, score, coverage), best first.

        Coverage is the idf-weighted share of the distinct query terms a document contains, so
        matching only common words ("data", "kota") covers little. `allowed` (a boolean mask over
        documents) excludes documents before ranking; documents below `min_coverage` are dropped.
        """
        distinct = list(dict.fromkeys(query))
        terms = [t for t in distinct if t in self.postings]
        if not terms or k <= 0 or self.n_docs == 0:
            return []
        unseen = self.unseen_idf
        total_idf = sum(self.idf.get(t, unseen) for t in distinct)
        docs = self._reachable(terms, total_idf, min_coverage, allowed)
        if docs is not None and docs.size == 0:
            return []  # no document can reach the threshold: nothing to score
        if docs is None:
            scores = np.zeros(self.n_docs, dtype=np.float32)
            covered = np.zeros(self.n_docs, dtype=np.float32)
            for term in terms:
                ids, weights = self.postings[term]
                scores[ids] += weights  # ids are unique within one term's postings
                covered[ids] += self.idf[term]
        else:
            # The same sums, in the same order and precision, for the reachable documents only,
            # each looked up in a term's (sorted) postings: a common word's long list is searched,
            # never walked, so the cost stays flat as consultations pile up.
            scores = np.zeros(docs.size, dtype=np.float32)
            covered = np.zeros(docs.size, dtype=np.float32)
            for term in terms:
                ids, weights = self.postings[term]
                at = np.minimum(np.searchsorted(ids, docs), ids.size - 1)
                hit = ids[at] == docs
                scores[hit] += weights[at[hit]]
                covered[hit] += self.idf[term]
            if allowed is not None:
                allowed = allowed[docs]
        covered /= total_idf
        if allowed is not None:
            scores[~allowed] = 0.0
        if min_coverage > 0:
            scores[covered < min_coverage] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if candidates.size > k:
            # Every document tied with the k-th best stays in, so that the tie goes to the lower
            # document number whatever order the partition left them in.
            kth = np.partition(scores[candidates], candidates.size - k)[candidates.size - k]
            candidates = candidates[scores[candidates] >= kth]
        doc_of = (lambda i: i) if docs is None else (lambda i: int(docs[i]))
        ranked = sorted(candidates.tolist(), key=lambda i: (-float(scores[i]), doc_of(i)))[:k]
        return [(doc_of(i), float(scores[i]), float(covered[i])) for i in ranked]

    def _reachable(
        self, terms: list[str], total_idf: float, min_coverage: float, allowed: np.ndarray | None
    ) -> np.ndarray | None:
        """The only documents that can reach `min_coverage`, when they are few; else None.

        A document containing none of the query's most specific terms covers at most the idf of
        the other terms: when those together stay below the threshold, only documents holding one
        of the specific terms need scoring, and a search no longer touches every document that
        shares a common word with the question (which grew with every consultation answered)."""
        if min_coverage <= 0:
            return None
        limit = min_coverage * total_idf * (1 - 1e-4)  # a margin for float32 sums
        specific = sorted(terms, key=lambda t: -self.idf[t])
        rest = sum(self.idf[t] for t in specific)
        chosen = []
        for term in specific:
            if rest < limit:
                break
            chosen.append(term)
            rest -= self.idf[term]
        if rest >= limit:
            return None
        if not chosen:
            return np.empty(0, dtype=np.int64)  # even every term together falls short
        size = sum(len(self.postings[t][0]) for t in chosen)
        if size * 4 > self.n_docs:
            return None  # not selective enough to pay for itself
        docs = np.unique(np.concatenate([self.postings[t][0] for t in chosen]))
        if allowed is not None:
            docs = docs[allowed[docs]]
        return docs
