"""Carry out what the sweep decided: reminders, escalations, close notices, auto-closes, digests (stage 6).

Each action's key is recorded on its ticket in the same commit as the mail it queues, so an action
is done exactly once: a daemon killed before the commit does it at the next start, never twice.
An action works on a copy of its ticket and is applied only when it has fully succeeded, so one
that fails half-way (a broken template, say) leaves nothing behind and is tried at the next sweep.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from ..app import App
from ..config import Office
from ..kinds import EventType, Purpose
from ..model import OutgoingMail, Status, Ticket, TicketEvent
from ..outbound.notices import signed_headers, to_citizen, to_staff
from ..outbound.wording import when_text
from ..tickets import lifecycle
from ..tickets.officemeta import OfficeMeta
from .digest import digest_mail
from .sweep import Action, due_actions

log = logging.getLogger(__name__)


def last_digest_day(app: App, office: Office) -> date | None:
    return app.store.office_meta(office.code).last_digest


def sweep_office(app: App, office: Office, now: datetime) -> list[Action]:
    """Find and perform everything due for one office as of `now`; commits once. Returns what was done."""
    store = app.store
    done: list[Action] = []
    with store.lock:
        actions = due_actions(
            store.open_tickets(office.code), office, app.calendar(office), now, last_digest_day(app, office)
        )
        for action in actions:
            try:
                if perform(app, office, action, now):
                    done.append(action)
            except Exception:  # noqa: BLE001 - one broken ticket must not stop the other actions
                log.exception("sla action %s failed; it will be tried at the next sweep", action.key)
        if done:
            store.commit()
            log.info("office %s: %d sla actions done", office.code, len(done))
    return done


def perform(app: App, office: Office, action: Action, now: datetime) -> bool:
    """Do one action and stage its effects (ticket + mail) together; False when nothing was due."""
    store = app.store
    if action.kind == "digest":
        mail = digest_mail(app, office, now)
        store.queue_mail(mail)
        store.update_meta(office.code, OfficeMeta(last_digest=action.data["day"]))
        log.info("digest for office %s queued", office.code)
        return True
    current = store.hot_ticket(action.ticket)
    if current is None or action.key in current.sla_done:
        return False
    ticket = current.copy()  # a private copy until everything succeeded
    mails = HANDLERS[action.kind](app, office, ticket, action, now)
    ticket.sla_done.append(action.key)
    ticket.sla_done.extend(action.data.get("covers", ()))  # earlier reminders this one stands for
    for mail in mails:
        if mail.ticket == ticket.number and mail.message_id not in ticket.message_ids:
            ticket.message_ids.append(mail.message_id)
    store.save_ticket(ticket)
    for mail in mails:
        store.queue_mail(mail)
    log.info("sla %s done for %s (%d mails)", action.kind, ticket.number, len(mails))
    return True


def _texts(office: Office, ticket: Ticket, due: datetime | None) -> dict[str, Any]:
    return {"due_text": when_text(office, due), "received_text": when_text(office, ticket.received_at)}


def remind(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> list[OutgoingMail]:
    """Remind the assigned operator of a deadline that is near."""
    operator = app.settings.operator(ticket.assignee)
    address = operator.address if operator else ticket.assignee
    ticket.events.append(
        TicketEvent(
            at=now, type=EventType.REMINDER, actor="helpdesk", summary=f"reminder ({action.data['spec']}) to {address}"
        )
    )
    # Signed like the notification, so the operator may answer the citizen by replying to it.
    message_id, reply_to = signed_headers(app, office, ticket.number, address)
    return [
        to_staff(
            app,
            office,
            [address],
            "reminder",
            Purpose.REMINDER,
            now,
            ticket=ticket,
            message_id=message_id,
            reply_to=reply_to,
            operator_name=operator.name if operator else address,
            **_texts(office, ticket, action.data["due_at"]),
        )
    ]


def escalate(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> list[OutgoingMail]:
    """Tell the supervisors, once, that a deadline was missed (the operator in copy)."""
    ticket.events.append(
        TicketEvent(at=now, type=EventType.ESCALATION, actor="helpdesk", summary="deadline breached; supervisors told")
    )
    if not office.supervisors:
        log.warning("%s breached its deadline but office %s has no supervisors", ticket.number, office.code)
        return []
    operator = app.settings.operator(ticket.assignee) if ticket.assignee else None
    assignee = f"{operator.name} <{operator.address}>" if operator else ticket.assignee
    return [
        to_staff(
            app,
            office,
            list(office.supervisors),
            "escalation",
            Purpose.ESCALATION,
            now,
            ticket=ticket,
            cc=[operator.address] if operator else [],
            assignee=assignee,
            **_texts(office, ticket, action.data["due_at"]),
        )
    ]


def close_notice(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> list[OutgoingMail]:
    """Tell a silent citizen, a day ahead, that the ticket will close."""
    lang = ticket.reply_language
    ticket.events.append(
        TicketEvent(
            at=now,
            type=EventType.CLOSE_NOTICE,
            actor="helpdesk",
            summary=f"closing notice for {action.data['close_at'].isoformat()}",
        )
    )
    return [
        to_citizen(
            app,
            office,
            ticket,
            "close_notice",
            Purpose.CLOSE_NOTICE,
            now,
            close_text=when_text(office, action.data["close_at"], lang),
            answered=ticket.status is Status.ANSWERED,
        )
    ]


def auto_close(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> list[OutgoingMail]:
    """Close a ticket whose citizen stayed silent for the office's waiting_close_days."""
    lang = ticket.reply_language
    reason = (
        f"no reply for {office.waiting_close_days} days"
        if lang == "en"
        else f"tidak ada tanggapan selama {office.waiting_close_days} hari"
    )
    return [closing_mail(app, office, ticket, now, "helpdesk", reason)]


def closing_mail(app: App, office: Office, ticket: Ticket, now: datetime, actor: str, reason: str) -> OutgoingMail:
    """Set the ticket closed and return the closing notice, which asks for a rating (1-5)."""
    lifecycle.set_status(ticket, Status.CLOSED, now, actor, reason)
    return to_citizen(
        app,
        office,
        ticket,
        "closed",
        Purpose.RATING_REQUEST,
        now,
        reason=reason,
        closed_text=when_text(office, now, ticket.reply_language),
    )


HANDLERS = {"reminder": remind, "escalation": escalate, "close_notice": close_notice, "auto_close": auto_close}
