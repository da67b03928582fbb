"""What falls due when: reminders, escalation, close notice, auto-close, digest (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from helpdesk.model import Status, Ticket
from helpdesk.sla.sweep import digest_summary, due_actions, next_due, planned
from helpdesk.sla.workdays import WorkingCalendar
from tests.unit.sla.seed import OFFICES, WIB, WIT

OFFICE = OFFICES["3576"]
CAL = WorkingCalendar.for_office(OFFICE)
OP = "op1@bps.go.id"
# Received Wed 23 Dec 2026 14:00 WIB -> due Tue 29 Dec 14:00 WIB (DESIGN.md holidays in between).
RECEIVED = datetime(2026, 12, 23, 14, tzinfo=WIB)
DUE = datetime(2026, 12, 29, 14, tzinfo=WIB)


def ticket(n: int = 1, status: Status = Status.OPEN, assignee: str = OP, due=DUE, **kw) -> Ticket:
    return Ticket(
        f"PST-3576-2026-{n:06d}",
        "3576",
        "warga@example.id",
        "Data inflasi",
        RECEIVED,
        status,
        due_at=due,
        clock_started_at=RECEIVED,
        assignee=assignee,
        **kw,
    )


def kinds(actions) -> list[str]:
    return [a.kind for a in actions]


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


def test_plan_for_an_open_assigned_ticket():
    plan = planned(ticket(), OFFICE, CAL)
    assert [(a.kind, a.at) for a in plan] == [("reminder", at(29, 8)), ("reminder", at(29, 12)), ("escalation", DUE)]
    assert len({a.key for a in plan}) == 3


@pytest.mark.parametrize(
    "now, expected",
    [
        (at(28, 16), []),  # Monday after closing: nothing yet
        (at(29, 7, 59), []),
        (at(29, 8), ["reminder", "digest"]),  # opening: reminder and the morning digest
        (at(29, 12), ["reminder", "digest"]),  # nothing done yet: one reminder covers both
        (at(29, 14), ["escalation", "digest"]),  # at the breach the reminders are moot
        (at(29, 14, 10), ["escalation", "digest"]),
    ],
)
def test_due_actions_over_the_deadline_day(now, expected):
    assert sorted(kinds(due_actions([ticket()], OFFICE, CAL, now, None))) == sorted(expected)


def test_one_late_reminder_stands_for_the_missed_earlier_one():
    t = ticket()
    [reminder] = [a for a in due_actions([t], OFFICE, CAL, at(29, 12), None) if a.kind == "reminder"]
    assert reminder.data["spec"] == "2h"
    assert reminder.data["covers"] == [planned(t, OFFICE, CAL)[0].key]


def test_done_actions_are_not_due_again():
    t = ticket()
    first = due_actions([t], OFFICE, CAL, at(29, 8), date(2026, 12, 29))
    t.sla_done.extend(a.key for a in first)
    assert due_actions([t], OFFICE, CAL, at(29, 9), date(2026, 12, 29)) == []
    assert next_due([t], OFFICE, CAL, at(29, 9), date(2026, 12, 29)) == at(29, 12)


def test_a_missed_escalation_waits_for_office_hours():
    t = ticket()
    night = at(29, 22)
    assert due_actions([t], OFFICE, CAL, night, date(2026, 12, 29)) == []
    assert next_due([t], OFFICE, CAL, night, date(2026, 12, 29)) == at(30, 8)
    assert kinds(due_actions([t], OFFICE, CAL, at(30, 8), date(2026, 12, 30))) == ["escalation"]


def test_a_reminder_missed_overnight_goes_at_opening_if_still_before_the_deadline():
    t = ticket(due=at(29, 9))  # 2 office hours before: Mon 28, 14:30
    assert [a.at for a in planned(t, OFFICE, CAL)][:2] == [at(29, 8), at(28, 14, 30)]
    t.sla_done.append(planned(t, OFFICE, CAL)[0].key)  # (pretend the opening one was sent)
    assert next_due([t], OFFICE, CAL, at(28, 20), date(2026, 12, 29)) == at(29, 8)


def test_unassigned_tickets_get_no_reminders_but_escalate():
    assert kinds(planned(ticket(assignee=""), OFFICE, CAL)) == ["escalation"]


@pytest.mark.parametrize("status", [Status.ANSWERED, Status.CLOSED])
def test_a_stopped_clock_plans_nothing(status):
    assert planned(ticket(status=status, due=None), OFFICE, CAL) == []


def test_waiting_for_citizen_closes_after_seven_calendar_days_with_a_notice_the_day_before():
    since = at(23, 10, month=11)
    t = ticket(status=Status.WAITING_CITIZEN, due=None, waiting_since=since)
    plan = planned(t, OFFICE, CAL)
    assert [(a.kind, a.at) for a in plan] == [
        ("close_notice", at(29, 10, month=11)),
        ("auto_close", at(30, 10, month=11)),
    ]
    assert kinds(due_actions([t], OFFICE, CAL, at(29, 10, month=11), date(2026, 11, 29))) == ["close_notice"]
    # The daemon was down for both: only the close goes out, no notice of a past closing.
    assert kinds(due_actions([t], OFFICE, CAL, at(1, 9), date(2026, 12, 1))) == ["auto_close"]


def test_office_waiting_close_days_is_configurable():
    office = replace(OFFICE, waiting_close_days=3)
    t = ticket(status=Status.WAITING_CITIZEN, due=None, waiting_since=at(23, 10, month=11))
    assert [a.at for a in planned(t, office, CAL)] == [at(25, 10, month=11), at(26, 10, month=11)]


def test_reminders_are_configurable():
    office = replace(OFFICE, reminders=("30m",))
    assert [(a.kind, a.at) for a in planned(ticket(), office, CAL)] == [
        ("reminder", at(29, 13, 30)),
        ("escalation", DUE),
    ]


@pytest.mark.parametrize(
    "now, last, due",
    [
        (at(29, 8), None, True),
        (at(29, 7), None, False),  # before opening
        (at(29, 15, 30), None, False),  # after closing: tomorrow's digest instead
        (at(29, 9), date(2026, 12, 29), False),  # already sent today
        (at(25, 9), None, False),  # Christmas
        (at(26, 9), None, False),  # Saturday
    ],
)
def test_digest_once_at_opening_on_working_days(now, last, due):
    assert ("digest" in kinds(due_actions([], OFFICE, CAL, now, last))) is due


def test_next_digest_is_the_next_working_opening():
    assert next_due([], OFFICE, CAL, at(23, 16), date(2026, 12, 23)) == at(28, 8)
    assert next_due([], replace(OFFICE, supervisors=()), CAL, at(23, 16), None) is None


def test_sweep_times_are_in_the_office_zone():
    office = OFFICES["8200"]
    cal = WorkingCalendar.for_office(office)
    t = replace(ticket(), office="8200", due_at=datetime(2026, 12, 29, 14, tzinfo=WIT))
    reminder = planned(t, office, cal)[0]
    assert reminder.at == datetime(2026, 12, 29, 8, tzinfo=WIT)
    assert reminder.at.utcoffset() == timedelta(hours=9)


def test_digest_summary():
    tickets = [
        ticket(1, due=at(28, 10)),  # overdue
        ticket(2, due=at(29, 14)),  # due today
        ticket(3, assignee="", due=at(30, 10)),  # unassigned
        ticket(4, status=Status.WAITING_CITIZEN, due=None, assignee="op2@bps.go.id"),
        ticket(5, status=Status.CLOSED, due=None),  # not counted
    ]
    s = digest_summary(tickets, OFFICE, CAL, at(29, 8))
    assert [t.number[-1] for t in s["overdue"]] == ["1"]
    assert [t.number[-1] for t in s["due_today"]] == ["2"]
    assert [t.number[-1] for t in s["unassigned"]] == ["3"]
    # Waiting for the citizen (ticket 4) owes nothing: not counted for op2.
    assert s["per_operator"] == {OP: {"open": 2, "overdue": 1}}


@pytest.mark.parametrize(
    "fields, since",
    [
        ({"waiting_since": at(24, 10)}, at(24, 10)),  # answered: silence since the answer
        ({"updated_at": at(24, 11)}, at(24, 11)),  # older stores: the last change
        ({}, None),  # nothing to count from
    ],
)
def test_an_answered_ticket_closes_after_the_citizens_silence(fields, since):
    t = ticket(status=Status.ANSWERED, due=None, **fields)
    plan = planned(t, OFFICE, CAL)
    if since is None:
        assert plan == []
        return
    assert [(a.kind, a.at) for a in plan] == [
        ("close_notice", since + timedelta(days=6)),
        ("auto_close", since + timedelta(days=7)),
    ]
