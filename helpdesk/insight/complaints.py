"""Which tickets are complaints (pengaduan): they are counted apart and never offered as answers (insight; pure).

Kept apart from insight.figures so that the search (every new mail, `helpdesk search`) does not
import the monthly figures and the deadline code behind them.
"""

from __future__ import annotations

from ..model import Ticket

COMPLAINT_CATEGORIES = frozenset({"pengaduan", "complaint", "complaints", "keluhan"})


def is_complaint(ticket: Ticket) -> bool:
    """A complaint (pengaduan) by category or tag, whatever the routing rules called it."""
    names = {ticket.category.lower()} | {t.lower() for t in ticket.tags}
    return bool(names & COMPLAINT_CATEGORIES)
