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
from .complaints import is_complaint

NO_CATEGORY = "(tanpa kategori)"
UNASSIGNED = "(belum ditugaskan)"


def previous_month(day: date) -> str:
    """ "YYYY-MM" of the month before `day`: the month a report is due for."""
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


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
    hours: list[float] = field(default_factory=list)  # office hours to first answer

    def add(self, outcome: str, answered: bool, hours: float | None) -> None:
        """Count one ticket received in the month."""
        self.received += 1
        self.answered += answered
        self.in_standard += outcome == IN_STANDARD
        self.late += outcome == LATE
        self.pending += outcome == PENDING
        self.waiting += outcome == WAITING
        if hours is not None:
            self.hours.append(hours)

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
    requests: int = 0  # tickets closed in the month: each got a rating request

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
    month: str  # "2026-11"
    now: datetime
    reply_days: int
    standard_hours: float  # the standard in office hours, for the chart's line
    total: GroupFigures
    by_operator: list[GroupFigures]
    by_category: list[GroupFigures]
    complaints: GroupFigures
    breached_in_month: int
    ratings: RatingFigures
    mail_per_day: list[tuple[date, int, int]]  # (working day, new tickets, follow-ups)


def month_bounds(month: str, office: Office) -> tuple[datetime, datetime]:
    """[start, end) of "YYYY-MM" in the office's time zone."""
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=office.tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=office.tz)
    return start, end


def standard_hours(office: Office, cal: WorkingCalendar) -> float:
    """The standard expressed in office hours: reply days times the mean length of an office day."""
    spans = [
        (datetime.combine(date.min, c) - datetime.combine(date.min, o)).total_seconds() for o, c in cal.hours.values()
    ]
    return office.reply_days * (sum(spans) / len(spans) / 3600.0 if spans else 8.0)


def _buckets(start: date, end: date, work_days: list[date]) -> dict[date, date]:
    """Each day of the month -> the working day its mail is worked on (a closed day joins the next;
    closed days after the last working day join that last one)."""
    out: dict[date, date] = {}
    day = start
    while day < end and work_days:
        out[day] = next((d for d in work_days if d >= day), work_days[-1])
        day += timedelta(days=1)
    return out


class MonthTally:
    """One office's month, counted one ticket at a time: a single pass over the store can feed
    every office's tally, so no office's whole history is ever held in memory at once."""

    def __init__(self, office: Office, cal: WorkingCalendar, month: str, now: datetime) -> None:
        self.office, self.cal, self.month, self.now = office, cal, month, now
        self.start, self.end = month_bounds(month, office)
        self.cut = min(self.end, now)
        self.total, self.complaints = GroupFigures("Total"), GroupFigures("Pengaduan")
        self.by_op: dict[str, GroupFigures] = {}
        self.by_cat: dict[str, GroupFigures] = {}
        self.ratings = RatingFigures()
        self.breached = 0
        days = [self.start.date() + timedelta(days=i) for i in range((self.end - self.start).days)]
        work_days = [d for d in days if cal.is_working_day(d)]
        self.per_day: dict[date, list[int]] = {d: [0, 0] for d in work_days}
        self.bucket = _buckets(self.start.date(), self.end.date(), work_days)

    def add(self, t: Ticket) -> None:
        """Count one ticket (another office's is ignored)."""
        if t.office != self.office.code:
            return
        now, start, end, cut = self.now, self.start, self.end, self.cut
        overdue = t.status is Status.OPEN and t.due_at is not None and t.due_at < now
        if t.received_at >= end and not overdue:
            return
        fa = first_answer(t, self.cal, self.office.reply_days)
        operator = fa.answerer or t.assignee or UNASSIGNED
        category = t.category or NO_CATEGORY
        groups = [
            self.total,
            self.by_op.setdefault(operator, GroupFigures(operator)),
            self.by_cat.setdefault(category, GroupFigures(category)),
        ]
        if is_complaint(t):
            groups.append(self.complaints)
        for g in groups:
            g.overdue_now += overdue
        if t.received_at >= end:
            return
        breach = fa.breached_at(now)
        if breach is not None and start <= breach < end:
            self.breached += 1
        closed = t.closed_at if t.status is Status.CLOSED else None
        if t.received_at < cut and (closed is None or closed >= cut):
            unanswered = fa.answered_at is None or fa.answered_at >= cut
            for g in groups:
                g.open_at_end += 1
                g.unanswered_at_end += unanswered
        _count_ratings(t, start, end, self.ratings)
        for ev in t.events:
            if ev.type in ("received", "follow_up") and start <= ev.at < end:
                day = self.bucket.get(self.cal.local(ev.at).date())
                if day is not None:
                    self.per_day[day][ev.type == "follow_up"] += 1
        if t.received_at < start:
            return
        outcome, hours = fa.outcome(now), fa.office_hours(self.cal)
        for g in groups:
            g.add(outcome, fa.answered_at is not None, hours)

    def figures(self) -> MonthlyFigures:
        def rows(groups: dict[str, GroupFigures]) -> list[GroupFigures]:
            return sorted(groups.values(), key=lambda g: (-g.received, g.name))

        o = self.office
        return MonthlyFigures(
            office=o.code,
            office_name=o.name,
            month=self.month,
            now=self.now.astimezone(o.tz),
            reply_days=o.reply_days,
            standard_hours=standard_hours(o, self.cal),
            total=self.total,
            by_operator=rows(self.by_op),
            by_category=rows(self.by_cat),
            complaints=self.complaints,
            breached_in_month=self.breached,
            ratings=self.ratings,
            mail_per_day=[(d, n, f) for d, (n, f) in sorted(self.per_day.items())],
        )


def compute_month(
    tickets: Iterable[Ticket], office: Office, cal: WorkingCalendar, month: str, now: datetime
) -> MonthlyFigures:
    """Every figure of the monthly report for one office; `tickets` may include other offices'."""
    tally = MonthTally(office, cal, month, now)
    for t in tickets:
        tally.add(t)
    return tally.figures()


def _count_ratings(t: Ticket, start: datetime, end: datetime, ratings: RatingFigures) -> None:
    if t.closed_at is not None and start <= t.closed_at < end:
        ratings.requests += 1
    given = [ev for ev in t.events if ev.type == "rating" and start <= ev.at < end]
    value: object = given[-1].data.get("rating", t.rating) if given else None
    if not t.events and t.rating is not None and t.closed_at is not None and start <= t.closed_at < end:
        value = t.rating  # a store without rating events: count it in its closing month
    if isinstance(value, int) and 1 <= value <= 5:
        ratings.count += 1
        ratings.distribution[value] += 1


__all__ = [
    "DECIDED",
    "GroupFigures",
    "MonthTally",
    "MonthlyFigures",
    "RatingFigures",
    "compute_month",
    "is_complaint",
    "previous_month",
    "month_bounds",
    "percentile",
    "standard_hours",
]
