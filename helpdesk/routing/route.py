"""Step: route a new ticket by the rules, then pick its operator (stage 4).

Runs before the acknowledgement, because a rule may change reply_days and the citizen must be
promised the deadline that will actually be kept. Every reason is logged and kept on the ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from ..app import App
from ..config import Settings
from ..kinds import EventType
from ..model import InboundMail, Ticket, TicketEvent
from ..sla.deadlines import deadline_from
from ..step import Context
from ..tickets.officemeta import OfficeMeta
from .assign import Assignment, assign
from .conditions import MailView
from .match import Decision, decide
from .rules import RulesError, RuleSet, load_rules

log = logging.getLogger(__name__)
_cache: dict[Path, tuple[tuple[tuple[str, float], ...], RuleSet]] = {}
_checked: dict[Path, datetime] = {}
RECHECK = timedelta(seconds=2)  # an edited rule file is picked up within this; not a stat per mail


def rules_for(settings: Settings, now: datetime) -> RuleSet:
    """The rules, re-read when a file in rules_dir changes (an edit needs no restart); the files
    are looked at again once `now` (the app's clock) is RECHECK past the last look, or went back.

    `helpdesk check` names a broken rule's file and line; the daemon refuses to start with one."""
    directory = settings.rules_dir  # a Path already: making one for every mail cost more than the lookup
    if not isinstance(directory, Path):
        directory = Path(directory)
    cached, checked = _cache.get(directory), _checked.get(directory)
    if cached is not None and checked is not None and timedelta(0) <= now - checked < RECHECK:
        return cached[1]
    _checked[directory] = now
    stamp = tuple((p.name, p.stat().st_mtime) for p in sorted(directory.glob("*.toml"))) if directory.is_dir() else ()
    cached = _cache.get(directory)
    if cached is None or cached[0] != stamp:
        try:
            cached = (stamp, load_rules(directory))
        except RulesError as exc:
            if cached is None:
                raise
            # A broken edit while running: keep routing by the last good rules, and say so.
            log.error(
                "rules in %s not reloaded, the previous ones stay in use: %s",
                directory,
                "; ".join(exc.problems),
            )
            cached = (stamp, cached[1])
        _cache[directory] = cached
    return cached[1]


def decide_for(settings: Settings, mail: InboundMail, office: str, now: datetime) -> Decision:
    rules, default = rules_for(settings, now).for_office(office)
    decision = decide(rules, default, MailView.of(mail, office))
    if not decision.team and not decision.operator:
        # No rules of its own (the packaged neutral ones name no team): the office's first team.
        first = first_team(settings, office)
        if first:
            decision.team, decision.set_by["team"] = first, "first team"
            decision.reasons.append(f"no rule chose a team: the office's first team {first!r}")
    return decision


def first_team(settings: Settings, office: str) -> str:
    """The office's first `[[teams]]` entry, else its first operator's team ("" with neither)."""
    return next(
        (t.name for t in settings.teams_of(office)),
        next((op.team for op in settings.operators_of(office)), ""),
    )


def pick_operator(
    app: App,
    office: str,
    team: str,
    operator: str,
    now: datetime,
    pending: OfficeMeta | None = None,
) -> Assignment:
    """Assignment against the store's open tickets, last assignments and today's absences.

    `pending` holds this mail's own not yet applied meta changes (a Context's `meta`)."""
    settings = app.settings
    day = now.astimezone(settings.office(office).tz).date()

    stored = app.store.office_meta(office)
    changes = pending or OfficeMeta()

    return assign(
        office=office,
        team=team,
        operator=operator,
        # Only the office's own: assign keeps those of `office` alone, and a scan of every
        # office's staff for every mail grew with the number of offices.
        operators=settings.operators_of(office),
        teams=settings.teams_of(office),
        tickets=_OpenTickets(app, office),
        day=day,
        auto_replies={**stored.auto_replies, **changes.auto_replies},
        last=changes.round_robin.get(team, stored.round_robin.get(team, "")),
    )


class _OpenTickets:
    """The office's open tickets, read from the store only if assignment needs them."""

    def __init__(self, app: App, office: str) -> None:
        self.app, self.office = app, office

    def __iter__(self) -> Iterator[Ticket]:
        return iter(self.app.store.open_tickets(self.office))


def reassign(ctx: Context, ticket: Ticket, why: str) -> Assignment:
    """Give `ticket` to the next available operator of its team, recorded as an internal event.

    Returns the assignment; when nobody is available the ticket is left as it was."""
    chosen = pick_operator(ctx.app, ctx.office.code, ticket.team, "", ctx.now, ctx.meta)
    if not chosen.operator:
        return chosen
    was, ticket.assignee = ticket.assignee, chosen.operator
    remember(ctx, ticket.team, chosen.operator)
    ticket.events.append(
        TicketEvent(
            at=ctx.now,
            type=EventType.ASSIGNED,
            actor="helpdesk",
            summary=f"{was or '-'} -> {chosen.operator} ({why})",
            data={"from": was, "to": chosen.operator, "reason": chosen.reason, "internal": True},
        )
    )
    return chosen


def remember(ctx: Context, team: str, operator: str) -> None:
    """The team's last assignment, committed with the ticket: the next round robin turn."""
    if team and operator:
        ctx.meta.round_robin[team] = operator


def apply_decision(ticket: Ticket, decision: Decision) -> None:
    ticket.team = decision.team
    ticket.category = decision.category
    ticket.priority = decision.priority
    ticket.tags = list(dict.fromkeys(ticket.tags + decision.tags))
    if decision.reply_days:
        ticket.reply_days = decision.reply_days


def route(ctx: Context) -> None:
    """Rules -> team, category, priority, reply_days, tags; then the operator."""
    ticket = ctx.ticket
    assert ticket is not None
    decision = decide_for(ctx.app.settings, ctx.mail, ctx.office.code, ctx.now)
    # Each rule's verdict at DEBUG (`route --explain` shows them too); the result is logged at INFO
    # by the pipeline's note.
    if log.isEnabledFor(logging.DEBUG):
        for reason in decision.reasons:
            log.debug("%s routing: %s", ticket.number, reason)
    apply_decision(ticket, decision)
    if decision.reply_days and decision.reply_days != ctx.office.reply_days:
        ticket.clock_started_at, ticket.due_at = deadline_from(ctx, ticket.received_at, decision.reply_days)
        ctx.note(f"rules set reply_days={decision.reply_days}: due {ticket.due_at.isoformat()}")
    chosen = pick_operator(ctx.app, ctx.office.code, decision.team, decision.operator, ctx.now, ctx.meta)
    ticket.assignee = chosen.operator
    remember(ctx, decision.team, chosen.operator)
    ticket.events.append(
        TicketEvent(
            at=ctx.now,
            type=EventType.ROUTED,
            actor="helpdesk",
            summary=f"team {decision.team or '-'}, operator {chosen.operator or '-'}",
            data={
                "team": decision.team,
                "operator": chosen.operator,
                "category": decision.category,
                "priority": decision.priority,
                "reply_days": decision.reply_days,
                "tags": decision.tags,
                "rules": decision.matched,
                "reasons": decision.reasons,
                "assignment": chosen.reason,
                "internal": True,
            },
        )
    )
    ctx.note(
        f"routed {ticket.number}: team={decision.team or '-'} category={decision.category or '-'} "
        f"rules={decision.matched}; assignee {chosen.operator or 'none'} ({chosen.reason})"
    )
