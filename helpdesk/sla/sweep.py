"""What is due for an office at an instant: reminders, escalations, close notices, auto-closes, the
digest (stage 6, pure).

Everything is derived from the tickets (the single source of truth) and the time passed in; a done
action is one whose key is in `ticket.sla_done`, so deciding twice never acts twice. Timing rules:
- reminders go to the assigned operator only within office hours and only before the deadline
  (a reminder missed while the daemon was down is sent at start, or at the next opening);
- the escalation fires at the breach instant (deadlines may sit exactly at closing), otherwise a
  late one waits for office hours;
- the digest goes at opening on each working day, at most once a day;
- the close notice and auto-close count calendar days, so they may fire at any hour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..config import Office
from ..model import Status, Ticket
from .workdays import WorkingCalendar

ESCALATION_GRACE = timedelta(minutes=15)  # a wake-up this late still counts as "at the breach"
KINDS = ("reminder", "escalation", "close_notice", "auto_close", "digest")


@dataclass(frozen=True)
class Action:
    kind: str  # reminder | escalation | close_notice | auto_close | digest
    key: str  # unique per ticket + deadline (or waiting spell) + kind; recorded when done
    ticket: str  # ticket number, "" for the digest
    at: datetime  # when it becomes due
    data: dict[str, Any] = field(default_factory=dict, compare=False)


def _stamp(moment: datetime) -> str:
    """A stable text for an instant, whatever offset it was stored with."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def reminder_offset(spec: str) -> timedelta | None:
    """ "2h" -> 2 hours, "30m" -> 30 minutes of office time; None for "opening"."""
    m = re.fullmatch(r"(\d+)(h|m)", spec)
    if not m:
        return None
    return timedelta(hours=int(m[1])) if m[2] == "h" else timedelta(minutes=int(m[1]))


def silent_since(ticket: Ticket) -> datetime | None:
    """Since when the citizen has owed the next word (waiting for them, or answered), or None."""
    if ticket.status is Status.WAITING_CITIZEN:
        return ticket.waiting_since
    if ticket.status is Status.ANSWERED:
        # Stores from before answered tickets closed lack it: the last change stands in.
        return ticket.waiting_since or ticket.updated_at or ticket.answered_at
    return None


def planned(ticket: Ticket, office: Office, cal: WorkingCalendar) -> list[Action]:
    """Every action the ticket's current state calls for, done or not, due or not."""
    out: list[Action] = []
    if ticket.status is Status.OPEN and ticket.due_at is not None:
        due = ticket.due_at
        if ticket.assignee:
            for spec in office.reminders:
                offset = reminder_offset(spec)
                at = cal.opening(cal.local(due).date()) if offset is None else cal.minus_office_time(due, offset)
                # "opening" and "2h" coincide for a 10:00 deadline: one reminder is enough.
                if (
                    at < due
                    and (ticket.clock_started_at is None or at > ticket.clock_started_at)
                    and all(a.at != at for a in out)
                ):
                    out.append(
                        Action(
                            "reminder",
                            f"{ticket.number}|reminder:{spec}|{_stamp(due)}",
                            ticket.number,
                            at,
                            {"spec": spec, "due_at": due},
                        )
                    )
        out.append(
            Action("escalation", f"{ticket.number}|escalation|{_stamp(due)}", ticket.number, due, {"due_at": due})
        )
    elif (since := silent_since(ticket)) is not None:
        # Waiting for the citizen, or answered: either way a silent citizen's ticket closes
        # (Maluku Utara: "tidak merespon kembali selama 7 (tujuh) hari").
        close_at = since + timedelta(days=office.waiting_close_days)
        spell = _stamp(since)
        if office.waiting_close_days >= 2:
            out.append(
                Action(
                    "close_notice",
                    f"{ticket.number}|close_notice|{spell}",
                    ticket.number,
                    close_at - timedelta(days=1),
                    {"close_at": close_at},
                )
            )
        out.append(
            Action("auto_close", f"{ticket.number}|auto_close|{spell}", ticket.number, close_at, {"close_at": close_at})
        )
    return out


def fire_time(action: Action, cal: WorkingCalendar, now: datetime) -> datetime | None:
    """The first instant >= max(action.at, now) at which the action may fire; None: never."""
    t = max(action.at, now)
    if action.kind == "reminder":
        t = cal.next_opening(t)
        return t if t < action.data["due_at"] else None  # after the deadline the escalation speaks
    if action.kind == "escalation":
        return t if t <= action.at + ESCALATION_GRACE else cal.next_opening(t)
    if action.kind == "close_notice":
        return t if t < action.data["close_at"] else None  # the close itself tells the citizen
    return t


def _pending(tickets: Iterable[Ticket], office: Office, cal: WorkingCalendar) -> Iterable[Action]:
    for ticket in tickets:
        if ticket.office != office.code:
            continue
        done = ticket.sla_done
        for action in planned(ticket, office, cal):
            if action.key not in done:
                yield action


def digest_action(
    office: Office, cal: WorkingCalendar, now: datetime, last_digest_day: date | None
) -> tuple[datetime, Action] | None:
    """(next fire time, digest action): at opening on each working day, at most once a day."""
    if not office.supervisors:
        return None
    day = cal.local(now).date()
    if last_digest_day is not None and day <= last_digest_day or not cal.is_working_day(day) or now >= cal.closing(day):
        day = cal.next_working_day(day)
    opening = cal.opening(day)
    key = f"digest:{office.code}:{day.isoformat()}"
    return max(opening, now), Action("digest", key, "", opening, {"day": day})


def due_actions(
    tickets: Iterable[Ticket], office: Office, cal: WorkingCalendar, now: datetime, last_digest_day: date | None
) -> list[Action]:
    """Everything that should be done for the office as of `now`, not yet done, in time order."""
    due = [a for a in _pending(tickets, office, cal) if (when := fire_time(a, cal, now)) is not None and when <= now]
    digest = digest_action(office, cal, now, last_digest_day)
    if digest is not None and digest[0] <= now:
        due.append(digest[1])
    # Auto-close supersedes a pending notice for the same spell (both late after downtime).
    closing = {a.ticket for a in due if a.kind == "auto_close"}
    due = [a for a in due if not (a.kind == "close_notice" and a.ticket in closing)]
    return sorted(_one_reminder_each(due), key=lambda a: (a.at, KINDS.index(a.kind), a.ticket))


def _one_reminder_each(due: list[Action]) -> list[Action]:
    """Several reminders due at once (after downtime) become the latest one, covering the others."""
    latest: dict[str, Action] = {}
    for a in due:
        if a.kind == "reminder" and (a.ticket not in latest or a.at > latest[a.ticket].at):
            latest[a.ticket] = a
    out = [a for a in due if a.kind != "reminder"]
    for number, keep in latest.items():
        covered = [a.key for a in due if a.kind == "reminder" and a.ticket == number and a is not keep]
        out.append(Action(keep.kind, keep.key, keep.ticket, keep.at, dict(keep.data, covers=covered)))
    return out


def next_due(
    tickets: Iterable[Ticket], office: Office, cal: WorkingCalendar, now: datetime, last_digest_day: date | None = None
) -> datetime | None:
    """The next instant something becomes due for the office (now, if something already is)."""
    times = [w for a in _pending(tickets, office, cal) if (w := fire_time(a, cal, now)) is not None]
    digest = digest_action(office, cal, now, last_digest_day)
    if digest is not None:
        times.append(digest[0])
    return min(times, default=None)


def digest_summary(tickets: Iterable[Ticket], office: Office, cal: WorkingCalendar, now: datetime) -> dict[str, Any]:
    """overdue, due_today (deadline later today), unassigned, per_operator {open, overdue}.

    Only tickets that wait for an operator count (status open): answered tickets and those waiting
    for the citizen owe nothing, and would otherwise pile up in every morning's counts.
    """
    today = cal.local(now).date()
    overdue: list[Ticket] = []
    due_today: list[Ticket] = []
    unassigned: list[Ticket] = []
    per_operator: dict[str, dict[str, int]] = {}
    for t in tickets:
        if t.office != office.code or t.status is not Status.OPEN:
            continue
        late = t.due_at is not None and t.due_at <= now
        if late:
            overdue.append(t)
        elif t.due_at is not None and cal.local(t.due_at).date() == today:
            due_today.append(t)
        if not t.assignee:
            unassigned.append(t)
        else:
            counts = per_operator.setdefault(t.assignee, {"open": 0, "overdue": 0})
            counts["open"] += 1
            counts["overdue"] += late
    far = datetime.max.replace(tzinfo=UTC)
    for group in (overdue, due_today, unassigned):
        group.sort(key=lambda t: (t.due_at or far, t.number))
    return {"overdue": overdue, "due_today": due_today, "unassigned": unassigned, "per_operator": per_operator}
