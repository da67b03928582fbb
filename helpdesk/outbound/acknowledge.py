"""Step: acknowledge a new ticket to the citizen, unless that would answer a robot (stage 3).

The acknowledgement goes to whatever address a mail names (Reply-To included), so it must not be a
megaphone: it repeats nothing the sender wrote but a short subject without links, and an office
sends at most `ack_per_hour` of them an hour; the rest wait in the outbox for a later hour and the
supervisors are told, once a day.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from ..kinds import Purpose
from ..step import Context
from ..tickets import ratelimit
from .notices import to_citizen, to_staff
from .wording import when_text

log = logging.getLogger(__name__)
SUBJECT_LIMIT = 60  # characters of the sender's subject repeated in the acknowledgement
_LINKISH = re.compile(r"(?:https?://|www\.)\S*|\S*@\S+|\S+\.[A-Za-z]{2,}(?:/\S*)?", re.IGNORECASE)
HOURS_AHEAD = 24  # how far a flood's acknowledgements are spread at most


def short_subject(subject: str) -> str:
    """The sender's subject as the acknowledgement may repeat it: no links, cut short."""
    subject = subject or ""
    # Every link-like form needs one of these; without them the substitution (slow on long words)
    # would change nothing.
    if "." in subject or "@" in subject or "://" in subject:
        subject = _LINKISH.sub(" ", subject)
    text = " ".join(subject.split())
    if len(text) > SUBJECT_LIMIT:
        text = text[:SUBJECT_LIMIT].rsplit(" ", 1)[0] + " ..."
    return text or "(tanpa perihal)"


def _slot(ctx: Context) -> datetime | None:
    """None when this hour still has room; else the start of the first later hour that has."""
    office = ctx.office
    # Local wall-clock hours, naive while counting (cheap: this runs for every new ticket).
    hour = ctx.now.astimezone(office.tz).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    for ahead in range(HOURS_AHEAD):
        start = hour + timedelta(hours=ahead)
        key = ratelimit.per_hour("ack_hour", office.code, start)
        used = ctx.sent_count(key)
        if used < office.ack_per_hour:
            ctx.count_sent(key, used + 1)
            return None if ahead == 0 else start.replace(tzinfo=office.tz)
    return (hour + timedelta(hours=HOURS_AHEAD)).replace(tzinfo=office.tz)


def _tell_supervisors(ctx: Context, until: datetime) -> None:
    """Once a day per office: acknowledgements are being held back by the hourly cap."""
    office = ctx.office
    key = ratelimit.once("ack_limit_told", office.code, ctx.now.astimezone(office.tz).date())
    if ctx.sent_count(key) or not office.supervisors:
        return
    ctx.count_sent(key, 1)
    ctx.send(
        to_staff(
            ctx.app,
            office,
            list(office.supervisors),
            "ack_limit",
            Purpose.ACK_LIMIT,
            ctx.now,
            cap=office.ack_per_hour,
            until=when_text(office, until),
        )
    )


def acknowledge(ctx: Context) -> None:
    """Queue the acknowledgement for a new ticket."""
    ticket, office, mail = ctx.ticket, ctx.office, ctx.mail
    assert ticket is not None and ticket.due_at is not None  # record_ticket set both
    # The acknowledgement goes where answers go (ticket.requester: Reply-To or From), so the
    # checks and the per-day limit are on that address.
    recipient = ticket.requester
    if not mail.from_addr or not recipient:
        ctx.note("acknowledge skipped: no readable sender address")
        return
    if {mail.from_addr, recipient} & ctx.app.settings.own_addresses:
        ctx.note("acknowledge skipped: sender is a helpdesk address")
        return
    key = ratelimit.per_day(recipient, ctx.now.astimezone(office.tz).date())
    sent_today = ctx.app.store.rate_count(office.code, key)
    if sent_today >= office.ack_per_sender_per_day:
        # Two robots, or a flood, must not ping-pong: the ticket exists, the reply waits for a human.
        ctx.note(f"acknowledge skipped: {sent_today} already sent to {recipient} today")
        return
    ctx.count_sent(key, sent_today + 1)
    outgoing = to_citizen(
        ctx.app,
        office,
        ticket,
        "acknowledgement",
        Purpose.ACKNOWLEDGEMENT,
        ctx.now,
        # Nothing the sender wrote but a short subject, not even the display name ("Yth. Klaim
        # hadiah Anda ..."): the recipient may not be the sender. The template says Bapak/Ibu.
        subject=short_subject(ticket.subject),
        due_text=when_text(office, ticket.due_at, ticket.reply_language),
        # Only answers an operator marked public (#publik), looked up by the pipeline's earlier step
        # (insight.search): a private answer never reaches another citizen.
        suggestions=ctx.suggestions,
    )
    later = _slot(ctx)
    if later is not None:
        outgoing.next_attempt_at = later
        _tell_supervisors(ctx, later)
        ctx.note(
            f"acknowledgement {outgoing.message_id} waits until {later.isoformat()}: "
            f"{office.ack_per_hour} already sent this hour"
        )
    ctx.send(outgoing)
    ctx.note(f"acknowledgement {outgoing.message_id} queued")
