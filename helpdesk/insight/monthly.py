"""The monthly report mail to an office's supervisors, due on the first working day of a month
(insight; reads the store, never writes it). `sla.reports` queues the mails drawn here and records the
month each was sent for in the same commit, so each report goes out once, and one missed while the
daemon was down goes out at the next check.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING

from ..config import Office
from ..kinds import Purpose
from ..model import OutgoingMail, Ticket
from ..outbound.compose import FileAttachment
from ..outbound.notices import to_staff
from ..sla.workdays import WorkingCalendar
from .figures import MonthlyFigures, MonthTally, compute_month, previous_month
from .render import month_title, num, report_csv, report_html, report_text

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)


def first_working_day(cal: WorkingCalendar, year: int, month: int) -> date:
    day = date(year, month, 1)
    return day if cal.is_working_day(day) else cal.next_working_day(day)


def report_due(office: Office, cal: WorkingCalendar, now: datetime, last_sent: str | None) -> str | None:
    """The month whose report is due at `now` ("YYYY-MM"), or None: from the opening of the month's
    first working day on, the previous month's report is due until it has been sent (pure)."""
    local = cal.local(now)
    first = first_working_day(cal, local.year, local.month)
    if local < cal.opening(first):
        return None
    month = previous_month(local.date())
    return None if last_sent is not None and last_sent >= month else month


def monthly_report_mail(
    app: App, office: Office, month: str, now: datetime, tickets: list[Ticket] | None = None
) -> OutgoingMail:
    """The report for `month` as a mail to the office's supervisors: text body, HTML and CSV attached."""
    if tickets is None:
        tickets = [t for t in app.store.all_tickets() if t.office == office.code]
    figures = compute_month(tickets, office, app.calendar(office), month, now)
    return _mail(app, office, figures, now)


def _mail(app: App, office: Office, f: MonthlyFigures, now: datetime) -> OutgoingMail:
    stem = f"laporan-pst-{office.code}-{f.month}"
    attachments = [
        FileAttachment(f"{stem}.html", "text/html", report_html([f]).encode("utf-8")),
        FileAttachment(f"{stem}.csv", "text/csv", report_csv([f]).encode("utf-8")),
    ]
    pct = f.total.pct_in_standard
    return to_staff(
        app,
        office,
        list(office.supervisors),
        "monthly_report",
        Purpose.REPORT,
        now,
        attachments=attachments,
        month=f.month,
        month_text=month_title(f.month),
        pct_text=f"{num(pct)}%" if pct is not None else "-",
        report_text=report_text(f),
    )


def due_reports(app: App, now: datetime) -> dict[str, tuple[str, OutgoingMail | None]]:
    """Every office whose monthly report is due: office code -> (month, mail), the mail None when
    the office owes none after all (no tickets yet, no supervisors). An office whose report failed
    to draw is left out, so the next check tries it again.

    One pass over the store feeds every due office's tally; the reports are drawn outside the
    store's lock (mail intake goes on meanwhile)."""
    store = app.store
    with store.lock:
        sent_for = {o.code: store.office_meta(o.code).monthly_report or None for o in app.offices}
    tallies = {}
    for office in app.offices:
        month = report_due(office, app.calendar(office), now, sent_for.get(office.code))
        if month is not None:
            tallies[office.code] = MonthTally(office, app.calendar(office), month, now)
    if not tallies:
        return {}
    seen: set[str] = set()  # offices with a ticket from before the month's end
    for ticket in store.all_tickets():  # the archives are read once for every office due
        tally = tallies.get(ticket.office)
        if tally is not None:
            tally.add(ticket)
            if ticket.received_at < tally.end:
                seen.add(ticket.office)
    mails: dict[str, OutgoingMail | None] = {}
    for code, tally in tallies.items():
        office = tally.office
        if sent_for.get(code) is None and code not in seen:
            # A new installation: no month before its first ticket is owed a report (all zeros).
            log.info("office %s: no tickets yet, no monthly report for %s", code, tally.month)
            mails[code] = None
            continue
        if not office.supervisors:
            log.warning("office %s has no supervisors: monthly report %s not mailed", code, tally.month)
            mails[code] = None
            continue
        try:
            mails[code] = _mail(app, office, tally.figures(), now)
        except Exception:  # noqa: BLE001 - one office's failure must not stop the others
            log.exception("monthly report %s for office %s failed; retried at the next check", tally.month, code)
    return {code: (tallies[code].month, mail) for code, mail in mails.items()}
