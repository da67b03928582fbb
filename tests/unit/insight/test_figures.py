"""The monthly figures of the constructed November, checked one by one (see conftest.py)."""

from __future__ import annotations

from datetime import date

import pytest

from helpdesk.insight.answers import (
    IN_STANDARD,
    LATE,
    PENDING,
    WAITING,
    first_answer,
    office_hours_between,
)
from helpdesk.insight.figures import UNASSIGNED, compute_month, month_bounds, percentile
from helpdesk.model import Status

from .conftest import ANI, BUDI, NOW, OFFICE, at


@pytest.fixture
def fig(month_store, cal):
    return compute_month(month_store.all_tickets(), OFFICE, cal, "2026-11", NOW)


def test_office_hours_count_only_open_time(cal):
    assert office_hours_between(cal, at(11, 2, 9), at(11, 2, 11)) == 2.0
    assert office_hours_between(cal, at(11, 3, 10), at(11, 6, 9)) == 21.5  # 5.5 + 7.5 + 7.5 + 1
    assert office_hours_between(cal, at(11, 7, 10), at(11, 9, 10, 30)) == 2.5  # weekend is closed
    assert office_hours_between(cal, at(11, 20, 14), at(11, 23, 9)) == 3.0  # Friday closes at 16:00
    assert office_hours_between(cal, at(11, 2, 20), at(11, 3, 7)) == 0.0  # overnight
    assert office_hours_between(cal, at(11, 3, 9), at(11, 2, 9)) == 0.0  # reversed


def test_percentile_interpolates_between_ranks():
    assert percentile([], 50) is None
    assert percentile([2.0, 21.5, 2.5, 7.5, 3.0], 50) == 3.0
    assert percentile([2.0, 21.5, 2.5, 7.5, 3.0], 90) == pytest.approx(15.9)
    assert percentile([1.0, 2.0], 50) == 1.5


def test_month_bounds_are_local():
    start, end = month_bounds("2026-12", OFFICE)
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+07:00", "2027-01-01T00:00:00+07:00")


def test_waiting_for_citizen_restarts_the_clock(build, cal):
    t = build.ticket(at(11, 11, 9))
    build.status(t, at(11, 11, 10), Status.WAITING_CITIZEN)
    fa = first_answer(t, cal, 2)
    assert fa.deadline is None and fa.outcome(NOW) == WAITING
    build.follow_up(t, at(11, 16, 9))
    build.reply(t, at(11, 18, 9, 1), BUDI)
    fa = first_answer(t, cal, 2)
    assert fa.clock_start == at(11, 16, 9) and fa.deadline == at(11, 18, 9)
    assert fa.outcome(NOW) == LATE and fa.office_hours(cal) == pytest.approx(15 + 1 / 60)


def test_outcomes_pending_and_in_standard(build, cal):
    t = build.ticket(at(11, 30, 14))
    assert first_answer(t, cal, 2).outcome(NOW) == PENDING
    assert first_answer(t, cal, 2).outcome(at(12, 2, 14, 1)) == LATE
    build.reply(t, at(12, 2, 14), ANI)  # exactly at the deadline: in standard
    assert first_answer(t, cal, 2).outcome(NOW) == IN_STANDARD


def test_received_and_outcomes(fig):
    t = fig.total
    assert t.received == 8
    assert t.answered == 5
    assert (t.in_standard, t.late, t.pending, t.waiting) == (4, 2, 1, 1)
    assert t.pct_in_standard == pytest.approx(400 / 6)


def test_answer_times_in_working_hours(fig):
    assert sorted(fig.total.hours) == [2.0, 2.5, 3.0, 7.5, 21.5]
    assert fig.total.median_hours == 3.0
    assert fig.total.p90_hours == pytest.approx(15.9)


def test_overdue_now_and_breached_in_month(fig):
    assert fig.total.overdue_now == 1  # t7; t8 is due tomorrow, t5 waits
    assert fig.breached_in_month == 3  # t9 (2 Nov), t2 (5 Nov), t7 (27 Nov)


def test_open_at_month_end(fig):
    assert fig.total.open_at_end == 5  # t3, t4 answered; t5, t7, t8 unanswered
    assert fig.total.unanswered_at_end == 3


def test_by_operator(fig):
    ops = {g.name: g for g in fig.by_operator}
    assert set(ops) == {ANI, BUDI, UNASSIGNED}
    ani, budi, none = ops[ANI], ops[BUDI], ops[UNASSIGNED]
    assert (ani.received, ani.in_standard, ani.late, ani.median_hours, ani.open_at_end) == (3, 3, 0, 2.5, 1)
    assert (budi.received, budi.answered, budi.in_standard, budi.late, budi.waiting) == (4, 2, 1, 2, 1)
    assert (budi.overdue_now, budi.open_at_end, budi.pct_in_standard) == (1, 3, pytest.approx(100 / 3))
    assert (none.received, none.pending, none.open_at_end) == (1, 1, 1)
    assert [g.name for g in fig.by_operator] == [BUDI, ANI, UNASSIGNED]  # most received first


def test_by_category(fig):
    cats = {g.name: g for g in fig.by_category}
    assert {k: v.received for k, v in cats.items()} == {
        "data": 4,
        "konsultasi": 2,
        "pengaduan": 1,
        "(tanpa kategori)": 1,
    }
    assert (cats["data"].in_standard, cats["data"].late, cats["data"].waiting) == (2, 1, 1)
    assert (cats["konsultasi"].in_standard, cats["konsultasi"].late) == (1, 1)


def test_ratings(fig):
    r = fig.ratings
    assert r.count == 3  # t1: 5, t2: 2, t9: 4 (rated in November)
    assert r.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert r.mean == pytest.approx(11 / 3)
    assert r.requests == 4  # closed in November: t1, t2, t6, t9
    assert r.response_pct == 75.0


def test_complaints(fig):
    c = fig.complaints
    assert (c.received, c.in_standard, c.late, c.open_at_end, c.hours) == (1, 1, 0, 0, [3.0])


def test_mail_per_working_day(fig):
    days = {d: (n, f) for d, n, f in fig.mail_per_day}
    assert len(days) == 21 and min(days) == date(2026, 11, 2) and max(days) == date(2026, 11, 30)
    assert days[date(2026, 11, 9)] == (1, 0)  # Saturday's mail is worked on Monday
    assert days[date(2026, 11, 16)] == (0, 1)  # the citizen's completed request
    assert sum(n for n, _ in days.values()) == 8


def test_standard_in_office_hours(fig):
    assert fig.standard_hours == pytest.approx(2 * 7.6)  # (4 x 7.5 h + 8 h) / 5 per day


def test_missing_fields_do_not_break_the_report(build, cal):
    t = build.ticket(at(11, 2, 9))
    t.events = []  # a store with no events at all
    t.category, t.assignee = "", ""
    fig = compute_month([t], OFFICE, cal, "2026-11", NOW)
    assert (fig.total.received, fig.total.late, fig.ratings.count) == (1, 1, 0)
