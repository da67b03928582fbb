"""Refusing an operator-looking mail: record it, log it, tell the operator (stage 5).

Nothing in a refused mail reaches a citizen and none of its commands run; the refusal is an event
on the ticket the mail names (internal: never shown to the citizen), and a notice in Indonesian goes
to the operator whose name or token was used, and to an operator writing from a private address.
"""

from __future__ import annotations

from ..config import Operator
from ..kinds import EventType, Purpose
from ..model import TicketEvent
from ..outbound.notices import to_staff
from ..step import Context
from ..tickets import ratelimit
from .commands import KNOWN

NOTICES_PER_DAY = 20  # refusals told to one address per day: a forger must not flood an operator
ADVICE = (
    "Untuk menjawab pengguna, balas (Reply) email pemberitahuan tiket dari alamat dinas Anda "
    f"yang terdaftar, tanpa mengubah alamat tujuan. Perintah ditulis di baris pertama: {KNOWN}. "
    "Daftar lengkap perintah, jawaban tersimpan dan contohnya: kirim email berjudul #bantuan "
    "(English: #help)."
)


def refuse(
    ctx: Context,
    reason: str,
    number: str | None,
    tell: tuple[Operator, ...] | list[Operator],
    explain_to: str = "",
    told: str = "",
) -> None:
    """Nothing relayed, nothing run: record the mail on its ticket, log, tell the operator."""
    mail = ctx.mail
    ctx.note(f"operator mail from {mail.from_addr or '(unreadable From)'} refused: {reason}")
    stored = ctx.app.store.ticket(number) if number else None
    ticket = None
    if stored is not None and stored.office == ctx.office.code:
        ticket = ctx.ticket = ctx.ticket if ctx.ticket and ctx.ticket.number == number else stored.copy()
        ticket.events.append(
            TicketEvent(
                at=ctx.now,
                type=EventType.RELAY_REFUSED,
                message_id=mail.message_id,
                actor=mail.from_addr,
                summary=reason[:300],
                spool=ctx.spool_path,
                data={"subject": mail.subject, "from_name": mail.from_name, "internal": True},
            )
        )
        if mail.message_id not in ticket.message_ids:
            ticket.message_ids.append(mail.message_id)
    recipients = [(op.address, op.name) for op in tell]
    if explain_to and explain_to not in {a for a, _ in recipients}:
        recipients.append((explain_to, ""))
    for address, name in recipients:
        if not within_limit(ctx, "operator_notice", address, NOTICES_PER_DAY):
            ctx.note(f"refusal notice to {address} skipped: {NOTICES_PER_DAY} already sent today")
            continue
        advice = (
            ADVICE
            if address != explain_to
            else (f"Alamat {explain_to} tidak terdaftar sebagai petugas layanan. " + ADVICE)
        )
        ctx.send(
            to_staff(
                ctx.app,
                ctx.office,
                [address],
                "operator_notice",
                Purpose.OPERATOR_NOTICE,
                ctx.now,
                ticket=ticket,
                operator_name=name,
                subject=mail.subject,
                reason=told or reason,
                advice=advice,
            )
        )
        ctx.note(f"refusal notice queued to {address}")


def within_limit(ctx: Context, kind: str, address: str, per_day: int) -> bool:
    """Whether one more mail of this kind may go to `address` today (office's day); counts it."""
    key = ratelimit.per_day(address, ctx.now.astimezone(ctx.office.tz).date(), kind)
    sent = ctx.sent_count(key)
    if sent >= per_day:
        return False
    ctx.count_sent(key, sent + 1)
    return True
