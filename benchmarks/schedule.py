"""Benchmark: rebuild the SLA schedule at start, and build one office's digest, with 10,000 open tickets.

    python3 benchmarks/schedule.py [--tickets 10000]

Targets (issue 3): rebuild under 2 s, digest under 1 s. The store is written to a temporary
directory first; the timings cover loading nothing but what the daemon does at start.
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

from helpdesk.app import App  # noqa: E402
from helpdesk.clock import FixedClock  # noqa: E402
from helpdesk.config import Office, Operator, Settings, SmtpSettings  # noqa: E402
from helpdesk.model import Status, Ticket  # noqa: E402
from helpdesk.sla.deadlines import due_at  # noqa: E402
from helpdesk.sla.digest import digest_mail  # noqa: E402
from helpdesk.sla.scheduler import SlaScheduler  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 12, 29, 8, 0, tzinfo=timezone(timedelta(hours=7)))  # a Tuesday opening, WIB
SEEDS = [
    ("3576", "Asia/Jakarta", 2),
    ("3571", "Asia/Jakarta", 2),
    ("3514", "Asia/Jakarta", 2),
    ("8200", "Asia/Jayapura", 3),
    ("7604", "Asia/Makassar", 3),
]


def settings(data_dir: Path) -> Settings:
    offices = tuple(
        Office(code, f"BPS {code}", f"bps{code}@bps.go.id", tz, days, supervisors=(f"pst{code}@bps.go.id",))
        for code, tz, days in SEEDS
    )
    operators = tuple(
        Operator(f"Petugas {i}", f"op{i}.{code}@bps.go.id", code) for code, _, _ in SEEDS for i in range(5)
    )
    return Settings(
        path=data_dir / "settings.toml",
        data_dir=data_dir,
        secret="x" * 16,
        smtp=SmtpSettings(),
        offices=offices,
        operators=operators,
    )


def fill(app: App, count: int, one_office: bool) -> None:
    rnd = random.Random(3)
    offices = app.settings.offices[:1] if one_office else app.settings.offices
    for n in range(1, count + 1):
        office = offices[n % len(offices)]
        cal = app.calendar(office)
        received = NOW - timedelta(minutes=rnd.randrange(1, 14 * 24 * 60))
        status = rnd.choices([Status.OPEN, Status.WAITING_CITIZEN, Status.ANSWERED], [7, 2, 1])[0]
        t = Ticket(
            f"PST-{office.code}-2026-{n:06d}",
            office.code,
            f"warga{n}@example.org",
            f"Permintaan data {n}",
            received,
            status,
            assignee="" if n % 10 == 0 else f"op{n % 5}.{office.code}@bps.go.id",
            clock_started_at=cal.next_opening(received),
        )
        if status is Status.OPEN:
            t.due_at = due_at(received, cal, office.reply_days)
        elif status is Status.WAITING_CITIZEN:
            t.waiting_since = received + timedelta(hours=1)
        app.store.save_ticket(t)
    app.store.commit()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tickets", type=int, default=10_000)
    p.add_argument("--one-office", action="store_true", help="all tickets in one office (worst digest)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        s = settings(data_dir)
        fill(App.build(s, FixedClock(NOW)), args.tickets, args.one_office)

        t0 = time.perf_counter()
        app = App.build(s, FixedClock(NOW))  # reads the hot file, as at start
        t1 = time.perf_counter()
        plan = SlaScheduler(app).rebuild()  # every office's next wake-up
        t2 = time.perf_counter()
        office = app.settings.offices[0]
        mail = digest_mail(app, office, NOW)
        t3 = time.perf_counter()

        open_count = len(app.store.open_tickets())
        in_office = len(app.store.open_tickets(office.code))
        print(f"open tickets: {open_count} ({in_office} in office {office.code})")
        print(f"store load at start:     {t1 - t0:.3f} s")
        print(
            f"schedule rebuild:        {t2 - t1:.3f} s  (target < 2 s; "
            f"next wake-ups: {sum(v is not None for v in plan.values())} offices)"
        )
        print(f"digest for office {office.code}: {t3 - t2:.3f} s  (target < 1 s; {len(mail.raw)} bytes)")
        ok = (t2 - t1) < 2 and (t3 - t2) < 1
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
