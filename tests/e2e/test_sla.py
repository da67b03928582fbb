"""Deadlines kept end to end with Dovecot and a real SMTP server: reminders, escalation, digest,
auto-close and rating, by advancing the helpdesk's clock (`run --once --now`)."""

from __future__ import annotations

import re
import signal
from datetime import UTC, datetime, timedelta, timezone

import pytest

from helpdesk.daemon import Daemon
from helpdesk.kinds import MailState
from helpdesk.model import Status
from helpdesk.tickets import lifecycle
from tests.e2e.harness import Helpdesk
from tests.mailfactory import citizen_mail

WIB = timezone(timedelta(hours=7))
OPERATOR = "budi@bps.go.id"
SUPERVISOR = "pst3576@bps.go.id"
OPERATORS = f'''
[[operators]]
name = "Budi Santoso"
address = "{OPERATOR}"
office = "3576"
team = "konsultasi"

[[operators]]
name = "Sari Wulandari"
address = "sari@bps.go.id"
office = "3576"
team = "pengaduan"
'''
# Received Fri 14 Aug 2026 14:00 WIB; the weekend and Independence Day (Mon 17) are closed, so N=2
# puts the deadline at Wed 19 Aug 14:00 WIB: reminders at 08:00 and 12:00 that day. (Dovecot keeps
# an APPEND's INTERNALDATE only when it is not in the future, so the receipts lie in the past.)
RECEIVED = datetime(2026, 8, 14, 14, 0, tzinfo=WIB)
DUE = datetime(2026, 8, 19, 14, 0, tzinfo=WIB)
DUE_TEXT = "Rabu, 19 Agustus 2026 pukul 14.00 WIB"


@pytest.fixture
def hd(tmp_path, dovecot, smtp_sink):
    return Helpdesk(tmp_path, dovecot, smtp_sink, operators=OPERATORS)


def body(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def purposes(hd: Helpdesk, address: str) -> list[str]:
    """Subjects of mail to one address, reduced to their kind, in order."""
    out = []
    for m in hd.to_staff(address):
        subject = str(m.message["Subject"])
        kind = (
            "reminder"
            if "Pengingat" in subject
            else "escalation"
            if "Melewati" in subject
            else "digest"
            if "Ringkasan harian" in subject
            else subject
        )
        out.append(kind)
    return out


def assign(hd: Helpdesk, operator: str = OPERATOR) -> None:
    """Make sure the ticket has its operator (routing assigns the only one; this pins it down)."""
    store = hd.store()
    [ticket] = store.open_tickets()
    ticket.assignee = operator
    store.save_ticket(ticket)
    store.commit()


def wait_for(hd: Helpdesk, predicate, timeout: float = 20.0) -> bool:
    """Block until the SMTP sink holds what `predicate` wants (the sink notifies on each mail)."""
    with hd.sink.handler.changed:
        return hd.sink.handler.changed.wait_for(predicate, timeout)


def zone_labels_only(text: str, label: str) -> None:
    """Every time of day written in a mail carries the office's zone label."""
    for m in re.finditer(r"pukul \d\d\.\d\d( \w+)?", text):
        assert m.group(1) == f" {label}", m.group(0)


def test_one_ticket_through_reminders_escalation_and_digest(hd):
    hd.append(citizen_mail(), date=RECEIVED)
    hd.run_once(now=RECEIVED + timedelta(minutes=1))
    [ack] = hd.to_citizens(1)
    assert f"paling lambat {DUE_TEXT}" in body(ack)
    assert str(ack.message["Date"]).endswith("+0700")  # the header too, in WIB
    [ticket] = hd.tickets()
    assert ticket.due_at == DUE
    assign(hd)
    hd.sink.clear()

    hd.run_once(now=datetime(2026, 8, 18, 16, 0, tzinfo=WIB))  # Tuesday after closing: nothing
    assert hd.sink.messages == []

    opening = datetime(2026, 8, 19, 8, 0, tzinfo=WIB)
    hd.run_once(now=opening)
    hd.run_once(now=opening + timedelta(minutes=5))  # a second sweep adds nothing
    assert purposes(hd, OPERATOR) == ["reminder"]
    assert purposes(hd, SUPERVISOR) == ["digest"]
    [reminder] = hd.to_staff(OPERATOR)
    assert DUE_TEXT in body(reminder) and DUE_TEXT in str(reminder.message["Subject"])
    [digest] = hd.to_staff(SUPERVISOR)
    text = body(digest)
    assert "Jatuh tempo hari ini: 1" in text and ticket.number in text and DUE_TEXT in text
    assert "Terlambat (melewati batas waktu): 0" in text
    html = digest.message.get_body(("html",)).get_content()
    assert "<table" in html and ticket.number in html
    zone_labels_only(text, "WIB")

    hd.run_once(now=datetime(2026, 8, 19, 12, 0, tzinfo=WIB))  # 2 office hours before
    assert purposes(hd, OPERATOR) == ["reminder", "reminder"]

    done = hd.cli("run", "--once", "--now", DUE.isoformat())  # the breach, via the command line
    assert done.returncode == 0, done.stderr
    hd.run_once(now=DUE + timedelta(minutes=30))
    [escalation] = [m for m in hd.to_staff(SUPERVISOR) if "Melewati" in str(m.message["Subject"])]
    assert OPERATOR in str(escalation.message["Cc"])
    assert DUE_TEXT in body(escalation) and "Budi Santoso" in body(escalation)
    zone_labels_only(body(escalation), "WIB")

    hd.run_once(now=datetime(2026, 8, 20, 8, 0, tzinfo=WIB))  # next morning's digest
    assert purposes(hd, SUPERVISOR) == ["digest", "escalation", "digest"]
    assert "Terlambat (melewati batas waktu): 1" in body(hd.to_staff(SUPERVISOR)[-1])
    [ticket] = hd.tickets()
    assert sum(k.split("|")[1].startswith("reminder") for k in ticket.sla_done) == 2
    assert [e.type for e in ticket.events].count("escalation") == 1


def test_a_wit_office_writes_its_times_in_wit(tmp_path, dovecot, smtp_sink):
    hd = Helpdesk(tmp_path, dovecot, smtp_sink, offices=("8200",))
    received = datetime(2026, 8, 14, 5, 0, tzinfo=UTC)  # Friday 14:00 WIT
    hd.append(citizen_mail(to="bps8200@bps.go.id"), office="8200", date=received)
    hd.run_once(now=received)
    [ack] = hd.to_citizens(1)
    assert "paling lambat Kamis, 20 Agustus 2026 pukul 14.00 WIT" in body(ack)
    assert str(ack.message["Date"]).endswith("+0900")
    hd.sink.clear()
    hd.run_once(now=datetime(2026, 8, 20, 5, 0, tzinfo=UTC))  # the breach, 14:00 WIT
    [escalation] = [m for m in hd.to_staff("pst8200@bps.go.id") if "Melewati" in str(m.message["Subject"])]
    zone_labels_only(body(escalation), "WIT")
    assert "Jumat, 14 Agustus 2026 pukul 14.00 WIT" in body(escalation)  # received, in WIT too


def test_a_daemon_killed_before_a_reminder_sends_it_once_after_restart(hd):
    hd.append(citizen_mail(), date=RECEIVED)
    first = hd.spawn("--log-level", "WARNING", "run", "--now", (RECEIVED + timedelta(minutes=1)).isoformat())
    try:
        assert len(hd.to_citizens(1, timeout=30)) == 1
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    assign(hd)
    reminders = lambda: [m for m in hd.to_staff(OPERATOR) if "Pengingat" in str(m.message["Subject"])]  # noqa: E731

    # Restarted after the opening reminder fell due: it is sent at start.
    second = hd.spawn("--log-level", "WARNING", "run", "--now", "2026-08-19T09:00:00+07:00")
    try:
        assert wait_for(hd, lambda: len(reminders()) >= 1)
    finally:
        second.send_signal(signal.SIGTERM)  # drains the outbox, then exits
        assert second.wait(20) == 0

    # Started again before the next reminder: the one already sent is never sent again.
    again = hd.cli("run", "--once", "--now", "2026-08-19T10:00:00+07:00")
    assert again.returncode == 0, again.stderr
    assert len(reminders()) == 1
    # At 2 office hours before the deadline the second reminder goes, once.
    later = hd.cli("run", "--once", "--now", "2026-08-19T12:00:00+07:00")
    assert later.returncode == 0, later.stderr
    subjects = [str(m.message["Subject"]) for m in reminders()]
    assert len(subjects) == 2 and all("Pengingat" in s for s in subjects)
    [ticket] = hd.tickets()
    assert sorted(k.split("|")[1] for k in ticket.sla_done) == ["reminder:2h", "reminder:opening"]


def test_silent_citizen_is_notified_then_closed_then_rates(hd):
    received = datetime(2026, 11, 16, 9, 0, tzinfo=WIB)
    hd.append(citizen_mail(message_id="<tanya@example.org>"), date=received)
    hd.run_once(now=received)
    # The operator asks for details (#tunggu, stage 5): the clock stops, the 7 days begin.
    store = hd.store()
    [ticket] = store.open_tickets()
    lifecycle.set_status(
        ticket, Status.WAITING_CITIZEN, received + timedelta(hours=1), OPERATOR, "mohon rincian tahun data"
    )
    store.save_ticket(ticket)
    store.commit()
    hd.sink.clear()

    hd.run_once(now=datetime(2026, 11, 22, 10, 0, tzinfo=WIB))  # a day before: a notice
    [notice] = hd.to_citizens(1)
    assert "akan ditutup pada Senin, 23 November 2026 pukul 10.00 WIB" in body(notice)
    hd.run_once(now=datetime(2026, 11, 22, 11, 0, tzinfo=WIB))
    assert len(hd.to_citizens()) == 1

    hd.run_once(now=datetime(2026, 11, 23, 10, 0, tzinfo=WIB))  # 7 calendar days: closed
    notice, closed = hd.to_citizens(2)
    assert "penilaian" in str(closed.message["Subject"])
    assert "tidak ada tanggapan selama 7 hari" in body(closed)
    [ticket] = hd.tickets()
    assert ticket.status is Status.CLOSED and hd.store().open_tickets() == []

    rating = citizen_mail(
        subject="Re: " + str(closed.message["Subject"]),
        body="Nilai: 4\n\nPada Sen, 23 Nov 2026 10.00, PST menulis:\n> Tiket ditutup\n",
        in_reply_to=closed.message["Message-ID"],
        references=closed.message["Message-ID"],
    )
    hd.append(rating, date=datetime(2026, 11, 23, 11, 0, tzinfo=WIB))
    hd.run_once(now=datetime(2026, 11, 23, 11, 0, tzinfo=WIB))
    [ticket] = hd.tickets()
    assert ticket.rating == 4
    assert ticket.status is Status.CLOSED  # a rating does not reopen
    assert [e.type for e in ticket.events][-1] == "rating"
    assert len(hd.to_citizens()) == 2  # and is not acknowledged


def test_run_once_sends_the_monthly_report_when_it_falls_due(hd):
    """cron's `run --once` owes the supervisors the monthly report as much as the daemon does."""
    hd.append(citizen_mail(), date=datetime(2026, 11, 10, 10, 0, tzinfo=WIB))
    hd.run_once(now=datetime(2026, 11, 10, 10, 5, tzinfo=WIB))

    def reports() -> list:
        return [
            m for m in hd.to_staff(SUPERVISOR) if "Laporan standar pelayanan November 2026" in str(m.message["Subject"])
        ]

    assert reports() == []  # November is not over
    hd.run_once(now=datetime(2026, 12, 1, 8, 5, tzinfo=WIB))  # opening of December's first working day
    assert wait_for(hd, lambda: len(reports()) == 1)
    hd.run_once(now=datetime(2026, 12, 1, 9, 0, tzinfo=WIB))
    assert len(reports()) == 1  # sent once, remembered in the store


def test_run_once_acknowledges_the_citizens_before_it_makes_the_monthly_report(hd, monkeypatch):
    """The report of every office (charts included) takes seconds: the mail taken in by the same
    run is acknowledged before the sweeps and the report are made, not after them, even when none
    went out while the mailboxes were read (issue 12 item 5)."""

    async def nothing_sent_while_fetching(self, fetching) -> None:
        await fetching

    waiting: list[list[str]] = []
    sweep_and_report = Daemon.after_ingest

    async def after_ingest(self) -> None:
        waiting.append([m.purpose for m in self.app.store.outgoing(states=[MailState.QUEUED, MailState.SENDING])])
        await sweep_and_report(self)

    monkeypatch.setattr(Daemon, "_drain_while", nothing_sent_while_fetching)
    monkeypatch.setattr(Daemon, "after_ingest", after_ingest)
    hd.append(citizen_mail(), date=datetime(2026, 11, 10, 10, 0, tzinfo=WIB))
    hd.append(citizen_mail(sender="Warga Dua <dua@example.org>"), date=datetime(2026, 11, 30, 20, 0, tzinfo=WIB))
    hd.run_once(now=datetime(2026, 12, 1, 8, 5, tzinfo=WIB))
    assert waiting == [[]]  # both acknowledgements (and the notifications) were out already
    assert len(hd.to_citizens(2)) == 2
    assert wait_for(hd, lambda: any("Laporan standar pelayanan" in str(m.message["Subject"]) for m in hd.sink.messages))
