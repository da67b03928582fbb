"""The command address: bound to one operator, never passing for a reply token or another operator's."""

from __future__ import annotations

from helpdesk.outbound import tokens

SECRET = "unit-test-secret-0123456789"


def test_command_address_verifies_only_for_its_operator_and_secret():
    address = tokens.desk_address("bps3576@bps.go.id", SECRET, "rina@bps.go.id")
    assert address.startswith("bps3576+op-") and address.endswith("@bps.go.id")
    assert tokens.desk_token_verifies(SECRET, [f"PST <{address.upper()}>"], "RINA@bps.go.id")
    assert not tokens.desk_token_verifies(SECRET, [address], "dimas@bps.go.id")
    assert not tokens.desk_token_verifies("another-secret-0123456789", [address], "rina@bps.go.id")
    token = tokens.mint_desk(SECRET, "rina@bps.go.id")
    altered = f"bps3576+op-{token[:-1]}{'b' if token[-1] != 'b' else 'c'}@bps.go.id"
    assert not tokens.desk_token_verifies(SECRET, ["bps3576@bps.go.id", altered], "rina@bps.go.id")


def test_a_reply_token_is_no_command_token_and_back():
    reply = tokens.mint(SECRET, "PST-3576-2026-000001", "rina@bps.go.id")
    assert not tokens.desk_token_verifies(SECRET, [f"bps3576+op-{reply}@bps.go.id"], "rina@bps.go.id")
    desk = tokens.mint_desk(SECRET, "rina@bps.go.id")
    assert not tokens.verify(SECRET, desk, "PST-3576-2026-000001", "rina@bps.go.id")
    assert tokens.extract([f"bps3576+op-{desk}@bps.go.id"], None, None) == []
