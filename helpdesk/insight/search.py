"""Search over an office's answered consultations: the question and the operator's answer (insight).

Three callers, two audiences:
  `search`              `helpdesk search`: staff on the server, every office or one
  `similar`             the operator notification: the office's most similar past answers (internal)
  `public_suggestions`  the citizen's acknowledgement: ONLY answers an operator marked public
                        (`#publik`, ticket.public); a non-public answer never reaches another citizen.
The index comes from `index_cache`, which rebuilds it only when the office's tickets changed.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..config import Office
from ..model import Ticket
from .complaints import is_complaint

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..app import App
    from ..tickets.store import Store
    from .consultations import ConsultationIndex, Hit

log = logging.getLogger(__name__)
SUGGESTION_COVERAGE = 0.5  # a public suggestion must cover this idf-weighted share of the question
SUGGESTION_RELATIVE = 0.6  # ... and score at least this share of the best public suggestion
SUGGESTIONS = 2  # at most this many suggestions in an acknowledgement


def _index(app: App, office: str | None) -> ConsultationIndex:
    """The consultation index of one office (None: all offices), loaded on first use.

    numpy and the index modules take a quarter of a second to import: a command that never
    searches (`--help`, `status`, `check`...) does not pay for them."""
    global _office_index
    if _office_index is None:
        # Imported once, not at every call: the import statement's lookups were a fifth of an
        # acknowledgement's search for suggestions.
        from .index_cache import office_index

        _office_index = office_index
    return _office_index(app.store, office)


_office_index: Callable[[Store, str | None], ConsultationIndex] | None = None


def search(app: App, text: str, office: str | None = None, k: int = 10) -> list[Hit]:
    """The best past consultations for a query, across all offices or one (staff only)."""
    return _index(app, office).search(text, k)


def similar(app: App, office: Office, text: str, k: int = 3, exclude: str = "") -> list[Hit]:
    """The office's `k` answered consultations most similar to `text`, public or not (INTERNAL:
    for operator notifications only; never put these in mail to a citizen). Never raises: a
    broken index must not stop a notification."""
    try:
        return _index(app, office.code).search(text, k, exclude=exclude)
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
    hits = _index(app, office.code).search(text, k, public_only=True, min_coverage=SUGGESTION_COVERAGE)
    safe = []
    for hit in hits:
        if hit.score < SUGGESTION_RELATIVE * hits[0].score:
            break
        # Belt and braces: the index was checked against the store at the start of this call
        # (archive files by mtime and size, hot tickets by their public flag); a hot ticket is
        # checked once more, in memory. An archived ticket can only change by an archive rewrite.
        with app.store.lock:
            current = app.store.hot_ticket(hit.consultation.number)
        if current is not None and not (current.public is True and current.office == office.code):
            continue
        if hit.consultation.public is True and hit.consultation.office == office.code:
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
    return [{"answer": h.answer_excerpt, "link": suggestion_link(office, h.consultation.number)} for h in hits]
