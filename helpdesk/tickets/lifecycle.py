"""How a ticket changes when mail arrives: open, follow-up, reopen (stage 2, pure).

The SLA clock (DESIGN.md): it runs while the citizen waits for an operator. A citizen writing
again while it runs keeps the deadline; writing after an answer, while we wait for them, or after
closing starts a full new one.
"""

from __future__ import annotations

from datetime import datetime

from ..kinds import EventType
from ..model import Attachment, InboundMail, Status, Ticket, TicketEvent

TEXT_LIMIT = 20_000  # characters of a mail's text kept on the event; the whole mail stays in the spool


def citizen_event(mail: InboundMail, spool: str, type_: EventType) -> TicketEvent:
    event = TicketEvent(
        at=mail.received_at,
        type=type_,
        message_id=mail.message_id,
        actor=mail.from_addr,
        summary=mail.subject,
        spool=spool,
        attachments=[Attachment(a.filename, a.content_type, a.size, a.spool_name) for a in mail.attachments],
        data={"text": mail.text[:TEXT_LIMIT], "from_name": mail.from_name},
    )
    if mail.incomplete:
        event.data["incomplete"] = mail.incomplete  # the operator reads the rest in the spool
    return event


def reply_address(mail: InboundMail, staff: frozenset[str]) -> str:
    """Where the citizen's answers go: Reply-To when it names one outside address, else From.

    Web forms and shared systems send From noreply@ with the citizen in Reply-To; answering From
    sent the acknowledgement and every answer to a mailbox nobody reads. Reply-To naming a helpdesk
    or operator address is ignored, so a mail cannot make the helpdesk write to itself.
    """
    if mail.reply_to and mail.reply_to not in staff and mail.from_addr:
        return mail.reply_to
    return mail.from_addr


def open_ticket(
    number: str,
    office: str,
    mail: InboundMail,
    spool: str,
    due_at: datetime,
    clock_start: datetime,
    requester: str | None = None,
) -> Ticket:
    """A citizen's first mail becomes a ticket whose clock starts now."""
    return Ticket(
        number=number,
        office=office,
        requester=mail.from_addr if requester is None else requester,
        requester_name=mail.from_name,
        subject=mail.subject or "(tanpa perihal)",
        received_at=mail.received_at,
        status=Status.OPEN,
        language=mail.language,
        due_at=due_at,
        clock_started_at=clock_start,
        updated_at=mail.received_at,
        message_ids=[mail.message_id],
        events=[citizen_event(mail, spool, EventType.RECEIVED)],
    )


def needs_new_deadline(ticket: Ticket) -> bool:
    """True when a citizen's message starts a new clock rather than joining a running one."""
    return ticket.status is not Status.OPEN or ticket.due_at is None


def add_citizen_message(
    ticket: Ticket, mail: InboundMail, spool: str, new_deadline: tuple[datetime, datetime] | None
) -> None:
    """Record a citizen's follow-up; `new_deadline` (clock start, due) when the clock restarts."""
    was = ticket.status
    ticket.events.append(citizen_event(mail, spool, EventType.FOLLOW_UP))
    if mail.message_id not in ticket.message_ids:
        ticket.message_ids.append(mail.message_id)
    ticket.updated_at = mail.received_at
    if new_deadline is not None:
        ticket.clock_started_at, ticket.due_at = new_deadline
        ticket.status = Status.OPEN
        ticket.waiting_since = None
        ticket.closed_at = None
        if was is not Status.OPEN:
            ticket.events.append(
                TicketEvent(
                    at=mail.received_at,
                    type=EventType.STATUS,
                    actor=mail.from_addr,
                    summary=f"{was.value} -> open",
                    data={"from": was.value, "to": "open"},
                )
            )


def record_side_mail(ticket: Ticket, mail: InboundMail, spool: str, type_: EventType, summary: str) -> None:
    """Record a bounce or auto-reply on its ticket without touching status or clock."""
    event = citizen_event(mail, spool, type_)
    event.summary = summary
    ticket.events.append(event)
    if mail.message_id not in ticket.message_ids:
        ticket.message_ids.append(mail.message_id)


def set_status(ticket: Ticket, status: Status, now: datetime, actor: str, reason: str = "") -> None:
    """Move a ticket to another status, recording who did it and why; stops or clears the clock."""
    was, due = ticket.status, ticket.due_at
    ticket.status = status
    ticket.updated_at = now
    if status is Status.CLOSED:
        ticket.closed_at = now
        ticket.waiting_since = None
    elif status is Status.WAITING_CITIZEN:
        ticket.waiting_since = now  # the auto-close counts calendar days from here
    elif status is Status.ANSWERED:
        ticket.waiting_since = now  # the citizen's silence after an answer closes it too
        ticket.answered_at = ticket.answered_at or now  # the first answer, for the service report
    if status is not Status.OPEN:
        ticket.due_at = None  # the clock stops: nothing is owed until the citizen writes
    ticket.events.append(
        TicketEvent(
            at=now,
            type=EventType.STATUS,
            actor=actor,
            summary=f"{was.value} -> {status.value}" + (f": {reason}" if reason else ""),
            data={"from": was.value, "to": status.value, "reason": reason, "due_at": due.isoformat() if due else None},
        )
    )


def record_rating(ticket: Ticket, rating: int, mail: InboundMail, spool: str) -> None:
    """A citizen's rating after closing: recorded, the ticket stays closed."""
    ticket.rating = rating
    event = citizen_event(mail, spool, EventType.RATING)
    event.summary = f"rating {rating}/5"
    event.data["rating"] = rating
    ticket.events.append(event)
    if mail.message_id not in ticket.message_ids:
        ticket.message_ids.append(mail.message_id)
