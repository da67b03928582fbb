"""Reply tokens bound to (ticket, operator, purpose) and where replies carry them (stages 3 and 5, pure).

A notification to an operator carries a token in its Message-ID and in its Reply-To plus-address.
The operator's mail client sends it back in In-Reply-To/References and/or To. `extract` finds every
candidate; `verify` decides, for the sender the caller has already read strictly, which one holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import NamedTuple

TOKEN_LENGTH = 24  # base32 characters: 15 bytes = 120 bits of HMAC-SHA256, no padding
DEFAULT_PURPOSE = "reply"  # the operator answering a notification
_DOMAIN_TAG = b"pst-helpdesk/relay/v1"  # changes if the message layout below ever changes

_TICKET = re.compile(r"PST-[0-9]{4}-[0-9]{4}-[0-9]{6}")
_TOKEN = re.compile(rf"[a-z2-7]{{{TOKEN_LENGTH}}}")
_PURPOSE = re.compile(r"[a-z][a-z_]{0,31}")
_NONCE = re.compile(r"[A-Za-z0-9]{1,64}")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_OPERATOR = re.compile(r"[^\s@<>]+@[^\s@<>]+")

# Our own Message-ID as minted by `notification_message_id`; any client echoes it in In-Reply-To.
_MESSAGE_ID = re.compile(
    rf"<pst\.(PST-\d{{4}}-\d{{4}}-\d{{6}})\.([a-z2-7]{{{TOKEN_LENGTH}}})"
    r"\.[A-Za-z0-9]{1,64}@[^<>@\s]+>",
    re.IGNORECASE | re.ASCII,
)  # ASCII: no Kelvin sign for "k", no Arabic-Indic digits
# Our Reply-To plus-address as built by `reply_address`: what "Reply" puts in To.
_REPLY_ADDRESS = re.compile(
    rf"[^\s@+<>]+\+t-(\d{{4}}-\d{{4}}-\d{{6}})-([a-z2-7]{{{TOKEN_LENGTH}}})@[^\s@<>]+", re.IGNORECASE | re.ASCII
)
_ID_SEPARATOR = re.compile(r"[\s,]+|(?<=>)(?=<)")  # RFC 5322 allows "<a><b>"
_ANGLE_ADDR = re.compile(r"<([^<>]*)>\s*$")  # "Name <addr>" -> addr


class Found(NamedTuple):
    """A (ticket, token) pair read from a reply; not yet verified."""

    ticket: str  # canonical, e.g. PST-3576-2026-000123
    token: str  # lower-case base32


def _key(secret: bytes | str) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if not key:
        raise ValueError("empty relay secret")
    return key


def _message(ticket: str, operator: str, purpose: str) -> bytes:
    # Each field is validated to hold no newline, so the layout is unambiguous.
    return b"\n".join([_DOMAIN_TAG, purpose.encode(), ticket.encode(), operator.encode("utf-8")])


def _canonical(ticket: str, operator: str, purpose: str) -> tuple[str, str, str]:
    ticket, operator = ticket.strip().upper(), operator.strip().lower()
    if not _TICKET.fullmatch(ticket):
        raise ValueError(f"not a ticket number: {ticket!r}")
    if not _OPERATOR.fullmatch(operator):
        raise ValueError(f"not an operator address: {operator!r}")
    if not _PURPOSE.fullmatch(purpose):
        raise ValueError(f"bad token purpose: {purpose!r}")
    return ticket, operator, purpose


def mint(secret: bytes | str, ticket: str, operator: str, *, purpose: str = DEFAULT_PURPOSE) -> str:
    """The deterministic token for this ticket, operator and purpose: 24 lower-case base32 chars."""
    ticket, operator, purpose = _canonical(ticket, operator, purpose)
    digest = hmac.new(_key(secret), _message(ticket, operator, purpose), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode("ascii").lower()


def verify(secret: bytes | str, token: str, ticket: str, operator: str, *, purpose: str = DEFAULT_PURPOSE) -> bool:
    """True only if `token` was minted with this secret for this ticket, operator and purpose."""
    try:
        if not isinstance(token, str) or not token.isascii():
            return False
        token = token.strip().lower()  # base32 is case-free; some relays change case
        if not _TOKEN.fullmatch(token):
            return False
        expected = mint(secret, ticket, operator, purpose=purpose)
    except (ValueError, TypeError, AttributeError):
        return False
    return hmac.compare_digest(expected, token)


def ticket_short(ticket: str) -> str:
    """PST-3576-2026-000123 -> 3576-2026-000123 (the part a plus-address carries)."""
    ticket = ticket.strip().upper()
    if not _TICKET.fullmatch(ticket):
        raise ValueError(f"not a ticket number: {ticket!r}")
    return ticket[len("PST-") :]


def reply_address(office_address: str, ticket: str, token: str) -> str:
    """The Reply-To of a notification: bps3576+t-3576-2026-000123-<token>@bps.go.id."""
    local, sep, domain = office_address.strip().rpartition("@")
    if not sep or not local or "+" in local or not _HOST.fullmatch(domain) or not _TOKEN.fullmatch(token):
        raise ValueError(f"cannot build a reply address from {office_address!r}")
    address = f"{local}+t-{ticket_short(ticket).lower()}-{token}@{domain}"
    if len(address) - len(domain) - 1 > 64:  # RFC 5321 local-part limit
        raise ValueError(f"reply address local part too long: {address!r}")
    return address


def notification_message_id(ticket: str, token: str, nonce: str, domain: str) -> str:
    """The Message-ID of a notification: <pst.PST-3576-2026-000123.<token>.<nonce>@domain>."""
    ticket = ticket.strip().upper()
    if not (
        _TICKET.fullmatch(ticket) and _TOKEN.fullmatch(token) and _NONCE.fullmatch(nonce) and _HOST.fullmatch(domain)
    ):
        raise ValueError("cannot build a notification Message-ID from these parts")
    return f"<pst.{ticket}.{token}.{nonce}@{domain}>"


def carries_token(message_id: str) -> bool:
    """True for a notification Message-ID: it must never reach anyone but its operator."""
    return isinstance(message_id, str) and bool(_MESSAGE_ID.fullmatch(message_id.strip()))


# Either form of a token anywhere in a blob (an attached mail, a text file): never to a citizen.
_ANY_TOKEN = re.compile(
    rb"pst\.PST-\d{4}-\d{4}-\d{6}\.[a-z2-7]{24}|\+t-\d{4}-\d{4}-\d{6}-[a-z2-7]{24}@"
    rb"|\+op-[a-z2-7]{24}@",
    re.IGNORECASE,
)  # an operator's command address too


def mentions_token(data: bytes) -> bool:
    """True when `data` holds a reply token as our Message-IDs or Reply-To addresses carry it, or
    an operator's command address."""
    return bool(_ANY_TOKEN.search(data or b""))


def _strings(value: object) -> list[str]:
    """A header value or a list of them, as strings; anything else is ignored."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray)):
        return [v for v in value if isinstance(v, str)]
    return []


def _from_message_ids(value: object, newest_first: bool) -> list[Found]:
    found: list[Found] = []
    for text in _strings(value):
        # Items are separated by whitespace (or commas, from sloppy clients); ours must be a whole
        # item, so "<x<pst...>>" or "<pst...@a@b>" never count.
        for item in _ID_SEPARATOR.split(text[:20000]):
            m = _MESSAGE_ID.fullmatch(item)
            if m:
                found.append(Found(m.group(1).upper(), m.group(2).lower()))
    return list(reversed(found)) if newest_first else found


def _from_addresses(value: object) -> list[Found]:
    found: list[Found] = []
    for text in _strings(value):
        if "+" not in text:
            continue  # a reply address always has one (name+t-...@): most recipients are skipped here
        text = text.strip()[:1000]
        m = _ANGLE_ADDR.search(text)
        address = m.group(1).strip() if m else text
        m = _REPLY_ADDRESS.fullmatch(address)
        if m:
            found.append(Found("PST-" + m.group(1), m.group(2).lower()))
    return found


def extract(
    mail_to_addresses: Iterable[str] | str | None, in_reply_to: str | None, references: Iterable[str] | str | None
) -> list[Found]:
    """Every (ticket, token) a reply carries: In-Reply-To, then References newest first, then To.

    Strict and total: only our exact formats match, duplicates are dropped, junk never raises.
    """
    candidates = (
        _from_message_ids(in_reply_to, newest_first=False)
        + _from_message_ids(references, newest_first=True)
        + _from_addresses(mail_to_addresses)
    )
    unique: list[Found] = []
    for found in candidates:
        if found not in unique:
            unique.append(found)
    return unique


# The operator's own command address (desk commands mailed fresh: #bantuan, #daftar, #cari):
# bps3576+op-<token>@bps.go.id, the token bound to the operator alone (no ticket).
DESK_PURPOSE = "desk"
_DESK_ADDRESS = re.compile(rf"[^\s@+<>]+\+op-([a-z2-7]{{{TOKEN_LENGTH}}})@[^\s@<>]+", re.IGNORECASE | re.ASCII)


def mint_desk(secret: bytes | str, operator: str) -> str:
    """The token of an operator's command address: 24 lower-case base32 characters."""
    operator = operator.strip().lower()
    if not _OPERATOR.fullmatch(operator):
        raise ValueError(f"not an operator address: {operator!r}")
    # An empty ticket field and its own purpose: never equal to a reply token's message.
    digest = hmac.new(_key(secret), _message("", operator, DESK_PURPOSE), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode("ascii").lower()


def desk_address(office_address: str, secret: bytes | str, operator: str) -> str:
    """bps3576+op-<token>@bps.go.id: where this operator mails commands to this office."""
    local, _, domain = office_address.strip().rpartition("@")
    return f"{local}+op-{mint_desk(secret, operator)}@{domain}"


def desk_token_verifies(secret: bytes | str, addresses: Iterable[str], operator: str) -> bool:
    """True when one of `addresses` (To, Cc) is this operator's command address."""
    expected = mint_desk(secret, operator)
    for text in _strings(addresses):
        m = _ANGLE_ADDR.search(text.strip()[:1000])
        found = _DESK_ADDRESS.fullmatch(m.group(1).strip() if m else text.strip()[:1000])
        if found and hmac.compare_digest(found.group(1).lower(), expected):
            return True
    return False
