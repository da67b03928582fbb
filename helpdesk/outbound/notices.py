"""Templated mail from an office to a citizen or to its staff, threaded into the ticket (stage 3).

One place decides From, threading and Auto-Submitted for every kind of mail the helpdesk writes;
the callers only say which template, to whom, and with what context.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..config import Office
from ..kinds import Purpose
from ..model import OutgoingMail, Ticket
from . import staffcopy, tokens
from .compose import FileAttachment, build_mail, mint_message_id, random_hex

if TYPE_CHECKING:
    from ..app import App


def office_domain(office: Office) -> str:
    return office.address.split("@", 1)[1]


def signed_headers(app: App, office: Office, ticket: str, operator: str) -> tuple[str, str]:
    """(Message-ID, Reply-To) carrying the reply token for this ticket and operator.

    Any staff mail the operator may answer (a reminder, say) can carry them, so a reply to it is
    trusted exactly like a reply to the notification."""
    token = tokens.mint(app.settings.secret, ticket, operator)
    message_id = tokens.notification_message_id(ticket, token, random_hex(6), office_domain(office))
    return message_id, tokens.reply_address(office.address, ticket, token)


# Staff mail Message-IDs (minted as "<pst.<purpose[:12]>.") never go to the citizen.
_STAFF_IDS = tuple(
    f"<pst.{p.value[:12]}."
    for p in (Purpose.NOTIFICATION, Purpose.REMINDER, Purpose.ESCALATION, Purpose.OPERATOR_NOTICE)
)


def _citizen_may_see(mid: str, internal: set[str]) -> bool:
    # A notification's Message-ID holds the operator's reply token: a citizen who saw it could
    # forge the operator's From and pass the relay's check (DESIGN.md, "Threading and trust").
    return (
        bool(mid) and mid not in internal and not tokens.carries_token(mid) and not mid.lower().startswith(_STAFF_IDS)
    )


def thread_headers(ticket: Ticket) -> tuple[str, list[str]]:
    """(In-Reply-To, References) that put a mail into the ticket's conversation."""
    citizen_ids = [e.message_id for e in ticket.events if e.type in ("received", "follow_up") and e.message_id]
    last = citizen_ids[-1] if citizen_ids else ""
    internal = {e.message_id for e in ticket.events if e.data.get("internal")}
    refs = [mid for mid in ticket.message_ids if _citizen_may_see(mid, internal)]
    return last, refs


def to_citizen(
    app: App,
    office: Office,
    ticket: Ticket,
    template: str,
    purpose: Purpose,
    now: datetime,
    *,
    attachments: Sequence[FileAttachment] = (),
    auto_submitted: str = "auto-replied",
    **context: Any,
) -> OutgoingMail:
    """A mail to the ticket's citizen, from the office address, in the ticket's thread.

    Its Date header is written in the office's zone, like every other time in the mail."""
    lang = ticket.reply_language
    rendered = app.templates.render(template, lang, ticket=ticket, office=office, **context)
    in_reply_to, refs = thread_headers(ticket)
    return build_mail(
        office=office.code,
        from_addr=office.address,
        from_name=f"PST {office.name}",
        to=[ticket.requester],
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        purpose=purpose,
        ticket=ticket.number,
        message_id=mint_message_id(purpose[:12], ticket.number, office_domain(office)),
        in_reply_to=in_reply_to,
        references=refs,
        auto_submitted=auto_submitted,
        attachments=attachments,
        now=now.astimezone(office.tz),
    )


def to_staff(
    app: App,
    office: Office,
    recipients: Sequence[str],
    template: str,
    purpose: Purpose,
    now: datetime,
    *,
    ticket: Ticket | None = None,
    reply_to: str = "",
    message_id: str = "",
    attachments: Sequence[FileAttachment] = (),
    cc: Sequence[str] = (),
    in_reply_to: str = "",
    references: Sequence[str] = (),
    **context: Any,
) -> OutgoingMail:
    """A mail to operators or supervisors, always in Indonesian, never answered by robots."""
    rendered = app.templates.render(template, "id", office=office, ticket=ticket, **context)
    number = ticket.number if ticket else ""
    if ticket is not None:
        # Whatever staff may quote back in a reply, the relay must recognise and keep from the citizen.
        ticket.staff_prints = staffcopy.remember(ticket.staff_prints, rendered.text)
    return build_mail(
        office=office.code,
        from_addr=office.address,
        from_name=f"PST Helpdesk {office.name}",
        to=list(recipients),
        cc=list(cc),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        purpose=purpose,
        ticket=number,
        reply_to=reply_to,
        message_id=message_id or mint_message_id(purpose[:12], number, office_domain(office)),
        in_reply_to=in_reply_to,
        references=references,
        auto_submitted="auto-generated",
        attachments=attachments,
        now=now.astimezone(office.tz),
    )
