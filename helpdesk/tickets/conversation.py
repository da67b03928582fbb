"""Which ticket a mail belongs to: In-Reply-To/References, then [PST-...] in the subject (stage 2, pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import InboundMail
from .numbering import number_in_subject


@dataclass(frozen=True)
class ThreadMatch:
    number: str | None
    how: str  # "in-reply-to", "references", "subject", "report", or why nothing matched


def match_thread(
    mail: InboundMail, lookup: Callable[[str], str | None], requester_of: Callable[[str], str | None]
) -> ThreadMatch:
    """Find the ticket a mail continues.

    `lookup` maps a Message-ID to a ticket number; `requester_of` gives a ticket's citizen address.
    A number in the subject alone is trusted only from that ticket's own citizen, so a stranger who
    copies a subject cannot write into someone else's ticket.
    """
    for i, mid in enumerate(mail.thread_ids):
        number = lookup(mid)
        if number:
            return ThreadMatch(number, "in-reply-to" if i == 0 and mail.in_reply_to else "references")
    for mid in mail.reported_message_ids:
        number = lookup(mid)
        if number:
            return ThreadMatch(number, "report")
    number = number_in_subject(mail.subject)
    if number:
        requester = requester_of(number)
        if requester is None:
            return ThreadMatch(None, f"subject names unknown ticket {number}")
        if requester.lower() == mail.from_addr.lower():
            return ThreadMatch(number, "subject")
        return ThreadMatch(None, f"subject names {number} but sender is not its citizen")
    return ThreadMatch(None, "no thread headers or ticket number")
