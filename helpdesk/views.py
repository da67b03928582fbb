"""What the command line shows: ticket rows, a thread, mailbox and outbox status (pure formatting)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from .config import Settings
from .kinds import MailState
from .model import Ticket
from .tickets.store import Store


def ticket_rows(tickets: Iterable[Ticket], settings: Settings | None = None) -> list[dict[str, Any]]:
    """One JSON-ready dict per ticket; times in ISO 8601 with the office's offset."""
    zones = {o.code: o.tz for o in settings.offices} if settings else {}

    def local(moment: datetime | None, office: str) -> str | None:
        if moment is None:
            return None
        return (moment.astimezone(zones[office]) if office in zones else moment).isoformat()

    return [
        {
            "number": t.number,
            "office": t.office,
            "status": t.status.value,
            "requester": t.requester,
            "subject": t.subject,
            "assignee": t.assignee,
            "received_at": local(t.received_at, t.office),
            "due_at": local(t.due_at, t.office),
        }
        for t in tickets
    ]


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], width: int = 40) -> str:
    """A plain text table, cells cut to `width` characters."""
    if not rows:
        return "(no tickets)"
    cells = [[str(r.get(c) or "")[:width] for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def thread_text(ticket: Ticket, store: Store, tz: tzinfo | None = None) -> str:
    """The whole thread of a ticket, oldest first, with what went out; times in the office's zone
    (`tz`): received times are stored as the IMAP server gave them, often UTC, beside deadlines
    in local time, and `show` printed the two in different offsets."""

    def when(moment: datetime) -> str:
        return (moment.astimezone(tz) if tz else moment).isoformat()

    out = [
        f"{ticket.number}  [{ticket.status.value}]  {ticket.subject}",
        f"citizen: {ticket.requester_name} <{ticket.requester}>",
        f"received: {when(ticket.received_at)}   due: "
        f"{when(ticket.due_at) if ticket.due_at else '-'}   assignee: {ticket.assignee or '-'}",
    ]
    if ticket.rating is not None:
        out.append(f"rating: {ticket.rating}/5")
    for event in ticket.events:
        out.append("")
        out.append(f"--- {when(event.at)}  {event.type}  {event.actor}")
        if event.summary:
            out.append(f"    {event.summary}")
        for att in event.attachments:
            out.append(f"    attachment: {att.filename} ({att.content_type}, {att.size} bytes)")
        text = event.data.get("text")
        if text:
            out += ["    " + line for line in text.strip().splitlines()]
    queued = store.outgoing(ticket.office, ticket=ticket.number)
    for mail in queued:
        out.append(
            f"\n--- outbox: {mail.purpose} {mail.status} to {', '.join(mail.recipients)}"
            + (f" ({mail.last_error})" if mail.last_error else "")
        )
    return "\n".join(out)


def status_text(settings: Settings, store: Store, status_dir: Path) -> str:
    """Per mailbox its last good fetch and last error; the outbox's queued and failed mail."""
    lines = ["mailboxes:"]
    for office in settings.offices:
        path = status_dir / f"{office.code}.json"
        try:
            st = json.loads(path.read_text())
        except (OSError, ValueError):
            st = {}
        state = store.mailbox_state(office.code)

        def local(moment: str | None, tz: tzinfo = office.tz) -> str:
            return datetime.fromisoformat(moment).astimezone(tz).isoformat(timespec="seconds") if moment else "never"

        lines.append(
            f"  {office.code} {office.address}: last ok {local(st.get('last_ok_at'))}, "
            f"last uid {state.last_uid if state.uidvalidity is not None else '-'}"
            + (f", last error {local(st.get('last_error_at'))}: {st.get('last_error')}" if st.get("last_error") else "")
        )
    counts = Counter(m.status for m in store.outgoing())
    lines.append(
        f"outbox: {counts.get(MailState.QUEUED, 0)} queued, {counts.get(MailState.SENDING, 0)} sending, "
        f"{counts.get(MailState.FAILED, 0)} failed"
    )
    for mail in store.outgoing(states=[MailState.FAILED]):
        lines.append(f"  failed {mail.purpose} {mail.ticket or ''} to {', '.join(mail.recipients)}: {mail.last_error}")
    quarantined = store.quarantined()
    lines.append(f"in flight: {len(store.in_flight())}, quarantined: {len(quarantined)}")
    for q in quarantined:
        lines.append(f"  quarantined {q.key}: {q.reason} (spool/{q.copy})")
    lines.append(
        f"not ticketed (last {len(store.not_ticketed_mails())} kept): " + (store.not_ticketed_by_reason() or "none")
    )
    lines.append(f"open tickets: {len(store.open_tickets())}")
    return "\n".join(lines)
