"""BM25 scoring with numpy (insight; pure): imported only by a search walking enough postings
(textindex.use_numpy), so a command or a daemon with small indexes never loads numpy.

The postings are the index's own `array` buffers, seen as numpy arrays without a copy. The sums are
those of the plain-Python scorer, term by term in float32, so both rank and score alike.
"""

from __future__ import annotations

from functools import cached_property
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
    mask = None if allowed is None else np.frombuffer(allowed, dtype=np.bool_)  # 0 or 1 a byte: a view
    docs = _reachable(index, specific, mask)
    if docs is None:
        scores = np.zeros(index.n_docs, dtype=np.float32)
        covered = np.zeros(index.n_docs, dtype=np.float32)
        for term in terms:
            ids, weights = _arrays(index, term)
            scores[ids] += weights  # ids are unique within one term's postings
            covered[ids] += index.idf[term]
    else:
        scores, covered = _reachable_sums(index, terms, docs)
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


def _reachable(index: BM25Index, specific: list[str] | None, mask: np.ndarray | None) -> np.ndarray | None:
    """The only documents that can reach the threshold (those holding a specific term), when they
    are few; else None: score every document."""
    if specific is None:
        return None
    if sum(len(index.postings[t][0]) for t in specific) * 4 > index.n_docs:
        return None  # not selective enough to pay for itself
    lists = [_arrays(index, t)[0] for t in specific]
    docs = lists[0] if len(lists) == 1 else np.unique(np.concatenate(lists))  # one list: sorted, unique
    if mask is not None:
        docs = docs[mask[docs]]
    return docs


def _reachable_sums(index: BM25Index, terms: list[str], docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The scores and the covered idf of `docs` (sorted), summed over `terms` in their order in
    float32, as the plain-Python scorer sums them: from the documents' own terms or term by term,
    whichever costs less (a long question over a few hundred documents, or a few words over
    thousands)."""
    by_doc = _by_document(index)
    starts, lengths = by_doc.start[docs], by_doc.length[docs]
    if by_document_is_cheaper(len(terms), docs.size, int(lengths.sum())):
        return _sums_by_document(by_doc, terms, docs, starts, lengths)
    return _sums_by_term(index, terms, docs)


def by_document_is_cheaper(terms: int, docs: int, entries: int) -> bool:
    """Whether reading `entries` (the documents' own terms) costs less than looking each of `terms`
    up in each of `docs`. Measured on 2 cores over both benchmarks' questions
    (benchmarks/intakecpu.py --closed, benchmarks/search.py): reading costs 60 us and 15 ns an
    entry; looking up, 8 us a term (its numpy calls) and 25 ns a lookup."""
    return 15 * entries + 60_000 <= terms * (8_000 + 25 * docs)


def _sums_by_term(index: BM25Index, terms: list[str], docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same sums, each term looked up in its (sorted) postings for every document."""
    scores = np.zeros(docs.size, dtype=np.float32)
    covered = np.zeros(docs.size, dtype=np.float32)
    for term in terms:
        ids, weights = _arrays(index, term)
        at = np.searchsorted(ids, docs)
        hit = ids.take(at, mode="clip") == docs
        # Added where the term is and 0 elsewhere (x + 0.0 is x): the same float32 sums as an add
        # through the mask, without numpy's boolean-mask assignment.
        scores += weights.take(at, mode="clip") * hit
        covered += hit * np.float32(index.idf[term])
    return scores, covered


def _sums_by_document(
    by_doc: _ByDocument, terms: list[str], docs: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The same sums, from the documents' own terms (`starts`, `lengths`: where they are in
    `by_doc`): the work is the reachable documents' terms, never a common word's long list, and a
    dozen numpy calls and one addition a term, rather than a dozen numpy calls for each term."""
    # Every reachable document's (term, weight) positions in the turned-around arrays.
    at = np.arange(int(lengths.sum())) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    # A row per query term in the query's order and one more row where the documents' other terms
    # go (never summed); a column per document.
    rows = len(terms) + 1
    row_of = np.full(len(by_doc.number), len(terms), dtype=np.intp)
    row_of[[by_doc.number[t] for t in terms]] = np.arange(len(terms))
    term = by_doc.term[at]
    cell = row_of[term] * docs.size + np.repeat(np.arange(docs.size), lengths)
    weights = np.zeros(rows * docs.size, dtype=np.float32)
    weights[cell] = by_doc.weight[at]  # 0 where the term is not: x + 0.0 is x
    idf = np.zeros(rows * docs.size, dtype=np.float32)
    idf[cell] = by_doc.idf[term]
    return _sum_rows(weights.reshape(rows, docs.size)[:-1]), _sum_rows(idf.reshape(rows, docs.size)[:-1])


def _sum_rows(table: np.ndarray) -> np.ndarray:
    """The float32 sums of a table's rows, added one row after the other: the plain-Python
    scorer's order (numpy's sum may add pairwise, which can differ in the last bit)."""
    total = table[0].copy()
    for row in table[1:]:
        total += row
    return total


class _ByDocument:
    """An index's postings turned around: document d's terms (by number, ascending) and their
    weights are `term[start[d]:start[d] + length[d]]` and `weight[...]`; `number` gives a term's
    number, `idf` a number's idf in float32. The lengths come first (they choose the way a search
    sums); `term` and `weight`, an entry per posting, only when a search reads them."""

    def __init__(self, index: BM25Index) -> None:
        # The postings, not the index: the index keeps this in its cache, and a cycle would keep a
        # replaced index's megabytes until the next full garbage collection.
        self.postings = index.postings
        terms = list(index.postings)
        self.number = {t: i for i, t in enumerate(terms)}
        self.length = np.bincount(self._postings(0), minlength=index.n_docs)
        self.start = np.cumsum(self.length) - self.length
        self.idf = np.array([index.idf[t] for t in terms], dtype=np.float32)  # by term number

    def _postings(self, part: int) -> np.ndarray:
        """Every term's document numbers (part 0) or weights (part 1), one term after another."""
        dtype = (np.intc, np.float32)[part]
        arrays = [np.frombuffer(self.postings[t][part], dtype=dtype) for t in self.number]
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

    @cached_property
    def _order(self) -> np.ndarray:
        return np.argsort(self._postings(0), kind="stable")

    @cached_property
    def term(self) -> np.ndarray:
        sizes = [len(self.postings[t][0]) for t in self.number]
        return np.repeat(np.arange(len(sizes), dtype=np.intc), sizes)[self._order]

    @cached_property
    def weight(self) -> np.ndarray:
        return self._postings(1)[self._order]


def _by_document(index: BM25Index) -> _ByDocument:
    # An index never changes once built (a change builds a new one): the turned-around form is kept
    # on it. Two threads building it at once both build the same thing.
    by_doc = index.cache.get("by_document")
    if not isinstance(by_doc, _ByDocument):
        by_doc = index.cache["by_document"] = _ByDocument(index)
    return by_doc
