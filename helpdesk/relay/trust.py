"""May this mail act as an operator's reply? Sender read strictly, token verified (stage 5, pure).

DESIGN.md, "Threading and trust": mail from an operator is acted on only when the sender is a
configured operator *and* it answers a notification minted for that operator (a signed token),
or carries a pass from the trusted Authentication-Results server. Anything else is refused with a
reason, and `notify` names whom to tell: the operator whose name was used, and an operator writing
from an address that is not configured.

Rules are small named classes run as a chain, in the manner of inbound.classify: the first that
decides gives the verdict; the sender's form and identity are read before any token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import authres

from ..config import Operator
from ..model import InboundMail
from ..outbound import tokens

_ADDRESS_IN_TEXT = re.compile(r"[^\s<>\"',;:()]+@[^\s<>\"',;:()]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Trust:
    """The verdict on one operator-looking mail."""

    ok: bool
    reason: str
    operator: Operator | None = None  # the verified sender (ok) or the configured sender
    ticket: str | None = None  # the ticket the reply may act on, or the one it names
    notify: tuple[Operator, ...] = ()  # configured operators to tell about a refusal
    explain_to: str = ""  # an unconfigured sender to send an explanation to
    how: str = ""  # "token" or "authentication-results"
    named: tuple[str, ...] = field(default=())  # tickets the mail's tokens named, verified or not
    told: str = ""  # the reason in Indonesian, for the operator's notice
    rule: str = ""  # the rule that decided (trust.CHAIN)


def _named_operators(mail: InboundMail, operators: Sequence[Operator]) -> list[Operator]:
    """Configured operators whose address appears anywhere in the From (address or display name)."""
    # The raw header too: a From with two addresses parses to no address at all.
    text = f"{mail.from_addr} {mail.from_name} {mail.headers.get('from', '')}".lower()
    found = {a.lower() for a in _ADDRESS_IN_TEXT.findall(text)}
    return [op for op in operators if op.address in found]


def authentication_pass(mail: InboundMail, authserv_id: str) -> bool:
    """A DMARC pass for the From domain, stamped by our own trusted receiving server.

    RFC 8601, parsed (authres), never searched as text: a sender can write any property value
    ("header.i=dmarc=pass.header.from=..."). Only the top-most headers count, those the trusted
    server itself added above everything the sender wrote; the first header from anyone else ends
    them. Every dmarc result among them must be a pass for exactly the From domain, and one must
    exist. A header that does not parse means no trust."""
    if not authserv_id or "@" not in mail.from_addr:
        return False
    domain = mail.from_addr.rpartition("@")[2].lower()
    verdicts: list[bool] = []
    for header in mail.authentication_results:
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(header)
        except Exception:  # noqa: BLE001 - authres raises several kinds on malformed input
            return False
        if str(parsed.authserv_id or "").lower() != authserv_id.lower():
            break
        for result in parsed.results:
            if str(result.method).lower() != "dmarc":
                continue
            froms = [
                str(p.value).lower()
                for p in result.properties
                if str(p.type).lower() == "header" and str(p.name).lower() == "from"
            ]
            verdicts.append(str(result.result).lower() == "pass" and froms == [domain])
    return bool(verdicts) and all(verdicts)


@dataclass(frozen=True)
class Evidence:
    """What the rules read: the mail, who may answer, and the tokens the mail carries."""

    mail: InboundMail
    operators: Sequence[Operator]
    secret: str
    office: str
    thread_ticket: str | None
    authserv_id: str
    found: tuple[tokens.Found, ...]
    sender: Operator | None  # the configured operator whose address is exactly the From

    @property
    def named(self) -> tuple[str, ...]:
        """Tickets the mail's tokens name, verified or not, first one first."""
        return tuple(dict.fromkeys(f.ticket for f in self.found))

    @property
    def named_ticket(self) -> str | None:
        """Where a refusal is recorded: the first ticket a token names, else the thread's."""
        return self.named[0] if self.named else self.thread_ticket

    def verifies(self, found: tokens.Found, operator: Operator) -> bool:
        return tokens.verify(self.secret, found.token, found.ticket, operator.address)

    def refuse(self, reason: str, **kw: Any) -> Trust:
        return Trust(False, reason, **{"ticket": self.named_ticket, "named": self.named, **kw})

    def tell_sender(self, reason: str, told: str) -> Trust:
        """A refusal the configured sender is told about, so a genuine reply can be sent properly."""
        return self.refuse(reason, operator=self.sender, notify=(self.sender,) if self.sender else (), told=told)

    def accept(self, reason: str, ticket: str, how: str) -> Trust:
        return Trust(True, reason, operator=self.sender, ticket=ticket, how=how, named=self.named)


class Rule:
    """One check; `check` returns the verdict when it decides, or None to pass the mail on."""

    NAME = "rule"

    def check(self, ev: Evidence) -> Trust | None:
        raise NotImplementedError


# --- The sender: exactly one plain address, a configured operator of this office.


class UntrustedFrom(Rule):
    """Two addresses, or a display name that is itself an address: never an operator. Whoever's
    address it names is told, since someone may be using their name."""

    NAME = "untrusted_from"

    def check(self, ev: Evidence) -> Trust | None:
        if ev.mail.from_trusted_form:
            return None
        return ev.refuse(
            "From is not exactly one plain address (a display name holding an "
            "address, or several addresses): never trusted as an operator",
            notify=tuple(_named_operators(ev.mail, ev.operators)),
            told="alamat pengirim (From) bukan satu alamat biasa (nama tampilannya berisi alamat "
            "email, atau ada lebih dari satu alamat). Email seperti ini tidak pernah dianggap "
            "dari petugas; mungkin ada yang memakai nama atau alamat Anda.",
        )


class PrivateAddress(Rule):
    """An unconfigured sender answering a notification whose token verifies for an operator: most
    likely that operator writing from a private address. Both are told how to answer."""

    NAME = "private_address"

    def check(self, ev: Evidence) -> Trust | None:
        if ev.sender is not None:
            return None
        owner = next(((op, f) for f in ev.found for op in ev.operators if ev.verifies(f, op)), None)
        if owner is None:
            return None
        op, f = owner
        return ev.refuse(
            f"{ev.mail.from_addr} is not a configured operator; the notification was sent to {op.address}",
            ticket=f.ticket,
            notify=(op,),
            explain_to=ev.mail.from_addr,
            told=f"alamat {ev.mail.from_addr} tidak terdaftar sebagai petugas; pemberitahuan "
            f"tiket {f.ticket} dikirim ke {op.address}.",
        )


class Stranger(Rule):
    """Not an operator and no token of ours: nobody to tell (a forger is not answered)."""

    NAME = "stranger"

    def check(self, ev: Evidence) -> Trust | None:
        if ev.sender is not None:
            return None
        return ev.refuse(f"{ev.mail.from_addr} is not a configured operator and the reply token does not verify")


class OtherOffice(Rule):
    NAME = "other_office"

    def check(self, ev: Evidence) -> Trust | None:
        sender = ev.sender
        if sender is None or sender.office == ev.office:
            return None
        return ev.tell_sender(
            f"operator {sender.address} belongs to office {sender.office}, not {ev.office}",
            f"Anda terdaftar sebagai petugas kantor {sender.office}, bukan {ev.office}.",
        )


# --- The proof: a token minted for this operator, or our own server's DMARC pass.


class TokenVerifies(Rule):
    NAME = "token_verifies"

    def check(self, ev: Evidence) -> Trust | None:
        sender = ev.sender
        assert sender is not None  # Stranger decided every mail without one
        f = next((f for f in ev.found if ev.verifies(f, sender)), None)
        if f is None:
            return None
        return ev.accept(f"token for {f.ticket} verifies for {sender.address}", f.ticket, "token")


class AuthenticatedByOurServer(Rule):
    """Mail our trusted receiving server authenticated acts on the ticket of its thread."""

    NAME = "authenticated"

    def check(self, ev: Evidence) -> Trust | None:
        if not ev.thread_ticket or not authentication_pass(ev.mail, ev.authserv_id):
            return None
        assert ev.sender is not None
        return ev.accept(
            f"{ev.authserv_id} reports dmarc=pass for {ev.sender.address}", ev.thread_ticket, "authentication-results"
        )


# --- No proof: the operator is told why, so a genuine reply can be sent again properly.


class NoToken(Rule):
    NAME = "no_token"

    def check(self, ev: Evidence) -> Trust | None:
        if ev.found:
            return None
        return ev.tell_sender(
            "no reply token: the mail does not answer a notification",
            "email ini bukan balasan atas email pemberitahuan tiket (tidak ada kode balasan).",
        )


class TokenOfAnotherOperator(Rule):
    NAME = "token_of_another_operator"

    def check(self, ev: Evidence) -> Trust | None:
        if not any(ev.verifies(f, op) for f in ev.found for op in ev.operators):
            return None
        return ev.tell_sender(
            "the reply token was minted for another operator",
            "kode balasan dalam email ini dibuat untuk petugas lain.",
        )


class TokenDoesNotVerify(Rule):
    """The last rule: always decides."""

    NAME = "token_does_not_verify"

    def check(self, ev: Evidence) -> Trust | None:
        return ev.tell_sender(
            "the reply token does not verify (altered, or for another ticket)",
            "kode balasan dalam email ini tidak sah (berubah, atau untuk tiket lain).",
        )


CHAIN: tuple[Rule, ...] = (
    UntrustedFrom(),
    PrivateAddress(),
    Stranger(),
    OtherOffice(),
    TokenVerifies(),
    AuthenticatedByOurServer(),
    NoToken(),
    TokenOfAnotherOperator(),
    TokenDoesNotVerify(),
)


def check(
    mail: InboundMail,
    *,
    operators: Sequence[Operator],
    secret: str,
    office: str,
    thread_ticket: str | None = None,
    authserv_id: str = "",
) -> Trust:
    """Decide whether `mail` may act as an operator's reply, and on which ticket: the first rule
    that decides, in chain order (the last one always does)."""
    found = tuple(tokens.extract(mail.to + mail.cc, mail.in_reply_to, mail.references))
    sender = next((op for op in operators if op.address == mail.from_addr), None)
    ev = Evidence(mail, operators, secret, office, thread_ticket, authserv_id, found, sender)
    return next(replace(v, rule=rule.NAME) for rule in CHAIN if (v := rule.check(ev)) is not None)
