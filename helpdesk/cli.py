"""The `helpdesk` command: run, check, settings, tickets, show, status, route, calendar, deadline, quarantine."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__, argtypes, logs, unticketed
from .clock import Clock, FixedClock, SystemClock
from .errors import ConfigError, LocalFault, StoreCorrupt
from .insight import commands as insight_commands

if TYPE_CHECKING:
    from . import config
    from .app import App

# The settings, the store and what reads them are imported once a command runs, not for `--help`
# or a mistyped command: see App.build's callers below and tests/unit/test_startup.py.

log = logging.getLogger(__name__)


class _Skipped:
    """Stands in for the parser of a command that is not being run: whatever is asked of it (arguments,
    groups, sub-commands) is not built."""

    def __getattr__(self, _: str) -> Callable[..., _Skipped]:
        return lambda *args, **kwargs: self


class _OneCommand:
    """The sub-command registry, building only `name`'s parser: argparse builds each one with a
    dozen gettext look-ups, a tenth of a command's start; `--help` and a mistyped command build all."""

    def __init__(self, sub: argparse._SubParsersAction, name: str) -> None:
        self.sub, self.name = sub, name

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self.sub.add_parser(name, **kwargs) if name == self.name else _Skipped()


def command_in(argv: list[str]) -> str | None:
    """The command `argv` runs when nothing before it can change which it is (only `--config` and
    `--log-level` with their values); None otherwise: help, a version, an abbreviation, a typo."""
    value = False
    for token in argv:
        if value:
            value = False
        elif token in ("--config", "--log-level"):
            value = True
        elif not token.startswith(("--config=", "--log-level=")):
            return token if token in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only`, just that command's parser under the global options."""
    p = argparse.ArgumentParser(
        prog="helpdesk",
        description="PST email helpdesk: citizens' mail to a BPS office "
        "becomes tickets, answered within the service standard.",
        epilog="example: helpdesk --config /etc/pst-helpdesk/settings.toml check --connect",
    )
    p.add_argument("--version", action="version", version=f"helpdesk (pst-helpdesk) {__version__}")
    p.add_argument("--config", help="settings file (default: $HELPDESK_CONFIG or ./settings.toml)")
    p.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=argtypes.LOG_LEVELS,
        help="how much the log says: DEBUG, INFO (default), WARNING or ERROR",
    )
    every = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub: Any = every if only is None else _OneCommand(every, only)
    run = sub.add_parser("run", help="run the daemon")
    run.add_argument("--once", action="store_true", help="fetch, process, send, then exit")
    run.add_argument("--now", type=argtypes.parse_now, help="act as if it were this instant (with --once)")
    check = sub.add_parser("check", help="validate settings, rules and templates")
    check.add_argument(
        "--connect",
        action="store_true",
        help="also log in to every office mailbox and the SMTP server, reporting each by name",
    )
    sub.add_parser("settings", help="every setting with its meaning and default (the README's table)")
    tickets = sub.add_parser("tickets", help="list tickets")
    tickets.add_argument("--json", action="store_true", help="one JSON object a line")
    tickets.add_argument("--all", action="store_true", help="include closed (archived) tickets")
    tickets.add_argument("--office", help="only this office, e.g. 3576")
    show = sub.add_parser("show", help="one ticket with its whole thread")
    show.add_argument(
        "number", type=argtypes.ticket_number, help="ticket number, in any case, e.g. pst-3576-2026-000123"
    )
    sub.add_parser("status", help="mailboxes and outbox")
    rt = sub.add_parser("route", help="which rules match a mail, why, and the result")
    rt.add_argument("--explain", required=True, metavar="FILE.eml", type=Path, help="the mail to route, as a file")
    rt.add_argument("--office", help="office code (default: from the mail's recipients)")
    rt.add_argument("--now", type=argtypes.parse_now, help="the instant to assign at (default: now)")
    cal = sub.add_parser("calendar", help="an office's closed days")
    cal.add_argument("office", help="office code, e.g. 3576")
    cal.add_argument("--year", type=argtypes.year, help="the year to list (default: this year)")
    dl = sub.add_parser("deadline", help="the reply deadline for a receipt time")
    dl.add_argument("office", help="office code, e.g. 3576")
    dl.add_argument("--received", required=True, type=argtypes.parse_now, help="when the mail arrived, with its offset")
    dl.add_argument("--days", type=argtypes.days, help="working days to answer (default: the office's reply_days)")
    dl.add_argument("--json", action="store_true", help="also print how the deadline was counted, as JSON")
    from .quarantine import add_parser as add_quarantine

    add_quarantine(sub)
    insight_commands.add_parsers(sub)  # report, search, export
    unticketed.add_parsers(sub)  # mails --not-ticketed, ticket-from
    for name, sp in every.choices.items():
        sp.description = next(a.help for a in every._choices_actions if a.dest == name)
        sp.epilog = f"example: {argtypes.EXAMPLES[name]}"
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(command_in(argv)).parse_args(argv)
    logs.setup(args.log_level)
    if args.command in ("check", "settings"):
        return COMMANDS[args.command](None, args, SystemClock())
    from . import config

    try:
        # Only the daemon and `check` log in to mailboxes; the other commands need no passwords.
        settings = config.load(args.config, need_passwords=args.command in ("run", "check"))
    except ConfigError as exc:
        print(f"configuration has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    clock: Clock = FixedClock(args.now) if getattr(args, "now", None) else SystemClock()
    try:
        status = COMMANDS[args.command](settings, args, clock)
        sys.stdout.flush()  # inside the try: a closed pipe may only show at this flush
        return status
    except BrokenPipeError:
        # `helpdesk export | head` closes the pipe early: that is the reader's choice, not a crash.
        # stdout goes to /dev/null so the interpreter's final flush cannot raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except StoreCorrupt as exc:
        print(f"store cannot be read, refusing to go on: {exc}", file=sys.stderr)
        return 3
    except OSError as exc:
        if args.command == "run" or exc.filename is None:
            raise  # the daemon's own faults keep their traceback: that is a bug to see
        # A file the user named, or the data folder, cannot be read or written: one line, no traceback.
        print(f"helpdesk {args.command}: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 1


def cmd_check(_: None, args: argparse.Namespace, clock: Clock) -> int:
    """Every problem in one run: settings, then rules, templates and the data folder, then servers."""
    from . import config
    from .checks import data_dir_problems, problems

    settings, found = config.read(args.config)
    if settings is not None:
        found += problems(settings) + data_dir_problems(settings)
    if settings is not None and args.connect:
        from .probe import connect

        worked, failed = connect(settings)
        for line in worked:
            print(line)
        found += failed
    for problem in found:
        print(problem)
    if found:
        print(f"{len(found)} problem(s)")
        return 2
    assert settings is not None
    print(f"ok: {len(settings.offices)} offices, {len(settings.operators)} operators")
    return 0


def cmd_settings(_: None, args: argparse.Namespace, clock: Clock) -> int:
    from . import config
    from .declare import table_rows

    print("\n".join(table_rows(config.SECTIONS)))
    return 0


def cmd_run(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    import asyncio

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
            app = _app(settings, clock)
            daemon = Daemon(app)
            if not args.once:
                asyncio.run(daemon.run())
                return 0
            before = _troubles(app)
            asyncio.run(daemon.run_once())
            status = _once_status(daemon, before, _troubles(app))
            for code, why in app.store.broken.items():
                print(f"office {code} stopped, its store cannot be read: {why}", file=sys.stderr)
            return 3 if app.store.broken else status
    except AlreadyRunning as exc:
        print(exc, file=sys.stderr)
        return 4
    except LocalFault as exc:
        print(f"cannot run: {problem or exc}", file=sys.stderr)
        return argtypes.EXIT_LOCAL_FAULT


def _troubles(app: App) -> tuple[set[str], set[str]]:
    """(quarantined mails, permanently failed outgoing mails) in the store now."""
    from .kinds import MailState

    return {e.key for e in app.store.quarantined()}, {
        m.message_id for m in app.store.outgoing(states=[MailState.FAILED])
    }


def _once_status(daemon: Any, before: tuple[set[str], set[str]], after: tuple[set[str], set[str]]) -> int:
    """Non-zero when this run could not read a mailbox, quarantined a mail or gave up on one to send."""
    unread = [w.unread for w in daemon.workers if w.unread]
    quarantined, failed = after[0] - before[0], after[1] - before[1]
    for line in unread:
        print(f"mailbox not read: {line}", file=sys.stderr)
    if quarantined:
        print(f"{len(quarantined)} mail(s) quarantined: see `helpdesk quarantine list`", file=sys.stderr)
    if failed:
        print(f"{len(failed)} outgoing mail(s) failed permanently: see `helpdesk status`", file=sys.stderr)
    return (
        argtypes.EXIT_UNREAD
        if unread
        else argtypes.EXIT_QUARANTINED
        if quarantined
        else argtypes.EXIT_UNDELIVERABLE
        if failed
        else 0
    )


def cmd_tickets(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .views import ticket_rows

    if args.office is not None:
        _office(settings, args.office)  # a mistyped code must not look like an empty office
    app = _app(settings, clock)
    tickets = list(app.store.all_tickets() if args.all else app.store.open_tickets())
    tickets = [t for t in tickets if args.office in (None, t.office)]
    tickets.sort(key=lambda t: t.number)
    rows = ticket_rows(tickets, settings)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    from .views import table

    print(table(rows, ["number", "status", "requester", "subject", "assignee", "received_at", "due_at"]))
    return 0


def cmd_show(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .views import thread_text

    app = _app(settings, clock)
    ticket = app.store.ticket(args.number)
    if ticket is None:
        print(f"no ticket {args.number}", file=sys.stderr)
        return 1
    zone = next((o.tz for o in settings.offices if o.code == ticket.office), None)
    print(thread_text(ticket, app.store, zone))
    return 0


def cmd_status(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .tickets.atomic import unwritable
    from .views import status_text

    app = _app(settings, clock)
    if disk := unwritable(Path(settings.data_dir)):
        print(f"DATA DISK: {disk}: intake is paused until it can be written")
    print(status_text(settings, app.store, Path(settings.data_dir) / "status"))
    return 0


def cmd_calendar(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .sla.workdays import WorkingCalendar

    office = _office(settings, args.office)
    cal = WorkingCalendar.for_office(office, settings.cache_dir)
    year = args.year if args.year is not None else clock.now().astimezone(office.tz).year
    from .outbound.wording import DAYS

    print(f"{office.name} ({office.code}), {year}: hari libur dan cuti bersama")
    for day, name in cal.closed_days(year):
        print(f"{day.isoformat()}  {DAYS['id'][day.weekday()]:<6}  {name}")
    return 0


def cmd_deadline(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .sla.deadlines import explain_deadline
    from .sla.workdays import WorkingCalendar

    office = _office(settings, args.office)
    if args.days is not None and args.days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 2
    cal = WorkingCalendar.for_office(office, settings.cache_dir)
    info = explain_deadline(args.received, cal, args.days or office.reply_days)
    print(info["deadline"].isoformat() if isinstance(info["deadline"], datetime) else info["deadline"])
    if args.json:
        print(json.dumps(info, default=lambda v: v.isoformat(), ensure_ascii=False))
    return 0


def cmd_route(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .explain import explain
    from .routing.rules import RulesError

    try:
        raw = args.explain.read_bytes()
    except OSError as exc:
        print(f"cannot read {args.explain}: {exc}", file=sys.stderr)
        return 2
    try:
        text, status = explain(_app(settings, clock), raw, clock.now(), args.office)
    except RulesError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    print(text)
    return status


def quarantine_command(settings: config.Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .quarantine import cmd_quarantine

    return cmd_quarantine(settings, args, clock)


def _app(settings: config.Settings, clock: Clock) -> App:
    from .app import App

    return App.build(settings, clock)


def _office(settings: config.Settings, code: str) -> config.Office:
    try:
        return settings.office(code)
    except KeyError:
        raise SystemExit(f"no office {code!r}; configured: {', '.join(o.code for o in settings.offices)}") from None


# name -> cmd(settings, args, clock) -> exit status (settings None for check and settings)
COMMANDS: dict[str, Callable[..., int]] = {
    "run": cmd_run,
    "check": cmd_check,
    "settings": cmd_settings,
    "tickets": cmd_tickets,
    "show": cmd_show,
    "status": cmd_status,
    "calendar": cmd_calendar,
    "deadline": cmd_deadline,
    "route": cmd_route,
}
COMMANDS.update(insight_commands.COMMANDS)  # report, search, export
COMMANDS.update(unticketed.COMMANDS)  # mails --not-ticketed, ticket-from
COMMANDS["quarantine"] = quarantine_command
