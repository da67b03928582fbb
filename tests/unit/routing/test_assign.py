"""Assignment: round robin from the store's newest ticket, fewest open, absentees skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from helpdesk.config import Operator, Team
from helpdesk.model import Status, Ticket
from helpdesk.routing.assign import assign

DAY = date(2026, 11, 23)
A = Operator("Ani Lestari", "ani@bps.go.id", "3576", "konsultasi")
B = Operator("Budi", "budi@bps.go.id", "3576", "konsultasi", absent=(date(2026, 11, 24),))
C = Operator("Citra", "citra@bps.go.id", "3576", "konsultasi")
P = Operator("Putri", "putri@bps.go.id", "3576", "pengaduan")
K = Operator("Kediri", "k@bps.go.id", "3571", "konsultasi")
STAFF = (A, B, C, P, K)


def ticket(
    n: int,
    assignee: str,
    team: str = "konsultasi",
    status: Status = Status.OPEN,
    office: str = "3576",
) -> Ticket:
    return Ticket(
        number=f"PST-{office}-2026-{n:06d}",
        office=office,
        requester="w@x.org",
        subject="s",
        received_at=datetime(2026, 11, 23, tzinfo=UTC),
        assignee=assignee,
        team=team,
        status=status,
    )


def pick(tickets=(), team="konsultasi", operator="", day=DAY, away=None, strategy="round_robin", last=""):
    return assign(
        office="3576",
        team=team,
        operator=operator,
        operators=STAFF,
        teams=(Team("konsultasi", "3576", strategy),),
        tickets=tickets,
        day=day,
        auto_replies=away or {},
        last=last,
    )


@pytest.mark.parametrize(
    "tickets, expected",
    [
        ([], "ani@bps.go.id"),
        ([ticket(1, "ani@bps.go.id")], "budi@bps.go.id"),
        ([ticket(1, "ani@bps.go.id"), ticket(2, "budi@bps.go.id")], "citra@bps.go.id"),
        (
            [ticket(2, "ani@bps.go.id"), ticket(3, "citra@bps.go.id")],
            "ani@bps.go.id",
        ),  # wraps around
        (
            [ticket(5, "citra@bps.go.id"), ticket(4, "ani@bps.go.id")],
            "ani@bps.go.id",
        ),  # newest number counts
        (
            [ticket(1, "citra@bps.go.id", status=Status.CLOSED)],
            "ani@bps.go.id",
        ),  # only open tickets
        ([ticket(1, "budi@bps.go.id", team="pengaduan")], "ani@bps.go.id"),  # only this team
        ([ticket(1, "ani@bps.go.id", office="3571")], "ani@bps.go.id"),  # only this office
    ],
)
def test_round_robin(tickets, expected):
    assert pick(tickets).operator == expected


def test_round_robin_passes_an_absentees_turn_to_the_next():
    chosen = pick([ticket(1, "ani@bps.go.id")], day=date(2026, 11, 24))
    assert chosen.operator == "citra@bps.go.id"
    assert chosen.reason.startswith("budi@bps.go.id is on leave 2026-11-24; team 'konsultasi', round robin")


@pytest.mark.parametrize(
    "tickets, away, expected",
    [
        ([], {}, "ani@bps.go.id"),  # tie: settings order
        ([ticket(1, "ani@bps.go.id")], {}, "budi@bps.go.id"),
        (
            [ticket(1, "ani@bps.go.id"), ticket(2, "budi@bps.go.id"), ticket(3, "ani@bps.go.id")],
            {},
            "citra@bps.go.id",
        ),
        (
            [
                ticket(1, "citra@bps.go.id", status=Status.CLOSED),
                ticket(2, "ani@bps.go.id"),
                ticket(3, "budi@bps.go.id"),
            ],
            {},
            "citra@bps.go.id",
        ),
        ([], {"ani@bps.go.id": "2026-11-23"}, "budi@bps.go.id"),  # out of office today
        ([], {"ani@bps.go.id": "2026-11-20"}, "ani@bps.go.id"),  # ... but that was Friday
    ],
)
def test_fewest_open(tickets, away, expected):
    assert pick(tickets, away=away, strategy="fewest_open").operator == expected


def test_out_of_office_reply_today_is_named_in_the_reason():
    chosen = pick(away={"ani@bps.go.id": "2026-11-23"})
    assert chosen.operator == "budi@bps.go.id"
    assert "ani@bps.go.id sent an out-of-office auto-reply today" in chosen.reason


def test_nobody_available_leaves_the_ticket_unassigned():
    away = {a: "2026-11-24" for a in ("ani@bps.go.id", "citra@bps.go.id")}
    chosen = pick(day=date(2026, 11, 24), away=away)
    assert chosen.operator == ""
    assert chosen.reason.endswith("nobody in team 'konsultasi' is available")


@pytest.mark.parametrize(
    "team, operator, day, expected, reason_end",
    [
        (
            "konsultasi",
            "putri@bps.go.id",
            DAY,
            "putri@bps.go.id",
            "named by the rules: putri@bps.go.id",
        ),
        (
            "",
            "budi@bps.go.id",
            date(2026, 11, 24),
            "ani@bps.go.id",
            "round robin: first in the team",
        ),
        ("konsultasi", "k@bps.go.id", DAY, "ani@bps.go.id", "round robin: first in the team"),
        ("pengaduan", "nobody@bps.go.id", DAY, "putri@bps.go.id", "round robin: first in the team"),
        ("sensus", "", DAY, "", "team 'sensus' has no operators in office 3576"),
        ("", "", DAY, "", "no team decided"),
    ],
)
def test_named_operator_and_fallbacks(team, operator, day, expected, reason_end):
    chosen = pick(team=team, operator=operator, day=day)
    assert chosen.operator == expected
    assert chosen.reason.endswith(reason_end)


def test_round_robin_follows_the_last_assignment_even_when_its_ticket_closed():
    # A small office closes tickets the same day: the pointer, not the open tickets, decides.
    chosen = pick([ticket(1, "ani@bps.go.id", status=Status.CLOSED)], last="citra@bps.go.id")
    assert chosen.operator == "ani@bps.go.id"
    assert chosen.reason.endswith("round robin: after citra@bps.go.id (the team's last assignment)")
    assert pick(last="someone.gone@bps.go.id").operator == "ani@bps.go.id"  # pointer to a leaver
