"""A month of one office's tickets -> the figures of the service-standard report (insight; pure).

Which tickets count where:
  received, in standard, late, answer times   tickets received in the month (office time zone)
  breached in the month                        tickets whose first-answer deadline was missed in it
  open / unanswered at month end               every ticket received before the end, as of the end
  overdue now                                  open tickets whose current deadline has passed
  ratings                                      ratings given in the month; requests = tickets closed in it
No clock is read here: `now` is a parameter, so a report can be recomputed for any instant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from ..config import Office
from ..model import Status, Ticket
from ..sla.workdays import WorkingCalendar
from .answers import DECIDED, IN_STANDARD, LATE, PENDING, WAITING, first_answer

COMPLAINT_CATEGORIES = frozenset({"pengaduan", "complaint", "complaints", "keluhan"})
NO_CATEGORY = "(tanpa kategori)"
UNASSIGNED = "(belum ditugaskan)"


def is_complaint(ticket: Ticket) -> bool:
    """A complaint (pengaduan) by category or tag, whatever the routing rules called it."""
    names = {ticket.category.lower()} | {t.lower() for t in ticket.tags}
    return bool(names & COMPLAINT_CATEGORIES)


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation between ranks (numpy's default); None if empty."""
    xs = sorted(values)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    lo = math.floor(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@dataclass
class GroupFigures:
    """The standard's figures for one group of tickets: the office, an operator, a category."""

    name: str
    received: int = 0
    answered: int = 0
    in_standard: int = 0
    late: int = 0
    pending: int = 0
    waiting: int = 0
    open_at_end: int = 0
    unanswered_at_end: int = 0
    overdue_now: int = 0
    hours: list[float] = field(default_factory=list)   # office hours to first answer

    @property
    def pct_in_standard(self) -> float | None:
        decided = self.in_standard + self.late
        return 100.0 * self.in_standard / decided if decided else None

    @property
    def median_hours(self) -> float | None:
        return percentile(self.hours, 50)

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hours, 90)


@dataclass
class RatingFigures:
    count: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: {n: 0 for n in range(1, 6)})
    requests: int = 0                  # tickets closed in the month: each got a rating request

    @property
    def mean(self) -> float | None:
        total = sum(n * c for n, c in self.distribution.items())
        return total / self.count if self.count else None

    @property
    def response_pct(self) -> float | None:
        return 100.0 * self.count / self.requests if self.requests else None


@dataclass
class MonthlyFigures:
    office: str
    office_name: str
    month: str                         # "2026-11"
    now: datetime
    reply_days: int
    standard_hours: float              # the standard in office hours, for the chart's line
    total: GroupFigures
    by_operator: list[GroupFigures]
    by_category: list[GroupFigures]
    complaints: GroupFigures
    breached_in_month: int
    ratings: RatingFigures
    mail_per_day: list[tuple[date, int, int]]   # (working day, new tickets, follow-ups)


def month_bounds(month: str, office: Office) -> tuple[datetime, datetime]:
    """[start, end) of "YYYY-MM" in the office's time zone."""
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=office.tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=office.tz)
    return start, end


def standard_hours(office: Office, cal: WorkingCalendar) -> float:
    """The standard expressed in office hours: reply days times the mean length of an office day."""
    spans = [(datetime.combine(date.min, c) - datetime.combine(date.min, o)).total_seconds()
             for o, c in cal.hours.values()]
    return office.reply_days * (sum(spans) / len(spans) / 3600.0 if spans else 8.0)


def _bucket(day: date, cal: WorkingCalendar, days: list[date]) -> date | None:
    """The working day of the month a mail of `day` is worked on (a closed day joins the next)."""
    if not days:
        return None
    return next((d for d in days if d >= day), days[-1])


def compute_month(tickets: Iterable[Ticket], office: Office, cal: WorkingCalendar, month: str,
                  now: datetime) -> MonthlyFigures:
    """Every figure of the monthly report for one office; `tickets` may include other offices'."""
    start, end = month_bounds(month, office)
    cut = min(end, now)
    total, complaints = GroupFigures("Total"), GroupFigures("Pengaduan")
    by_op: dict[str, GroupFigures] = {}
    by_cat: dict[str, GroupFigures] = {}
    ratings = RatingFigures()
    breached = 0
    work_days = [start.date() + timedelta(days=i) for i in range((end - start).days)]
    work_days = [d for d in work_days if cal.is_working_day(d)]
    per_day: dict[date, list[int]] = {d: [0, 0] for d in work_days}

    for t in tickets:
        if t.office != office.code:
            continue
        fa = first_answer(t, cal, office.reply_days)
        operator = fa.answerer or t.assignee or UNASSIGNED
        category = t.category or NO_CATEGORY
        overdue = t.status is Status.OPEN and t.due_at is not None and t.due_at < now
        if t.received_at >= end and not overdue:
            continue
        groups = [total, by_op.setdefault(operator, GroupFigures(operator)),
                  by_cat.setdefault(category, GroupFigures(category))]
        if is_complaint(t):
            groups.append(complaints)
        for g in groups:
            g.overdue_now += overdue
        if t.received_at >= end:
            continue
        breach = fa.breached_at(now)
        if breach is not None and start <= breach < end:
            breached += 1
        closed = t.closed_at if t.status is Status.CLOSED else None
        if t.received_at < cut and (closed is None or closed >= cut):
            unanswered = fa.answered_at is None or fa.answered_at >= cut
            for g in groups:
                g.open_at_end += 1
                g.unanswered_at_end += unanswered
        _count_ratings(t, start, end, ratings)
        for ev in t.events:
            if ev.type in ("received", "follow_up") and start <= ev.at < end:
                day = _bucket(cal.local(ev.at).date(), cal, work_days)
                if day is not None:
                    per_day[day][ev.type == "follow_up"] += 1
        if t.received_at < start:
            continue
        outcome = fa.outcome(now)
        hours = fa.office_hours(cal)
        for g in groups:
            g.received += 1
            g.answered += fa.answered_at is not None
            g.in_standard += outcome == IN_STANDARD
            g.late += outcome == LATE
            g.pending += outcome == PENDING
            g.waiting += outcome == WAITING
            if hours is not None:
                g.hours.append(hours)

    def rows(groups: dict[str, GroupFigures]) -> list[GroupFigures]:
        return sorted(groups.values(), key=lambda g: (-g.received, g.name))

    return MonthlyFigures(
        office=office.code, office_name=office.name, month=month, now=now,
        reply_days=office.reply_days, standard_hours=standard_hours(office, cal), total=total,
        by_operator=rows(by_op), by_category=rows(by_cat), complaints=complaints,
        breached_in_month=breached, ratings=ratings,
        mail_per_day=[(d, n, f) for d, (n, f) in sorted(per_day.items())])


def _count_ratings(t: Ticket, start: datetime, end: datetime, ratings: RatingFigures) -> None:
    if t.closed_at is not None and start <= t.closed_at < end:
        ratings.requests += 1
    given = [ev for ev in t.events if ev.type == "rating" and start <= ev.at < end]
    value: object = given[-1].data.get("rating", t.rating) if given else None
    if not t.events and t.rating is not None and t.closed_at is not None and start <= t.closed_at < end:
        value = t.rating          # a store without rating events: count it in its closing month
    if isinstance(value, int) and 1 <= value <= 5:
        ratings.count += 1
        ratings.distribution[value] += 1


__all__ = ["DECIDED", "GroupFigures", "MonthlyFigures", "RatingFigures", "compute_month",
           "is_complaint", "month_bounds", "percentile", "standard_hours"]
