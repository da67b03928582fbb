"""Step: a trusted operator's reply -> the citizen's answer, or its commands' effects (stage 5).

Only the new text (outbound.strip), without any line of the helpdesk's own staff mail (outbound.staffcopy),
and the operator's file attachments go to the citizen, from the office address, threaded into the
citizen's conversation. Commands at the top (relay.commands) act on the ticket; #catatan and the
text under #alihkan stay internal. Anything refused (relay.trust, an unknown command, a
closed ticket) relays nothing and runs nothing: it is recorded, logged with its reason, and the
operator is told.
"""

from __future__ import annotations

import logging

from jinja2 import TemplateError

from ..config import Operator
from ..desk import commands as desk
from ..desk.saved import UnknownAnswer
from ..kinds import EventType, Purpose
from ..model import Attachment, Status, Ticket, TicketEvent
from ..outbound import staffcopy, tokens
from ..outbound.compose import FileAttachment
from ..outbound.notices import to_citizen
from ..outbound.strip import new_text
from ..routing.notify import notification
from ..sla.actions import closing_mail
from ..step import Context, store_attachments
from ..tickets import lifecycle
from ..tickets.numbering import number_in_subject
from . import trust as trust_mod
from .commands import CommandSet, parse_commands
from .refusal import refuse

log = logging.getLogger(__name__)
HELD = (
    "balasan Anda masih memuat teks internal dari email helpdesk (konsultasi serupa atau catatan "
    "internal) di antara jawaban Anda, sehingga tidak dikirim kepada pengguna. Tulis jawaban di "
    "atas kutipan atau hapus kutipannya, lalu kirim lagi."
)
TOKEN_ATTACHED = (
    "lampiran Anda memuat kode balasan petugas (misalnya email pemberitahuan yang ikut "
    "terlampir). Lampiran seperti itu tidak pernah dikirim kepada pengguna; kirim lagi jawaban "
    "Anda tanpa melampirkan email."
)


def relay_reply(ctx: Context) -> None:
    """Verify the operator's reply, then run its commands and relay its new text."""
    if desk.command_in(ctx.mail.subject) is not None:
        desk.handle(ctx)  # #bantuan, #daftar, #cari: a command mailed fresh, not a reply
        return
    settings = ctx.app.settings
    # The subject's number is a hint only: it names where to record a refusal, never what to act on
    # (a token decides that), except for mail our own server authenticated.
    named = ctx.thread.number or number_in_subject(ctx.mail.subject)
    verdict = trust_mod.check(
        ctx.mail,
        operators=settings.operators,
        secret=settings.secret,
        office=ctx.office.code,
        thread_ticket=named,
        authserv_id=settings.trusted_authserv_id,
    )
    if not verdict.ok:
        refuse(ctx, verdict.reason, verdict.ticket, verdict.notify, verdict.explain_to, verdict.told)
        return
    operator = verdict.operator
    assert operator is not None and verdict.ticket is not None
    stored = ctx.app.store.ticket(verdict.ticket)
    if stored is None or stored.office != ctx.office.code:
        refuse(
            ctx,
            f"ticket {verdict.ticket} is not held by office {ctx.office.code}",
            None,
            (operator,),
            told=f"tiket {verdict.ticket} tidak ada di kantor {ctx.office.code}.",
        )
        return
    ticket = ctx.ticket = Ticket.from_dict(stored.to_dict())
    ctx.note(f"operator reply trusted ({verdict.how}): {verdict.reason}")
    if ticket.assignee and ticket.assignee != operator.address:
        refuse(
            ctx,
            f"tiket {ticket.number} sekarang ditangani oleh {ticket.assignee}",
            ticket.number,
            (operator,),
        )
        return
    commands = screen(ctx, ticket, operator)
    if commands is None:
        return
    problem = _problem(ctx, ticket, with_saved_answers(ctx, ticket, commands))
    if problem:
        refuse(ctx, problem, ticket.number, (operator,))
        return
    act(ctx, ticket, operator, commands)


def with_saved_answers(ctx: Context, ticket: Ticket, commands: CommandSet) -> CommandSet:
    """#jawaban NAME...: the saved answers, filled in for this ticket, above what the operator wrote.
    Unknown names become an error (`_problem` refuses the whole reply; nothing reaches the citizen)."""
    names = commands.saved_answers
    if not names or not commands.ok:
        return commands
    saved = ctx.app.saved_answers
    try:
        text = saved.compose(names, ticket, ctx.office)
    except UnknownAnswer as exc:
        known = "; ".join(f"{n} ({saved.get(n).title})" for n in saved.names)  # type: ignore[union-attr]
        commands.errors.append(f"jawaban tersimpan tidak dikenal: {', '.join(exc.names)}. Yang tersedia: {known}")
        return commands
    except TemplateError as exc:  # an office's file broken since `helpdesk check`: nothing goes out
        commands.errors.append(f"jawaban tersimpan tidak dapat disusun ({exc}); beri tahu administrator")
        return commands
    commands.body = f"{text}\n\n{commands.body}".strip()
    ctx.note(f"saved answer(s) {', '.join(names)} filled in for {ticket.number}")
    return commands


def screen(ctx: Context, ticket: Ticket, operator: Operator) -> CommandSet | None:
    """The reply's commands and the text that may reach the citizen, or None when it was refused:
    only file attachments, no reply token in any, and no line of the helpdesk's own staff mail."""
    if any(tokens.mentions_token(a.payload) for a in ctx.mail.attachments):
        refuse(
            ctx,
            "an attachment carries a reply token (an attached notification?)",
            ticket.number,
            (operator,),
            told=TOKEN_ATTACHED,
        )
        return None
    mails = [a for a in ctx.mail.attachments if a.content_type.partition("/")[0] in ("message", "multipart")]
    if mails:
        # Only files go to a citizen: an attached mail (Outlook attaches the one being answered)
        # carries staff headers and text.
        ctx.mail.attachments = [a for a in ctx.mail.attachments if a not in mails]
        ctx.note(f"{len(mails)} attached mail(s) left out of the reply: only files are relayed")
    commands = parse_commands(new_text(ctx.mail.text))
    if commands.body and not commands.is_internal:
        cleaned = staffcopy.clean_reply(commands.body, ticket)
        if not cleaned.held and tokens.mentions_token(cleaned.text.encode()):
            # A reply address from a #daftar list, or a command address, pasted into the answer:
            # a citizen holding one could pass for the operator.
            refuse(
                ctx,
                "reply held: its text carries a reply or command address",
                ticket.number,
                (operator,),
                told=f"{HELD} (alamat balasan atau alamat perintah petugas)",
            )
            return None
        if cleaned.held:
            refuse(
                ctx,
                f"reply held: {cleaned.held}",
                ticket.number,
                (operator,),
                told=f'{HELD} (baris {cleaned.held_line}: "{cleaned.held_words} ...")',
            )
            return None
        if cleaned.dropped:
            ctx.note(f"{cleaned.dropped} line(s) of the helpdesk's own staff mail left out of the reply")
        commands.body = cleaned.text
    return commands


def _problem(ctx: Context, ticket: Ticket, commands: CommandSet) -> str:
    """Why this reply must not act at all, or ""."""
    if commands.unknown:
        return (
            f"perintah tidak dikenal: {', '.join(commands.unknown)} "
            "(yang dikenal: #tutup, #tunggu, "
            "#alihkan NAMA, #catatan, #publik, #jawaban NAMA)"
        )
    if commands.errors:
        return "; ".join(commands.errors)
    target = commands.assign_to
    if target is not None and resolve_operator(ctx, target) is None:
        return f"#alihkan: tidak ada petugas {target!r} di kantor {ctx.office.code}"
    if commands.has("public") and (commands.is_internal or not commands.body) and not latest_answer(ticket):
        return "#publik: belum ada jawaban pada tiket ini yang dapat dipublikasikan"
    if not commands.commands and not commands.body and not ctx.mail.attachments:
        return "balasan kosong: tidak ada teks baru, lampiran, atau perintah"
    if not ticket.requester and not commands.is_internal and (commands.body or ctx.mail.attachments):
        return f"tiket {ticket.number} tidak punya alamat pengguna yang dapat dibalas"
    if ticket.status is Status.CLOSED and not commands.is_note:
        return f"tiket {ticket.number} sudah ditutup; hanya #catatan yang diterima"
    return ""


def latest_answer(ticket: Ticket) -> str:
    """The text of the latest answer the citizen received on this ticket, "" when none."""
    texts = [str(e.data.get("text", "")) for e in ticket.events if e.type == "reply"]
    return next((t for t in reversed(texts) if t.strip()), "")


def resolve_operator(ctx: Context, target: str) -> Operator | None:
    """#alihkan NAME: an address, a full name, or a first name fitting one operator here."""
    wanted = target.strip().strip("<>").lower()
    staff = [op for op in ctx.app.settings.operators if op.office == ctx.office.code]
    for test in (
        lambda op: op.address == wanted,
        lambda op: op.name.lower() == wanted,
        lambda op: op.name.lower().split()[:1] == [wanted],
    ):
        hits = [op for op in staff if op.name and test(op)]
        if len(hits) == 1:
            return hits[0]
    return None


def act(ctx: Context, ticket: Ticket, operator: Operator, commands: CommandSet) -> None:
    """Carry out a trusted reply: note, public, answer, wait, reassign, close (in that order)."""
    store_attachments(ctx)
    mail, now, who = ctx.mail, ctx.now, operator.address
    text = commands.body
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
            at=now,
            type=kind,
            message_id=mail.message_id,
            actor=who,
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
    if commands.has("public"):
        # This mail's answer, or alone the latest answer before it; frozen, so a later (private)
        # answer is never published without its own #publik.
        ticket.public_answer = text if text and not commands.is_internal else latest_answer(ticket)
        ticket.public = True
        ctx.note(f"{ticket.number} marked public by {who}")
    if not commands.is_internal and (text or mail.attachments):
        answer(ctx, ticket, text)
    elif commands.is_internal:
        ctx.note(f"internal text by {who} on {ticket.number}; nothing sent to the citizen")
    if commands.has("wait"):
        lifecycle.set_status(ticket, Status.WAITING_CITIZEN, now, who, "menunggu data dari pengguna")
        ctx.note(f"{ticket.number} waiting for the citizen ({who})")
    target = commands.assign_to
    if target is not None:
        # A hand-over's text travels with it to the new assignee, never to the citizen.
        reassign(ctx, ticket, operator, resolve_operator(ctx, target), note=text)
    if commands.has("close"):
        # Queued after the answer, so the citizen reads the answer before the rating request.
        ctx.send(closing_mail(ctx.app, ctx.office, ticket, now, who, "selesai dijawab"))
        ctx.note(f"{ticket.number} closed by {who}; rating request queued")


def answer(ctx: Context, ticket: Ticket, text: str) -> None:
    """The operator's new text and attachments, to the citizen, from the office, in the thread."""
    files = [FileAttachment(a.filename, a.content_type, a.payload) for a in ctx.mail.attachments if a.payload]
    lang = "en" if ticket.language == "en" else "id"
    mail = to_citizen(
        ctx.app,
        ctx.office,
        ticket,
        "answer",
        Purpose.ANSWER,
        ctx.now,
        attachments=files,
        body=text or ("Terlampir." if lang == "id" else "Please find it attached."),
    )
    ctx.send(mail)
    if ticket.answered_at is None:
        ticket.answered_at = ctx.now
    if ticket.status is Status.OPEN:
        lifecycle.set_status(ticket, Status.ANSWERED, ctx.now, ctx.mail.from_addr, "dijawab petugas")
    elif ticket.status is Status.ANSWERED:
        ticket.waiting_since = ctx.now  # the citizen's silence counts from the latest answer
    ctx.note(f"answer {mail.message_id} to {ticket.requester} queued ({len(files)} attachment(s))")


def reassign(ctx: Context, ticket: Ticket, by: Operator, to: Operator | None, note: str = "") -> None:
    assert to is not None  # _problem refused an unknown name before anything happened
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
