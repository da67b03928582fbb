"""Who may use the desk commands mailed fresh to the office (#bantuan, #daftar, #cari) (pure).

Such a mail answers no notification, so it carries no ticket's reply token. It is trusted when its
From is exactly one configured operator of this office (read strictly, as relay.trust reads it)
*and* either
  - it is addressed to that operator's own command address, bps3576+op-<token>@..., the token an
    HMAC of the operator's address with the helpdesk secret (outbound.tokens.mint_desk), which the
    helpdesk gives only to that operator's configured address (every desk reply carries it as
    Reply-To, and so does every refusal notice), or
  - the trusted receiving server stamped a DMARC pass for the From domain (relay.trust, the same
    rule as for replies).
A forged From has neither: it gets nothing, and the operator whose address was used is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Operator, Settings
from ..model import InboundMail
from ..outbound import tokens
from ..relay.trust import authentication_pass


@dataclass(frozen=True)
class Access:
    ok: bool
    reason: str  # for the log
    operator: Operator | None = None  # the configured operator whose address the From names
    told: str = ""  # the reason in Indonesian, for the operator's notice


def check(mail: InboundMail, settings: Settings, office: str) -> Access:
    """May this mail run a desk command for `office`?"""
    sender = settings.operator(mail.from_addr) if mail.from_addr else None
    if sender is None or not mail.from_trusted_form:
        return Access(False, f"{mail.from_addr or '(no From)'} is not exactly one configured operator address")
    if sender.office != office:
        return Access(
            False,
            f"operator {sender.address} belongs to office {sender.office}, not {office}",
            sender,
            f"Anda terdaftar sebagai petugas kantor {sender.office}, bukan {office}.",
        )
    if tokens.desk_token_verifies(settings.secret, mail.to + mail.cc, sender.address):
        return Access(True, f"sent to the command address of {sender.address}", sender)
    if authentication_pass(mail, settings.trusted_authserv_id):
        return Access(True, f"{settings.trusted_authserv_id} reports dmarc=pass for {sender.address}", sender)
    return Access(
        False,
        "a command not sent to the operator's own command address, and no trusted Authentication-Results pass",
        sender,
        "perintah hanya dijalankan bila dikirim ke alamat perintah Anda sendiri (di bawah); "
        "alamat pengirim saja mudah dipalsukan.",
    )
