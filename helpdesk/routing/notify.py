"""Step: tell the assigned operator about a question, in a mail they can simply answer (stage 4).

The notification's Message-ID and Reply-To carry a token signed for this ticket and this operator
(outbound.tokens): whatever client the operator answers from echoes one of them back, and the relay
acts only on a reply whose token verifies for the sender. Citizen follow-ups reach the operator the
same way, so their answer to a follow-up is trusted by the same rule.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ..app import App
from ..config import Office, Operator
from ..insight.scrub import clip
from ..insight.search import similar
from ..kinds import EventType, Purpose
from ..model import OutgoingMail, Ticket, TicketEvent
from ..outbound import staffcopy
from ..outbound.compose import FileAttachment
from ..outbound.notices import signed_headers, to_staff
from ..outbound.strip import new_text
from ..outbound.wording import when_text
from ..step import Context
from .route import reassign

log = logging.getLogger(__name__)
QUESTION_LIMIT = 8_000  # characters of the citizen's message quoted in full
THREAD_ITEMS = 6  # earlier messages shown under it
THREAD_TEXT_LIMIT = 1_000
CITIZEN_TYPES = (EventType.RECEIVED, EventType.FOLLOW_UP)
THREAD_TYPES = CITIZEN_TYPES + (EventType.REPLY, EventType.NOTE, EventType.HANDOVER)


def _thread(office: Office, ticket: Ticket, current: TicketEvent | None) -> list[dict[str, str]]:
    items = [e for e in ticket.events if e.type in THREAD_TYPES and e is not current]
    out = []
    for e in items[-THREAD_ITEMS:]:
        who = {
            "reply": f"jawaban petugas {e.actor}",
            "note": f"catatan internal {e.actor}",
            "handover": f"catatan serah terima {e.actor}",
        }.get(e.type, f"pengguna {e.actor}")
        text = clip(str(e.data.get("text", "")).strip(), THREAD_TEXT_LIMIT)
        out.append({"when": when_text(office, e.at), "who": who, "text": text or "(tanpa isi)"})
    return out


def _files(app: App, event: TicketEvent | None) -> list[FileAttachment]:
    """The citizen's attachments, from the spool, as long as they fit the budget."""
    files: list[FileAttachment] = []
    used = 0
    budget = app.settings.attachment_mb * 1_000_000  # helpdesk.attachment_mb; larger ones are only listed
    if event is None:
        return files
    for att in event.attachments:
        if not att.spool_name or used + att.size > budget:
            continue
        try:
            payload = app.spool.read(att.spool_name)
        except OSError:
            log.warning("attachment %s of %s missing from the spool", att.spool_name, event.message_id)
            continue
        files.append(FileAttachment(att.filename, att.content_type, payload))
        used += att.size
    return files


def notification(
    app: App,
    office: Office,
    ticket: Ticket,
    operator: Operator,
    now: datetime,
    *,
    reason: str = "",
    event: TicketEvent | None = None,
) -> OutgoingMail:
    """The mail handing `ticket` to `operator`: question, deadline, thread, signed reply token."""
    if event is None:
        event = next((e for e in reversed(ticket.events) if e.type in CITIZEN_TYPES), None)
    message_id, reply_address = signed_headers(app, office, ticket.number, operator.address)
    question = str(event.data.get("text", "")).strip() if event else ""
    if event is not None and event.type == "follow_up":
        # A citizen's reply quotes our answer; the thread below already shows it.
        question = new_text(question) or question
    question = clip(question, QUESTION_LIMIT)
    earlier = [
        e.data["message_id"]
        for e in ticket.events
        if e.type == "notified" and e.data.get("operator") == operator.address
    ]
    # Internal only: past answers help the operator; a non-public one never reaches a citizen.
    hits = similar(app, office, question, k=3, exclude=ticket.number) if question else []
    if hits:
        # Remembered as internal: a reply that would still carry any of it is held, not sent.
        block = "\n".join(f"{h.number}: {h.answer}" for h in hits)
        ticket.internal_prints = staffcopy.remember(ticket.internal_prints, block)
    mail = to_staff(
        app,
        office,
        [operator.address],
        "notification",
        Purpose.NOTIFICATION,
        now,
        ticket=ticket,
        # Threaded under the previous notification, so the operator's client keeps one conversation.
        in_reply_to=earlier[-1] if earlier else "",
        references=earlier[-5:],
        reply_to=reply_address,
        message_id=message_id,
        attachments=(files := _files(app, event)),
        operator_name=operator.name,
        reason=reason,
        due_text=when_text(office, ticket.due_at),
        attachments_info=[
            {
                "filename": a.filename,
                "size": a.size,
                "spool": a.spool_name,
                "attached": any(f.filename == a.filename and len(f.payload) == a.size for f in files),
            }
            for a in (event.attachments if event else [])
        ],
        message_time=when_text(office, event.at if event else None),
        question=question or "(tanpa isi)",
        thread=_thread(office, ticket, event),
        similar=hits,
    )
    ticket.events.append(
        TicketEvent(
            at=now,
            type=EventType.NOTIFIED,
            actor="helpdesk",
            summary=f"notification to {operator.address}",
            message_id=mail.message_id,
            data={
                "operator": operator.address,
                "message_id": mail.message_id,
                "reason": reason,
                "internal": True,
            },
        )
    )
    return mail


def notify_operator(ctx: Context) -> None:
    """Queue the notification for a newly routed ticket's operator."""
    ticket = ctx.ticket
    assert ticket is not None
    if not ticket.assignee:
        ctx.note(f"no notification: {ticket.number} is unassigned (the digest lists it)")
        return
    operator = ctx.app.settings.operator(ticket.assignee)
    if operator is None:
        ctx.note(f"no notification: assignee {ticket.assignee} is not a configured operator")
        return
    mail = notification(ctx.app, ctx.office, ticket, operator, ctx.now)
    ctx.send(mail)
    ctx.note(f"notification {mail.message_id} to {operator.address} queued")


def forward_to_operator(ctx: Context) -> None:
    """A citizen's follow-up on an assigned ticket goes to its operator, answerable the same way."""
    ticket = ctx.ticket
    assert ticket is not None
    if not ticket.assignee and ticket.team:
        _assign_now(ctx, ticket)
    operator = ctx.app.settings.operator(ticket.assignee) if ticket.assignee else None
    if operator is None:
        ctx.note(f"follow-up not forwarded: {ticket.number} has no configured assignee")
        return
    current = next((e for e in reversed(ticket.events) if e.message_id == ctx.mail.message_id), None)
    mail = notification(
        ctx.app,
        ctx.office,
        ticket,
        operator,
        ctx.now,
        event=current,
        reason="Pengguna mengirim pesan lanjutan pada tiket ini.",
    )
    ctx.send(mail)
    ctx.note(f"follow-up forwarded to {operator.address} as {mail.message_id}")


def _assign_now(ctx: Context, ticket: Ticket) -> None:
    """An unassigned ticket gets an operator when its citizen writes again and someone is in."""
    chosen = reassign(ctx, ticket, "citizen wrote again")
    if not chosen.operator:
        ctx.note(f"{ticket.number} still unassigned: {chosen.reason}")
        return
    ctx.note(f"{ticket.number} assigned to {chosen.operator}: {chosen.reason}")
