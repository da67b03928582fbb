"""Properties of deadlines and of the sweep's timing, over 2026-2027, every seed office and zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.model import Status, Ticket
from helpdesk.sla.deadlines import due_at
from helpdesk.sla.sweep import due_actions
from helpdesk.sla.workdays import WorkingCalendar
from tests.unit.sla.seed import OFFICES

CALENDARS = {code: WorkingCalendar.for_office(o) for code, o in OFFICES.items()}
ZONES = [UTC] + [timezone(timedelta(hours=h)) for h in (7, 8, 9)]
START = datetime(2026, 1, 1, tzinfo=UTC)
SPAN = int(timedelta(days=720).total_seconds())

offices = st.sampled_from(sorted(OFFICES))
instants = st.builds(
    lambda s, z: (START + timedelta(seconds=s)).astimezone(z), st.integers(0, SPAN), st.sampled_from(ZONES)
)
days = st.integers(1, 5)


def working_days_between(cal: WorkingCalendar, after: datetime, until: datetime) -> int:
    """Working days d with after.date() < d <= until.date() (local dates)."""
    day, count = cal.local(after).date(), 0
    while day < cal.local(until).date():
        day += timedelta(days=1)
        count += cal.is_working_day(day)
    return count


@settings(max_examples=300, deadline=None)
@given(offices, instants, days)
def test_deadline_is_a_working_instant_after_receipt(code, received, n):
    cal = CALENDARS[code]
    due = due_at(received, cal, n)
    local = cal.local(due)
    assert cal.is_working_day(local.date())
    opens, closes = cal.hours_on(local.date())
    assert opens <= local.time() <= closes  # closing itself is allowed: clamped deadlines
    assert due > received


@settings(max_examples=300, deadline=None)
@given(offices, instants, st.integers(0, 5 * 86400), days)
def test_a_later_receipt_never_gets_an_earlier_deadline(code, received, later_by, n):
    cal = CALENDARS[code]
    assert due_at(received, cal, n) <= due_at(received + timedelta(seconds=later_by), cal, n)


@settings(max_examples=300, deadline=None)
@given(offices, instants, days)
def test_exactly_n_working_days_after_the_clock_starts(code, received, n):
    cal = CALENDARS[code]
    start = cal.next_opening(received)
    assert working_days_between(cal, start, due_at(received, cal, n)) == n


@settings(max_examples=200, deadline=None)
@given(offices, instants, instants, st.booleans())
def test_reminders_and_digests_fire_only_in_office_hours(code, received, now, assigned):
    office, cal = OFFICES[code], CALENDARS[code]
    due = due_at(received, cal, office.reply_days)
    ticket = Ticket(
        f"PST-{code}-2026-000001",
        code,
        "a@example.id",
        "x",
        received,
        Status.OPEN,
        due_at=due,
        clock_started_at=cal.next_opening(received),
        assignee="op@bps.go.id" if assigned else "",
    )
    actions = due_actions([ticket], office, cal, now, None)
    # Both ways: while the office is open the day's digest is due (no day's digest sent yet), so
    # the loop below is never empty then; and nothing but a breach fires while it is closed.
    assert cal.is_open(now) == any(a.kind == "digest" for a in actions), (now, actions)
    for action in actions:
        if action.kind == "escalation" and now <= due + timedelta(minutes=15):
            continue  # the breach instant itself may be after hours
        assert cal.is_open(now), (action, now)
        if action.kind == "reminder":
            assert now < due


@settings(max_examples=150, deadline=None)
@given(offices, instants, st.lists(st.integers(0, 10 * 86400), min_size=1, max_size=25))
def test_any_sequence_of_sweeps_does_each_action_at_most_once(code, received, offsets):
    office, cal = OFFICES[code], CALENDARS[code]
    ticket = Ticket(
        f"PST-{code}-2026-000001",
        code,
        "a@example.id",
        "x",
        received,
        Status.OPEN,
        due_at=due_at(received, cal, office.reply_days),
        clock_started_at=cal.next_opening(received),
        assignee="op@bps.go.id",
    )
    last_digest, done, digests = None, [], []
    # Every sequence ends in office hours well past the deadline, so the escalation is always done.
    past_due = int((cal.next_opening(ticket.due_at + timedelta(days=3)) - received).total_seconds())
    for offset in [*sorted(offsets), past_due]:
        now = received + timedelta(seconds=offset)
        for action in due_actions([ticket], office, cal, now, last_digest):
            if action.kind == "digest":
                last_digest = action.data["day"]
                digests.append(last_digest)
                continue
            done.append(action.key)
            ticket.sla_done += [action.key, *action.data.get("covers", ())]
    assert len(done) == len(set(done))
    assert len(digests) == len(set(digests))
    assert sum(k.split("|")[1] == "escalation" for k in done) == 1
