"""What the command line's commands share: value types (each turns a typed word into a value, or
into one clear line from argparse, never a traceback), examples and exit statuses."""

from __future__ import annotations

import argparse
from datetime import datetime

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# `run --once` exit statuses for cron (README "Command line"); 2 configuration, 3 unreadable store and
# 4 already running are set where they happen.
EXIT_LOCAL_FAULT = 5  # the data folder cannot be written (a full or read-only disk)
EXIT_UNREAD, EXIT_QUARANTINED, EXIT_UNDELIVERABLE = 6, 7, 8


def parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        # Without this argparse said "invalid parse_now value", naming a function, not the format.
        raise argparse.ArgumentTypeError(f"{value!r} is not a date and time, e.g. 2026-12-29T10:00:00+07:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs an offset, e.g. 2026-12-29T10:00:00+07:00")
    check_year(moment.year, value)
    return moment


# Dates far from today ran date arithmetic past year 9999 (OverflowError tracebacks) or before the
# holidays package's data; no deadline, calendar or report is meaningful outside these years.
YEARS = range(1950, 3000)


def check_year(year: int, value: object) -> None:
    if year not in YEARS:
        raise argparse.ArgumentTypeError(f"{value!r}: year must be {YEARS.start}-{YEARS.stop - 1}")


def year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a year") from None
    check_year(year, value)
    return year


def days(value: str) -> int:
    """Working days, at most a year's worth (below 1 is refused by the command itself)."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from None
    if days > 366:
        raise argparse.ArgumentTypeError(f"{value!r}: at most 366 working days")
    return days


# One example per command, shown under its --help (a test checks every command has one).
EXAMPLES = {
    "run": "helpdesk run --once   (from cron; the exit status tells what went wrong)",
    "check": "helpdesk check --connect",
    "settings": "helpdesk settings",
    "tickets": "helpdesk tickets --office 3576",
    "show": "helpdesk show PST-3576-2026-000123",
    "status": "helpdesk status",
    "route": "helpdesk route --explain mail.eml --office 3576",
    "calendar": "helpdesk calendar 3576 --year 2026",
    "deadline": "helpdesk deadline 3576 --received 2026-12-23T10:00:00+07:00",
    "mails": "helpdesk mails --not-ticketed --since 2026-11-01T00:00:00+07:00",
    "ticket-from": "helpdesk ticket-from 3576:1700000000:42",
    "quarantine": "helpdesk quarantine list; helpdesk quarantine retry 3576:1700000000:42",
    "report": "helpdesk report --office 3576 --month 2026-11 --format html -o laporan.html",
    "search": 'helpdesk search "inflasi 2025" --office 3576',
    "export": "helpdesk export --format csv --since 2026-11-01 -o tiket.csv",
}


def ticket_number(value: str) -> str:
    """Ticket numbers are written upper-case (PST-3576-2026-000123); people type them any way."""
    return value.strip().upper()
