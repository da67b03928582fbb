"""A constructed November 2026 of office 3576, built directly as Ticket objects in a real Store.

Office hours are the defaults (Mon-Thu 08:00-15:30, Fri 08:00-16:00 WIB); November 2026 has no
national holiday, so its working days are Mon 2 Nov to Mon 30 Nov (21 days). The report is made
"now" = Tue 1 Dec 2026 09:00 WIB. Each ticket's comment gives its expected outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from helpdesk.config import Office
from helpdesk.model import Status, Ticket, TicketEvent
from helpdesk.sla.workdays import WorkingCalendar
from helpdesk.tickets.store import Store

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=WIB)
ANI, BUDI = "ani@bps.go.id", "budi@bps.go.id"
OFFICE = Office(code="3576", name="BPS Kota Mojokerto", address="bps3576@bps.go.id", supervisors=("pst3576@bps.go.id",))
OTHER = Office(code="3571", name="BPS Kota Kediri", address="bps3571@bps.go.id")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)


class Build:
    """Ticket builder: events in order, the fields the daemon would set alongside them."""

    def __init__(self) -> None:
        self.n = 0

    def ticket(
        self,
        received: datetime,
        *,
        office: str = "3576",
        category: str = "",
        assignee: str = "",
        subject: str = "",
        text: str = "",
        public: bool = False,
    ) -> Ticket:
        self.n += 1
        t = Ticket(
            number=f"PST-{office}-2026-{self.n:06d}",
            office=office,
            requester=f"warga{self.n}@example.org",
            subject=subject or f"pertanyaan {self.n}",
            received_at=received,
            category=category,
            assignee=assignee,
            public=public,
            updated_at=received,
            message_ids=[f"<m{self.n}@example.org>"],
        )
        t.events.append(
            TicketEvent(
                at=received,
                type="received",
                actor=t.requester,
                message_id=f"<m{self.n}@example.org>",
                data={"text": text},
            )
        )
        return t

    @staticmethod
    def reply(t: Ticket, when: datetime, operator: str, text: str = "jawaban") -> Ticket:
        t.events.append(TicketEvent(at=when, type="reply", actor=operator, data={"text": text}))
        t.answered_at = t.answered_at or when
        t.status, t.due_at = Status.ANSWERED, None
        return t

    @staticmethod
    def status(t: Ticket, when: datetime, to: Status, actor: str = "helpdesk") -> Ticket:
        t.events.append(TicketEvent(at=when, type="status", actor=actor, data={"from": t.status.value, "to": to.value}))
        t.status = to
        if to is Status.CLOSED:
            t.closed_at = when
        if to is not Status.OPEN:
            t.due_at = None
        return t

    @staticmethod
    def follow_up(t: Ticket, when: datetime, due: datetime | None = None) -> Ticket:
        t.events.append(TicketEvent(at=when, type="follow_up", actor=t.requester, data={"text": "lengkap"}))
        if t.status is not Status.OPEN:
            Build.status(t, when, Status.OPEN, t.requester)
        t.due_at = due
        return t

    @staticmethod
    def rate(t: Ticket, when: datetime, value: int) -> Ticket:
        t.events.append(TicketEvent(at=when, type="rating", actor=t.requester, data={"rating": value}))
        t.rating = value
        return t


def november(b: Build) -> list[Ticket]:
    """The constructed month (see the expectations in test_figures.py)."""
    t1 = b.ticket(at(11, 2, 9), category="data", assignee=ANI)  # in standard, 2.0 h
    b.reply(t1, at(11, 2, 11), ANI)
    b.status(t1, at(11, 3, 10), Status.CLOSED, ANI)
    b.rate(t1, at(11, 3, 12), 5)
    t2 = b.ticket(at(11, 3, 10), category="data", assignee=BUDI)  # late (due 5 Nov 10:00), 21.5 h
    b.reply(t2, at(11, 6, 9), BUDI)
    b.status(t2, at(11, 6, 10), Status.CLOSED, BUDI)
    b.rate(t2, at(11, 9, 8, 30), 2)
    t3 = b.ticket(at(11, 7, 10), category="konsultasi", assignee=ANI)  # Saturday: clock from Mon 08:00
    t3.answered_at, t3.status = at(11, 9, 10, 30), Status.ANSWERED  # no reply event: 2.5 h
    t4 = b.ticket(at(11, 11, 9), category="data", assignee=BUDI)  # waits, restarts 16 Nov, 7.5 h
    b.status(t4, at(11, 11, 10), Status.WAITING_CITIZEN, BUDI)
    b.follow_up(t4, at(11, 16, 9), at(11, 18, 9))
    b.reply(t4, at(11, 17, 9), BUDI)
    t5 = b.ticket(at(11, 19, 9), category="data", assignee=BUDI)  # still waiting for the citizen
    b.status(t5, at(11, 19, 11), Status.WAITING_CITIZEN, BUDI)
    t6 = b.ticket(at(11, 20, 14), category="pengaduan", assignee=ANI)  # complaint in standard, 3.0 h
    b.reply(t6, at(11, 23, 9), ANI)
    b.status(t6, at(11, 23, 10), Status.CLOSED, ANI)
    t7 = b.ticket(at(11, 25, 10), category="konsultasi", assignee=BUDI)  # unanswered, overdue since 27 Nov
    t7.due_at = at(11, 27, 10)
    t8 = b.ticket(at(11, 30, 14))  # pending: due 2 Dec 14:00
    t8.due_at = at(12, 2, 14)
    t9 = b.ticket(at(10, 29, 10), category="data", assignee=ANI)  # October; breached 2 Nov 10:00
    b.reply(t9, at(11, 2, 13), ANI)
    b.status(t9, at(11, 2, 14), Status.CLOSED, ANI)
    b.rate(t9, at(11, 4, 9), 4)
    t10 = b.ticket(at(11, 10, 9), office="3571", assignee="x@bps.go.id")  # another office
    t10.due_at = at(11, 12, 9)
    t11 = b.ticket(at(12, 1, 8, 30), assignee=ANI)  # December
    t11.due_at = at(12, 3, 8, 30)
    return [t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11]


@pytest.fixture
def office() -> Office:
    return OFFICE


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar.for_office(OFFICE)


@pytest.fixture
def build() -> Build:
    return Build()


@pytest.fixture
def month_store(tmp_path, build) -> Store:
    """The constructed month saved and committed: closed tickets go to the archive files."""
    store = Store(tmp_path)
    for t in november(build):
        store.save_ticket(t)
    store.commit()
    return Store(tmp_path)
