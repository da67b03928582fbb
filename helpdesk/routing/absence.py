"""Step: an operator's own out-of-office reply marks them away today; their new ticket moves on (stage 4).

Trusted like a reply: only an auto-reply to a notification signed for this operator counts.
"""

from __future__ import annotations

from ..outbound import tokens
from ..step import Context
from .notify import notification
from .route import reassign


def note_absence(ctx: Context) -> None:
    """An operator's own out-of-office reply marks them away today; their new ticket moves on."""
    mail = ctx.mail
    operator = ctx.app.settings.operator(mail.from_addr) if mail.from_trusted_form else None
    if operator is None or operator.office != ctx.office.code:
        return
    # Same trust as a reply: only an auto-reply to a notification signed for this operator counts,
    # so a forged "out of office" cannot push someone's tickets away.
    found = tokens.extract(mail.to + mail.cc, mail.in_reply_to, mail.references)
    secret = ctx.app.settings.secret
    if not any(tokens.verify(secret, f.token, f.ticket, operator.address) for f in found):
        ctx.note(f"auto-reply from {operator.address} does not answer their notification; not taken as an absence")
        return
    day = ctx.now.astimezone(ctx.office.tz).date().isoformat()
    ctx.meta.auto_replies[operator.address] = day
    ctx.note(f"{operator.address} is away today ({ctx.verdict.reason}); not assigned until tomorrow")
    ticket = ctx.ticket
    if ticket is None or ticket.assignee != operator.address or ticket.status.value == "closed":
        return
    chosen = reassign(ctx, ticket, "out of office")
    if not chosen.operator:
        ctx.note(f"{ticket.number} stays with {operator.address}: {chosen.reason}")
        return
    new = ctx.app.settings.operator(chosen.operator)
    assert new is not None
    ctx.send(
        notification(
            ctx.app,
            ctx.office,
            ticket,
            new,
            ctx.now,
            reason=f"Tiket ini dialihkan kepada Anda karena {operator.name or operator.address} "
            "sedang tidak di kantor (balasan otomatis).",
        )
    )
    ctx.note(f"{ticket.number} moved from {operator.address} to {chosen.operator}: {chosen.reason}")
