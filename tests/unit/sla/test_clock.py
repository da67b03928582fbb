"""The SLA clock through the whole pipeline and the sweep, without servers (tests/deskharness.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from helpdesk.model import Status
from helpdesk.sla.actions import sweep_office
from helpdesk.tickets.store import Store
from tests.deskharness import WIB, Desk, reply_to, text_of, to_of
from tests.mailfactory import citizen_mail

CITIZEN = "Warga <warga@example.org>"


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    d.deliver(citizen_mail(message_id="<q1@example.org>"))  # Mon 23 Nov 09:05 WIB
    d.ack, d.notification = d.take()
    assert d.ticket().due_at == datetime(2026, 11, 25, 9, 5, tzinfo=WIB)
    assert d.ticket().assignee == "rina@bps.go.id"
    return d


def sweep(desk: Desk, now: datetime) -> list[str]:
    """Run the office's sweep at `now`; the kinds of what it did."""
    desk.clock.at = now
    return [a.kind for a in sweep_office(desk.app, desk.app.settings.office("3576"), now)]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


def test_an_answer_stops_the_clock_and_a_new_message_starts_a_new_one(desk):
    desk.deliver(reply_to(desk.notification, "Data terlampir."), after=timedelta(hours=1))
    desk.take()
    assert desk.ticket().status is Status.ANSWERED and desk.ticket().due_at is None
    assert "escalation" not in sweep(desk, at(25, 9, 5))  # the old deadline owes nothing

    desk.clock.at = at(26, 10) - timedelta(minutes=5)
    desk.deliver(reply_to(desk.ack, "Apakah ada data 2024?", sender=CITIZEN))  # Thu 26 10:00
    assert desk.ticket().status is Status.OPEN
    assert desk.ticket().due_at == at(30, 10)  # Fri 27, Mon 30
    assert "escalation" not in sweep(desk, at(30, 9, 59))
    assert "escalation" in sweep(desk, at(30, 10))


def test_waiting_for_the_citizen_then_their_reply_starts_a_full_new_deadline(desk):
    desk.deliver(reply_to(desk.notification, "#tunggu\nTahun berapa?"), after=timedelta(hours=1))
    [question] = desk.take()
    assert desk.ticket().status is Status.WAITING_CITIZEN
    assert sweep(desk, at(25, 9, 5)) == ["digest"]  # no escalation while waiting
    desk.clock.at = at(25, 15) - timedelta(minutes=5)
    desk.deliver(reply_to(question, "Tahun 2024.", sender=CITIZEN))  # Wed 25 15:00
    assert desk.ticket().due_at == at(27, 15)  # two full working days


def test_a_ticket_with_its_own_reply_days_keeps_them_for_new_deadlines(desk):
    ticket = desk.ticket()
    ticket.reply_days = 5  # as a routing rule would set
    desk.app.store.save_ticket(ticket)
    desk.deliver(reply_to(desk.notification, "Data terlampir."), after=timedelta(hours=1))
    desk.deliver(reply_to(desk.ack, "Satu lagi: data 2023?", sender=CITIZEN))  # Mon 23 10:10
    assert desk.ticket().due_at == at(30, 10, 10)


def test_a_sweep_commits_its_keys_with_its_mail_and_never_repeats(desk):
    assert sorted(sweep(desk, at(25, 8))) == ["digest", "reminder"]
    on_disk = Store(desk.app.settings.data_dir)  # what a restart would see
    [ticket] = on_disk.open_tickets()
    reminders = [m for m in on_disk.outgoing() if m.purpose == "reminder"]
    assert len(reminders) == 1 and reminders[0].recipients == ["rina@bps.go.id"]
    assert any("reminder:opening" in k for k in ticket.sla_done)
    assert sweep(desk, at(25, 8, 1)) == []
    mails = desk.take()
    reminder = next(m for m in mails if "Pengingat" in str(m["Subject"]))
    assert "Rabu, 25 November 2026 pukul 09.05 WIB" in text_of(reminder)


def test_a_failing_action_leaves_nothing_behind_and_is_retried(desk, monkeypatch):
    templates = desk.app.templates
    real = templates.render

    def broken(name, *args, **kw):
        if name == "reminder":
            raise RuntimeError("template broken")
        return real(name, *args, **kw)

    monkeypatch.setattr(templates, "render", broken)
    assert sweep(desk, at(25, 8)) == ["digest"]
    assert desk.ticket().sla_done == []
    monkeypatch.setattr(templates, "render", real)
    assert sweep(desk, at(25, 8, 30)) == ["reminder"]


def test_closing_asks_for_a_rating_and_the_answer_is_recorded(desk):
    desk.deliver(reply_to(desk.notification, "#tutup\nData terlampir."), after=timedelta(hours=1))
    answer, closing = desk.take()
    assert "penilaian" in str(closing["Subject"])
    desk.deliver(
        reply_to(closing, "Sangat puas, terima kasih\n\nPada Sen, 23 Nov 2026 PST menulis:\n> x", sender=CITIZEN)
    )
    assert desk.take() == []  # no acknowledgement, no forward
    ticket = desk.ticket()
    assert ticket.rating == 5 and ticket.status is Status.CLOSED
    # A real question after closing is not a rating: it reopens the ticket.
    desk.deliver(reply_to(closing, "Maaf, saya masih butuh data 2024 per kecamatan.", sender=CITIZEN))
    assert desk.ticket().status is Status.OPEN and desk.ticket().rating == 5


def test_a_silent_citizen_is_told_then_closed_then_asked_for_a_rating(desk):
    desk.deliver(reply_to(desk.notification, "#tunggu\nTahun berapa?"), after=timedelta(hours=1))
    desk.take()
    since = desk.ticket().waiting_since
    assert sweep(desk, since + timedelta(days=6) - timedelta(minutes=1)) == []  # Sunday: nothing yet
    assert sweep(desk, since + timedelta(days=6)) == ["close_notice"]
    [notice] = desk.take()
    assert "akan ditutup pada Senin, 30 November 2026 pukul 10.05 WIB" in text_of(notice)
    assert sorted(sweep(desk, since + timedelta(days=7))) == ["auto_close", "digest"]  # Monday 10:05
    closing = next(m for m in desk.take() if to_of(m) == ["warga@example.org"])
    assert "penilaian" in str(closing["Subject"])
    assert desk.ticket().status is Status.CLOSED
    desk.deliver(reply_to(closing, "4/5", sender=CITIZEN))
    assert desk.ticket().rating == 4
