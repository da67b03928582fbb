"""Answered consultations as search documents, and their BM25 index (insight; pure).

A consultation is an answered ticket that is not a complaint: its subject, the citizen's question
and the operator's answers. `public` is copied from ticket.public (set by the `#publik` command);
the public mask lets a search exclude every other answer before ranking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..model import Ticket
from .complaints import is_complaint
from .textindex import BM25Index, tokens

QUERY_TERMS = 64  # a long mail as a query: its 64 first distinct terms
EXCERPT = 600  # characters of an answer shown in a mail


@dataclass(frozen=True)
class Consultation:
    number: str
    office: str
    subject: str
    question: str
    answer: str  # the answer marked #publik, else the last one
    answered_at: datetime | None
    public: bool
    category: str = ""
    key: tuple[str, int] = ("", 0)  # (number, events): changes whenever the ticket does
    requester_name: str = ""
    requester: str = ""


@dataclass(frozen=True)
class Hit:
    consultation: Consultation
    score: float
    coverage: float  # idf-weighted share of the query's distinct terms found

    @property
    def answer_excerpt(self) -> str:
        """The answer as anyone but its requester may read it (insight.scrub), cut short."""
        from .scrub import excerpt, scrub  # with the first hit shown: a search that finds none needs neither

        c = self.consultation
        local = c.requester.partition("@")[0]
        return excerpt(scrub(c.answer, names=[c.requester_name, local], question=c.question), EXCERPT)

    # What the operator notification's template shows (templates/notification.id.txt).
    @property
    def number(self) -> str:
        return self.consultation.number

    @property
    def question(self) -> str:
        from .scrub import excerpt

        return excerpt(self.consultation.question or self.consultation.subject, 300)

    @property
    def answer(self) -> str:
        return self.answer_excerpt


def _is_public_command(written: object) -> bool:
    return str(written).strip().lower().lstrip("#").split(" ")[0] in ("publik", "public")


def consultation_of(ticket: Ticket) -> Consultation | None:
    """An answered, non-complaint ticket as a searchable consultation; None otherwise."""
    if is_complaint(ticket):
        return None
    replies = [e for e in ticket.events if e.type == "reply" and str(e.data.get("text", "")).strip()]
    if not replies:
        return None
    # The answer shown is the one the operator published with #publik (frozen on the ticket; older
    # stores: the reply that carried it), else the last one.
    marked = [e for e in replies if any(_is_public_command(c) for c in e.data.get("commands") or ())]
    shown = str((marked or replies)[-1].data.get("text", ""))
    if ticket.public is True and ticket.public_answer.strip():
        shown = ticket.public_answer
    asked = next((e for e in ticket.events if e.type == "received"), None)
    question = str(asked.data.get("text", "")) if asked else ""
    return Consultation(
        number=ticket.number,
        office=ticket.office,
        subject=ticket.subject,
        question=question,
        answer=shown,
        answered_at=ticket.answered_at or replies[0].at,
        public=ticket.public is True,
        category=ticket.category,
        key=(ticket.number, len(ticket.events)),
        requester_name=ticket.requester_name,
        requester=ticket.requester,
    )


def indexed(ticket: Ticket) -> tuple[Consultation, list[str]] | None:
    """A ticket as (consultation, index terms): the subject twice (it says most), the question,
    and every operator answer; None when it is no answered consultation."""
    c = consultation_of(ticket)
    if c is None:
        return None
    answers = "\n".join(str(e.data.get("text", "")) for e in ticket.events if e.type == "reply")
    return c, tokens(f"{c.subject}\n{c.subject}\n{c.question}\n{answers}")


@dataclass
class ConsultationIndex:
    """BM25 over consultations, with a mask of the public ones."""

    consultations: list[Consultation]
    index: BM25Index
    public: bytes  # one byte per consultation: 1 when public
    _public_view: BM25Index | None = None

    def public_view(self) -> BM25Index:
        """The same index with only the public consultations' postings (same weights, same idf):
        a public-only search (every acknowledgement) then touches a fraction of the postings
        instead of every answered consultation in history, and scores exactly the same."""
        if self._public_view is None:
            self._public_view = self.index.only(self.public)
        return self._public_view

    @classmethod
    def build(cls, pairs: Iterable[tuple[Consultation, list[str]]]) -> ConsultationIndex:
        """The index of (consultation, its tokens) pairs, as `indexed` gives them."""
        items = list(pairs)
        return cls(
            [c for c, _ in items],
            BM25Index.build([d for _, d in items]),
            bytes(c.public is True for c, _ in items),
        )

    @classmethod
    def from_tickets(cls, tickets: Iterable[Ticket]) -> ConsultationIndex:
        return cls.build(p for p in map(indexed, tickets) if p is not None)

    def search(
        self, text: str, k: int, public_only: bool = False, min_coverage: float = 0.0, exclude: str = ""
    ) -> list[Hit]:
        if not self.consultations or (public_only and not self.public_view().postings):
            return []  # nothing answered (public) yet, a new office: no need to read the question
        query = list(dict.fromkeys(tokens(text)))[:QUERY_TERMS]
        allowed = self.public if public_only else None
        index = self.public_view() if public_only else self.index
        # One ticket's own consultations are dropped from the results, not masked out of the whole
        # index: a mask costs a pass over every answered consultation on each mail.
        found = index.search(query, k + 4 if exclude else k, allowed=allowed, min_coverage=min_coverage)
        hits = [
            Hit(self.consultations[i], score, cov)
            for i, score, cov in found
            if not exclude or self.consultations[i].number != exclude
        ][:k]
        if public_only:  # belt and braces: the mask already did this
            hits = [h for h in hits if h.consultation.public is True]
        return hits
