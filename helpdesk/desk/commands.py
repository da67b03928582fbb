"""Step: an operator's command mailed fresh to the office, answered by mail (operator toolbox).

The command is the subject: `#bantuan` (`#help`), `#daftar` (`#list`), `#daftar kantor`
(`#list office`, supervisors), `#cari WORDS` (`#search`), `#cari semua WORDS` (`#search all`).
Only an operator desk.access trusts gets an answer, always at their configured address, from the
office, with their command address as Reply-To. Anyone else gets nothing; the operator whose
address a refused mail used is told (relay.refusal, rate-limited).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..config import Operator
from ..insight.search import search
from ..kinds import Purpose
from ..outbound import tokens
from ..outbound.notices import signed_headers, to_staff
from ..relay.refusal import refuse, within_limit
from ..step import Context
from . import access
from .texts import QueueItem, help_text, queue_text, search_text

if TYPE_CHECKING:
    from ..insight.consultations import Hit  # numpy behind it: loaded at the first search

ALIASES = {"bantuan": "help", "help": "help", "daftar": "list", "list": "list", "cari": "search", "search": "search"}
WHOLE = {"list": ("kantor", "office"), "search": ("semua", "all")}  # first word widening the command
RESULTS = 10
REPLIES_PER_DAY = 100  # desk replies to one operator a day: a leaked command address must not flood them
_SUBJECT = re.compile(r"\s*#([A-Za-z]+)\b(.*)", re.DOTALL)


def command_in(subject: str) -> tuple[str, bool, str] | None:
    """(command, whole office/server, argument) when the subject is a desk command, else None."""
    m = _SUBJECT.fullmatch(subject or "")
    name = ALIASES.get(m.group(1).lower()) if m else None
    if m is None or name is None:
        return None
    arg = " ".join(m.group(2).split())
    first, _, rest = arg.partition(" ")
    if first.lower() in WHOLE.get(name, ()):
        return name, True, rest
    return name, False, arg


def handle(ctx: Context) -> None:
    """Run the subject's command for a trusted operator; refuse anyone else (nothing to them)."""
    name, whole, arg = command_in(ctx.mail.subject) or ("help", False, "")
    verdict = access.check(ctx.mail, ctx.app.settings, ctx.office.code)
    if not verdict.ok:
        tell = (verdict.operator,) if verdict.operator and verdict.told else ()
        told = verdict.told
        if tell and verdict.operator.office == ctx.office.code:  # type: ignore[union-attr]
            told += f" Alamat perintah Anda: {command_address(ctx, verdict.operator)}"  # type: ignore[arg-type]
        refuse(ctx, f"desk command #{name}: {verdict.reason}", None, tell, told=told)
        return
    operator = verdict.operator
    assert operator is not None
    ctx.note(f"desk command #{name}{' (whole)' if whole else ''} from {operator.address}: {verdict.reason}")
    if name == "list":
        if whole and operator.address not in {a.lower() for a in ctx.office.supervisors}:
            refuse(
                ctx,
                f"#daftar kantor by {operator.address}, who is no supervisor of {ctx.office.code}",
                None,
                (operator,),
                told="#daftar kantor hanya untuk koordinator/supervisor kantor.",
            )
            return
        subject, body = "Daftar tiket terbuka", queue_text(ctx.office, queue(ctx, operator, whole), whole)
    elif name == "search":
        if not arg:
            refuse(
                ctx,
                "#cari without words",
                None,
                (operator,),
                told="#cari perlu kata kunci, misalnya #cari inflasi Mojokerto 2025.",
            )
            return
        offices = {o.code: o for o in ctx.app.settings.offices}
        hits = search_offices(ctx, arg, list(offices) if whole else [ctx.office.code])
        subject, body = f"Hasil #cari: {arg}", search_text(offices, arg, hits)
    else:
        subject = "Bantuan perintah PST Helpdesk"
        body = help_text(ctx.app.saved_answers, command_address(ctx, operator))
    if not within_limit(ctx, "desk_reply", operator.address, REPLIES_PER_DAY):
        ctx.note(f"desk reply to {operator.address} skipped: {REPLIES_PER_DAY} already sent today")
        return
    ctx.send(
        to_staff(
            ctx.app,
            ctx.office,
            [operator.address],
            "desk_reply",
            Purpose.DESK_REPLY,
            ctx.now,
            reply_to=command_address(ctx, operator),
            in_reply_to=ctx.mail.message_id,
            operator_name=operator.name,
            subject=subject,
            body=body,
        )
    )
    ctx.note(f"desk reply to {operator.address} queued")


def search_offices(ctx: Context, text: str, codes: list[str]) -> list[Hit]:
    """The best answered consultations of these offices. Each office's own index, the one its
    notifications keep warm, is searched and the hits merged by score: one index of every office
    would be built from scratch for a single #cari semua (18 s at 50,000 consultations)."""
    hits = [hit for code in codes for hit in search(ctx.app, text, code, RESULTS)]
    return sorted(hits, key=lambda h: -h.score)[:RESULTS]


def command_address(ctx: Context, operator: Operator) -> str:
    return tokens.desk_address(ctx.office.address, ctx.app.settings.secret, operator.address)


def queue(ctx: Context, operator: Operator, whole: bool) -> list[QueueItem]:
    """The office's open tickets assigned to `operator` (every one of them with `whole`); each with
    the signed reply address of its assignee, so a supervisor's list shows whose ticket it is."""
    with ctx.app.store.lock:
        tickets = [
            t
            for t in ctx.app.store.hot_tickets(ctx.office.code)
            if t.status.value != "closed" and (whole or t.assignee == operator.address)
        ]
    items = []
    for t in tickets:
        # A ticket answers only to its assignee's token: the list shows that address, so only the
        # assignee's reply from it is trusted (a supervisor uses #alihkan first).
        _, reply = signed_headers(ctx.app, ctx.office, t.number, t.assignee) if t.assignee else ("", "-")
        items.append(
            QueueItem(
                t.number,
                t.subject,
                f"{t.requester_name} <{t.requester}>".strip(),
                t.status.value,
                t.due_at,
                t.assignee,
                reply,
            )
        )
    return items
