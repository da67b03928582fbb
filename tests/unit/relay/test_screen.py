"""The relay's checks on their own (relay.screen), and the order relay.relay runs them in."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from helpdesk.config import Operator
from helpdesk.model import Status, Ticket, TicketEvent
from helpdesk.relay import screen
from helpdesk.relay.commands import parse_commands
from helpdesk.relay.relay import STEPS
from helpdesk.relay.screen import Refused, Reply, check_request, resolve_operator

RINA = Operator("Rina Wulandari", "rina@bps.go.id", "3576")
RINI = Operator("Rini Astuti", "rini@bps.go.id", "3576")
DIMAS = Operator("Dimas Prasetyo", "dimas@bps.go.id", "3576")
AGUS = Operator("Agus Kediri", "agus@bps.go.id", "3571")
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def context(ticket: Ticket | None = None, attachments: tuple = ()) -> SimpleNamespace:
    settings = SimpleNamespace(operators=(RINA, RINI, DIMAS, AGUS))
    return SimpleNamespace(
        app=SimpleNamespace(settings=settings),
        office=SimpleNamespace(code="3576"),
        mail=SimpleNamespace(attachments=list(attachments)),
        ticket=ticket,
    )


@pytest.mark.parametrize(
    "target, found",
    [
        ("dimas@bps.go.id", DIMAS),
        ("<DIMAS@bps.go.id>", DIMAS),
        ("Rina Wulandari", RINA),
        ("dimas", DIMAS),
        ("rina", RINA),  # Rini is another first name
        ("Agus", None),  # an operator of another office
        ("Budi", None),
    ],
)
def test_alihkan_names_one_operator_of_this_office(target, found):
    assert resolve_operator(context(), target) == found


def test_an_ambiguous_first_name_names_nobody():
    twin = Operator("Rina Susanti", "rina.s@bps.go.id", "3576")
    ctx = context()
    ctx.app.settings.operators += (twin,)
    assert resolve_operator(ctx, "rina") is None
    assert resolve_operator(ctx, "rina susanti") == twin


def ticket(**kw) -> Ticket:
    given = {"number": "PST-3576-2026-000001", "office": "3576", "requester": "warga@example.org"} | kw
    return Ticket(**given, subject="Data", received_at=NOW)


def problem(text: str, t: Ticket, attachments: tuple = ()) -> str:
    reply = Reply(context(t, attachments), operator=RINA, commands=parse_commands(text))  # type: ignore[arg-type]
    try:
        check_request(reply)
    except Refused as no:
        assert (no.number, no.tell) == (t.number, (RINA,))
        return no.reason
    return ""


ANSWERED = TicketEvent(at=NOW, type="reply", data={"text": "Jawaban lama."})


@pytest.mark.parametrize(
    "text, t, said",
    [
        ("Jawaban.", ticket(), ""),
        ("#publik", ticket(), "#publik: belum ada jawaban"),
        ("#publik", ticket(events=[ANSWERED]), ""),
        ("Jawaban.", ticket(requester=""), "tidak punya alamat pengguna"),
        ("#catatan\nUntuk arsip.", ticket(requester=""), ""),
        ("Satu hal lagi.", ticket(status=Status.CLOSED), "sudah ditutup"),
        ("#catatan\nUntuk arsip.", ticket(status=Status.CLOSED), ""),
        ("#alihkan rina\nMohon dibantu.", ticket(), ""),
    ],
)
def test_a_reply_that_must_not_act_is_refused_with_its_reason(text, t, said):
    reason = problem(text, t)
    assert (said in reason) if said else reason == ""


def test_the_hand_over_target_is_resolved_once_for_the_effects():
    reply = Reply(context(ticket()), operator=RINA, commands=parse_commands("#alihkan Dimas"))  # type: ignore[arg-type]
    check_request(reply)
    assert reply.assignee == DIMAS


def test_every_check_runs_before_any_effect():
    modules = [step.__module__ for step in STEPS]
    checks = [i for i, m in enumerate(modules) if m == screen.__name__]
    assert checks == list(range(len(checks))) and 0 < len(checks) < len(STEPS)
