"""Signed reply tokens: minting, verifying, and finding them in a reply's headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.outbound.tokens import (
    Found,
    extract,
    mentions_token,
    mint,
    notification_message_id,
    reply_address,
    verify,
)

SECRET = b"s3cret-from-the-environment"
TICKET = "PST-3576-2026-000123"
OPERATOR = "budi.santoso@bps.go.id"
TOKEN = mint(SECRET, TICKET, OPERATOR)


def _altered(token: str, i: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return token[:i] + alphabet[(alphabet.index(token[i]) + 1) % 32] + token[i + 1 :]


def test_token_shape_is_local_part_safe_and_deterministic():
    assert len(TOKEN) == 24
    assert TOKEN == TOKEN.lower() and TOKEN.isalnum() and "=" not in TOKEN
    assert mint(SECRET, TICKET, OPERATOR) == TOKEN
    assert mint(SECRET.decode(), TICKET, OPERATOR) == TOKEN  # str and bytes secrets agree


def test_the_kelvin_sign_cases_below_are_meaningful():
    assert "k" in TOKEN  # otherwise the "\u212a" cases would test nothing


def test_round_trip():
    assert verify(SECRET, TOKEN, TICKET, OPERATOR)
    assert verify(SECRET, TOKEN.upper(), TICKET.lower(), " Budi.Santoso@BPS.go.id ")


@pytest.mark.parametrize("i", range(24))
def test_a_token_altered_by_one_character_fails(i):
    assert not verify(SECRET, _altered(TOKEN, i), TICKET, OPERATOR)


@pytest.mark.parametrize(
    "secret, token, ticket, operator, purpose",
    [
        (SECRET, TOKEN, "PST-3576-2026-000124", OPERATOR, "reply"),  # another ticket
        (SECRET, TOKEN, "PST-3571-2026-000123", OPERATOR, "reply"),  # another office
        (SECRET, TOKEN, TICKET, "siti.aminah@bps.go.id", "reply"),  # another operator
        (SECRET, TOKEN, TICKET, OPERATOR, "rating"),  # another purpose
        (b"another-secret", TOKEN, TICKET, OPERATOR, "reply"),  # another secret
        (SECRET, TOKEN[:-1], TICKET, OPERATOR, "reply"),  # truncated
        (SECRET, TOKEN + "a", TICKET, OPERATOR, "reply"),  # extended
    ],
)
def test_a_token_for_something_else_fails(secret, token, ticket, operator, purpose):
    assert not verify(secret, token, ticket, operator, purpose=purpose)


@pytest.mark.parametrize(
    "secret, token, ticket, operator",
    [
        (b"", TOKEN, TICKET, OPERATOR),
        ("", TOKEN, TICKET, OPERATOR),
        (SECRET, "", TICKET, OPERATOR),
        (SECRET, None, TICKET, OPERATOR),
        (SECRET, 12345, TICKET, OPERATOR),
        (SECRET, "\u00e9" * 24, TICKET, OPERATOR),
        (SECRET, TOKEN, "", OPERATOR),
        (SECRET, TOKEN, "PST-3576-2026-123", OPERATOR),
        (SECRET, TOKEN, TICKET, ""),
        (SECRET, TOKEN, TICKET, "budi\n@bps.go.id"),
        (SECRET, TOKEN, None, OPERATOR),
        (SECRET, TOKEN, TICKET, None),
        (SECRET, TOKEN.replace("k", "\u212a"), TICKET, OPERATOR),  # Kelvin sign
        (SECRET, TOKEN, "PST-\u0663576-2026-000123", OPERATOR),  # Arabic-Indic digit
    ],
)
def test_junk_never_verifies_and_never_raises(secret, token, ticket, operator):
    assert verify(secret, token, ticket, operator) is False


@pytest.mark.parametrize("ticket, operator", [("PST-1-2-3", OPERATOR), (TICKET, "not an address")])
def test_mint_refuses_bad_input(ticket, operator):
    with pytest.raises(ValueError):
        mint(SECRET, ticket, operator)


def test_mint_refuses_an_empty_secret():
    with pytest.raises(ValueError):
        mint(b"", TICKET, OPERATOR)


def test_reply_address_and_message_id_round_trip_through_extract():
    address = reply_address("bps3576@bps.go.id", TICKET, TOKEN)
    assert address == f"bps3576+t-3576-2026-000123-{TOKEN}@bps.go.id"
    assert len(address.split("@")[0]) <= 64
    mid = notification_message_id(TICKET, TOKEN, "0a1b2c3d4e5f6a7b", "bps.go.id")
    assert mid == f"<pst.{TICKET}.{TOKEN}.0a1b2c3d4e5f6a7b@bps.go.id>"
    assert extract([address], None, None) == [Found(TICKET, TOKEN)]
    assert extract([], mid, None) == [Found(TICKET, TOKEN)]
    assert extract([], "", [mid]) == [Found(TICKET, TOKEN)]


def test_extract_order_and_dedupe():
    other = mint(SECRET, "PST-3576-2026-000001", OPERATOR)
    old = notification_message_id("PST-3576-2026-000001", other, "aa", "bps.go.id")
    new = notification_message_id(TICKET, TOKEN, "bb", "bps.go.id")
    found = extract(
        [f"PST <{reply_address('bps3576@bps.go.id', TICKET, TOKEN)}>"], new, f"<citizen@gmail.com> {old} {new}"
    )
    assert found == [Found(TICKET, TOKEN), Found("PST-3576-2026-000001", other)]
    # References newest first; folded or run together as RFC 5322 allows.
    assert extract([], None, f"<citizen@gmail.com>{old}\r\n\t{new}") == [
        Found(TICKET, TOKEN),
        Found("PST-3576-2026-000001", other),
    ]


@pytest.mark.parametrize(
    "to, in_reply_to, references",
    [
        # A case-mangling relay: still found, canonical form.
        ([f"BPS3576+T-3576-2026-000123-{TOKEN.upper()}@BPS.GO.ID"], None, None),
        ([], f"<PST.{TICKET.lower()}.{TOKEN.upper()}.XYZ@bps.go.id>", None),
    ],
)
def test_extract_is_case_insensitive(to, in_reply_to, references):
    assert extract(to, in_reply_to, references) == [Found(TICKET, TOKEN)]


@pytest.mark.parametrize(
    "to, in_reply_to, references",
    [
        (None, None, None),
        ([], "", []),
        ("bps3576@bps.go.id", "<abc@gmail.com>", ["<x@y>"]),
        ([f"bps3576+t-3576-2026-00012-{TOKEN}@bps.go.id"], None, None),  # short serial
        ([f"bps3576+t-3576-2026-000123-{TOKEN}x@bps.go.id"], None, None),  # long token
        ([f"evil+bps3576+t-3576-2026-000123-{TOKEN}@bps.go.id"], None, None),  # two plusses
        ([f"x bps3576+t-3576-2026-000123-{TOKEN}@bps.go.id y"], None, None),  # not an address
        ([], f"<pst.{TICKET}.{TOKEN}.n@bps.go.id", None),  # unclosed
        ([], f"<x<pst.{TICKET}.{TOKEN}.n@bps.go.id>>", None),  # nested
        ([], f"<pst.{TICKET}.{TOKEN}.n@bps.go.id@evil>", None),  # two @
        ([], f"<pst.PST-3576-2026-0001234.{TOKEN}.n@bps.go.id>", None),  # long serial
        ([], f"<pst.{TICKET}.{TOKEN.replace('k', chr(0x212A))}.n@bps.go.id>", None),  # Kelvin sign
        ([None, 3, b"bytes"], 42, object()),  # not text at all
    ],
)
def test_extract_ignores_anything_not_exactly_ours(to, in_reply_to, references):
    assert extract(to, in_reply_to, references) == []


@given(
    st.one_of(st.none(), st.text(), st.lists(st.text())),
    st.one_of(st.none(), st.text()),
    st.one_of(st.none(), st.text(), st.lists(st.text())),
)
def test_extract_never_raises(to, in_reply_to, references):
    assert isinstance(extract(to, in_reply_to, references), list)


@given(st.text(), st.text(), st.text(), st.one_of(st.binary(), st.text()))
def test_verify_never_raises(token, ticket, operator, secret):
    assert verify(secret, token, ticket, operator) in (True, False)


@pytest.mark.parametrize(
    "office, ticket, token",
    [
        ("bps3576", TICKET, TOKEN),
        ("a+b@bps.go.id", TICKET, TOKEN),
        ("bps3576@bps.go.id", "PST-3576", TOKEN),
        ("bps3576@bps.go.id", TICKET, "short"),
    ],
)
def test_reply_address_refuses_bad_parts(office, ticket, token):
    with pytest.raises(ValueError):
        reply_address(office, ticket, token)


@pytest.mark.parametrize(
    "nonce, domain", [("", "bps.go.id"), ("a.b", "bps.go.id"), ("ab", "bad domain"), ("ab", "x>y")]
)
def test_notification_message_id_refuses_bad_parts(nonce, domain):
    with pytest.raises(ValueError):
        notification_message_id(TICKET, TOKEN, nonce, domain)


@pytest.mark.parametrize(
    "blob, found",
    [
        (b"Message-ID: <pst.PST-3576-2026-000001.abcdefghijklmnopqrstuvwx.1a2b@bps.go.id>", True),
        (b"Reply-To: bps3576+t-3576-2026-000001-abcdefghijklmnopqrstuvwx@bps.go.id", True),
        (b"Nomor tiket PST-3576-2026-000001, balas ke bps3576@bps.go.id", False),
        (b"", False),
    ],
)
def test_a_token_anywhere_in_a_blob_is_found(blob, found):
    assert mentions_token(blob) is found
