"""Mail that became no ticket, counted, listed and pulled in by hand: `mails --not-ticketed`, `ticket-from`.

A rule can misjudge a citizen (a web form that sets Auto-Submitted, say): nothing vanishes unseen.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import Clock

if TYPE_CHECKING:
    from .config import Settings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    mails = sub.add_parser("mails", help="mail that became no ticket, with the reason")
    mails.add_argument(
        "--not-ticketed",
        action="store_true",
        required=True,
        help="list the mail that made no ticket (the only listing for now)",
    )
    mails.add_argument("--since", type=datetime.fromisoformat, help="received at or after (ISO 8601)")
    pull = sub.add_parser("ticket-from", help="make a ticket of a mail a rule set aside (stop the daemon first)")
    pull.add_argument("key", help="as `mails --not-ticketed` lists it, e.g. 3576:1:17")


def cmd_mails(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    from .app import App  # with the command, not with `helpdesk --help`

    store = App.build(settings, clock).store
    since = args.since
    if since is not None and since.tzinfo is None:
        since = since.astimezone()
    shown = store.not_ticketed_mails(since=since)
    for r in shown:
        print(
            f"{r.key}  {r.received_at.isoformat()}  {r.reason:<10}  {r.sender or '(no sender)'}  "
            f"{r.subject!r}  ({r.detail})"
        )
    counted = store.not_ticketed_by_reason(since=since)
    print(f"{len(shown)} mails without a ticket" + (f": {counted}" if counted else ""))
    return 0


def cmd_ticket_from(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    # Imported here: the other commands start without the mail-reading stack (issue 12, start-up).
    import asyncio

    from . import pipeline
    from .app import App
    from .inbound.parse import parse
    from .model import Kind, Verdict
    from .outbound.outbox import Outbox
    from .runlock import AlreadyRunning, single_instance
    from .step import Context
    from .tickets.conversation import ThreadMatch

    try:
        # The daemon is the store's one writer: this command writes, so it holds the same lock.
        with single_instance(Path(settings.data_dir)):
            app = App.build(settings, clock)
            record = app.store.not_ticketed_mail(args.key)
            if record is None:
                print(f"no mail {args.key} among those without a ticket", file=sys.stderr)
                return 1
            if record.reason == "duplicate":
                print(f"{args.key} is a second copy of a mail already taken in", file=sys.stderr)
                return 1
            mail = parse(app.spool.read(record.spool), record.received_at, settings.mail_seconds)
            ctx = Context(
                app=app,
                office=settings.office(record.office),
                mail=mail,
                spool_path=record.spool,
                now=clock.now(),
                verdict=Verdict(Kind.NEW, f"pulled in by hand (was {record.reason})"),
                thread=ThreadMatch(None, "pulled in by hand"),
            )
            pipeline.run(ctx)
            app.store.forget_not_ticketed(record)
            app.store.commit()
            outbox = Outbox(app.store, settings.smtp, clock)
            asyncio.run(_drain(outbox))
    except AlreadyRunning:
        print("the daemon is running: stop it (systemctl stop pst-helpdesk), run this, start it again", file=sys.stderr)
        return 4
    print(f"ticket {ctx.ticket.number if ctx.ticket else '?'} opened from {args.key}")
    return 0


async def _drain(outbox: Any) -> None:
    await outbox.start()
    try:
        await outbox.drain()
    finally:
        await outbox.close()


COMMANDS = {"mails": cmd_mails, "ticket-from": cmd_ticket_from}
