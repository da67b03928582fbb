"""When a ticket got its first answer, and whether that met the office's standard (insight; pure).

The standard (DESIGN.md "The clock"): an answer is owed by `due_at(received, calendar, reply_days)`.
"Waiting for citizen" before any answer stops the clock; the citizen's next message starts a full
new deadline, and only office time from that message counts towards the time to answer. The first
operator answer is the first event of type "reply" (issue 4) with text or files; a status change to
"answered", or `ticket.answered_at`, stand in for it when a store lacks reply events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..model import Status, Ticket, TicketEvent
from ..sla.deadlines import due_at
from ..sla.workdays import WorkingCalendar

IN_STANDARD = "in_standard"  # answered at or before the deadline
LATE = "late"  # answered after the deadline, or still unanswered past it
PENDING = "pending"  # unanswered, deadline still ahead
WAITING = "waiting"  # unanswered, waiting for the citizen: the clock is stopped
CLOSED_UNANSWERED = "closed_unanswered"  # closed before any answer was owed (e.g. auto-closed)
DECIDED = (IN_STANDARD, LATE)  # the outcomes that count towards "answered within the standard"


def office_seconds_between(cal: WorkingCalendar, start: datetime, end: datetime) -> float:
    """Seconds of office hours between two instants (closed days and nights do not count)."""
    if end <= start:
        return 0.0
    s, e = cal.local(start), cal.local(end)
    if s.date() == e.date():  # the common case: answered the same day
        if cal.hours_on(s.date()) is None:
            return 0.0
        opens, closes = max(cal.opening(s.date()), s), min(cal.closing(s.date()), e)
        return max(0.0, (closes - opens).total_seconds())
    total = 0.0
    day = s.date()
    while day <= e.date():
        if cal.hours_on(day) is not None:
            opens, closes = max(cal.opening(day), s), min(cal.closing(day), e)
            if closes > opens:
                total += (closes - opens).total_seconds()
        day += timedelta(days=1)
    return total


def office_hours_between(cal: WorkingCalendar, start: datetime, end: datetime) -> float:
    """Office hours (a float) between two instants: the report's "time in working hours"."""
    return office_seconds_between(cal, start, end) / 3600.0


@dataclass(frozen=True)
class FirstAnswer:
    """The first-answer clock of one ticket, as its events tell it."""

    clock_start: datetime  # the citizen message the first answer was owed to
    deadline: datetime | None  # None while the clock is stopped (waiting for the citizen)
    answered_at: datetime | None
    answerer: str  # operator address, "" when unknown or unanswered
    closed_at: datetime | None  # closed before any answer

    def outcome(self, now: datetime) -> str:
        """in_standard, late, pending, waiting or closed_unanswered, as of `now`."""
        if self.answered_at is not None:
            if self.deadline is None or self.answered_at <= self.deadline:
                return IN_STANDARD
            return LATE
        if self.deadline is None:
            return CLOSED_UNANSWERED if self.closed_at is not None else WAITING
        end = self.closed_at if self.closed_at is not None else now
        if end > self.deadline:
            return LATE
        return CLOSED_UNANSWERED if self.closed_at is not None else PENDING

    def breached_at(self, now: datetime) -> datetime | None:
        """The instant the deadline was missed, None when it was (or may still be) kept."""
        return self.deadline if self.outcome(now) == LATE else None

    def office_hours(self, cal: WorkingCalendar) -> float | None:
        """Office hours from the clock start to the first answer; None when unanswered."""
        if self.answered_at is None:
            return None
        return office_hours_between(cal, self.clock_start, self.answered_at)


def _says_something(ev: TicketEvent) -> bool:
    """A reply that reached the citizen: text or files (a bare "#tunggu" or "#publik" is not one)."""
    data = ev.data or {}
    return "text" not in data or bool(str(data["text"]).strip()) or bool(ev.attachments)


def first_answer(ticket: Ticket, cal: WorkingCalendar, reply_days: int) -> FirstAnswer:
    """Walk a ticket's events to its first answer, restarting the clock after a wait for the citizen."""
    days = ticket.reply_days or reply_days
    start = ticket.received_at
    deadline: datetime | None = due_at(start, cal, days)
    answered: datetime | None = None
    answerer = ""
    closed: datetime | None = None
    limit = ticket.answered_at
    for ev in sorted(ticket.events, key=lambda e: e.at):
        if limit is not None and ev.at > limit:
            break
        to = str((ev.data or {}).get("to", "")) if ev.type == "status" else ""
        if (ev.type == "reply" and _says_something(ev)) or to == Status.ANSWERED.value:
            answered, answerer = ev.at, ev.actor
            break
        if to == Status.WAITING_CITIZEN.value:
            deadline = None
        elif to == Status.CLOSED.value:
            closed = ev.at
            break
        elif to == Status.OPEN.value and deadline is None:
            start, deadline = ev.at, due_at(ev.at, cal, days)
        elif ev.type == "follow_up" and deadline is None:
            start, deadline = ev.at, due_at(ev.at, cal, days)
    if answered is None and limit is not None:
        answered, answerer = limit, ticket.assignee
    if answered is None and closed is None and ticket.status is Status.CLOSED:
        closed = ticket.closed_at or ticket.updated_at or ticket.received_at
    return FirstAnswer(
        clock_start=start,
        deadline=deadline,
        answered_at=answered,
        answerer=answerer,
        closed_at=closed,
    )
