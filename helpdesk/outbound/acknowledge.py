"""Step: acknowledge a new ticket to the citizen, unless that would answer a robot (stage 3)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..insight.search import acknowledgement_suggestions
from ..sla.wording import format_deadline
from .notices import to_citizen

if TYPE_CHECKING:
    from ..pipeline import Context

log = logging.getLogger(__name__)
QUESTION_LIMIT = 1500


def rate_key(sender: str, ctx: Context) -> str:
    return f"{sender}|{ctx.now.astimezone(ctx.office.tz).date().isoformat()}"


def acknowledge(ctx: Context) -> None:
    """Queue the acknowledgement for a new ticket."""
    ticket, office, mail = ctx.ticket, ctx.office, ctx.mail
    assert ticket is not None
    # The acknowledgement goes where answers go (ticket.requester: Reply-To or From), so the
    # checks and the per-day limit are on that address.
    recipient = ticket.requester
    if not mail.from_addr or not recipient:
        ctx.note("acknowledge skipped: no readable sender address")
        return
    if {mail.from_addr, recipient} & ctx.app.settings.own_addresses:
        ctx.note("acknowledge skipped: sender is a helpdesk address")
        return
    key = rate_key(recipient, ctx)
    sent_today = ctx.app.store.meta["ratelimit"].get(key, 0)
    if sent_today >= office.ack_per_sender_per_day:
        # Two robots, or a flood, must not ping-pong: the ticket exists, the reply waits for a human.
        ctx.note(f"acknowledge skipped: {sent_today} already sent to {recipient} today")
        return
    ctx.ratelimit[key] = sent_today + 1
    lang = "en" if ticket.language == "en" else "id"
    question = mail.text.strip()
    if len(question) > QUESTION_LIMIT:
        question = question[:QUESTION_LIMIT].rstrip() + " [...]"
    outgoing = to_citizen(
        ctx.app, office, ticket, "acknowledgement", "acknowledgement", ctx.now,
        subject=ticket.subject, citizen_name=mail.from_name, question=question or "(tanpa isi)",
        due_text=format_deadline(ticket.due_at, office.zone_label, lang, tz=office.tz),
        # Only answers an operator marked public (#publik): a private answer never reaches another citizen.
        suggestions=acknowledgement_suggestions(ctx.app, office, ticket, question))
    ctx.send(outgoing)
    ctx.note(f"acknowledgement {outgoing.message_id} queued")
