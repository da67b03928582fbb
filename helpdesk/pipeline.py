"""The whole flow of one inbound mail on one screen: Kind -> steps; changes applied together.

Steps read and change a Context; nothing they do reaches the store until every step has run, so a
step that fails leaves no half-made ticket behind (the intake then retries or quarantines the mail).
"""

from __future__ import annotations

from .errors import Discard
from .insight.search import acknowledgement_suggestions
from .kinds import EventType
from .model import Kind, Status
from .outbound.acknowledge import acknowledge
from .outbound.strip import new_text
from .routing.absence import note_absence
from .routing.notify import forward_to_operator, notify_operator
from .routing.route import route
from .sla.deadlines import deadline_from
from .step import Context, Step, store_attachments
from .tickets import lifecycle
from .tickets.rating import answers_rating_request, parse_rating


def choose_office(ctx: Context) -> None:
    """A mail To one office with a Cc to another lands in both mailboxes; Message-ID dedupe keeps
    whichever copy was processed first, so without this the owner depended on fetch order. The
    ticket belongs to the first configured office in To; the mailbox's office when none is there."""
    if ctx.office.address in ctx.mail.to:
        return
    owner = next((o for o in map(ctx.app.settings.office_by_address, ctx.mail.to) if o), None)
    if owner is not None and owner.code in ctx.app.store.broken:
        # That office is stopped (its store cannot be read): the copy in hand is not lost.
        ctx.note(f"addressed To {owner.address}, whose store cannot be read: ticket for {ctx.office.code}")
    elif owner is not None and owner.code != ctx.office.code:
        ctx.note(f"addressed To {owner.address} (this mailbox only had a copy): ticket for {owner.code}")
        ctx.office = owner


def record_ticket(ctx: Context) -> None:
    """A new citizen mail becomes a ticket, numbered per office and year."""
    if not ctx.mail.from_addr:
        ctx.note("sender address unreadable; ticket opened without a reply address")
    store_attachments(ctx)
    local = ctx.mail.received_at.astimezone(ctx.office.tz)
    number = ctx.app.store.next_number(ctx.office.code, local.year)
    start, due = deadline_from(ctx, ctx.mail.received_at, ctx.office.reply_days)
    # Only a Reply-To is compared with the staff's addresses (hundreds of offices: made only then).
    staff = ctx.app.settings.own_addresses | ctx.app.operator_addresses if ctx.mail.reply_to else frozenset()
    ctx.ticket = lifecycle.open_ticket(
        number,
        ctx.office.code,
        ctx.mail,
        ctx.spool_path,
        due,
        start,
        requester=lifecycle.reply_address(ctx.mail, staff),
    )
    ctx.note(f"ticket {number} opened, due {due.isoformat()}")


def load_ticket(ctx: Context) -> None:
    """Fetch the thread's ticket as a private copy (closed ones come back from the archive)."""
    number = ctx.thread.number
    ticket = ctx.app.store.ticket(number) if number else None
    if ticket is None:
        raise Discard(f"thread names ticket {number}, which the store does not hold")
    ctx.ticket = ticket.copy()


def record_follow_up(ctx: Context) -> None:
    """A citizen writes into an existing ticket; a closed or answered ticket is reopened."""
    assert ctx.ticket is not None
    store_attachments(ctx)
    new = deadline_from(ctx, ctx.mail.received_at) if lifecycle.needs_new_deadline(ctx.ticket) else None
    lifecycle.add_citizen_message(ctx.ticket, ctx.mail, ctx.spool_path, new)
    ctx.note(
        f"follow-up on {ctx.ticket.number} ({ctx.thread.how})" + (f", new deadline {new[1].isoformat()}" if new else "")
    )


def record_automated(ctx: Context) -> None:
    """Bounces and auto-replies: on their ticket when they belong to one; never answered."""
    kind = ctx.verdict.kind
    summary = ctx.mail.report_status if kind is Kind.BOUNCE and ctx.mail.report_status else ctx.verdict.reason
    if ctx.thread.number is None:
        ctx.note(
            f"{kind.value} not linked to any ticket ({ctx.verdict.reason}); kept in spool {ctx.spool_path}, no reply"
        )
        ctx.not_ticketed = kind.value
        return
    load_ticket(ctx)
    assert ctx.ticket is not None
    lifecycle.record_side_mail(ctx.ticket, ctx.mail, ctx.spool_path, EventType(kind.value), summary)
    ctx.note(f"{kind.value} recorded on {ctx.ticket.number}: {summary}")


def record_ignored(ctx: Context) -> None:
    """Mail that needs no ticket (lists, our own mail): logged with its reason, kept in the spool."""
    ctx.note(f"{ctx.verdict.kind.value}: {ctx.verdict.reason}; no ticket, no reply, kept in spool {ctx.spool_path}")
    ctx.not_ticketed = ctx.verdict.kind.value


def record_rating(ctx: Context) -> None:
    """A citizen's 1-5 answer on a closed ticket is recorded; the ticket stays closed."""
    assert ctx.ticket is not None
    rating = parse_rating(new_text(ctx.mail.text))
    assert rating is not None  # kind_of decided RATING only for a reply that parses
    if not answers_rating_request(ctx.ticket, ctx.mail):
        # Only the citizen can rate: anyone can forge From and put the number in the subject.
        lifecycle.record_side_mail(
            ctx.ticket,
            ctx.mail,
            ctx.spool_path,
            EventType.RATING_REFUSED,
            f"rating {rating}/5 not recorded: not a reply to the rating request",
        )
        ctx.note(f"rating on {ctx.ticket.number} refused: the mail does not answer the rating request")
        return
    lifecycle.record_rating(ctx.ticket, rating, ctx.mail, ctx.spool_path)
    ctx.note(f"rating {rating}/5 recorded on {ctx.ticket.number}")


def suggest_answers(ctx: Context) -> None:
    """Public past answers for the acknowledgement to offer, handed to it on the Context (insight)."""
    assert ctx.ticket is not None
    ctx.suggestions = acknowledgement_suggestions(ctx.app, ctx.office, ctx.ticket, ctx.mail.text.strip())


def relay_reply(ctx: Context) -> None:
    """An operator's answer, relayed to the citizen (relay.relay). Imported at the first one: it
    brings the operator's whole toolbox (desk), 50 ms of a `run --once` whose mail holds none."""
    from .relay.relay import relay_reply as relay

    relay(ctx)


PIPELINES: dict[Kind, tuple[Step, ...]] = {
    # route may change reply_days, which the acknowledgement promises
    Kind.NEW: (choose_office, record_ticket, route, suggest_answers, acknowledge, notify_operator),
    Kind.FOLLOW_UP: (load_ticket, record_follow_up, forward_to_operator),
    Kind.OPERATOR_REPLY: (relay_reply,),
    Kind.AUTO_REPLY: (record_automated, note_absence),
    Kind.BOUNCE: (record_automated,),
    Kind.LIST: (record_ignored,),
    Kind.LOOP: (record_ignored,),
    Kind.RATING: (load_ticket, record_rating),
}


def kind_of(ctx: Context) -> Kind:
    """The classifier's verdict, refined by the thread lookup (a citizen's reply is a follow-up)."""
    kind = ctx.verdict.kind
    if kind is Kind.NEW and ctx.thread.number is not None:
        return Kind.RATING if is_rating_reply(ctx) else Kind.FOLLOW_UP
    return kind


def is_rating_reply(ctx: Context) -> bool:
    """A short 1-5 answer from the citizen on a closed ticket rates it rather than reopening it."""
    if ctx.thread.number is None or parse_rating(new_text(ctx.mail.text)) is None:
        return False
    ticket = ctx.app.store.ticket(ctx.thread.number)
    return ticket is not None and ticket.status is Status.CLOSED


def run(ctx: Context) -> None:
    """Run the steps for this mail's kind, then apply all their changes to the store at once."""
    kind = kind_of(ctx)
    try:
        for step in PIPELINES[kind]:
            step(ctx)
    except Discard as exc:
        ctx.note(f"discarded: {exc}")
        ctx.not_ticketed = "discarded"
        return
    apply(ctx)


def apply(ctx: Context) -> None:
    store = ctx.app.store
    with store.lock:
        if ctx.ticket is not None:
            store.save_ticket(ctx.ticket)
        store.index_message(ctx.mail.message_id, ctx.ticket.number if ctx.ticket else "")
        for mail in ctx.outgoing:
            store.queue_mail(mail)
        store.update_meta(ctx.office.code, ctx.meta)
