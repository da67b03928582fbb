"""The `helpdesk` command: run, check, tickets, show, status, calendar, deadline."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from . import config, logs, unticketed
from .app import App
from .clock import Clock, FixedClock, SystemClock
from .errors import ConfigError, LocalFault, StoreCorrupt
from .insight import commands as insight_commands

log = logging.getLogger(__name__)


def _parse_now(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        # Without this argparse said "invalid _parse_now value", naming a function, not the format.
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date and time, e.g. 2026-12-29T10:00:00+07:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs an offset, e.g. 2026-12-29T10:00:00+07:00")
    _check_year(moment.year, value)
    return moment


# Dates far from today ran date arithmetic past year 9999 (OverflowError tracebacks) or before the
# holidays package's data; no deadline, calendar or report is meaningful outside these years.
YEARS = range(1950, 3000)


def _check_year(year: int, value: object) -> None:
    if year not in YEARS:
        raise argparse.ArgumentTypeError(f"{value!r}: year must be {YEARS.start}-{YEARS.stop - 1}")


def _year(value: str) -> int:
    try:
        year = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a year") from None
    _check_year(year, value)
    return year


def _days(value: str) -> int:
    """Working days, at most a year's worth (below 1 is refused by the command itself)."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days") from None
    if days > 366:
        raise argparse.ArgumentTypeError(f"{value!r}: at most 366 working days")
    return days


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="helpdesk", description="PST email helpdesk daemon")
    p.add_argument("--config", help="settings file (default: $HELPDESK_CONFIG or ./settings.toml)")
    p.add_argument("--log-level", default="INFO")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the daemon")
    run.add_argument("--once", action="store_true", help="fetch, process, send, then exit")
    run.add_argument("--now", type=_parse_now, help="act as if it were this instant (with --once)")
    sub.add_parser("check", help="validate settings, rules and templates")
    tickets = sub.add_parser("tickets", help="list tickets")
    tickets.add_argument("--json", action="store_true", help="one JSON object a line")
    tickets.add_argument("--all", action="store_true", help="include closed (archived) tickets")
    tickets.add_argument("--office")
    show = sub.add_parser("show", help="one ticket with its whole thread")
    show.add_argument("number")
    sub.add_parser("status", help="mailboxes and outbox")
    rt = sub.add_parser("route", help="which rules match a mail, why, and the result")
    rt.add_argument("--explain", required=True, metavar="FILE.eml", type=Path)
    rt.add_argument("--office", help="office code (default: from the mail's recipients)")
    rt.add_argument("--now", type=_parse_now, help="the instant to assign at (default: now)")
    cal = sub.add_parser("calendar", help="an office's closed days")
    cal.add_argument("office")
    cal.add_argument("--year", type=_year)
    dl = sub.add_parser("deadline", help="the reply deadline for a receipt time")
    dl.add_argument("office")
    dl.add_argument("--received", required=True, type=_parse_now)
    dl.add_argument("--days", type=_days)
    dl.add_argument("--json", action="store_true")
    insight_commands.add_parsers(sub)     # report, search, export
    unticketed.add_parsers(sub)           # mails --not-ticketed, ticket-from
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.setup(args.log_level)
    try:
        # Only the daemon and `check` log in to mailboxes; the other commands need no passwords.
        settings = config.load(args.config, need_passwords=args.command in ("run", "check"))
    except ConfigError as exc:
        print(f"configuration has {len(exc.problems)} problem(s):", file=sys.stderr)  # noqa: T201
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)  # noqa: T201
        return 2
    clock: Clock = FixedClock(args.now) if getattr(args, "now", None) else SystemClock()
    try:
        status = COMMANDS[args.command](settings, args, clock)
        sys.stdout.flush()       # inside the try: a closed pipe may only show at this flush
        return status
    except BrokenPipeError:
        # `helpdesk export | head` closes the pipe early: that is the reader's choice, not a crash.
        # stdout goes to /dev/null so the interpreter's final flush cannot raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except StoreCorrupt as exc:
        print(f"store cannot be read, refusing to go on: {exc}", file=sys.stderr)  # noqa: T201
        return 3


def cmd_check(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .checks import problems
    from .tickets.atomic import unwritable
    found = problems(settings)
    if disk := unwritable(Path(settings.data_dir)):
        found.append(f"{settings.path}: helpdesk.data_dir: {disk}")
    for problem in found:
        print(problem)  # noqa: T201
    if found:
        print(f"{len(found)} problem(s)")  # noqa: T201
        return 2
    print(f"ok: {len(settings.offices)} offices, {len(settings.operators)} operators")  # noqa: T201
    return 0


def cmd_run(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .checks import problems
    from .daemon import Daemon
    found = problems(settings)
    if found:
        for problem in found:
            log.error("configuration: %s", problem)
        return 2
    from .runlock import AlreadyRunning, single_instance
    from .tickets.atomic import remove_leftovers, unwritable
    problem = unwritable(Path(settings.data_dir))
    try:
        if problem:
            raise LocalFault.again(problem)
        # Held from loading the store to the last write: see runlock for what two processes did.
        with single_instance(Path(settings.data_dir)):
            if removed := remove_leftovers(Path(settings.data_dir)):
                log.info("removed %d temporary files left by writes that were cut short", removed)
            daemon = Daemon(App.build(settings, clock))
            asyncio.run(daemon.run_once() if args.once else daemon.run())
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)  # noqa: T201
        return 4
    except LocalFault as exc:
        print(f"cannot run: {problem or exc}", file=sys.stderr)  # noqa: T201
        return 5
    return 0


def cmd_tickets(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .views import ticket_rows
    if args.office is not None:
        _office(settings, args.office)    # a mistyped code must not look like an empty office
    app = App.build(settings, clock)
    tickets = list(app.store.all_tickets() if args.all else app.store.open_tickets())
    tickets = [t for t in tickets if args.office in (None, t.office)]
    tickets.sort(key=lambda t: t.number)
    rows = ticket_rows(tickets, settings)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))  # noqa: T201
        return 0
    from .views import table
    print(table(rows, ["number", "status", "requester", "subject", "assignee", "received_at", "due_at"]))  # noqa: T201
    return 0


def cmd_show(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .views import thread_text
    app = App.build(settings, clock)
    ticket = app.store.ticket(args.number)
    if ticket is None:
        print(f"no ticket {args.number}", file=sys.stderr)  # noqa: T201
        return 1
    zone = next((o.tz for o in settings.offices if o.code == ticket.office), None)
    print(thread_text(ticket, app.store, zone))  # noqa: T201
    return 0


def cmd_status(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .tickets.atomic import unwritable
    from .views import status_text
    app = App.build(settings, clock)
    if disk := unwritable(Path(settings.data_dir)):
        print(f"DATA DISK: {disk}: intake is paused until it can be written")  # noqa: T201
    print(status_text(settings, app.store, Path(settings.data_dir) / "status"))  # noqa: T201
    return 0


def cmd_calendar(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .sla.workdays import WorkingCalendar
    office = _office(settings, args.office)
    cal = WorkingCalendar.for_office(office)
    year = args.year if args.year is not None else clock.now().astimezone(office.tz).year
    from .sla.wording import DAYS
    print(f"{office.name} ({office.code}), {year}: hari libur dan cuti bersama")  # noqa: T201
    for day, name in cal.closed_days(year):
        print(f"{day.isoformat()}  {DAYS['id'][day.weekday()]:<6}  {name}")  # noqa: T201
    return 0


def cmd_deadline(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .sla.deadlines import explain_deadline
    from .sla.workdays import WorkingCalendar
    office = _office(settings, args.office)
    if args.days is not None and args.days < 1:
        print("--days must be at least 1", file=sys.stderr)  # noqa: T201
        return 2
    info = explain_deadline(args.received, WorkingCalendar.for_office(office), args.days or office.reply_days)
    print(info["deadline"].isoformat() if isinstance(info["deadline"], datetime) else info["deadline"])  # noqa: T201
    if args.json:
        print(json.dumps(info, default=lambda v: v.isoformat(), ensure_ascii=False))  # noqa: T201
    return 0


def cmd_route(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .routing.explain import explain
    from .routing.rules import RulesError
    try:
        raw = args.explain.read_bytes()
    except OSError as exc:
        print(f"cannot read {args.explain}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    try:
        text, status = explain(App.build(settings, clock), raw, clock.now(), args.office)
    except RulesError as exc:
        print("\n".join(exc.problems), file=sys.stderr)  # noqa: T201
        return 2
    print(text)  # noqa: T201
    return status


def _office(settings: config.Settings, code: str) -> config.Office:
    try:
        return settings.office(code)
    except KeyError:
        raise SystemExit(f"no office {code!r}; configured: {', '.join(o.code for o in settings.offices)}") from None


COMMANDS = {"run": cmd_run, "check": cmd_check, "tickets": cmd_tickets, "show": cmd_show,
            "status": cmd_status, "calendar": cmd_calendar, "deadline": cmd_deadline,
            "route": cmd_route}
COMMANDS.update(insight_commands.COMMANDS)   # report, search, export
COMMANDS.update(unticketed.COMMANDS)         # mails --not-ticketed, ticket-from
