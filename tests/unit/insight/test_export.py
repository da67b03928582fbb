"""Export: JSON lines as stored, a CSV row per ticket with its outcome, or per event; --since."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from helpdesk.insight import export
from helpdesk.model import Ticket
from helpdesk.sla.workdays import WorkingCalendar

from .conftest import NOW, OFFICE, OTHER

OFFICES = {"3576": OFFICE, "3571": OTHER}
CALENDARS = {code: WorkingCalendar.for_office(o) for code, o in OFFICES.items()}


def test_jsonl_round_trips_every_ticket(month_store):
    tickets = list(export.select(month_store.all_tickets(), OFFICES))
    lines = "".join(export.jsonl(tickets, OFFICES)).splitlines()
    assert len(lines) == 11
    back = [Ticket.from_dict(json.loads(line)) for line in lines]
    assert back == tickets and [t.number for t in back] == sorted(t.number for t in back)


def test_ticket_csv_measures_the_first_answer(month_store):
    tickets = export.select(month_store.all_tickets(), OFFICES, office="3576")
    rows = {
        r["number"]: r
        for r in csv.DictReader(io.StringIO("".join(export.tickets_csv(tickets, OFFICES, CALENDARS, NOW))))
    }
    assert len(rows) == 10
    t2 = rows["PST-3576-2026-000002"]
    assert (t2["outcome"], t2["first_answer_office_hours"], t2["deadline"]) == (
        "late",
        "21.50",
        "2026-11-05T10:00:00+07:00",
    )
    assert (t2["status"], t2["rating"], t2["public"]) == ("closed", "2", "0")
    assert rows["PST-3576-2026-000005"]["outcome"] == "waiting"
    assert rows["PST-3576-2026-000008"]["outcome"] == "pending"


def test_since_keeps_tickets_touched_on_or_after_the_date(month_store):
    numbers = [t.number for t in export.select(month_store.all_tickets(), OFFICES, since=date(2026, 11, 25))]
    # t7, t8 received; t11 in December; t4 and t5 untouched since mid-November; t6 closed 23 Nov.
    assert numbers == ["PST-3576-2026-000007", "PST-3576-2026-000008", "PST-3576-2026-000011"]


def test_event_csv_lists_events_since(month_store):
    tickets = list(export.select(month_store.all_tickets(), OFFICES, since=date(2026, 11, 16)))
    rows = list(csv.DictReader(io.StringIO("".join(export.events_csv(tickets, OFFICES, date(2026, 11, 16))))))
    assert all(r["at"] >= "2026-11-16" for r in rows)
    assert ("PST-3576-2026-000004", "follow_up", "lengkap") in [(r["number"], r["type"], r["text"]) for r in rows]


def test_empty_export_is_a_header():
    assert "".join(export.tickets_csv([], OFFICES, CALENDARS, NOW)).startswith("number,office,status")


def test_csv_cells_from_citizens_never_run_as_spreadsheet_formulas():
    from .conftest import Build, at

    t = Build().ticket(at(11, 2, 9), subject='=HYPERLINK("http://evil.example","klik")', text="+62 812 3456\n@SUM(A1)")
    tickets = "".join(export.tickets_csv([t], OFFICES, CALENDARS, NOW))
    [row] = list(csv.DictReader(io.StringIO(tickets)))
    assert row["subject"] == '\'=HYPERLINK("http://evil.example","klik")'
    assert row["received_at"].startswith("2026-11-02")  # ISO times untouched
    [event] = list(csv.DictReader(io.StringIO("".join(export.events_csv([t], OFFICES, None)))))
    assert event["text"].startswith("'+62")
