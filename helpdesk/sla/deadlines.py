"""The reply deadline for a citizen's message, and why it falls where it does (stage 6, pure).

DESIGN.md "Deadline": the same local clock time on the Nth following working day. Mail received
outside office hours counts as received at the next opening. A time past that day's closing is
clamped to closing (Friday's longer hours, or an office with shorter hours on some day).
`deadline_from` asks the same of a pipeline step's Context (its office's calendar and reply days).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .workdays import WorkingCalendar

if TYPE_CHECKING:  # the step contract, for a hint only: `report` and `deadline` need no pipeline types
    from ..step import Context


def due_at(received: datetime, cal: WorkingCalendar, days: int) -> datetime:
    """The deadline, aware and in the office zone, for a message received at `received`."""
    return _due_after(cal.next_opening(received), cal, days)


def _due_after(start: datetime, cal: WorkingCalendar, days: int) -> datetime:
    """The deadline of a message whose clock starts at `start` (the next opening after it came)."""
    if days < 1:
        raise ValueError(f"a deadline needs at least 1 working day, got {days}")
    day, opens, closes = _due_day(cal, start.date(), days)
    # Same clock time, kept inside that day's hours (the later day may open later or close earlier).
    moment = start.replace(year=day.year, month=day.month, day=day.day)
    return min(max(moment, opens), closes)


@lru_cache(maxsize=4096)
def _due_day(cal: WorkingCalendar, start: date, days: int) -> tuple[date, datetime, datetime]:
    """The `days`-th working day after `start`, with its opening and closing: the same for every
    mail of a day (a calendar never changes once made), so looked up once a day per office."""
    day = start
    for _ in range(days):
        day = cal.next_working_day(day)
    return day, cal.opening(day), cal.closing(day)


def deadline_from(ctx: Context, received: datetime, days: int | None = None) -> tuple[datetime, datetime]:
    """(clock start, deadline) for a citizen message received at `received`."""
    cal = ctx.app.calendar(ctx.office)
    days = days or (ctx.ticket.reply_days if ctx.ticket and ctx.ticket.reply_days else ctx.office.reply_days)
    start = cal.next_opening(received)
    return start, _due_after(start, cal, days)


def explain_deadline(received: datetime, cal: WorkingCalendar, days: int) -> dict[str, Any]:
    """The deadline with its working: received, clock start, deadline, days and skipped days."""
    local = cal.local(received)
    start = cal.next_opening(received)
    deadline = due_at(received, cal, days)
    skipped: list[dict[str, str]] = []
    day: date = local.date()
    while day < deadline.date():
        reason = cal.closed_reason(day)
        if reason:
            skipped.append({"date": day.isoformat(), "reason": reason})
        day += timedelta(days=1)
    return {"received": local, "clock_start": start, "deadline": deadline, "days": days, "skipped": skipped}
