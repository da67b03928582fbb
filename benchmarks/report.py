"""The monthly report over 10,000 tickets (target: under 2 s), from the store on disk to the HTML.

Writes a real store with 10,000 tickets of one office in November 2026 (answered in time, late,
waiting, unanswered, rated; closed ones archived), then times what `helpdesk report --format html`
does: read every ticket, compute the figures, draw both charts, render the page.

    python3 benchmarks/report.py [--tickets 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpdesk.config import Office  # noqa: E402
from helpdesk.insight.figures import compute_month  # noqa: E402
from helpdesk.insight.render import report_csv, report_html, report_text  # noqa: E402
from helpdesk.model import Status, Ticket, TicketEvent  # noqa: E402
from helpdesk.sla.workdays import WorkingCalendar  # noqa: E402
from helpdesk.tickets.store import Store  # noqa: E402

WIB = timezone(timedelta(hours=7))
OFFICE = Office(code="3576", name="BPS Kota Mojokerto", address="bps3576@bps.go.id")
OPERATORS = [f"petugas{i}@bps.go.id" for i in range(8)]
CATEGORIES = ["data", "konsultasi", "publikasi", "pengaduan", "rekomendasi", ""]


def make(i: int, rng: random.Random) -> Ticket:
    received = datetime(2026, 11, 1, tzinfo=WIB) + timedelta(minutes=rng.randrange(30 * 24 * 60))
    op = rng.choice(OPERATORS)
    t = Ticket(
        number=f"PST-3576-2026-{i + 1:06d}",
        office="3576",
        requester=f"w{i}@example.org",
        subject=f"pertanyaan {i}",
        received_at=received,
        assignee=op,
        category=rng.choice(CATEGORIES),
        updated_at=received,
    )
    t.events.append(TicketEvent(at=received, type="received", actor=t.requester, data={"text": "data"}))
    fate = rng.random()
    if fate < 0.1:  # waiting for the citizen
        t.status = Status.WAITING_CITIZEN
        t.events.append(
            TicketEvent(
                at=received + timedelta(hours=2),
                type="status",
                actor=op,
                data={"from": "open", "to": "waiting_citizen"},
            )
        )
    elif fate < 0.2:  # not answered yet
        t.due_at = received + timedelta(days=2)
    else:  # answered after 1 hour to 5 days, most closed
        answered = received + timedelta(minutes=rng.randrange(60, 5 * 24 * 60))
        t.events.append(TicketEvent(at=answered, type="reply", actor=op, data={"text": "jawaban"}))
        t.answered_at, t.status = answered, Status.ANSWERED
        if rng.random() < 0.8:
            t.status, t.closed_at = Status.CLOSED, answered + timedelta(hours=1)
            t.events.append(
                TicketEvent(at=t.closed_at, type="status", actor=op, data={"from": "answered", "to": "closed"})
            )
            if rng.random() < 0.5:
                t.rating = rng.randint(1, 5)
                t.events.append(
                    TicketEvent(
                        at=t.closed_at + timedelta(hours=3), type="rating", actor=t.requester, data={"rating": t.rating}
                    )
                )
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=10_000)
    args = ap.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp))
        for i in range(args.tickets):
            store.save_ticket(make(i, rng))
        store.commit()
        now = datetime(2026, 12, 1, 9, tzinfo=WIB)
        t0 = time.perf_counter()
        store = Store(Path(tmp))  # as the command does: open the store
        tickets = [t for t in store.all_tickets() if t.office == "3576"]
        t1 = time.perf_counter()
        figures = compute_month(tickets, OFFICE, WorkingCalendar.for_office(OFFICE), "2026-11", now)
        t2 = time.perf_counter()
        html = report_html([figures])
        t3 = time.perf_counter()
        report_text(figures), report_csv([figures])
        t4 = time.perf_counter()
    print(
        f"report over {len(tickets)} tickets ({figures.total.received} received in the month, "
        f"{figures.total.pct_in_standard:.1f}% in standard):"
    )
    print(f"  open store and read all tickets {t1 - t0:6.2f} s")
    print(f"  compute figures                 {t2 - t1:6.2f} s")
    print(f"  HTML with two PNG charts        {t3 - t2:6.2f} s  ({len(html) // 1024} KiB)")
    print(f"  text and CSV                    {t4 - t3:6.2f} s")
    print(f"  total                           {t4 - t0:6.2f} s  (target < 2 s)")


if __name__ == "__main__":
    main()
