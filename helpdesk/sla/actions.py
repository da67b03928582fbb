"""Carry out what the sweep decided: reminders, escalations, close notices, auto-closes, digests (stage 6).

Each action's key is recorded on its ticket in the same commit as the mail it queues, so an action
is done exactly once: a daemon killed before it runs does it at the next start, never twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from ..app import App
from ..config import Office
from ..model import Status, Ticket
from ..outbound.notices import to_citizen, to_staff
from ..tickets import lifecycle
from .sweep import Action, digest_summary, due_actions
from .wording import format_date, format_deadline

log = logging.getLogger(__name__)


def sweep_office(app: App, office: Office, now: datetime) -> list[Action]:
    """Find and perform everything due for one office as of `now`; commits once."""
    store = app.store
    with store.lock:
        last = store.meta.setdefault("last_digest", {}).get(office.code)
        last_day = datetime.fromisoformat(last).date() if last else None
        actions = due_actions(store.open_tickets(office.code), office, app.calendar(office), now, last_day)
        for action in actions:
            try:
                perform(app, office, action, now)
            except Exception:  # noqa: BLE001 - one broken ticket must not stop the other actions
                log.exception("sla action %s on %s failed; will be tried at the next sweep",
                              action.key, action.ticket or office.code)
        if actions:
            store.commit()
    return actions


def perform(app: App, office: Office, action: Action, now: datetime) -> None:
    if action.kind == "digest":
        send_digest(app, office, now)
        app.store.meta.setdefault("last_digest", {})[office.code] = \
            now.astimezone(office.tz).date().isoformat()
        return
    ticket = app.store.tickets.get(action.ticket)
    if ticket is None or action.key in ticket.sla_done:
        return
    HANDLERS[action.kind](app, office, ticket, action, now)
    ticket.sla_done.append(action.key)
    app.store.save_ticket(ticket)
    log.info("sla %s done for %s", action.key, ticket.number)


def _texts(office: Office, ticket: Ticket, due: datetime | None) -> dict[str, str]:
    return {"due_text": format_deadline(due, office.zone_label, "id") if due else "-",
            "received_text": format_deadline(ticket.received_at.astimezone(office.tz), office.zone_label, "id")}


def remind(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> None:
    operator = app.settings.operator(ticket.assignee)
    if operator is None:
        return
    app.store.queue_mail(to_staff(app, office, [operator.address], "reminder", "reminder", now,
                                  ticket=ticket, operator_name=operator.name,
                                  **_texts(office, ticket, ticket.due_at)))


def escalate(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> None:
    recipients = list(office.supervisors)
    if not recipients:
        log.warning("%s breached its deadline but office %s has no supervisors", ticket.number, office.code)
        return
    operator = app.settings.operator(ticket.assignee) if ticket.assignee else None
    app.store.queue_mail(to_staff(
        app, office, recipients, "escalation", "escalation", now, ticket=ticket,
        cc=[operator.address] if operator else [],
        assignee=f"{operator.name} <{operator.address}>" if operator else "",
        **_texts(office, ticket, ticket.due_at)))
    ticket.events.append(lifecycle.TicketEvent(at=now, type="escalation", actor="helpdesk",
                                               summary="deadline breached; supervisors told"))


def close_notice(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> None:
    closes_at = action.data.get("close_at") or now
    close_text = format_date(closes_at.astimezone(office.tz).date(),
                             "en" if ticket.language == "en" else "id")
    mail = to_citizen(app, office, ticket, "close_notice", "close_notice", now, close_text=close_text)
    app.store.queue_mail(mail)
    ticket.message_ids.append(mail.message_id)


def auto_close(app: App, office: Office, ticket: Ticket, action: Action, now: datetime) -> None:
    close_ticket(app, office, ticket, now, actor="helpdesk",
                 reason=f"tidak ada tanggapan selama {office.waiting_close_days} hari")


def close_ticket(app: App, office: Office, ticket: Ticket, now: datetime, actor: str, reason: str) -> None:
    """Close a ticket and ask the citizen to rate the service (shared with the operator's #tutup)."""
    lifecycle.set_status(ticket, Status.CLOSED, now, actor, reason)
    mail = to_citizen(app, office, ticket, "closed", "rating_request", now, reason=reason)
    app.store.queue_mail(mail)
    ticket.message_ids.append(mail.message_id)
    app.store.save_ticket(ticket)


def send_digest(app: App, office: Office, now: datetime) -> None:
    if not office.supervisors:
        return
    cal = app.calendar(office)
    summary = digest_summary(app.store.open_tickets(office.code), office, cal, now)

    def rows(tickets: list[Ticket]) -> list[dict[str, str]]:
        return [{"number": t.number, "subject": t.subject, "assignee": t.assignee,
                 "due_text": format_deadline(t.due_at, office.zone_label, "id") if t.due_at else "-"}
                for t in tickets]

    problems = [f"email dikarantina: {q.get('reason', '')[:120]}" for q in app.store.quarantine.values()
                if q.get("office") == office.code]
    problems += [f"gagal terkirim ke {', '.join(m.recipients)}: {m.last_error[:120]}"
                 for m in app.store.outbox.values() if m.status == "failed" and m.office == office.code]
    app.store.queue_mail(to_staff(
        app, office, office.supervisors, "digest", "digest", now,
        day_text=format_date(now.astimezone(office.tz).date(), "id"),
        overdue=rows(summary["overdue"]), due_today=rows(summary["due_today"]),
        unassigned=rows(summary["unassigned"]), per_operator=sorted(summary["per_operator"].items()),
        problems=problems))


HANDLERS = {"reminder": remind, "escalation": escalate, "close_notice": close_notice,
            "auto_close": auto_close}
