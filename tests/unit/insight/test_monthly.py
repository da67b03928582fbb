"""The monthly report mail: due from the first working day's opening, sent once, with its files."""

from __future__ import annotations

import email
from datetime import date
from email.policy import default

import pytest

from helpdesk.app import App
from helpdesk.clock import FixedClock
from helpdesk.config import Settings, SmtpSettings
from helpdesk.insight.figures import previous_month
from helpdesk.insight.monthly import (
    first_working_day,
    monthly_report_mail,
    report_due,
)
from helpdesk.sla.reports import send_due_reports
from helpdesk.tickets.store import Store

from .conftest import NOW, OFFICE, OTHER, at, november


def test_previous_month():
    assert previous_month(date(2026, 12, 1)) == "2026-11"
    assert previous_month(date(2027, 1, 31)) == "2026-12"


def test_first_working_day_skips_new_year_and_weekend(cal):
    assert first_working_day(cal, 2026, 12) == date(2026, 12, 1)
    assert first_working_day(cal, 2027, 1) == date(2027, 1, 4)  # Fri 1 Jan holiday, then a weekend
    assert first_working_day(cal, 2026, 11) == date(2026, 11, 2)  # Sun 1 Nov


def test_report_is_due_from_opening_until_sent(cal):
    assert report_due(OFFICE, cal, at(12, 1, 7, 59), None) is None
    assert report_due(OFFICE, cal, at(12, 1, 8), None) == "2026-11"
    assert report_due(OFFICE, cal, at(12, 15, 20), "2026-10") == "2026-11"  # missed: sent late, once
    assert report_due(OFFICE, cal, at(12, 1, 8), "2026-11") is None
    assert report_due(OFFICE, cal, at(11, 30, 23), "2026-10") is None


@pytest.fixture
def app(tmp_path, build):
    settings = Settings(
        path=tmp_path / "settings.toml",
        data_dir=tmp_path,
        secret="s" * 32,
        smtp=SmtpSettings(),
        offices=(OFFICE, OTHER),
    )
    app = App.build(settings, FixedClock(NOW))
    for t in november(build):
        app.store.save_ticket(t)
    app.store.commit()
    return app


def test_monthly_mail_carries_text_html_and_csv(app):
    mail = monthly_report_mail(app, OFFICE, "2026-11", NOW)
    assert mail.recipients == ["pst3576@bps.go.id"] and mail.purpose == "report"
    msg = email.message_from_string(mail.raw, policy=default)
    assert msg["Subject"] == "[PST 3576] Laporan standar pelayanan November 2026: 66.7% dijawab sesuai standar"
    assert msg["Auto-Submitted"] == "auto-generated"
    body = msg.get_body(("plain",)).get_content()
    assert "Konsultasi diterima" in body and "4 dari 6 (66.7%)" in body
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert set(files) == {"laporan-pst-3576-2026-11.html", "laporan-pst-3576-2026-11.csv"}
    assert files["laporan-pst-3576-2026-11.html"].count("data:image/png;base64,") == 2
    assert files["laporan-pst-3576-2026-11.csv"].startswith("office,office_name,month")


def test_due_reports_are_queued_once_and_remembered(app, tmp_path):
    assert send_due_reports(app, at(12, 1, 7)) == []
    assert send_due_reports(app, at(12, 1, 8, 5)) == ["3576", "3571"]
    queued = [m for m in app.store.outgoing() if m.purpose == "report"]
    assert [m.recipients for m in queued] == [["pst3576@bps.go.id"]]  # 3571 has no supervisors
    assert send_due_reports(app, at(12, 1, 9)) == []
    assert [Store(tmp_path).office_meta(code).monthly_report for code in ("3576", "3571")] == ["2026-11", "2026-11"]


async def test_scheduler_job_queues_due_reports_and_wakes_the_outbox(app):
    from helpdesk.sla.scheduler import SlaScheduler

    woken = []
    app.clock = FixedClock(at(12, 1, 8, 5))
    scheduler = SlaScheduler(app, on_mail_queued=lambda: woken.append(True))
    await scheduler.monthly_reports()
    await scheduler.monthly_reports()
    assert woken == [True]
    assert [m.purpose for m in app.store.outgoing()] == ["report"]


async def test_scheduler_job_on_a_full_disk_leaves_the_report_to_the_next_commit(app, monkeypatch, caplog):
    from helpdesk.errors import LocalFault
    from helpdesk.sla.scheduler import SlaScheduler

    app.clock = FixedClock(at(12, 1, 8, 5))
    woken = []
    scheduler = SlaScheduler(app, on_mail_queued=lambda: woken.append(True))
    full = OSError(28, "No space left on device")
    monkeypatch.setattr(app.store, "commit", lambda: (_ for _ in ()).throw(LocalFault("data disk full", "x", full)))
    await scheduler.monthly_reports()  # the job ends quietly: the store has said it
    assert woken == [] and not [r for r in caplog.records if r.exc_info]
    monkeypatch.undo()
    app.store.commit()  # the disk has room again: the next commit stores what waited
    assert [m.purpose for m in Store(app.settings.data_dir).outgoing()] == ["report"]
    assert Store(app.settings.data_dir).office_meta("3576").monthly_report == "2026-11"


def test_an_installation_whose_first_tickets_are_of_this_month_owes_no_report_for_the_last(tmp_path, build):
    settings = Settings(
        path=tmp_path / "settings.toml", data_dir=tmp_path, secret="s" * 32, smtp=SmtpSettings(), offices=(OFFICE,)
    )
    fresh = App.build(settings, FixedClock(at(12, 1, 8, 5)))
    [first] = [t for t in november(build)][:1]
    first.received_at = at(12, 1, 8)  # taken in on the morning the report falls due
    fresh.store.save_ticket(first)
    fresh.store.commit()
    assert send_due_reports(fresh, at(12, 1, 8, 5)) == ["3576"]
    assert [m for m in fresh.store.outgoing() if m.purpose == "report"] == []
    assert fresh.store.office_meta("3576").monthly_report == "2026-11"


def test_a_new_installation_sends_no_report_for_the_month_before_it(tmp_path):
    settings = Settings(
        path=tmp_path / "settings.toml", data_dir=tmp_path, secret="s" * 32, smtp=SmtpSettings(), offices=(OFFICE,)
    )
    fresh = App.build(settings, FixedClock(NOW))
    assert send_due_reports(fresh, at(12, 1, 8, 5)) == ["3576"]
    assert [m for m in fresh.store.outgoing() if m.purpose == "report"] == []
    assert fresh.store.office_meta("3576").monthly_report == "2026-11"
