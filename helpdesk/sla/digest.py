"""The supervisors' morning digest: overdue, due today, unassigned, per operator (stage 6).

One mail per office and working day, a text part and an HTML table; every time in it is in the
office's zone with its label. Problems a supervisor should see (quarantined mail, mail that could
not be delivered) ride along, so nothing fails silently.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..config import Office
from ..kinds import MailState, Purpose
from ..model import OutgoingMail, Ticket
from ..outbound.notices import to_staff
from ..outbound.wording import format_date, when_text
from .sweep import digest_summary

if TYPE_CHECKING:
    from ..app import App

PROBLEM_TEXT = 120  # characters of an error shown per line
FAILURES_SHOWN = timedelta(days=7)  # a delivery failure older than this has been seen: it leaves the digest


def digest_context(app: App, office: Office, now: datetime) -> dict[str, Any]:
    """The template context for one office's digest as of `now`."""
    summary = digest_summary(app.store.open_tickets(office.code), office, app.calendar(office), now)
    names = {o.address: o.name for o in app.settings.operators}

    def rows(tickets: list[Ticket]) -> list[dict[str, str]]:
        return [
            {
                "number": t.number,
                "subject": t.subject,
                "assignee": names.get(t.assignee, t.assignee),
                "status": t.status.value,
                "due_text": when_text(office, t.due_at),
            }
            for t in tickets
        ]

    per_operator = sorted(
        (f"{names[a]} <{a}>" if a in names else a, counts) for a, counts in summary["per_operator"].items()
    )
    problems = [f"email dikarantina: {q.reason[:PROBLEM_TEXT]}" for q in app.store.quarantined(office.code)]
    problems += [
        f"gagal terkirim ke {', '.join(m.recipients)}: {m.last_error[:PROBLEM_TEXT]}"
        for m in app.store.outgoing(office.code, states=[MailState.FAILED])
        if m.failed_at is None or now - m.failed_at < FAILURES_SHOWN
    ]
    if unticketed := app.store.not_ticketed_by_reason(office.code, since=now - timedelta(days=1)):
        # A rule may misjudge a citizen: `helpdesk mails --not-ticketed` lists them, `ticket-from` pulls one in.
        problems.append(f"email tanpa tiket (24 jam terakhir): {unticketed}; lihat helpdesk mails --not-ticketed")
    return {
        "day_text": format_date(now.astimezone(office.tz).date(), "id"),
        "as_of_text": when_text(office, now),
        "overdue": rows(summary["overdue"]),
        "due_today": rows(summary["due_today"]),
        "unassigned": rows(summary["unassigned"]),
        "per_operator": per_operator,
        "problems": problems,
    }


def digest_mail(app: App, office: Office, now: datetime) -> OutgoingMail:
    """The digest mail to the office's supervisors (the caller checks there are some)."""
    return to_staff(app, office, office.supervisors, "digest", Purpose.DIGEST, now, **digest_context(app, office, now))
