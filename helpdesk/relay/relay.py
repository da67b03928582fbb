"""Step: a trusted operator's reply -> the citizen's answer, or its commands' effects (stage 5).

The reply goes through `STEPS` in order: first the checks of relay.screen (trust, ticket, attachments,
commands, staff text), then the effects (record, publish, answer, wait, hand over, close). The new
text and the operator's file attachments go to the citizen, from the office address, threaded into
the citizen's conversation; #catatan and the text under #alihkan stay internal. A check that
refuses (relay.trust, an unknown command, a closed ticket) stops the steps before any effect: the
mail is recorded, logged with its reason, and the operator is told (relay.refusal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..desk import commands as desk
from ..kinds import EventType, Purpose
from ..model import Attachment, Status, TicketEvent
from ..outbound.compose import FileAttachment
from ..outbound.notices import to_citizen
from ..routing.notify import notification
from ..sla.actions import closing_mail
from ..step import Context, store_attachments
from ..tickets import lifecycle
from .refusal import refuse
from .screen import (
    Refused,
    Reply,
    check_assignee,
    check_request,
    drop_staff_text,
    fill_saved_answers,
    latest_answer,
    load_ticket,
    read_commands,
    screen_attachments,
    verify_sender,
)

log = logging.getLogger(__name__)


def relay_reply(ctx: Context) -> None:
    """Run the reply's steps in order; a refusal stops them and is recorded and told."""
    if desk.command_in(ctx.mail.subject) is not None:
        desk.handle(ctx)  # #bantuan, #daftar, #cari: a command mailed fresh, not a reply
        return
    reply = Reply(ctx)
    try:
        for step in STEPS:
            step(reply)
    except Refused as no:
        refuse(ctx, no.reason, no.number, no.tell, no.explain_to, no.told)


def record_reply(reply: Reply) -> None:
    """The reply on the ticket's history (internal), with the operator's files kept in the spool."""
    ctx, ticket, commands = reply.ctx, reply.ticket, reply.commands
    store_attachments(ctx)
    mail, text = ctx.mail, commands.body
    kept = [Attachment(a.filename, a.content_type, a.size, a.spool_name) for a in mail.attachments]
    # "reply" only when something reaches the citizen: reports count answers by it.
    kind = (
        EventType.NOTE
        if commands.is_note
        else EventType.HANDOVER
        if commands.is_handover and (text or kept)
        else EventType.REPLY
        if (text or kept) and not commands.is_internal
        else EventType.COMMAND
    )
    ticket.events.append(
        TicketEvent(
            at=ctx.now,
            type=kind,
            message_id=mail.message_id,
            actor=reply.by.address,
            summary={
                "note": "internal note",
                "reply": "operator reply",
                "handover": f"hand-over note to {commands.assign_to}",
            }.get(kind, " ".join(c.written for c in commands.commands)),
            attachments=kept,
            data={
                "text": text,
                "commands": [c.written + (f" {c.arg}" if c.arg else "") for c in commands.commands],
                "internal": True,
            },
        )
    )
    if mail.message_id not in ticket.message_ids:
        ticket.message_ids.append(mail.message_id)  # durable dedupe; never shown to the citizen


def publish(reply: Reply) -> None:
    """#publik: this mail's answer, or alone the latest answer before it, becomes public; frozen,
    so a later (private) answer is never published without its own #publik."""
    commands, ticket = reply.commands, reply.ticket
    if not commands.has("public"):
        return
    text = commands.body
    ticket.public_answer = text if text and not commands.is_internal else latest_answer(ticket)
    ticket.public = True
    reply.ctx.note(f"{ticket.number} marked public by {reply.by.address}")


def answer(reply: Reply) -> None:
    """The operator's new text and attachments, to the citizen, from the office, in the thread."""
    ctx, ticket, commands = reply.ctx, reply.ticket, reply.commands
    if commands.is_internal:
        ctx.note(f"internal text by {reply.by.address} on {ticket.number}; nothing sent to the citizen")
        return
    if not (commands.body or ctx.mail.attachments):
        return  # commands only
    files = [FileAttachment(a.filename, a.content_type, a.payload) for a in ctx.mail.attachments if a.payload]
    lang = ticket.reply_language
    mail = to_citizen(
        ctx.app,
        ctx.office,
        ticket,
        "answer",
        Purpose.ANSWER,
        ctx.now,
        attachments=files,
        body=commands.body or ("Terlampir." if lang == "id" else "Please find it attached."),
    )
    ctx.send(mail)
    if ticket.answered_at is None:
        ticket.answered_at = ctx.now
    if ticket.status is Status.OPEN:
        lifecycle.set_status(ticket, Status.ANSWERED, ctx.now, ctx.mail.from_addr, "dijawab petugas")
    elif ticket.status is Status.ANSWERED:
        ticket.waiting_since = ctx.now  # the citizen's silence counts from the latest answer
    ctx.note(f"answer {mail.message_id} to {ticket.requester} queued ({len(files)} attachment(s))")


def wait_for_citizen(reply: Reply) -> None:
    """#tunggu: the deadline stops until the citizen sends what was asked for."""
    if reply.commands.has("wait"):
        ticket, who = reply.ticket, reply.by.address
        lifecycle.set_status(ticket, Status.WAITING_CITIZEN, reply.ctx.now, who, "menunggu data dari pengguna")
        reply.ctx.note(f"{ticket.number} waiting for the citizen ({who})")


def hand_over(reply: Reply) -> None:
    """#alihkan: the ticket to another operator of the office, who is notified; the reply's text
    travels with it as a hand-over note, never to the citizen."""
    to = reply.assignee
    if to is None:
        return
    ctx, ticket, by, note = reply.ctx, reply.ticket, reply.by, reply.commands.body
    was = ticket.assignee
    ticket.assignee, ticket.team = to.address, to.team
    ticket.events.append(
        TicketEvent(
            at=ctx.now,
            type=EventType.ASSIGNED,
            actor=by.address,
            summary=f"{was or '-'} -> {to.address}",
            data={"from": was, "to": to.address, "internal": True},
        )
    )
    ctx.send(
        notification(
            ctx.app,
            ctx.office,
            ticket,
            to,
            ctx.now,
            reason=f"Tiket ini dialihkan kepada Anda oleh {by.name or by.address}."
            + (f"\n\nCatatan serah terima (internal):\n{note}" if note else ""),
        )
    )
    ctx.note(f"{ticket.number} reassigned {was or '-'} -> {to.address} by {by.address}")


def close(reply: Reply) -> None:
    """#tutup: queued after the answer, so the citizen reads the answer before the rating request."""
    if reply.commands.has("close"):
        ctx, ticket, who = reply.ctx, reply.ticket, reply.by.address
        ctx.send(closing_mail(ctx.app, ctx.office, ticket, ctx.now, who, "selesai dijawab"))
        ctx.note(f"{ticket.number} closed by {who}; rating request queued")


STEPS: tuple[Callable[[Reply], None], ...] = (
    # checks: each may refuse, before anything acts
    verify_sender,
    load_ticket,
    check_assignee,
    screen_attachments,
    read_commands,
    drop_staff_text,
    fill_saved_answers,
    check_request,
    # effects, in this order: the citizen reads the answer before a closing's rating request
    record_reply,
    publish,
    answer,
    wait_for_citizen,
    hand_over,
    close,
)
