"""`helpdesk report`, `helpdesk search`, `helpdesk export`: the insight commands (thin CLI wiring).

cli.py calls `add_parsers(sub)` and merges `COMMANDS`; every command reads the store, never writes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..argtypes import parse_now
from ..clock import Clock

if TYPE_CHECKING:  # the settings and the store come with the command, not with `helpdesk --help`
    from ..app import App
    from ..config import Settings


def _month(value: str) -> str:
    # Years as `helpdesk deadline` takes them: month arithmetic past 9999 raised a traceback.
    if not re.fullmatch(r"(19[5-9]\d|2\d{3})-(0[1-9]|1[0-2])", value):
        raise argparse.ArgumentTypeError("expected YYYY-MM, e.g. 2026-11")
    return value


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected YYYY-MM-DD, e.g. 2026-11-01") from None


def _output(value: str) -> Path:
    """A file to write: its folder must exist (checked before any work, not by a traceback after)."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a folder; name a file in it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist")
    return path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register report, search and export on the `helpdesk` parser."""
    rep = sub.add_parser("report", help="monthly service-standard report")
    rep.add_argument("--now", type=parse_now, help="compute as of this instant (default: the clock)")
    who = rep.add_mutually_exclusive_group(required=True)
    who.add_argument("--office", help="office code, e.g. 3576")
    who.add_argument("--all-offices", action="store_true", help="one row per office")
    rep.add_argument("--month", type=_month, help="YYYY-MM (default: the previous month)")
    rep.add_argument(
        "--format",
        choices=("text", "html", "csv"),
        default="text",
        help="text for reading, html with charts, csv for a spreadsheet (default: text)",
    )
    rep.add_argument("--output", "-o", type=_output, help="write to this file instead of standard output")
    srch = sub.add_parser("search", help="search answered consultations")
    srch.add_argument("query", help='words to look for, e.g. "inflasi 2025"')
    srch.add_argument("--office", help="only this office (default: every office)")
    srch.add_argument("--limit", "-k", type=int, default=10, help="at most this many results (default: 10)")
    srch.add_argument("--json", action="store_true", help="one JSON object a line")
    exp = sub.add_parser("export", help="tickets and events as CSV or JSON lines")
    exp.add_argument(
        "--format", choices=("csv", "jsonl"), default="csv", help="csv (default) or jsonl: one JSON object a line"
    )
    exp.add_argument("--since", type=_date, help="YYYY-MM-DD: received or changed since")
    exp.add_argument("--office", help="only this office (default: every office)")
    exp.add_argument("--events", action="store_true", help="csv: one row per event instead of per ticket")
    exp.add_argument("--output", "-o", type=_output, help="write to this file instead of standard output")
    exp.add_argument("--now", type=parse_now, help="judge outcomes as of this instant")


def _write(chunks: Iterable[str], output: str | None) -> None:
    out: TextIO
    if output:
        with Path(output).open("w", encoding="utf-8", newline="") as out:
            out.writelines(chunks)
    else:
        sys.stdout.writelines(chunks)


def _app(settings: Settings, clock: Clock) -> App:
    from ..app import App

    return App.build(settings, clock)


def _check_office(settings: Settings, code: str | None) -> None:
    if code is not None and code not in {o.code for o in settings.offices}:
        raise SystemExit(f"no office {code!r}; configured: {', '.join(o.code for o in settings.offices)}")


def cmd_report(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .figures import MonthTally, previous_month  # not .monthly: its mail builders are not needed here
    from .render import all_offices_text, report_csv, report_html, report_text

    _check_office(settings, args.office)
    app = _app(settings, clock)
    now = clock.now()
    tallies = {
        o.code: MonthTally(o, app.calendar(o), args.month or previous_month(now.astimezone(o.tz).date()), now)
        for o in settings.offices
        if args.all_offices or o.code == args.office
    }
    for ticket in app.store.all_tickets():  # one pass, whatever the number of offices
        if ticket.office in tallies:
            tallies[ticket.office].add(ticket)
    reports = [t.figures() for t in tallies.values()]
    if args.format == "csv":
        text = report_csv(reports, totals_only=args.all_offices)
    elif args.format == "html":
        text = report_html(reports)
    else:
        text = all_offices_text(reports) if args.all_offices else report_text(reports[0])
    _write([text], args.output)
    return 0


def cmd_search(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .search import search

    _check_office(settings, args.office)
    app = _app(settings, clock)
    hits = search(app, args.query, office=args.office, k=args.limit)
    lines = []
    for rank, hit in enumerate(hits, start=1):
        c = hit.consultation
        if args.json:
            lines.append(
                json.dumps(
                    {
                        "rank": rank,
                        "score": round(hit.score, 3),
                        "number": c.number,
                        "office": c.office,
                        "public": c.public,
                        "subject": c.subject,
                        "question": c.question,
                        "answer": c.answer,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
            continue
        mark = "publik" if c.public else "internal"
        lines.append(
            f"{rank}. {c.number}  [{mark}]  skor {hit.score:.2f}  {c.subject}\n   Jawaban: {hit.answer_excerpt[:300]}\n"
        )
    if not hits and not args.json:
        lines.append("(tidak ada konsultasi yang cocok)\n")
    _write(lines, None)
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    from . import export

    _check_office(settings, args.office)
    app = _app(settings, clock)
    offices = {o.code: o for o in settings.offices}
    tickets = list(export.select(app.store.all_tickets(), offices, args.since, args.office))
    if args.format == "jsonl":
        chunks = export.jsonl(tickets, offices)
    elif args.events:
        chunks = export.events_csv(tickets, offices, args.since)
    else:
        calendars = {code: app.calendar(o) for code, o in offices.items()}
        chunks = export.tickets_csv(tickets, offices, calendars, clock.now())
    _write(chunks, args.output)
    return 0


COMMANDS = {"report": cmd_report, "search": cmd_search, "export": cmd_export}
