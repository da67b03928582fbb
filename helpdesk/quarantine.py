"""`helpdesk quarantine list | show KEY | retry KEY | drop KEY`: mail set aside, operable by a human.

A mail that failed three times is quarantined (inbound.intake). Once its cause is mended (a fixed
template, a corrected rule), `retry` runs it through the pipeline again from the spool; `drop`
takes it off the list (the raw mail stays in the spool). Both write the store, so they take the
data folder's lock: with the daemon running they say so and change nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .argtypes import EXIT_QUARANTINED
from .clock import Clock
from .runlock import AlreadyRunning, single_instance

if TYPE_CHECKING:  # the store and its records come with the command, not with `helpdesk --help`
    from .app import App
    from .config import Settings
    from .tickets.records import QuarantineEntry


def add_parser(sub: argparse._SubParsersAction) -> None:
    q = sub.add_parser("quarantine", help="mail set aside after three failures: list, show, retry, drop")
    actions = q.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every quarantined mail: key, office, when, sender, reason")
    for name, what in (
        ("show", "one quarantined mail: its headers, the reason and where the copy is"),
        ("retry", "run the mail through the pipeline again (after mending the cause)"),
        ("drop", "take the mail off the list; its raw copy stays in the spool"),
    ):
        action = actions.add_parser(name, help=what, description=what)
        action.add_argument("key", help="the key `quarantine list` shows, e.g. 3576:1700000000:42")


def cmd_quarantine(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    import difflib

    from .app import App

    app = App.build(settings, clock)
    if args.action == "list":
        print(list_text(app))
        return 0
    entries = [e.key for e in app.store.quarantined()]
    if args.key not in entries:
        near = difflib.get_close_matches(args.key, entries, 1)
        hint = f"; did you mean {near[0]}?" if near else f"; {len(entries)} quarantined (see `quarantine list`)"
        print(f"no quarantined mail {args.key}{hint}", file=sys.stderr)
        return 1
    if args.action == "show":
        print(show_text(app, args.key))
        return 0
    try:
        with single_instance(Path(settings.data_dir)):
            app = App.build(settings, clock)  # read again under the lock: the store is ours now
            entry = app.store.quarantined_entry(args.key)
            if entry is None:  # another command took it between the look above and the lock
                print(f"no quarantined mail {args.key}", file=sys.stderr)
                return 1
            if args.action == "drop":
                app.store.drop_quarantined(entry)
                app.store.commit()
                print(f"dropped {args.key}")
                return 0
            return retry(app, entry)
    except AlreadyRunning as exc:
        print(f"{exc}; stop it first, then {args.action}, then start it again", file=sys.stderr)
        return 4


def retry(app: App, quarantined: QuarantineEntry) -> int:
    """Put the mail back in flight with fresh attempts and process it now; its mail goes out with
    the next `helpdesk run` (or run --once)."""
    from .inbound.intake import Intake  # the whole mail stack: only a retry needs it

    store, key = app.store, quarantined.key
    entry = store.retry_quarantined(quarantined)
    Intake(app).process_pending(entry.office)
    if again := store.quarantined_entry(key):
        print(f"{key} failed again and is back in quarantine: {again.reason}", file=sys.stderr)
        return EXIT_QUARANTINED
    if still := store.in_flight_entry(entry.office, key):
        print(f"{key} failed again ({still.last_error}); the daemon retries it", file=sys.stderr)
        return EXIT_QUARANTINED
    from .kinds import MailState

    queued = len(store.outgoing(states=[MailState.QUEUED]))
    print(f"{key} processed; {queued} mail(s) queued, sent by the next `helpdesk run`")
    return 0


def _headers(app: App, entry: QuarantineEntry) -> tuple[str, str]:
    from .inbound.parse import parse

    try:
        mail = parse(app.spool.read(entry.spool), entry.received_at)
        return mail.from_addr, mail.subject
    except Exception:  # noqa: BLE001 - a quarantined mail may well not parse: show what is known
        return "(tidak terbaca)", ""


def _when_set_aside(entry: QuarantineEntry) -> str:
    return entry.quarantined_at.isoformat() if entry.quarantined_at else ""


def list_text(app: App) -> str:
    rows = []
    for entry in sorted(app.store.quarantined(), key=_when_set_aside):
        office = app.settings.office(entry.office)
        sender, subject = _headers(app, entry)
        when = entry.received_at.astimezone(office.tz)
        rows.append(
            {
                "key": entry.key,
                "received_at": f"{when:%Y-%m-%d %H:%M} {office.zone_label}",
                "sender": sender,
                "subject": subject[:40],
                "reason": entry.reason[:60],
            }
        )
    if not rows:
        return "no quarantined mail"
    from .views import table

    return table(rows, ["key", "received_at", "sender", "subject", "reason"])


def show_text(app: App, key: str) -> str:
    entry = app.store.quarantined_entry(key)
    assert entry is not None
    office = app.settings.office(entry.office)
    sender, subject = _headers(app, entry)
    received = entry.received_at.astimezone(office.tz)
    lines = [
        f"key       : {key}",
        f"office    : {office.code} {office.name}",
        f"received  : {received:%Y-%m-%d %H:%M:%S} {office.zone_label}",
        f"from      : {sender}",
        f"subject   : {subject}",
        f"attempts  : {entry.attempts}",
        f"reason    : {entry.reason}",
        f"raw mail  : {Path(app.settings.data_dir) / 'spool' / entry.copy}",
    ]
    return "\n".join(lines)
