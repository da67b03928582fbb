"""Forged operator mail: nothing reaches the citizen, no command runs, it is recorded, the operator told."""

from __future__ import annotations

import pytest

from helpdesk.model import Status
from tests.deskharness import Desk, reply_to, text_of, to_of
from tests.mailfactory import citizen_mail

NUMBER_1, NUMBER_2 = "PST-3576-2026-000001", "PST-3576-2026-000002"


@pytest.fixture
def desk(tmp_path):
    d = Desk(tmp_path)
    d.deliver(citizen_mail(message_id="<q1@example.org>"))  # -> Rina
    d.deliver(citizen_mail(message_id="<q2@example.org>", subject="Data PDRB"))  # -> Dimas (round robin)
    _, d.note1, _, d.note2 = d.take()
    assert to_of(d.note1) == ["rina@bps.go.id"] and to_of(d.note2) == ["dimas@bps.go.id"]
    return d


def token_of(note) -> str:
    return str(note["Reply-To"]).split("-")[-1].split("@")[0]


def assert_nothing_happened(desk: Desk, refusals_to: list[str]) -> list:
    """No mail to a citizen, every ticket still open with its operator; returns the notices."""
    sent = desk.take()
    assert all("warga@example.org" not in to_of(m) for m in sent)
    assert sorted(a for m in sent for a in to_of(m)) == sorted(refusals_to)
    for number, operator in ((NUMBER_1, "rina@bps.go.id"), (NUMBER_2, "dimas@bps.go.id")):
        ticket = desk.ticket(number)
        assert ticket.status is Status.OPEN and ticket.assignee == operator and ticket.due_at is not None
        assert not [e for e in ticket.events if e.type in ("reply", "note", "command", "assigned", "status")]
    return sent


def refused_on(desk: Desk, number: str) -> str:
    [event] = [e for e in desk.ticket(number).events if e.type == "relay_refused"]
    return event.summary


def test_spoofed_operator_from_without_token(desk):
    desk.deliver(
        citizen_mail(
            sender="Rina Wulandari <rina@bps.go.id>",
            subject=f"Re: [{NUMBER_1}] data",
            body="#tutup\nData tidak tersedia.",
        )
    )
    [notice] = assert_nothing_happened(desk, ["rina@bps.go.id"])
    assert "tidak ada kode balasan" in text_of(notice)
    assert refused_on(desk, NUMBER_1) == "no reply token: the mail does not answer a notification"


def test_token_for_another_ticket(desk):
    # Rina's genuine token for ticket 1, presented as if it were ticket 2's.
    token = token_of(desk.note1)
    forged_id = desk.note1["Message-ID"].replace(NUMBER_1, NUMBER_2)
    forged_to = str(desk.note1["Reply-To"]).replace("3576-2026-000001", "3576-2026-000002")
    desk.deliver(
        reply_to(
            desk.note1,
            "#tutup\nSelesai.",
            to=forged_to,
            in_reply_to=forged_id,
            references=forged_id,
        )
    )
    assert token in forged_id
    [notice] = assert_nothing_happened(desk, ["rina@bps.go.id"])
    assert "tidak sah" in text_of(notice)
    assert refused_on(desk, NUMBER_2).startswith("the reply token does not verify")


def test_token_altered_by_one_character(desk):
    token = token_of(desk.note1)
    altered = token[:-1] + ("a" if token[-1] != "a" else "b")
    desk.deliver(
        reply_to(
            desk.note1,
            "#tutup\nSelesai.",
            to=str(desk.note1["Reply-To"]).replace(token, altered),
            in_reply_to=desk.note1["Message-ID"].replace(token, altered),
            references=desk.note1["Message-ID"].replace(token, altered),
        )
    )
    assert_nothing_happened(desk, ["rina@bps.go.id"])
    assert refused_on(desk, NUMBER_1).startswith("the reply token does not verify")


def test_token_replayed_by_another_operator(desk):
    desk.deliver(
        reply_to(
            desk.note1,
            "#alihkan Dimas\nSaya ambil alih.",
            sender="Dimas Prasetyo <dimas@bps.go.id>",
        )
    )
    [notice] = assert_nothing_happened(desk, ["dimas@bps.go.id"])
    assert "petugas lain" in text_of(notice)
    assert refused_on(desk, NUMBER_1) == "the reply token was minted for another operator"


@pytest.mark.parametrize(
    "sender",
    [
        "rina@bps.go.id, penipu@evil.example",
        '"rina@bps.go.id" <penipu@evil.example>',
        "rina@bps.go.id <penipu@evil.example>",
    ],
)
def test_from_that_is_not_one_plain_address_is_never_an_operator(desk, sender):
    # Even with Rina's genuine reply headers: the sender cannot be read as Rina, so nothing acts.
    desk.deliver(reply_to(desk.note1, "#tutup\nSelesai.", sender=sender))
    [notice] = assert_nothing_happened(desk, ["rina@bps.go.id"])
    assert "bukan satu alamat biasa" in text_of(notice)
    assert refused_on(desk, NUMBER_1).startswith("From is not exactly one plain address")


def test_operator_writing_from_an_unconfigured_address_gets_an_explanation(desk):
    desk.deliver(reply_to(desk.note1, "Datanya terlampir.", sender="Rina <rina.pribadi@gmail.example>"))
    sent = assert_nothing_happened(desk, ["rina.pribadi@gmail.example", "rina@bps.go.id"])
    explanation = next(m for m in sent if to_of(m) == ["rina.pribadi@gmail.example"])
    assert "tidak terdaftar sebagai petugas" in text_of(explanation)
    assert refused_on(desk, NUMBER_1).startswith("rina.pribadi@gmail.example is not a configured operator")


def test_stranger_with_a_made_up_token_is_recorded_and_nobody_is_mailed(desk):
    fake = f"<pst.{NUMBER_1}.{'a' * 24}.abc@bps.go.id>"
    desk.deliver(citizen_mail(sender="x@evil.example", body="#tutup", in_reply_to=fake, references=fake))
    assert_nothing_happened(desk, [])
    assert refused_on(desk, NUMBER_1).startswith("x@evil.example is not a configured operator")


def test_operator_of_another_office_cannot_act_here(desk):
    desk.deliver(reply_to(desk.note1, "#tutup", sender="Agus Kediri <agus@bps.go.id>"))
    assert_nothing_happened(desk, ["agus@bps.go.id"])
    assert refused_on(desk, NUMBER_1) == "operator agus@bps.go.id belongs to office 3571, not 3576"


def test_refusal_notices_to_one_address_are_rate_limited(desk):
    for i in range(25):
        desk.deliver(citizen_mail(sender="rina@bps.go.id", subject=f"spam {i}", body="#tutup"))
    assert len(desk.take()) == 20
