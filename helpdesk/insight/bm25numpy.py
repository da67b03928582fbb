"""BM25 scoring with numpy (insight; pure): imported only by a search walking enough postings
(textindex.use_numpy), so a command or a daemon with small indexes never loads numpy.

The postings are the index's own `array` buffers, seen as numpy arrays without a copy. The sums are
those of the plain-Python scorer, term by term in float32, so both rank and score alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .textindex import BM25Index


def search_numpy(
    index: BM25Index,
    terms: list[str],
    total_idf: float,
    specific: list[str] | None,
    k: int,
    allowed: bytes | None,
    min_coverage: float,
) -> list[tuple[int, float, float]]:
    """BM25Index.search's ranking for `terms` (present in the index; `specific` as
    textindex.specific_terms chose them, never empty)."""
    postings = {t: _arrays(index, t) for t in dict.fromkeys(terms + (specific or []))}
    mask = None if allowed is None else np.frombuffer(allowed, dtype=np.bool_)  # 0 or 1 a byte: a view
    docs = _reachable(index.n_docs, postings, specific, mask)
    if docs is None:
        scores = np.zeros(index.n_docs, dtype=np.float32)
        covered = np.zeros(index.n_docs, dtype=np.float32)
        for term in terms:
            ids, weights = postings[term]
            scores[ids] += weights  # ids are unique within one term's postings
            covered[ids] += index.idf[term]
    else:
        # The same sums, in the same order and precision, for the reachable documents only,
        # each looked up in a term's (sorted) postings: a common word's long list is searched,
        # never walked, so the cost stays flat as consultations pile up.
        scores = np.zeros(docs.size, dtype=np.float32)
        covered = np.zeros(docs.size, dtype=np.float32)
        for term in terms:
            ids, weights = postings[term]
            at = np.searchsorted(ids, docs)
            hit = ids.take(at, mode="clip") == docs
            # Added where the term is and 0 elsewhere (x + 0.0 is x): the same float32 sums as an
            # add through the mask, without numpy's boolean-mask assignment, two thirds of a search.
            scores += weights.take(at, mode="clip") * hit
            covered += hit * np.float32(index.idf[term])
        if mask is not None:
            mask = mask[docs]
    covered /= total_idf
    if mask is not None:
        scores[~mask] = 0.0
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


def _arrays(index: BM25Index, term: str) -> tuple[np.ndarray, np.ndarray]:
    ids, weights = index.postings[term]
    return np.frombuffer(ids, dtype=np.intc), np.frombuffer(weights, dtype=np.float32)


def _reachable(
    n_docs: int, postings: dict[str, tuple[np.ndarray, np.ndarray]], specific: list[str] | None, mask: np.ndarray | None
) -> np.ndarray | None:
    """The only documents that can reach the threshold (those holding a specific term), when they
    are few; else None: score every document."""
    if specific is None:
        return None
    size = sum(postings[t][0].size for t in specific)
    if size * 4 > n_docs:
        return None  # not selective enough to pay for itself
    docs = np.unique(np.concatenate([postings[t][0] for t in specific]))
    if mask is not None:
        docs = docs[mask[docs]]
    return docs
