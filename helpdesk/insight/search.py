"""Search over an office's answered consultations: the question and the operator's answer (insight).

Three callers, two audiences:
  `search`              `helpdesk search`: staff on the server, every office or one
  `similar`             the operator notification: the office's most similar past answers (internal)
  `public_suggestions`  the citizen's acknowledgement: ONLY answers an operator marked public
                        (`#publik`, ticket.public); a non-public answer never reaches another citizen.

The index is cached per store and office, and rebuilt only when an archive file or an answered hot
ticket of the office changes; each consultation's tokens are cached, so a rebuild re-stems only
what changed. Complaints (pengaduan) are not consultations and are never indexed.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from ..config import Office
from ..model import Ticket
from ..tickets.store import Store
from .figures import is_complaint
from .textindex import BM25Index, tokens

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)
QUERY_TERMS = 64                # a long mail as a query: its 64 first distinct terms
SUGGESTION_COVERAGE = 0.5       # a public suggestion must cover this idf-weighted share of the question
SUGGESTION_RELATIVE = 0.6       # ... and score at least this share of the best public suggestion
SUGGESTIONS = 2                 # at most this many suggestions in an acknowledgement
EXCERPT = 600                   # characters of an answer shown in a mail


@dataclass(frozen=True)
class Consultation:
    number: str
    office: str
    subject: str
    question: str
    answer: str                  # the last operator answer's text (the most complete one)
    answered_at: datetime | None
    public: bool
    category: str = ""
    key: tuple[str, int] = ("", 0)   # (number, events): changes whenever the ticket does


@dataclass(frozen=True)
class Hit:
    consultation: Consultation
    score: float
    coverage: float              # idf-weighted share of the query's distinct terms found

    @property
    def answer_excerpt(self) -> str:
        return excerpt(self.consultation.answer, EXCERPT)

    # What the operator notification's template shows (templates/notification.id.txt).
    @property
    def number(self) -> str:
        return self.consultation.number

    @property
    def question(self) -> str:
        return excerpt(self.consultation.question or self.consultation.subject, 300)

    @property
    def answer(self) -> str:
        return self.answer_excerpt


def excerpt(text: str, limit: int) -> str:
    """Whitespace folded, cut at a word boundary before `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " [...]"


def consultation_of(ticket: Ticket) -> Consultation | None:
    """An answered, non-complaint ticket as a searchable consultation; None otherwise."""
    if is_complaint(ticket):
        return None
    replies = [e for e in ticket.events if e.type == "reply" and str(e.data.get("text", "")).strip()]
    if not replies:
        return None
    asked = next((e for e in ticket.events if e.type == "received"), None)
    question = str(asked.data.get("text", "")) if asked else ""
    return Consultation(
        number=ticket.number, office=ticket.office, subject=ticket.subject, question=question,
        answer=str(replies[-1].data.get("text", "")), answered_at=ticket.answered_at or replies[0].at,
        public=ticket.public is True, category=ticket.category,
        key=(ticket.number, len(ticket.events)))


def _doc_text(c: Consultation, answers: str) -> str:
    return f"{c.subject}\n{c.subject}\n{c.question}\n{answers}"   # the subject says most: twice


@dataclass
class ConsultationIndex:
    """BM25 over consultations, with a mask of the public ones."""

    consultations: list[Consultation]
    index: BM25Index
    public: np.ndarray

    @classmethod
    def build(cls, tickets: Iterable[Ticket], token_cache: dict[tuple[str, int], list[str]] | None = None,
              ) -> ConsultationIndex:
        cache = {} if token_cache is None else token_cache
        items: list[Consultation] = []
        docs: list[list[str]] = []
        for t in tickets:
            c = consultation_of(t)
            if c is None:
                continue
            if c.key not in cache:
                answers = "\n".join(str(e.data.get("text", "")) for e in t.events if e.type == "reply")
                cache[c.key] = tokens(_doc_text(c, answers))
            items.append(c)
            docs.append(cache[c.key])
        return cls(items, BM25Index.build(docs), np.array([c.public for c in items], dtype=bool))

    def search(self, text: str, k: int, public_only: bool = False, min_coverage: float = 0.0,
               exclude: str = "") -> list[Hit]:
        query = list(dict.fromkeys(tokens(text)))[:QUERY_TERMS]
        allowed = self.public.copy() if public_only else None
        if exclude:
            allowed = np.ones(len(self.consultations), dtype=bool) if allowed is None else allowed
            allowed &= np.array([c.number != exclude for c in self.consultations], dtype=bool)
        found = self.index.search(query, k, allowed=allowed, min_coverage=min_coverage)
        hits = [Hit(self.consultations[i], score, cov) for i, score, cov in found]
        if public_only:   # belt and braces: the mask already did this
            hits = [h for h in hits if h.consultation.public is True]
        return hits


@dataclass
class _Cached:
    signature: tuple = ()
    index: ConsultationIndex | None = None
    tokens: dict[tuple[str, int], list[str]] = field(default_factory=dict)


_CACHE: weakref.WeakKeyDictionary[Store, dict[str, _Cached]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _signature(store: Store, office: str | None) -> tuple:
    archives = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                     for p in sorted(store.archive_dir.glob("*.json")))
    with store.lock:
        hot = tuple(sorted((t.number, len(t.events), t.public) for t in store.tickets.values()
                           if t.answered_at is not None or any(e.type == "reply" for e in t.events)
                           if office is None or t.office == office))
    return archives, hot


def office_index(store: Store, office: str | None) -> ConsultationIndex:
    """The cached index of one office (None: every office), rebuilt when its tickets changed."""
    with _LOCK:
        slot = _CACHE.setdefault(store, {}).setdefault(office or "*", _Cached())
        sig = _signature(store, office)
        if slot.index is None or sig != slot.signature:
            tickets = [t for t in store.all_tickets() if office is None or t.office == office]
            slot.index = ConsultationIndex.build(tickets, slot.tokens)
            live = {c.key for c in slot.index.consultations}
            slot.tokens = {k: v for k, v in slot.tokens.items() if k in live}
            slot.signature = sig
            log.debug("consultation index for %s: %d answered", office or "all offices",
                      len(slot.index.consultations))
        return slot.index


def search(app: App, text: str, office: str | None = None, k: int = 10) -> list[Hit]:
    """The best past consultations for a query, across all offices or one (staff only)."""
    return office_index(app.store, office).search(text, k)


def similar(app: App, office: Office, text: str, k: int = 3, exclude: str = "") -> list[Hit]:
    """The office's `k` answered consultations most similar to `text`, public or not (INTERNAL:
    for operator notifications only; never put these in mail to a citizen). Never raises: a
    broken index must not stop a notification."""
    try:
        return office_index(app.store, office.code).search(text, k, exclude=exclude)
    except Exception:  # noqa: BLE001 - an optional enrichment; the notification goes out without it
        log.exception("similar consultations for office %s failed", office.code)
        return []


def public_suggestions(app: App, office: Office, text: str, k: int = SUGGESTIONS) -> list[Hit]:
    """Public answers of the office that may help a citizen asking `text`; never a non-public one.
    Never raises: the acknowledgement goes out without suggestions when the search fails."""
    try:
        return _public_suggestions(app, office, text, k)
    except Exception:  # noqa: BLE001 - an optional enrichment of the acknowledgement
        log.exception("public suggestions for office %s failed", office.code)
        return []


def _public_suggestions(app: App, office: Office, text: str, k: int) -> list[Hit]:
    hits = office_index(app.store, office.code).search(text, k, public_only=True,
                                                       min_coverage=SUGGESTION_COVERAGE)
    safe = []
    for hit in hits:
        if hit.score < SUGGESTION_RELATIVE * hits[0].score:
            break
        # The store is the source of truth: a ticket unmarked since the index was built drops out.
        current = app.store.ticket(hit.consultation.number)
        if current is not None and current.public is True and current.office == office.code:
            safe.append(hit)
    return safe


def suggestion_link(office: Office, number: str) -> str:
    """The office's link for a public answer (settings `consultation_url`, with {number}), or ""."""
    pattern = str(getattr(office, "consultation_url", "") or "")
    return pattern.replace("{number}", number) if pattern else ""


def acknowledgement_suggestions(app: App, office: Office, ticket: Ticket, text: str) -> list[dict[str, str]]:
    """What the acknowledgement shows under "Mungkin jawaban ini membantu Anda": public answers
    only, their text and the office's link; never the other citizen's question (it may name them).
    Complaints get no suggestions: they are about the service, not about data."""
    if is_complaint(ticket):
        return []
    hits = public_suggestions(app, office, f"{ticket.subject}\n{text}")
    return [{"answer": h.answer_excerpt, "link": suggestion_link(office, h.consultation.number)}
            for h in hits]
