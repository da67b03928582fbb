"""A citizen's answer to the rating request: "4", "Nilai: 4", "4/5", "sangat puas" -> 1..5 (stage 2, pure)."""

from __future__ import annotations

import re

from ..model import InboundMail, Ticket

# Longest phrases first: "tidak puas" must win over "puas".
_WORDS = (
    ("sangat tidak puas", 1),
    ("tidak puas", 1),
    ("kurang puas", 2),
    ("sangat puas", 5),
    ("cukup puas", 3),
    ("puas", 4),
    ("cukup", 3),
    ("very unsatisfied", 1),
    ("very dissatisfied", 1),
    ("unsatisfied", 2),
    ("dissatisfied", 2),
    ("very satisfied", 5),
    ("satisfied", 4),
    ("bintang lima", 5),
    ("bintang empat", 4),
    ("bintang tiga", 3),
    ("bintang dua", 2),
    ("bintang satu", 1),
)
_NUMBER = re.compile(
    r"^\s*(?:(?:nilai|rating|skor|score|penilaian)\s*[:=]?\s*)?"
    r"([1-5])\s*(?:/\s*5|dari\s*5|bintang)?\s*[.!]?\s*$",
    re.IGNORECASE,
)
_STARS = re.compile(r"^\s*(\u2b50|\u2605){1,5}\s*$")
MAX_LINES = 3  # a rating is a short answer; a long mail is a new question, not a rating


def parse_rating(text: str) -> int | None:
    """The 1-5 rating a short reply gives, or None when the reply is something else."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    if not lines or len(lines) > MAX_LINES:
        return None
    first = lines[0].lower()
    m = _NUMBER.match(first)
    if m:
        return int(m.group(1))
    if _STARS.match(first):
        return len(first.strip())
    cleaned = re.sub(r"[^\w\s]", " ", first)
    cleaned = " ".join(cleaned.split())
    for phrase, value in _WORDS:
        if (
            cleaned == phrase
            or cleaned.startswith(phrase + " terima kasih")
            or cleaned in (f"saya {phrase}", f"{phrase} sekali")
        ):
            return value
    return None


RATING_REQUEST_ID = "<pst.rating_reque."  # outbound.notices mints "<pst.{purpose[:12]}." for it


def answers_rating_request(ticket: Ticket, mail: InboundMail) -> bool:
    """The mail answers the ticket's rating request: that request's Message-ID (random, known only
    to whoever received it) is in In-Reply-To or References. Naming the ticket is not enough."""
    requests = {m for m in ticket.message_ids if m.startswith(RATING_REQUEST_ID)}
    return any(m in requests for m in mail.thread_ids)
