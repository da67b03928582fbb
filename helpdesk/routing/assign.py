"""Team -> operator: round robin or fewest open tickets, skipping whoever is away (stage 4, pure).

Round robin goes on after whoever the team's last ticket went to: the caller passes that (kept in
the store's meta, committed with the ticket); without it, after the assignee of the team's newest
open ticket. Nobody available leaves the ticket unassigned; the supervisors' digest lists it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ..config import Operator, Team
from ..model import Status, Ticket


@dataclass(frozen=True)
class Assignment:
    """Who gets the ticket ("" for nobody) and why."""

    operator: str
    reason: str


def absence(op: Operator, day: date, auto_replies: Mapping[str, str]) -> str | None:
    """Why this operator is away on `day` (office-local), or None when they are in."""
    if day in op.absent:
        return f"{op.address} is on leave {day.isoformat()}"
    if auto_replies.get(op.address) == day.isoformat():
        return f"{op.address} sent an out-of-office auto-reply today"
    return None


def members(team: str, office: str, operators: Iterable[Operator]) -> list[Operator]:
    """The team's operators in settings order (the order round robin follows)."""
    return [op for op in operators if op.office == office and op.team == team]


def strategy_of(team: str, office: str, teams: Iterable[Team]) -> str:
    return next((t.strategy for t in teams if t.office == office and t.name == team), "round_robin")


def _open(tickets: Iterable[Ticket], office: str) -> list[Ticket]:
    return [t for t in tickets if t.office == office and t.status is not Status.CLOSED]


def _round_robin(
    candidates: list[Operator],
    everyone: list[Operator],
    open_tickets: Callable[[], list[Ticket]],
    team: str,
    last: str,
) -> tuple[Operator, str]:
    addresses = [op.address for op in everyone]
    if last in addresses:
        after, why = last, f"after {last} (the team's last assignment)"
    else:
        recent = sorted(
            (t for t in open_tickets() if t.team == team and t.assignee in addresses),
            key=lambda t: t.number,
        )
        if not recent:
            return candidates[0], "round robin: first in the team"
        after, why = recent[-1].assignee, f"after {recent[-1].assignee} ({recent[-1].number})"
    start = addresses.index(after)
    # Walk the whole team in order after the last one, so an absentee's turn passes to the next.
    for step in range(1, len(everyone) + 1):
        op = everyone[(start + step) % len(everyone)]
        if op in candidates:
            return op, f"round robin: {why}"
    return candidates[0], "round robin"


def _fewest_open(candidates: list[Operator], tickets: list[Ticket]) -> tuple[Operator, str]:
    counts = {op.address: 0 for op in candidates}
    for t in tickets:
        if t.assignee in counts:
            counts[t.assignee] += 1
    best = min(candidates, key=lambda op: counts[op.address])  # min keeps settings order on ties
    return best, f"fewest open: {best.address} has {counts[best.address]} open"


def assign(
    *,
    office: str,
    team: str,
    operator: str,
    operators: Sequence[Operator],
    teams: Sequence[Team],
    tickets: Iterable[Ticket],
    day: date,
    auto_replies: Mapping[str, str],
    last: str = "",
) -> Assignment:
    """Pick an operator for a ticket routed to `team` (or named `operator`) in `office` on `day`."""
    notes = []
    if operator:
        named = next((op for op in operators if op.address == operator and op.office == office), None)
        if named is None:
            notes.append(f"operator {operator} is not configured for office {office}")
        else:
            away = absence(named, day, auto_replies)
            if away is None:
                return Assignment(named.address, f"named by the rules: {named.address}")
            notes.append(away)
            team = team or named.team
    if not team:
        return Assignment("", "; ".join(notes + ["no team decided"]))
    everyone = members(team, office, operators)
    if not everyone:
        return Assignment("", "; ".join(notes + [f"team {team!r} has no operators in office {office}"]))
    absent = {op.address: absence(op, day, auto_replies) for op in everyone}
    notes += [why for why in absent.values() if why]
    candidates = [op for op in everyone if absent[op.address] is None]
    if not candidates:
        return Assignment("", "; ".join(notes + [f"nobody in team {team!r} is available"]))
    if strategy_of(team, office, teams) == "fewest_open":
        chosen, why = _fewest_open(candidates, _open(tickets, office))
    else:
        # The open tickets are walked only when the team's last assignment is not remembered.
        chosen, why = _round_robin(candidates, everyone, lambda: _open(tickets, office), team, last)
    return Assignment(chosen.address, "; ".join(notes + [f"team {team!r}, {why}"]))
