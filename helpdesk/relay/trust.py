"""May this mail act as an operator's reply? Sender read strictly, token verified (stage 5, pure).

DESIGN.md, "Threading and trust": mail from an operator is acted on only when the sender is a
configured operator *and* it answers a notification minted for that operator (a signed token),
or carries a pass from the trusted Authentication-Results server. Anything else is refused with a
reason, and `notify` names whom to tell: the operator whose name was used, and an operator writing
from an address that is not configured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

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


def check(
    mail: InboundMail,
    *,
    operators: Sequence[Operator],
    secret: str,
    office: str,
    thread_ticket: str | None = None,
    authserv_id: str = "",
) -> Trust:
    """Decide whether `mail` may act as an operator's reply, and on which ticket."""
    found = tokens.extract(mail.to + mail.cc, mail.in_reply_to, mail.references)
    named = tuple(dict.fromkeys(f.ticket for f in found))
    sender = next((op for op in operators if op.address == mail.from_addr), None)
    if not mail.from_trusted_form:
        # Two addresses, or a display name that is itself an address: never an operator.
        return Trust(
            False,
            "From is not exactly one plain address (a display name holding an "
            "address, or several addresses): never trusted as an operator",
            ticket=named[0] if named else thread_ticket,
            notify=tuple(_named_operators(mail, operators)),
            named=named,
            told="alamat pengirim (From) bukan satu alamat biasa (nama tampilannya berisi alamat "
            "email, atau ada lebih dari satu alamat). Email seperti ini tidak pernah dianggap "
            "dari petugas; mungkin ada yang memakai nama atau alamat Anda.",
        )
    if sender is None:
        owner = next(
            ((op, f) for f in found for op in operators if tokens.verify(secret, f.token, f.ticket, op.address)),
            None,
        )
        if owner is not None:
            op, f = owner
            return Trust(
                False,
                f"{mail.from_addr} is not a configured operator; the notification was sent to {op.address}",
                ticket=f.ticket,
                notify=(op,),
                explain_to=mail.from_addr,
                named=named,
                told=f"alamat {mail.from_addr} tidak terdaftar sebagai petugas; pemberitahuan "
                f"tiket {f.ticket} dikirim ke {op.address}.",
            )
        return Trust(
            False,
            f"{mail.from_addr} is not a configured operator and the reply token does not verify",
            ticket=named[0] if named else thread_ticket,
            named=named,
        )
    if sender.office != office:
        return Trust(
            False,
            f"operator {sender.address} belongs to office {sender.office}, not {office}",
            operator=sender,
            ticket=named[0] if named else thread_ticket,
            notify=(sender,),
            named=named,
            told=f"Anda terdaftar sebagai petugas kantor {sender.office}, bukan {office}.",
        )
    for f in found:
        if tokens.verify(secret, f.token, f.ticket, sender.address):
            return Trust(
                True,
                f"token for {f.ticket} verifies for {sender.address}",
                operator=sender,
                ticket=f.ticket,
                how="token",
                named=named,
            )
    if thread_ticket and authentication_pass(mail, authserv_id):
        return Trust(
            True,
            f"{authserv_id} reports dmarc=pass for {sender.address}",
            operator=sender,
            ticket=thread_ticket,
            how="authentication-results",
            named=named,
        )
    if not found:
        reason = "no reply token: the mail does not answer a notification"
        told = "email ini bukan balasan atas email pemberitahuan tiket (tidak ada kode balasan)."
    elif any(tokens.verify(secret, f.token, f.ticket, op.address) for f in found for op in operators):
        reason = "the reply token was minted for another operator"
        told = "kode balasan dalam email ini dibuat untuk petugas lain."
    else:
        reason = "the reply token does not verify (altered, or for another ticket)"
        told = "kode balasan dalam email ini tidak sah (berubah, atau untuk tiket lain)."
    return Trust(
        False,
        reason,
        operator=sender,
        ticket=named[0] if named else thread_ticket,
        notify=(sender,),
        named=named,
        told=told,
    )
