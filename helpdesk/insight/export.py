"""Tickets and their events as CSV or JSON lines, for the office's own reporting and the satisfaction
survey (SKM) (insight; pure: rows in, text out).

  jsonl              one ticket per line as stored (Ticket.to_dict(), events nested), times in the office's zone
  csv                one row per ticket, with the first answer measured against the standard
  csv, events=True   one row per event, with its ticket's number, office and subject
Every time is written with the office's offset (the store keeps the IMAP server's, often UTC): a
mail received on 1 December WIB must not read as 30 November in the office's spreadsheet.
`since` keeps tickets received or touched on or after that date (00:00 in the office's zone), and
in the events form only the events from then on.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime, tzinfo
from typing import Any

from ..config import Office
from ..model import Ticket
from ..sla.workdays import WorkingCalendar
from .answers import first_answer

TICKET_COLUMNS = (
    "number",
    "office",
    "status",
    "requester",
    "requester_name",
    "subject",
    "category",
    "assignee",
    "team",
    "priority",
    "public",
    "language",
    "received_at",
    "deadline",
    "first_answer_at",
    "first_answer_office_hours",
    "outcome",
    "closed_at",
    "rating",
    "events",
)
EVENT_COLUMNS = ("number", "office", "subject", "at", "type", "actor", "summary", "message_id", "attachments", "text")


def _iso(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).isoformat() if moment is not None else ""


TIME_FIELDS = ("received_at", "due_at", "clock_started_at", "updated_at", "closed_at", "waiting_since", "answered_at")


def local_copy(t: Ticket, tz: tzinfo) -> Ticket:
    """The ticket with every time in `tz` (the stored ticket is left as it is)."""
    times = {name: getattr(t, name).astimezone(tz) for name in TIME_FIELDS if getattr(t, name) is not None}
    return replace(t, **times, events=[replace(e, at=e.at.astimezone(tz)) for e in t.events])


def _start(since: date | None, office: Office | None) -> datetime | None:
    if since is None:
        return None
    return datetime(since.year, since.month, since.day, tzinfo=office.tz if office else None)


def _touched_since(t: Ticket, start: datetime | None) -> bool:
    if start is None:
        return True
    times = [t.received_at, t.updated_at, t.closed_at, *(e.at for e in t.events)]
    return any(m is not None and m >= start for m in times)


def select(
    tickets: Iterable[Ticket], offices: Mapping[str, Office], since: date | None = None, office: str | None = None
) -> Iterator[Ticket]:
    """Tickets of the configured offices (or one), received or touched since `since`, by number."""
    chosen = [
        t
        for t in tickets
        if t.office in offices
        and office in (None, t.office)
        and _touched_since(t, _start(since, offices.get(t.office)))
    ]
    yield from sorted(chosen, key=lambda t: t.number)


def jsonl(tickets: Iterable[Ticket], offices: Mapping[str, Office]) -> Iterator[str]:
    """One JSON object a line, as the store keeps it, times in the office's zone."""
    for t in tickets:
        yield json.dumps(local_copy(t, offices[t.office].tz).to_dict(), ensure_ascii=False, sort_keys=True) + "\n"


def ticket_row(t: Ticket, office: Office, cal: WorkingCalendar, now: datetime) -> dict[str, Any]:
    fa = first_answer(t, cal, office.reply_days)
    hours = fa.office_hours(cal)
    return {
        "number": t.number,
        "office": t.office,
        "status": t.status.value,
        "requester": t.requester,
        "requester_name": t.requester_name,
        "subject": t.subject,
        "category": t.category,
        "assignee": t.assignee,
        "team": t.team,
        "priority": t.priority,
        "public": int(t.public is True),
        "language": t.language,
        "received_at": _iso(t.received_at, office.tz),
        "deadline": _iso(fa.deadline, office.tz),
        "first_answer_at": _iso(fa.answered_at, office.tz),
        "first_answer_office_hours": f"{hours:.2f}" if hours is not None else "",
        "outcome": fa.outcome(now),
        "closed_at": _iso(t.closed_at, office.tz),
        "rating": t.rating if t.rating is not None else "",
        "events": len(t.events),
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A citizen's subject, name or text must not run as a formula when the supervisor opens the
    export in Excel or LibreOffice (CSV injection, e.g. `=HYPERLINK(...)`): such text gets a leading
    apostrophe, which spreadsheets show as text. Numbers and ISO times never start this way."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _csv(rows: Iterable[dict[str, Any]], columns: tuple[str, ...]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


def tickets_csv(
    tickets: Iterable[Ticket], offices: Mapping[str, Office], calendars: Mapping[str, WorkingCalendar], now: datetime
) -> Iterator[str]:
    """One CSV row per ticket (header first), streamed."""
    return _csv((ticket_row(t, offices[t.office], calendars[t.office], now) for t in tickets), TICKET_COLUMNS)


def events_csv(tickets: Iterable[Ticket], offices: Mapping[str, Office], since: date | None = None) -> Iterator[str]:
    """One CSV row per event (header first), streamed; events before `since` left out."""

    def rows() -> Iterator[dict[str, Any]]:
        for t in tickets:
            start = _start(since, offices.get(t.office))
            for e in t.events:
                if start is None or e.at >= start:
                    yield {
                        "number": t.number,
                        "office": t.office,
                        "subject": t.subject,
                        "at": _iso(e.at, offices[t.office].tz),
                        "type": e.type,
                        "actor": e.actor,
                        "summary": e.summary,
                        "message_id": e.message_id,
                        "attachments": "; ".join(a.filename for a in e.attachments),
                        "text": str((e.data or {}).get("text", "")),
                    }

    return _csv(rows(), EVENT_COLUMNS)
